//! Reading an Autopilot device CSV, as Get-WindowsAutopilotInfo, the Intune portal's template and
//! OEMs write it.
//!
//! Encoding: UTF-16 LE or BE with a byte order mark (Windows PowerShell's `Out-File` default), or
//! UTF-8 with or without one. Lines end in CRLF or LF; fields are quoted as RFC 4180 says or not
//! at all (Get-WindowsAutopilotInfo strips every quote). The header names the columns in any order,
//! compared case-insensitively and trimmed: `Device Serial Number`, `Windows Product ID` and
//! `Hardware Hash` are required, `Group Tag` and `Assigned User` optional, any other column is
//! ignored (the `-Partner` form adds `Manufacturer name` and `Device model`). Fields are trimmed.
//!
//! A row that cannot be sent is malformed (its line and the reason are kept, the other rows still
//! import): a different number of fields than the header, neither serial number nor hardware hash,
//! or a hash that is not base64. The hash may use the standard or the URL-safe alphabet, with or
//! without padding, but no whitespace inside; it is sent in the standard alphabet. A row whose
//! fields are all empty (spreadsheets leave them) is skipped. A file without a header, with a
//! required column missing, or without a single device row cannot be imported at all.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const SERIAL_NUMBER: &str = "Device Serial Number";
const PRODUCT_KEY: &str = "Windows Product ID";
const HARDWARE_HASH: &str = "Hardware Hash";
const GROUP_TAG: &str = "Group Tag";
const ASSIGNED_USER: &str = "Assigned User";

const REQUIRED_COLUMNS: [&str; 3] = [SERIAL_NUMBER, PRODUCT_KEY, HARDWARE_HASH];
const OPTIONAL_COLUMNS: [&str; 2] = [GROUP_TAG, ASSIGNED_USER];

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
const UTF16_LE_BOM: &[u8] = &[0xFF, 0xFE];
const UTF16_BE_BOM: &[u8] = &[0xFE, 0xFF];

/// Padding is optional on input: some tools drop it, and the decoded bytes are the same.
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_INPUT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_INPUT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// What a device file holds: the rows to send and the rows that cannot be.
#[derive(Debug, Default, PartialEq)]
pub struct DeviceFile {
    pub rows: Vec<DeviceRow>,
    pub malformed: Vec<MalformedRow>,
}

impl DeviceFile {
    /// Every device row of the file, sendable or not.
    pub fn total_rows(&self) -> usize {
        self.rows.len() + self.malformed.len()
    }
}

/// One device, as the import sends it; empty strings are fields the file left empty.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRow {
    /// The 1-based line of the file the row starts on.
    pub line: u64,
    pub serial_number: String,
    pub product_key: String,
    /// Standard base64 (empty when the file has none).
    pub hardware_hash: String,
    pub group_tag: String,
    pub assigned_user: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MalformedRow {
    pub line: u64,
    pub reason: String,
}

/// Why a file cannot be imported at all.
#[derive(Debug)]
pub enum FileError {
    Read(std::io::Error),
    Encoding(String),
    Empty,
    MissingColumns(Vec<&'static str>),
    RepeatedColumn(&'static str),
    NoDeviceRows,
    Csv(::csv::Error),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Read(error) => write!(f, "cannot read it: {error}"),
            FileError::Encoding(reason) => f.write_str(reason),
            FileError::Empty => f.write_str("it is empty: an Autopilot CSV starts with the header line \"Device Serial Number,Windows Product ID,Hardware Hash\""),
            FileError::MissingColumns(columns) => write!(
                f,
                "its header has no {} column: an Autopilot CSV starts with \"Device Serial Number,Windows Product ID,Hardware Hash\" (Group Tag and Assigned User optional)",
                columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
            ),
            FileError::RepeatedColumn(column) => {
                write!(f, "its header names the \"{column}\" column twice")
            }
            FileError::NoDeviceRows => f.write_str("it has a header but no device rows"),
            FileError::Csv(error) => write!(f, "it is not CSV: {error}"),
        }
    }
}

impl std::error::Error for FileError {}

/// Reads the device file at `path`; `group_tag` replaces every row's Group Tag when given.
pub fn read_device_file(path: &Path, group_tag: Option<&str>) -> Result<DeviceFile, FileError> {
    let bytes = std::fs::read(path).map_err(FileError::Read)?;
    parse_device_file(&bytes, group_tag)
}

/// Parses a device file's bytes (see the module's documentation for what is accepted).
pub fn parse_device_file(bytes: &[u8], group_tag: Option<&str>) -> Result<DeviceFile, FileError> {
    // The csv crate counts a CRLF row's line from before its LF, one short: one kind of line end
    // keeps the numbers right.
    let text = decode(bytes)?.replace("\r\n", "\n").replace('\r', "\n");
    let mut records = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes())
        .into_records();
    let header = match records.next() {
        Some(record) => record.map_err(FileError::Csv)?,
        None => return Err(FileError::Empty),
    };
    let columns = Columns::of(&header)?;
    let mut file = DeviceFile::default();
    for record in records {
        let record = record.map_err(FileError::Csv)?;
        let line = record.position().map_or(0, |position| position.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        match columns.device_row(&record, line, group_tag) {
            Ok(row) => file.rows.push(row),
            Err(reason) => file.malformed.push(MalformedRow { line, reason }),
        }
    }
    if file.total_rows() == 0 {
        return Err(FileError::NoDeviceRows);
    }
    Ok(file)
}

/// The text of the file, by its byte order mark: UTF-16 LE or BE, else UTF-8.
fn decode(bytes: &[u8]) -> Result<String, FileError> {
    let text = if let Some(units) = bytes.strip_prefix(UTF16_LE_BOM) {
        decode_utf16(units, u16::from_le_bytes)?
    } else if let Some(units) = bytes.strip_prefix(UTF16_BE_BOM) {
        decode_utf16(units, u16::from_be_bytes)?
    } else {
        let utf8 = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        String::from_utf8(utf8.to_vec()).map_err(|e| {
            FileError::Encoding(format!(
                "it is neither UTF-8 nor UTF-16 with a byte order mark (not UTF-8 at byte offset {}): save it as UTF-8",
                e.utf8_error().valid_up_to() + bytes.len() - utf8.len()
            ))
        })?
    };
    // UTF-16 without a byte order mark reads as valid UTF-8 with a NUL beside every ASCII letter.
    if text.contains('\0') {
        return Err(FileError::Encoding(
            "it holds NUL characters: UTF-16 without a byte order mark? Save it as UTF-8 or as UTF-16 with one".to_owned(),
        ));
    }
    Ok(text)
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, FileError> {
    let (pairs, rest) = bytes.as_chunks::<2>();
    if !rest.is_empty() {
        return Err(FileError::Encoding(
            "it starts with a UTF-16 byte order mark but has an odd number of bytes".to_owned(),
        ));
    }
    let units: Vec<u16> = pairs.iter().map(|pair| unit(*pair)).collect();
    String::from_utf16(&units).map_err(|_| {
        FileError::Encoding(
            "it starts with a UTF-16 byte order mark but is not valid UTF-16".to_owned(),
        )
    })
}

/// Where each known column is in the header.
struct Columns {
    fields: usize,
    serial_number: usize,
    product_key: usize,
    hardware_hash: usize,
    group_tag: Option<usize>,
    assigned_user: Option<usize>,
}

impl Columns {
    fn of(header: &::csv::StringRecord) -> Result<Columns, FileError> {
        let position = |column: &'static str| -> Result<Option<usize>, FileError> {
            let mut matching = header
                .iter()
                .enumerate()
                .filter(|(_, name)| name.eq_ignore_ascii_case(column))
                .map(|(index, _)| index);
            let first = matching.next();
            match matching.next() {
                Some(_) => Err(FileError::RepeatedColumn(column)),
                None => Ok(first),
            }
        };
        let mut required = Vec::new();
        let mut missing = Vec::new();
        for column in REQUIRED_COLUMNS {
            match position(column)? {
                Some(index) => required.push(index),
                None => missing.push(column),
            }
        }
        if !missing.is_empty() {
            return Err(FileError::MissingColumns(missing));
        }
        let [group_tag, assigned_user] = OPTIONAL_COLUMNS.map(position);
        Ok(Columns {
            fields: header.len(),
            serial_number: required[0],
            product_key: required[1],
            hardware_hash: required[2],
            group_tag: group_tag?,
            assigned_user: assigned_user?,
        })
    }

    fn device_row(
        &self,
        record: &::csv::StringRecord,
        line: u64,
        group_tag: Option<&str>,
    ) -> Result<DeviceRow, String> {
        if record.len() != self.fields {
            return Err(format!(
                "{} fields where the header has {} (a comma inside an unquoted field?)",
                record.len(),
                self.fields
            ));
        }
        let field = |index: usize| record[index].to_owned();
        let optional = |index: Option<usize>| index.map(field).unwrap_or_default();
        let serial_number = field(self.serial_number);
        let hash = &record[self.hardware_hash];
        if serial_number.is_empty() && hash.is_empty() {
            return Err("no serial number and no hardware hash".to_owned());
        }
        let hardware_hash = standard_base64(hash)
            .map_err(|reason| format!("the hardware hash is not base64: {reason}"))?;
        Ok(DeviceRow {
            line,
            serial_number,
            product_key: field(self.product_key),
            hardware_hash,
            group_tag: group_tag.map_or_else(|| optional(self.group_tag), str::to_owned),
            assigned_user: optional(self.assigned_user),
        })
    }
}

/// `text` (standard or URL-safe base64, padding optional) in standard base64 with padding.
fn standard_base64(text: &str) -> Result<String, String> {
    let url_safe = text.contains(['-', '_']) && !text.contains(['+', '/']);
    let engine = if url_safe {
        &URL_SAFE_INPUT
    } else {
        &STANDARD_INPUT
    };
    let bytes = engine.decode(text).map_err(|error| match error {
        base64::DecodeError::InvalidByte(offset, byte) => {
            let character = text
                .get(offset..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or(char::from(byte));
            format!("{character:?} at character {}", offset + 1)
        }
        base64::DecodeError::InvalidLength(length) => {
            format!("{length} characters long, which no base64 text is")
        }
        base64::DecodeError::InvalidLastSymbol(offset, _) => {
            format!("its last character (at {}) leaves stray bits", offset + 1)
        }
        base64::DecodeError::InvalidPadding => "its padding is wrong".to_owned(),
    })?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hardware hash as long as real ones (about 4,000 characters), distinct per `seed`.
    fn hash(seed: u8) -> String {
        let bytes: Vec<u8> = (0..3000u32)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// What Get-WindowsAutopilotInfo -OutputFile writes: ConvertTo-CSV with every quote removed,
    /// through Windows PowerShell's Out-File (UTF-16 LE with a byte order mark, CRLF, a last CRLF).
    fn get_windows_autopilot_info_file(lines: &[String]) -> Vec<u8> {
        let text: String = lines.iter().map(|line| format!("{line}\r\n")).collect();
        let mut bytes = UTF16_LE_BOM.to_vec();
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    fn row(line: u64, serial: &str, hash: &str) -> DeviceRow {
        DeviceRow {
            line,
            serial_number: serial.to_owned(),
            product_key: String::new(),
            hardware_hash: hash.to_owned(),
            group_tag: String::new(),
            assigned_user: String::new(),
        }
    }

    fn malformed(line: u64, reason: &str) -> MalformedRow {
        MalformedRow {
            line,
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn reads_get_windows_autopilot_info_output_utf16_le_crlf_unquoted() {
        let bytes = get_windows_autopilot_info_file(&[
            "Device Serial Number,Windows Product ID,Hardware Hash".to_owned(),
            format!("5CG1234XYZ,,{}", hash(1)),
            format!("PF2ABCDE,00330-80000-00000-AA123,{}", hash(2)),
        ]);
        assert_eq!(&bytes[..4], &[0xFF, 0xFE, b'D', 0]);
        let file = parse_device_file(&bytes, None).unwrap();
        assert_eq!(
            file,
            DeviceFile {
                rows: vec![
                    row(2, "5CG1234XYZ", &hash(1)),
                    DeviceRow {
                        product_key: "00330-80000-00000-AA123".to_owned(),
                        ..row(3, "PF2ABCDE", &hash(2))
                    },
                ],
                malformed: vec![],
            }
        );
        assert_eq!(file.rows[0].hardware_hash.len(), 4000);
    }

    #[test]
    fn reads_utf16_be_with_a_byte_order_mark() {
        let text = format!(
            "Device Serial Number,Windows Product ID,Hardware Hash\r\nSN1,,{}\r\n",
            hash(1)
        );
        let mut bytes = UTF16_BE_BOM.to_vec();
        bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        let file = parse_device_file(&bytes, None).unwrap();
        assert_eq!(file.rows, vec![row(2, "SN1", &hash(1))]);
    }

    #[test]
    fn reads_utf8_with_a_byte_order_mark_and_crlf() {
        let text = format!(
            "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\nSN1,,{},Kiosk\r\n",
            hash(1)
        );
        let bytes = [UTF8_BOM, text.as_bytes()].concat();
        let file = parse_device_file(&bytes, None).unwrap();
        assert_eq!(
            file.rows,
            vec![DeviceRow {
                group_tag: "Kiosk".to_owned(),
                ..row(2, "SN1", &hash(1))
            }]
        );
    }

    #[test]
    fn reads_utf8_without_a_byte_order_mark_with_lf_and_a_trailing_empty_line() {
        let text = format!(
            "Device Serial Number,Windows Product ID,Hardware Hash\nSN1,,{}\nSN2,,{}\n\n",
            hash(1),
            hash(2)
        );
        let file = parse_device_file(text.as_bytes(), None).unwrap();
        assert_eq!(
            file.rows,
            vec![row(2, "SN1", &hash(1)), row(3, "SN2", &hash(2))]
        );
        // No line end after the last row at all is the same.
        let file = parse_device_file(text.trim_end().as_bytes(), None).unwrap();
        assert_eq!(file.rows.len(), 2);
    }

    #[test]
    fn reads_quoted_fields_with_commas_and_doubled_quotes() {
        let text = format!(
            "\"Device Serial Number\",\"Windows Product ID\",\"Hardware Hash\",\"Group Tag\"\r\n\
             \"SN1\",\"\",\"{}\",\"Sales, \"\"East\"\"\"\r\n",
            hash(1)
        );
        let file = parse_device_file(text.as_bytes(), None).unwrap();
        assert_eq!(
            file.rows,
            vec![DeviceRow {
                group_tag: "Sales, \"East\"".to_owned(),
                ..row(2, "SN1", &hash(1))
            }]
        );
    }

    #[test]
    fn finds_columns_in_any_order_and_case_and_ignores_unknown_ones() {
        let text = format!(
            " assigned user ,HARDWARE HASH,Manufacturer name,group tag,device serial number,Windows Product ID\n\
             ana@contoso.com,{},Contoso,Kiosk,SN1,00330-1\n",
            hash(1)
        );
        let file = parse_device_file(text.as_bytes(), None).unwrap();
        assert_eq!(
            file.rows,
            vec![DeviceRow {
                line: 2,
                serial_number: "SN1".to_owned(),
                product_key: "00330-1".to_owned(),
                hardware_hash: hash(1),
                group_tag: "Kiosk".to_owned(),
                assigned_user: "ana@contoso.com".to_owned(),
            }]
        );
    }

    #[test]
    fn the_group_tag_option_replaces_the_column_on_every_row() {
        let text = format!(
            "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\nSN1,,{},Kiosk\nSN2,,{},\n",
            hash(1),
            hash(2)
        );
        let file = parse_device_file(text.as_bytes(), Some("Lab")).unwrap();
        let tags: Vec<&str> = file.rows.iter().map(|r| r.group_tag.as_str()).collect();
        assert_eq!(tags, ["Lab", "Lab"]);
        // Without the column too.
        let text = format!(
            "Device Serial Number,Windows Product ID,Hardware Hash\nSN1,,{}\n",
            hash(1)
        );
        let file = parse_device_file(text.as_bytes(), Some("Lab")).unwrap();
        assert_eq!(file.rows[0].group_tag, "Lab");
    }

    #[test]
    fn hashes_may_be_url_safe_or_unpadded_and_are_sent_standard() {
        let bytes = [0xFB, 0xFF, 0xBF];
        let standard = base64::engine::general_purpose::STANDARD.encode(bytes);
        assert_eq!(standard, "+/+/");
        assert_eq!(standard_base64("-_-_"), Ok("+/+/".to_owned()));
        assert_eq!(standard_base64("QUI"), Ok("QUI=".to_owned()));
        assert_eq!(standard_base64("QUI="), Ok("QUI=".to_owned()));
        assert_eq!(
            standard_base64("QU I="),
            Err("' ' at character 3".to_owned())
        );
        assert_eq!(
            standard_base64("+/-_"),
            Err("'-' at character 3".to_owned())
        );
    }

    #[test]
    fn malformed_rows_are_reported_by_line_and_the_others_kept() {
        let text = format!(
            "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\n\
             SN1,,{good},\r\n\
             ,00330-1,,Kiosk\r\n\
             SN3,,not base64!,\r\n\
             SN4,,{good},Sales,East\r\n\
             \"SN5\nsecond line\",,{good},\r\n\
             SN6,,QUJD,\r\n\
             SN7,,,\r\n\
             ,,{good},\r\n\
             ,,,\r\n\
             SN8,,{good}\r\n",
            good = hash(1)
        );
        let file = parse_device_file(text.as_bytes(), None).unwrap();
        assert_eq!(
            file.malformed,
            vec![
                malformed(3, "no serial number and no hardware hash"),
                malformed(4, "the hardware hash is not base64: ' ' at character 4"),
                malformed(
                    5,
                    "5 fields where the header has 4 (a comma inside an unquoted field?)"
                ),
                malformed(
                    12,
                    "3 fields where the header has 4 (a comma inside an unquoted field?)"
                ),
            ]
        );
        // A quoted field over two lines: the row starts on line 6, the next one on line 8. A row
        // without a hash or without a serial number is the service's to judge (802, 803); an
        // entirely empty row is skipped.
        let kept: Vec<(u64, &str, bool)> = file
            .rows
            .iter()
            .map(|r| (r.line, r.serial_number.as_str(), r.hardware_hash.is_empty()))
            .collect();
        assert_eq!(
            kept,
            [
                (2, "SN1", false),
                (6, "SN5\nsecond line", false),
                (8, "SN6", false),
                (9, "SN7", true),
                (10, "", false),
            ]
        );
        assert_eq!(file.total_rows(), 9);
    }

    #[test]
    fn an_empty_file_is_an_error() {
        for bytes in [&b""[..], UTF8_BOM, UTF16_LE_BOM, b"\r\n\r\n"] {
            assert!(
                matches!(parse_device_file(bytes, None), Err(FileError::Empty)),
                "{bytes:?}"
            );
        }
        let header_only = get_windows_autopilot_info_file(&[
            "Device Serial Number,Windows Product ID,Hardware Hash".to_owned(),
        ]);
        let error = parse_device_file(&header_only, None).unwrap_err();
        assert_eq!(error.to_string(), "it has a header but no device rows");
    }

    #[test]
    fn a_missing_or_repeated_required_column_is_an_error() {
        let error =
            parse_device_file(b"Serial,Windows Product ID,Hash\nSN1,,QUJD\n", None).unwrap_err();
        assert!(matches!(
            error,
            FileError::MissingColumns(ref columns) if columns == &[SERIAL_NUMBER, HARDWARE_HASH]
        ));
        assert!(
            error.to_string().starts_with(
                "its header has no \"Device Serial Number\", \"Hardware Hash\" column"
            ),
            "{error}"
        );
        // A file without a header starts with a device row.
        let error = parse_device_file(format!("SN1,,{}\n", hash(1)).as_bytes(), None).unwrap_err();
        assert!(matches!(error, FileError::MissingColumns(ref c) if c.len() == 3));
        let error = parse_device_file(
            b"Device Serial Number,Windows Product ID,Hardware Hash,hardware hash\n",
            None,
        )
        .unwrap_err();
        assert!(matches!(error, FileError::RepeatedColumn(HARDWARE_HASH)));
    }

    #[test]
    fn other_encodings_are_refused_with_a_reason() {
        // Windows-1252 "é", as Excel's "CSV (Comma delimited)" writes it.
        let error = parse_device_file(
            b"Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\nSN1,,QUJD,Caf\xE9\n",
            None,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("not UTF-8 at byte offset 77"),
            "{error}"
        );
        // UTF-16 LE without its byte order mark.
        let bytes: Vec<u8> = "Device Serial Number,Windows Product ID,Hardware Hash\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let error = parse_device_file(&bytes, None).unwrap_err();
        assert!(error.to_string().contains("NUL"), "{error}");
        let error = parse_device_file(&[0xFF, 0xFE, b'D'], None).unwrap_err();
        assert!(error.to_string().contains("odd number of bytes"), "{error}");
    }
}
