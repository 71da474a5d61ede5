//! How the schema spreads over a PostgreSQL-wire distributed engine sharded by tenant (Citus):
//! every table is distributed by `tenant_id`, colocated, except the reference tables below, which
//! every node holds whole. Two properties make that possible, and are checked: every primary key,
//! unique index and foreign key of a distributed table includes `tenant_id` (tests/api/
//! tenant_keys.rs reads the migrated catalog), and every statement of this module's siblings names
//! the tenant of each table it reads or writes, so that it runs on one shard (the tests below read
//! their source), but for the few listed here that span tenants on purpose.

/// A table every node holds whole, exempt from the tenant-key property.
#[derive(Debug, Clone, Copy)]
pub struct ReferenceTable {
    pub name: &'static str,
    /// Why it is not distributed by tenant.
    pub reason: &'static str,
}

pub const REFERENCE_TABLES: [ReferenceTable; 3] = [
    ReferenceTable {
        name: "token_signing_key",
        reason: "one row, belonging to no tenant: the key every instance signs the token \
                 endpoint's tokens with",
    },
    ReferenceTable {
        name: "app_registrations",
        reason: "the operator's few app registrations (`app add`), written rarely and read by \
                 the token endpoint; a client id is unique across tenants, as Entra's are, and \
                 `app remove` and the token endpoint look it up without a tenant",
    },
    ReferenceTable {
        name: "client_secret_failures",
        reason: "the token endpoint's count of wrong secrets per app registration, keyed by \
                 client id as its app registration is (and deleted with it)",
    },
];

#[cfg(test)]
mod tests {
    //! Every SQL text in src/store is a Rust string literal (or is assembled from literals): the
    //! rule checked is that a literal naming a table also names that table's tenant, once per
    //! table it names. A statement assembled from pieces therefore keeps each table and its tenant
    //! filter in the same literal.

    use super::REFERENCE_TABLES;

    /// Statements that span tenants on purpose, each whole (whitespace aside), and why: a change
    /// to one of them is a change to its exception. None of them but the throttle's sweep takes a
    /// row lock; on a distributed engine each is a multi-shard statement.
    const CROSS_TENANT: [(&str, &str); 17] = [
        (
            "SELECT tenant_id FROM (SELECT tenant_id, deployment_profile_assigned_date_time \
             FROM device_identities \
             WHERE assigned_profile_id IS NOT NULL AND enrollment_state = 'notContacted' \
             AND deployment_profile_assigned_date_time <= now() - make_interval(secs => $1) \
             ORDER BY deployment_profile_assigned_date_time LIMIT $2) AS due \
             GROUP BY tenant_id ORDER BY min(deployment_profile_assigned_date_time)",
            "discovery: the tenants with devices due for --auto-enroll-after",
        ),
        (
            "SELECT extract(epoch FROM least( \
             (SELECT min(deployment_profile_assigned_date_time) FROM device_identities \
             WHERE assigned_profile_id IS NOT NULL AND enrollment_state = 'notContacted'), \
             (SELECT min(assignment_pending_since) FROM device_identities \
             WHERE assignment_pending_since IS NOT NULL)) \
             + make_interval(secs => $1) - now())::float8",
            "when the next device of any tenant is due for --auto-enroll-after, for the worker's sleep",
        ),
        (
            "SELECT outcome, sum(total)::bigint FROM simulated_enrollment_counts \
             GROUP BY outcome ORDER BY outcome",
            "/metrics: every tenant's enrollments by outcome",
        ),
        (
            "SELECT tenant_id, lower(serial_number) FROM device_identities \
             WHERE lower(serial_number) = ANY($1)",
            "import processing refuses a serial number any tenant has registered (808 \
             ZtdDeviceAssignedToOtherTenant), so it looks in every tenant",
        ),
        (
            "SELECT tenant_id FROM (SELECT tenant_id, created_at FROM imported_device_identities i \
             WHERE pending AND created_at <= now() - make_interval(secs => $1) \
             AND NOT EXISTS (SELECT 1 FROM import_retries r \
             WHERE r.tenant_id = i.tenant_id AND r.retry_at > now()) \
             ORDER BY created_at LIMIT $2) AS due GROUP BY tenant_id ORDER BY min(created_at)",
            "discovery: the tenants with imported records due, but those waiting out a failure \
             (each record's tenant joined to its own retry row, on the same shard)",
        ),
        (
            "SELECT extract(epoch FROM min(greatest(i.created_at + make_interval(secs => $1), \
             r.retry_at)) - now())::float8 FROM imported_device_identities i \
             LEFT JOIN import_retries r ON r.tenant_id = i.tenant_id WHERE i.pending",
            "when the next imported record of any tenant is due, or its tenant's retry, for the \
             worker's sleep (each record's tenant joined to its own retry row, on the same shard)",
        ),
        (
            "SELECT tenant_id FROM (SELECT tenant_id, id FROM assignment_recomputes \
             ORDER BY id LIMIT $1) AS asked GROUP BY tenant_id ORDER BY min(id)",
            "discovery: the tenants with assignment recompute requests",
        ),
        (
            "SELECT EXISTS (SELECT 1 FROM assignment_recomputes)",
            "whether any tenant waits for a recompute, for the worker's sleep",
        ),
        (
            "SELECT tenant_id FROM (SELECT tenant_id, assignment_pending_since FROM device_identities \
             WHERE assignment_pending_since <= now() - make_interval(secs => $1) \
             ORDER BY assignment_pending_since LIMIT $2) AS due \
             GROUP BY tenant_id ORDER BY min(assignment_pending_since)",
            "discovery: the tenants with pending devices due to settle",
        ),
        (
            "SELECT extract(epoch FROM min(assignment_pending_since) + make_interval(secs => $1) \
             - now())::float8 FROM device_identities WHERE assignment_pending_since IS NOT NULL",
            "when the next pending device of any tenant settles, for the worker's sleep",
        ),
        (
            "SELECT tenant_id FROM autopilot_settings WHERE sync_completes_at <= now() \
             ORDER BY sync_completes_at LIMIT $1",
            "discovery: the tenants whose sync is due to complete",
        ),
        (
            "SELECT extract(epoch FROM min(sync_completes_at) - now())::float8 \
             FROM autopilot_settings WHERE sync_completes_at IS NOT NULL",
            "when the next sync of any tenant completes, for the worker's sleep",
        ),
        (
            "SELECT tenant_id FROM managed_devices WHERE actions_settle_at <= now() \
             GROUP BY tenant_id ORDER BY min(actions_settle_at) LIMIT $1",
            "discovery: the tenants with managed devices' remote actions due",
        ),
        (
            "SELECT extract(epoch FROM min(actions_settle_at) - now())::float8 \
             FROM managed_devices WHERE actions_settle_at IS NOT NULL",
            "when the next remote action of any tenant's managed device is due, for the worker's \
             sleep",
        ),
        (
            "SELECT (SELECT count(*) FROM imported_device_identities WHERE pending), \
             (SELECT count(*) FROM assignment_recomputes), \
             (SELECT count(*) FROM device_identities WHERE assignment_pending_since IS NOT NULL)",
            "/metrics' backlog: the work waiting in every tenant",
        ),
        (
            "DELETE FROM throttle_buckets WHERE theoretical_arrival < $1",
            "the throttle's sweep: a bucket full again holds nothing, in any tenant; it locks \
             only the rows it deletes",
        ),
        (
            "SELECT tenant_id FROM (SELECT DISTINCT tenant_id FROM device_identities \
             UNION SELECT DISTINCT tenant_id FROM imported_device_identities \
             UNION SELECT DISTINCT tenant_id FROM deployment_profiles \
             UNION SELECT DISTINCT tenant_id FROM directory_groups) AS holding \
             ORDER BY tenant_id LIMIT $1",
            "the web console's tenant picker: the tenants that hold data",
        ),
    ];

    /// Whether `sql` (squeezed) is one of the statements that span tenants on purpose.
    fn spans_tenants_on_purpose(sql: &str) -> bool {
        CROSS_TENANT
            .iter()
            .any(|(statement, _)| squeezed(statement) == sql)
    }

    /// Tables that hold no tenant's data: the migrations' record and the catalog.
    const NOT_TENANT_DATA: [&str; 2] = ["_sqlx_migrations", "information_schema.columns"];

    /// A string literal of a source file: the line it starts on and its text, escapes resolved
    /// (an escaped line end drops the line end and the next line's indentation, as Rust does).
    #[derive(Debug)]
    struct Literal {
        line: usize,
        text: String,
    }

    /// The string literals of Rust source; comments, character literals and lifetimes are skipped.
    fn string_literals(source: &str) -> Vec<Literal> {
        let chars: Vec<char> = source.chars().collect();
        let mut literals = Vec::new();
        let (mut i, mut line) = (0, 1);
        while i < chars.len() {
            match chars[i] {
                '\n' => line += 1,
                '/' if chars.get(i + 1) == Some(&'/') => {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                    continue;
                }
                '/' if chars.get(i + 1) == Some(&'*') => {
                    while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                        line += usize::from(chars[i] == '\n');
                        i += 1;
                    }
                    i += 2;
                    continue;
                }
                // A character literal ('x', '\n', '"'); anything else after a quote is a lifetime.
                '\'' if chars.get(i + 1) == Some(&'\\') => {
                    // Past the backslash and the character it escapes, which may be a quote.
                    i += 3;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                }
                '\'' if chars.get(i + 2) == Some(&'\'') => i += 2,
                'r' if chars.get(i + 1) == Some(&'#') || chars.get(i + 1) == Some(&'"') => {
                    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
                    if chars.get(i + 1 + hashes) == Some(&'"') {
                        let start = i + 2 + hashes;
                        let closing: String = std::iter::once('"')
                            .chain("#".repeat(hashes).chars())
                            .collect();
                        let rest: String = chars[start..].iter().collect();
                        let end = rest.find(&closing).expect("a raw string literal ends");
                        let text = rest[..end].to_owned();
                        literals.push(Literal { line, text });
                        line += rest[..end].matches('\n').count();
                        i = start + rest[..end].chars().count() + closing.len();
                        continue;
                    }
                }
                '"' => {
                    let start_line = line;
                    let mut text = String::new();
                    i += 1;
                    while chars[i] != '"' {
                        if chars[i] == '\\' {
                            i += 1;
                            match chars[i] {
                                '\n' => {
                                    line += 1;
                                    while chars[i + 1].is_whitespace() {
                                        line += usize::from(chars[i + 1] == '\n');
                                        i += 1;
                                    }
                                }
                                'n' => text.push('\n'),
                                other => text.push(other),
                            }
                        } else {
                            line += usize::from(chars[i] == '\n');
                            text.push(chars[i]);
                        }
                        i += 1;
                    }
                    literals.push(Literal {
                        line: start_line,
                        text,
                    });
                }
                _ => {}
            }
            i += 1;
        }
        literals
    }

    /// The text with every run of whitespace made one space.
    fn squeezed(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn is_name_char(c: char) -> bool {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '{' | '}')
    }

    /// The name after `keyword` at byte `at` of `sql`, and whether an opening parenthesis follows
    /// it at once (a function, such as `unnest(`, not a table).
    fn name_after(sql: &str, at: usize, keyword: &str) -> Option<(String, bool)> {
        let rest = sql[at + keyword.len()..].strip_prefix(' ')?;
        let name: String = rest.chars().take_while(|&c| is_name_char(c)).collect();
        let first = name.chars().next()?;
        if !(first.is_ascii_lowercase() || first == '_' || first == '{') {
            return None;
        }
        Some((name.clone(), rest[name.len()..].starts_with('(')))
    }

    /// Byte offsets of `word` in `sql` as a whole word.
    fn word_offsets<'a>(sql: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
        sql.match_indices(word)
            .map(|(at, _)| at)
            .filter(move |&at| {
                let before = sql[..at].chars().next_back();
                let after = sql[at + word.len()..].chars().next();
                !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    }

    /// The tables a statement (or a piece of one) names: after FROM, JOIN, UPDATE and INTO, less
    /// functions, the statement's own WITH queries, reference tables and the catalog.
    fn tables_named(sql: &str) -> Vec<String> {
        let with_queries: Vec<String> = sql
            .match_indices(" AS (")
            .filter_map(|(at, _)| sql[..at].rsplit([' ', ',', '(']).next())
            .map(str::to_owned)
            .collect();
        ["FROM", "JOIN", "UPDATE", "INTO"]
            .iter()
            .flat_map(|keyword| {
                word_offsets(sql, keyword)
                    // extract(epoch FROM <expression>) names no table.
                    .filter(|&at| !sql[..at].ends_with("epoch "))
                    .filter_map(move |at| name_after(sql, at, keyword))
            })
            .filter(|(name, function)| {
                !function
                    && !with_queries.contains(name)
                    && !NOT_TENANT_DATA.contains(&name.as_str())
                    && !REFERENCE_TABLES.iter().any(|t| t.name == name)
            })
            .map(|(name, _)| name)
            .collect()
    }

    /// How many times a statement (or a piece of one) names a tenant: `tenant_id = ...`,
    /// `tenant_id IN (...)`, `(tenant_id, ...) IN (...)`, and an INSERT whose columns include
    /// `tenant_id` (each row carries its tenant).
    fn tenant_conditions(sql: &str) -> usize {
        let conditions = sql
            .match_indices("tenant_id")
            .filter(|&(at, _)| {
                let after = &sql[at + "tenant_id".len()..];
                let row_value = sql[..at].ends_with('(')
                    && after
                        .find(')')
                        .is_some_and(|close| after[close + 1..].starts_with(" IN ("));
                // `$n IS NULL OR tenant_id = $n` filters only when given a tenant.
                let optional = sql[..at]
                    .trim_end_matches(|c: char| c.is_ascii_lowercase() || c == '.')
                    .ends_with("IS NULL OR ");
                !optional && (after.starts_with(" = ") || after.starts_with(" IN (") || row_value)
            })
            .count();
        let inserts = word_offsets(sql, "INSERT INTO")
            .filter(|&at| {
                let rest = &sql[at..];
                let columns = rest.find('(').map(|open| &rest[open..]);
                columns
                    .and_then(|c| c.find(')').map(|close| &c[..close]))
                    .is_some_and(|c| word_offsets(c, "tenant_id").next().is_some())
            })
            .count();
        conditions + inserts
    }

    /// What is wrong with a literal: tables named more often than tenants, unless it is one of
    /// the statements that span tenants on purpose.
    fn unscoped(sql: &str) -> Option<String> {
        let sql = squeezed(sql);
        let tables = tables_named(&sql);
        if tables.is_empty() || spans_tenants_on_purpose(&sql) {
            return None;
        }
        let conditions = tenant_conditions(&sql);
        (conditions < tables.len()).then(|| {
            format!(
                "names {} ({}) but a tenant {conditions} time(s): {sql}",
                tables.len(),
                tables.join(", ")
            )
        })
    }

    /// Every literal of every Rust file in src/store but this one (whose literals are the check's
    /// examples and exceptions, not statements), with its file.
    fn store_literals() -> Vec<(String, Literal)> {
        let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/src/store");
        let mut files: Vec<_> = std::fs::read_dir(directory)
            .expect("src/store is readable")
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "rs"))
            .filter(|path| !path.ends_with(file!().rsplit('/').next().unwrap()))
            .collect();
        files.sort();
        assert!(files.len() > 5, "src/store holds the store's files");
        files
            .iter()
            .flat_map(|path| {
                let source = std::fs::read_to_string(path).expect("a readable source file");
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                string_literals(&source)
                    .into_iter()
                    .map(move |literal| (name.clone(), literal))
            })
            .collect()
    }

    #[test]
    fn every_store_statement_names_the_tenant_of_each_table_it_touches() {
        let literals = store_literals();
        let problems: Vec<String> = literals
            .iter()
            .filter_map(|(file, literal)| {
                unscoped(&literal.text)
                    .map(|problem| format!("src/store/{file}:{}: {problem}", literal.line))
            })
            .collect();
        assert!(
            problems.is_empty(),
            "statements that do not name the tenant of every table they touch (add the tenant's \
             condition, or list the statement in CROSS_TENANT with the reason it spans tenants):\n{}",
            problems.join("\n")
        );
        // Every exception still names a statement: none outlives the statement it excused.
        for (statement, reason) in CROSS_TENANT {
            let statement = squeezed(statement);
            assert!(
                literals
                    .iter()
                    .any(|(_, literal)| squeezed(&literal.text) == statement),
                "no statement in src/store is {statement:?} any more ({reason}): remove it from \
                 CROSS_TENANT, or write it as it is now"
            );
        }
    }

    #[test]
    fn the_check_finds_tables_and_their_tenants() {
        // Tenant conditions of each kind, for each table.
        for scoped in [
            "SELECT a FROM device_identities WHERE tenant_id = $1 AND id = ANY($2)",
            "SELECT {} FROM {} WHERE tenant_id = ANY($1) AND id = ANY($2)",
            "UPDATE device_identities AS d SET x = u.x FROM unnest($1::uuid[]) AS u(id, x) \
             WHERE d.tenant_id = $2 AND d.id = u.id",
            "SELECT m.a FROM directory_group_members m JOIN device_identities d \
             ON d.tenant_id = m.tenant_id AND d.id = m.id WHERE m.tenant_id = $1",
            "(tenant_id, id) IN (SELECT tenant_id, device_object_id FROM directory_group_members \
             WHERE group_id = $2)",
            "INSERT INTO throttle_buckets AS b (tenant_id, app_id) VALUES ($1, $2)",
            "WITH done AS (UPDATE autopilot_settings SET a = 1 WHERE tenant_id = $1 RETURNING 1) \
             SELECT count(*) FROM done",
            "SELECT private_key FROM token_signing_key",
            "SELECT extract(epoch FROM now()) FROM generate_series(1, 2)",
            "SELECT extract(epoch FROM arrival - now()) FROM throttle_buckets WHERE tenant_id = $1",
        ] {
            assert_eq!(unscoped(scoped), None, "{scoped}");
        }
        for unscoped_sql in [
            "SELECT a FROM device_identities WHERE id = ANY($1)",
            "SELECT {}, tenant_id FROM {} WHERE id = ANY($1)",
            "DELETE FROM assignment_recomputes WHERE id = ANY($1)",
            "SELECT m.a FROM directory_group_members m JOIN device_identities d \
             ON d.id = m.id WHERE m.tenant_id = $1",
            "INSERT INTO device_identities (id, serial_number) VALUES ($1, $2)",
            "SELECT a FROM imported_device_identities WHERE ($1::uuid IS NULL OR tenant_id = $1)",
            "ON CONFLICT (tenant_id, app_id) DO UPDATE SET a = 1 FROM throttle_buckets",
        ] {
            assert!(unscoped(unscoped_sql).is_some(), "{unscoped_sql}");
        }
    }

    #[test]
    fn literals_are_read_as_rust_reads_them() {
        let source = "// \"not a literal\"\nlet c = '\"'; fn f<'a>() {}\n\
                      let s = \"SELECT a \\\n     FROM t\"; /* \"no\" */ let r = r#\"x \"y\"\"#;";
        let literals = string_literals(source);
        let texts: Vec<&str> = literals.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["SELECT a FROM t", "x \"y\""]);
        assert_eq!(literals[0].line, 3);
    }
}
