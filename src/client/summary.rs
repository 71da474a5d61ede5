//! What an import did, as text or as one JSON object, and the exit code it ends with.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::csv::MalformedRow;
use super::http::ImportState;

/// Every row completed.
pub const EXIT_ALL_COMPLETE: u8 = 0;
/// Some row failed or was malformed.
pub const EXIT_SOME_ROWS_FAILED: u8 = 1;
/// The file or the service could not be used.
pub const EXIT_UNUSABLE: u8 = 2;

/// A row the service processed.
#[derive(Debug, Clone)]
pub struct RowOutcome {
    pub line: u64,
    pub serial_number: String,
    pub state: ImportState,
}

/// What became of the import records once every row was processed.
#[derive(Debug, Clone, PartialEq)]
pub enum Records {
    Deleted,
    /// `--keep-records`.
    Kept,
    /// Some could not be deleted: how many are left, and the first error.
    NotAllDeleted {
        left: usize,
        error: String,
    },
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Device rows in the file, malformed ones included.
    pub rows: usize,
    pub complete: usize,
    pub failed: usize,
    /// One entry per error, by code then name.
    pub errors: Vec<ErrorGroup>,
    pub malformed: Vec<Malformed>,
    pub import_ids: Vec<String>,
    pub records_deleted: bool,
    #[serde(skip)]
    pub records: Records,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ErrorGroup {
    /// `deviceErrorCode`.
    pub code: i64,
    /// `deviceErrorName`, or the status when the service named no error (e.g. `partial`).
    pub name: String,
    pub count: usize,
    /// The failed rows, in file order.
    pub rows: Vec<FailedRow>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FailedRow {
    pub line: u64,
    pub serial_number: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Malformed {
    pub line: u64,
    pub reason: String,
}

impl Summary {
    pub fn new(
        outcomes: Vec<RowOutcome>,
        malformed: &[MalformedRow],
        import_ids: Vec<String>,
        records: Records,
    ) -> Summary {
        let rows = outcomes.len() + malformed.len();
        let mut complete = 0;
        let mut groups: BTreeMap<(i64, String), Vec<FailedRow>> = BTreeMap::new();
        for outcome in outcomes {
            if outcome.state.is_complete() {
                complete += 1;
                continue;
            }
            let state = &outcome.state;
            let name = match state.device_error_name.as_deref() {
                Some(name) if !name.is_empty() => name.to_owned(),
                _ => state.status().to_owned(),
            };
            groups
                .entry((state.device_error_code.unwrap_or_default(), name))
                .or_default()
                .push(FailedRow {
                    line: outcome.line,
                    serial_number: outcome.serial_number,
                });
        }
        let errors: Vec<ErrorGroup> = groups
            .into_iter()
            .map(|((code, name), mut rows)| {
                rows.sort_by_key(|row| row.line);
                ErrorGroup {
                    code,
                    name,
                    count: rows.len(),
                    rows,
                }
            })
            .collect();
        let mut malformed: Vec<Malformed> = malformed
            .iter()
            .map(|row| Malformed {
                line: row.line,
                reason: row.reason.clone(),
            })
            .collect();
        malformed.sort_by_key(|row| row.line);
        Summary {
            rows,
            complete,
            failed: errors.iter().map(|group| group.count).sum(),
            errors,
            malformed,
            import_ids,
            records_deleted: records == Records::Deleted,
            records,
        }
    }

    pub fn exit_code(&self) -> u8 {
        if matches!(self.records, Records::NotAllDeleted { .. }) {
            EXIT_UNUSABLE
        } else if self.complete == self.rows {
            EXIT_ALL_COMPLETE
        } else {
            EXIT_SOME_ROWS_FAILED
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the summary serializes")
    }
}

/// The plain-text summary: counts, then each error with its rows, each malformed row, and what
/// became of the import records.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} rows: {} complete, {} failed, {} malformed",
            self.rows,
            self.complete,
            self.failed,
            self.malformed.len()
        )?;
        for group in &self.errors {
            writeln!(f, "{} ({}): {}", group.name, group.code, group.count)?;
            for row in &group.rows {
                match row.serial_number.as_str() {
                    "" => writeln!(f, "  line {}: (no serial number)", row.line)?,
                    serial => writeln!(f, "  line {}: {serial}", row.line)?,
                }
            }
        }
        if !self.malformed.is_empty() {
            writeln!(f, "malformed: {}", self.malformed.len())?;
            for row in &self.malformed {
                writeln!(f, "  line {}: {}", row.line, row.reason)?;
            }
        }
        // The import ids find the records that are left; deleted ones need no finding.
        let import_ids = self.import_ids.join(", ");
        match &self.records {
            _ if self.import_ids.is_empty() => writeln!(f, "nothing uploaded"),
            Records::Deleted => writeln!(f, "import records deleted"),
            Records::Kept => writeln!(f, "import records kept (imports {import_ids})"),
            Records::NotAllDeleted { left, error } => writeln!(
                f,
                "import records: {left} could not be deleted (imports {import_ids}): {error}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(line: u64, serial: &str, status: &str, code: i64, name: &str) -> RowOutcome {
        RowOutcome {
            line,
            serial_number: serial.to_owned(),
            state: ImportState {
                device_import_status: Some(status.to_owned()),
                device_error_code: Some(code),
                device_error_name: Some(name.to_owned()),
            },
        }
    }

    fn complete(line: u64, serial: &str) -> RowOutcome {
        outcome(line, serial, "complete", 0, "")
    }

    fn mixed(records: Records) -> Summary {
        Summary::new(
            vec![
                complete(2, "SN1"),
                outcome(3, "SN2", "error", 806, "ZtdDeviceAlreadyAssigned"),
                outcome(4, "", "error", 803, "MissingZtdSerialNumberAndProductKey"),
                complete(5, "SN4"),
                outcome(7, "SN6", "error", 806, "ZtdDeviceAlreadyAssigned"),
                outcome(8, "SN7", "partial", 0, ""),
            ],
            &[MalformedRow {
                line: 6,
                reason: "the hardware hash is not base64: '!' at character 4".to_owned(),
            }],
            vec!["imp-1".to_owned(), "imp-2".to_owned()],
            records,
        )
    }

    #[test]
    fn errors_are_grouped_by_code_and_name_with_their_rows() {
        let summary = mixed(Records::Deleted);
        assert_eq!((summary.rows, summary.complete, summary.failed), (7, 2, 4));
        let groups: Vec<(i64, &str, usize, Vec<u64>)> = summary
            .errors
            .iter()
            .map(|g| {
                (
                    g.code,
                    g.name.as_str(),
                    g.count,
                    g.rows.iter().map(|r| r.line).collect(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [
                (0, "partial", 1, vec![8]),
                (803, "MissingZtdSerialNumberAndProductKey", 1, vec![4]),
                (806, "ZtdDeviceAlreadyAssigned", 2, vec![3, 7]),
            ]
        );
    }

    #[test]
    fn the_text_summary_lists_counts_errors_malformed_rows_and_the_records() {
        assert_eq!(
            mixed(Records::Deleted).to_string(),
            "7 rows: 2 complete, 4 failed, 1 malformed\n\
             partial (0): 1\n  line 8: SN7\n\
             MissingZtdSerialNumberAndProductKey (803): 1\n  line 4: (no serial number)\n\
             ZtdDeviceAlreadyAssigned (806): 2\n  line 3: SN2\n  line 7: SN6\n\
             malformed: 1\n  line 6: the hardware hash is not base64: '!' at character 4\n\
             import records deleted\n"
        );
        let all_good = Summary::new(
            vec![complete(2, "SN1")],
            &[],
            vec!["imp-1".to_owned()],
            Records::Kept,
        );
        assert_eq!(
            all_good.to_string(),
            "1 rows: 1 complete, 0 failed, 0 malformed\nimport records kept (imports imp-1)\n"
        );
        let all_malformed = Summary::new(
            vec![],
            &[MalformedRow {
                line: 2,
                reason: "no serial number and no hardware hash".to_owned(),
            }],
            vec![],
            Records::Deleted,
        );
        assert_eq!(
            all_malformed.to_string(),
            "1 rows: 0 complete, 0 failed, 1 malformed\nmalformed: 1\n  \
             line 2: no serial number and no hardware hash\nnothing uploaded\n"
        );
        let left = Records::NotAllDeleted {
            left: 2,
            error: "DELETE http://x/1: answered 500".to_owned(),
        };
        assert!(
            mixed(left).to_string().ends_with(
                "import records: 2 could not be deleted (imports imp-1, imp-2): DELETE http://x/1: answered 500\n"
            )
        );
    }

    #[test]
    fn the_json_summary_has_the_documented_shape() {
        let json: serde_json::Value =
            serde_json::from_str(&mixed(Records::Kept).to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "rows": 7,
                "complete": 2,
                "failed": 4,
                "errors": [
                    {"code": 0, "name": "partial", "count": 1,
                     "rows": [{"line": 8, "serialNumber": "SN7"}]},
                    {"code": 803, "name": "MissingZtdSerialNumberAndProductKey", "count": 1,
                     "rows": [{"line": 4, "serialNumber": ""}]},
                    {"code": 806, "name": "ZtdDeviceAlreadyAssigned", "count": 2,
                     "rows": [{"line": 3, "serialNumber": "SN2"}, {"line": 7, "serialNumber": "SN6"}]},
                ],
                "malformed": [{"line": 6, "reason": "the hardware hash is not base64: '!' at character 4"}],
                "importIds": ["imp-1", "imp-2"],
                "recordsDeleted": false,
            })
        );
    }

    #[test]
    fn the_exit_code_is_zero_only_when_every_row_completed() {
        let only = |outcomes: Vec<RowOutcome>, malformed: &[MalformedRow], records| {
            Summary::new(outcomes, malformed, vec!["imp".to_owned()], records).exit_code()
        };
        assert_eq!(
            only(
                vec![complete(2, "A"), complete(3, "B")],
                &[],
                Records::Deleted
            ),
            EXIT_ALL_COMPLETE
        );
        assert_eq!(
            only(vec![complete(2, "A")], &[], Records::Kept),
            EXIT_ALL_COMPLETE
        );
        assert_eq!(
            only(
                vec![
                    complete(2, "A"),
                    outcome(3, "B", "error", 806, "ZtdDeviceAlreadyAssigned")
                ],
                &[],
                Records::Deleted
            ),
            EXIT_SOME_ROWS_FAILED
        );
        let bad_line = [MalformedRow {
            line: 3,
            reason: "no serial number and no hardware hash".to_owned(),
        }];
        assert_eq!(
            only(vec![complete(2, "A")], &bad_line, Records::Deleted),
            EXIT_SOME_ROWS_FAILED
        );
        assert_eq!(
            only(vec![], &bad_line, Records::Deleted),
            EXIT_SOME_ROWS_FAILED
        );
        let left = Records::NotAllDeleted {
            left: 1,
            error: "refused".to_owned(),
        };
        assert_eq!(only(vec![complete(2, "A")], &[], left), EXIT_UNUSABLE);
    }
}
