//! The SQL of the test control plane: a tenant's whole state (gone, exported as one document,
//! loaded back), synthetic devices at bulk speed, a tenant's pending work finished now, the
//! throttle's token buckets, and the backlogs /metrics reports.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json};
use sqlx::{AssertSqlSafe, PgConnection, Row};
use uuid::Uuid;

use super::assignment_status::SETTLE_DEVICE;
use super::imports::IMPORT_CHANNEL;
use super::{Store, StoreError, directory, follow_up};
use crate::domain::directory::DIRECTORY_DEVICES;
use crate::domain::entity::ServerValue;
use crate::domain::{ENTITY_SETS, Tenant};

/// A table that holds tenant state, and the order its rows are exported in.
pub struct TenantTable {
    pub name: &'static str,
    order_by: &'static str,
}

/// Every table of tenant state, parents before the rows that refer to them: loaded in this order,
/// deleted in the reverse.
pub const TENANT_TABLES: [TenantTable; 26] = [
    TenantTable {
        name: "directory_groups",
        order_by: "id",
    },
    TenantTable {
        name: "directory_users",
        order_by: "id",
    },
    TenantTable {
        name: "directory_service_principals",
        order_by: "id",
    },
    TenantTable {
        name: "directory_group_user_members",
        order_by: "group_id, user_id",
    },
    TenantTable {
        name: "directory_group_user_owners",
        order_by: "group_id, user_id",
    },
    TenantTable {
        name: "directory_group_service_principal_owners",
        order_by: "group_id, service_principal_id",
    },
    TenantTable {
        name: "device_identities",
        order_by: "id",
    },
    TenantTable {
        name: "directory_devices",
        order_by: "id",
    },
    TenantTable {
        name: "directory_group_members",
        order_by: "group_id, device_object_id",
    },
    TenantTable {
        name: "deployment_profiles",
        order_by: "id",
    },
    TenantTable {
        name: "deployment_profile_assignments",
        order_by: "id",
    },
    TenantTable {
        name: "deployment_profile_device_assignments",
        order_by: "device_identity_id",
    },
    TenantTable {
        name: "imported_device_identities",
        order_by: "id",
    },
    TenantTable {
        name: "autopilot_settings",
        order_by: "id",
    },
    TenantTable {
        name: "assignment_filters",
        order_by: "id",
    },
    TenantTable {
        name: "assignment_filter_states",
        order_by: "tenant_id",
    },
    TenantTable {
        name: "mobile_apps",
        order_by: "id",
    },
    TenantTable {
        name: "device_enrollment_configurations",
        order_by: "id",
    },
    TenantTable {
        name: "device_enrollment_configuration_assignments",
        order_by: "id",
    },
    TenantTable {
        name: "managed_devices",
        order_by: "id",
    },
    TenantTable {
        name: "autopilot_events",
        order_by: "id",
    },
    TenantTable {
        name: "autopilot_event_policy_status_details",
        order_by: "autopilot_event_id, id",
    },
    TenantTable {
        name: "configuration_policies",
        order_by: "id",
    },
    TenantTable {
        name: "configuration_policy_settings",
        order_by: "policy_id, position",
    },
    TenantTable {
        name: "configuration_policy_assignments",
        order_by: "id",
    },
    TenantTable {
        name: "corporate_identifiers",
        order_by: "id",
    },
];

/// Tables with a `tenant_id` that hold work or counters rather than state: a reset empties them
/// (after the state, whose deletion asks for recomputes), an export leaves them out.
pub const TENANT_WORK_TABLES: [&str; 4] = [
    "throttle_buckets",
    "assignment_recomputes",
    "import_retries",
    "simulated_enrollment_counts",
];

/// Tables with a `tenant_id` that say who may call the service rather than hold its state: a reset
/// keeps them (a test that resets its tenant keeps the app it signs in with), an export leaves them
/// out (no credentials, even hashed, in a fixture).
pub const TENANT_ACCESS_TABLES: [&str; 1] = ["app_registrations"];

/// The most throttle buckets a tenant has, one per application.
pub const MAX_APP_BUCKETS: i64 = 1000;
/// One throttle token taken in this many sweeps the full buckets.
const SWEEP_EVERY: u128 = 256;

/// How long settling waits for another instance to let go of the tenant's recompute requests.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Imported records processed per transaction while settling, as the worker does.
const SETTLE_BATCH: i64 = 500;

/// What `seed` made.
#[derive(Debug)]
pub struct Seeded {
    pub created: u64,
    pub first_serial_number: String,
    pub last_serial_number: String,
}

/// What settling finished.
#[derive(Debug)]
pub struct Settled {
    pub imports_processed: usize,
    pub devices_settled: u64,
}

/// The throttle's word on one request.
#[derive(Debug, PartialEq)]
pub enum Throttled {
    Allowed,
    /// Refused: a token is there again after this long.
    Wait(Duration),
}

/// Work waiting in the database, for /metrics.
#[derive(Debug)]
pub struct Backlog {
    pub imports_pending: i64,
    pub recompute_requests: i64,
    pub devices_pending: i64,
}

/// Why a state document could not be loaded.
#[derive(Debug)]
pub enum ImportStateError {
    /// The document or a row in it is not valid (400), two of its rows sharing a key included:
    /// keys are unique within the tenant, whose rows the document replaces.
    Invalid(String),
    Store(StoreError),
}

impl From<StoreError> for ImportStateError {
    fn from(error: StoreError) -> Self {
        ImportStateError::Store(error)
    }
}

impl From<sqlx::Error> for ImportStateError {
    fn from(error: sqlx::Error) -> Self {
        // The database's own words name the table, the column and the value at fault: the rows
        // are the caller's, so they may read them.
        let described = error.as_database_error().and_then(|db| {
            let code = db.code()?;
            let detail = db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .and_then(|pg| pg.detail())
                .map(|detail| format!(" ({detail})"))
                .unwrap_or_default();
            let message = format!("{}{detail}", db.message());
            // Class 22: a value of the wrong type or shape; 23: a constraint.
            (code.starts_with("22") || code.starts_with("23"))
                .then(|| ImportStateError::Invalid(message))
        });
        described.unwrap_or_else(|| ImportStateError::Store(StoreError::from(error)))
    }
}

impl Store {
    /// The tenants that hold devices, imports, profiles or groups, at most `limit`, in id order:
    /// the web console's tenant picker.
    pub async fn tenants_with_data(&self, limit: i64) -> Result<Vec<Tenant>, StoreError> {
        let tenants: Vec<Uuid> = sqlx::query_scalar(
            "SELECT tenant_id FROM (SELECT DISTINCT tenant_id FROM device_identities \
             UNION SELECT DISTINCT tenant_id FROM imported_device_identities \
             UNION SELECT DISTINCT tenant_id FROM deployment_profiles \
             UNION SELECT DISTINCT tenant_id FROM directory_groups) AS holding \
             ORDER BY tenant_id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool()?)
        .await?;
        Ok(tenants.into_iter().map(Tenant).collect())
    }

    /// Deletes every row of the tenant, state and work, in one transaction.
    pub async fn reset_tenant(&self, tenant: Tenant) -> Result<(), StoreError> {
        let mut tx = self.pool()?.begin().await?;
        delete_tenant(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The tenant's whole state as one JSON document (pretty-printed, rows in a fixed order, so
    /// two exports of one state are the same text): `{"tables": {"<table>": [{column: value}]}}`,
    /// without `tenant_id`, which the tenant it is loaded into sets.
    pub async fn export_tenant(&self, tenant: Tenant) -> Result<String, StoreError> {
        let tables: Vec<String> = TENANT_TABLES
            .iter()
            .map(|table| {
                format!(
                    "'{name}', (SELECT coalesce(jsonb_agg(to_jsonb(t) - 'tenant_id' ORDER BY {order}), \
                     '[]'::jsonb) FROM {name} t WHERE tenant_id = $1)",
                    name = table.name,
                    order = table.order_by
                )
            })
            .collect();
        let sql = format!(
            "SELECT jsonb_pretty(jsonb_build_object('tables', jsonb_build_object({})))",
            tables.join(", ")
        );
        // One statement reads every table from one snapshot.
        Ok(sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(tenant.0)
            .fetch_one(self.pool()?)
            .await?)
    }

    /// Replaces the tenant's state with the rows of a document shaped as [`Store::export_tenant`]
    /// writes it, in one transaction. A table left out is left empty; a column left out of every
    /// row of its table takes its default.
    pub async fn import_tenant(
        &self,
        tenant: Tenant,
        document: &Json,
    ) -> Result<(), ImportStateError> {
        let tables = document_tables(document)?;
        let mut tx = self.pool()?.begin().await?;
        let columns = table_columns(&mut tx).await?;
        let mut loads = Vec::new();
        for table in &TENANT_TABLES {
            let Some(rows) = tables.get(table.name) else {
                continue;
            };
            let rows = with_own_ids(table.name, rows);
            let known = columns.get(table.name).map(Vec::as_slice).unwrap_or(&[]);
            let used = used_columns(table.name, &rows, known)?;
            if !rows.is_empty() {
                loads.push((table.name, used, Json::Array(rows).to_string()));
            }
        }
        delete_tenant(&mut tx, tenant).await?;
        // What the loaded state asks of the background work: its status worked out, its
        // imported records processed.
        if !loads.is_empty() {
            follow_up::request_recomputes(&mut tx, &[(tenant.0, None)]).await?;
        }
        if loads
            .iter()
            .any(|(table, ..)| *table == "imported_device_identities")
        {
            follow_up::notify(&mut tx, IMPORT_CHANNEL).await?;
        }
        let has_device_objects = tables.contains_key(DIRECTORY_DEVICES.table);
        for (table, columns, rows) in loads {
            let columns = columns.join(", ");
            let sql = format!(
                "INSERT INTO {table} (tenant_id, {columns}) \
                 SELECT $1, {columns} FROM jsonb_populate_recordset(NULL::{table}, $2::jsonb)"
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(tenant.0)
                .bind(rows)
                .execute(&mut *tx)
                .await?;
            // A document written before identities had device objects of their own (or by hand)
            // gets them as a create would give them, before the group members that name them.
            if table == "device_identities" && !has_device_objects {
                let identities: Vec<Uuid> =
                    sqlx::query_scalar("SELECT id FROM device_identities WHERE tenant_id = $1")
                        .bind(tenant.0)
                        .fetch_all(&mut *tx)
                        .await?;
                directory::register_identity_devices(&mut tx, tenant.0, &identities).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Inserts `count` device identities with the serial numbers `{prefix}000001` and on (at least
    /// six digits) and `group_tag`, in one statement; all or, on a serial the tenant has, none.
    pub async fn seed_devices(
        &self,
        tenant: Tenant,
        count: u32,
        serial_prefix: &str,
        group_tag: Option<&str>,
    ) -> Result<Seeded, StoreError> {
        let digits = count.to_string().len().max(6);
        let serial = |n: u32| format!("{serial_prefix}{n:0digits$}");
        let mut tx = self.pool()?.begin().await?;
        let created: Vec<Uuid> = sqlx::query_scalar(
            "INSERT INTO device_identities (tenant_id, serial_number, group_tag) \
             SELECT $1, $2 || lpad(n::text, $3, '0'), $4 FROM generate_series(1, $5) AS n \
             RETURNING id",
        )
        .bind(tenant.0)
        .bind(serial_prefix)
        .bind(digits as i32)
        .bind(group_tag)
        .bind(count as i32)
        .fetch_all(&mut *tx)
        .await?;
        directory::register_identity_devices(&mut tx, tenant.0, &created).await?;
        // So many new devices are worked out as the whole tenant, if it assigns profiles.
        follow_up::request_recomputes_if_assigned(&mut tx, &[(tenant.0, None)]).await?;
        tx.commit().await?;
        Ok(Seeded {
            created: created.len() as u64,
            first_serial_number: serial(1),
            last_serial_number: serial(count),
        })
    }

    /// Finishes the tenant's pending work now: processes its imported records whatever their age,
    /// works out the assignment status its changes asked for, and settles its pending devices.
    pub async fn settle_tenant(&self, tenant: Tenant) -> Result<Settled, StoreError> {
        // Each loop does none while another instance holds the work (its worker's batch), and
        // then waits for that one to finish: settled means no instance still has any in hand.
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        let mut imports_processed = 0;
        while self.imports_waiting(tenant).await? {
            let done = self
                .process_imports(tenant, Duration::ZERO, SETTLE_BATCH)
                .await?;
            imports_processed += done;
            if done == 0 {
                wait_for_another_instance(deadline).await?;
            }
        }
        while self.recomputes_waiting(tenant).await? {
            if self.recompute_assignments(tenant).await? == 0 {
                wait_for_another_instance(deadline).await?;
            }
        }
        let sql = format!(
            "UPDATE device_identities SET {SETTLE_DEVICE} \
             WHERE tenant_id = $1 AND assignment_pending_since IS NOT NULL"
        );
        let settled = sqlx::query(AssertSqlSafe(sql))
            .bind(tenant.0)
            .execute(self.pool()?)
            .await?;
        Ok(Settled {
            imports_processed,
            devices_settled: settled.rows_affected(),
        })
    }

    async fn imports_waiting(&self, tenant: Tenant) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM imported_device_identities \
             WHERE tenant_id = $1 AND pending)",
        )
        .bind(tenant.0)
        .fetch_one(self.pool()?)
        .await?)
    }

    async fn recomputes_waiting(&self, tenant: Tenant) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM assignment_recomputes WHERE tenant_id = $1)",
        )
        .bind(tenant.0)
        .fetch_one(self.pool()?)
        .await?)
    }

    /// Takes a token from the bucket of (`tenant`, `app`), which holds at most `burst` tokens and
    /// gains one every `interval`; one statement, shared by every instance on the database. The
    /// bucket is kept as the time it is full again minus one burst (GCRA), in seconds since the
    /// epoch: a request is allowed while that time is not ahead of now by more than the burst
    /// allows. Now is read once, in the inserted row, and reached in the upsert as `EXCLUDED`'s:
    /// Citus allows only immutable functions (float arithmetic, not clock or timestamp
    /// arithmetic) in an upsert's DO UPDATE.
    ///
    /// The table stays bounded whatever app ids callers make up (under `--auth none` or
    /// `unverified` they are the caller's word): a tenant has at most [`MAX_APP_BUCKETS`] buckets,
    /// an application past them shares the tenant's bucket for callers without one (`''`), and
    /// a bucket that is full again holds nothing a new row would not, so sweeps delete it.
    pub async fn take_throttle_token(
        &self,
        tenant: Tenant,
        app: &str,
        interval: Duration,
        burst: u32,
    ) -> Result<Throttled, StoreError> {
        let tolerance = interval.as_secs_f64() * f64::from(burst.saturating_sub(1));
        // The outer SELECT reads the row as it was before the INSERT: when the request is refused,
        // how far ahead the bucket is.
        let row = sqlx::query(
            "WITH bucket AS ( \
                 SELECT CASE WHEN EXISTS (SELECT 1 FROM throttle_buckets \
                                          WHERE tenant_id = $1 AND app_id = $2) \
                              OR (SELECT count(*) FROM (SELECT 1 FROM throttle_buckets \
                                                        WHERE tenant_id = $1 LIMIT $5) AS b) < $5 \
                             THEN $2 ELSE '' END AS app_id), \
             taken AS ( \
                 INSERT INTO throttle_buckets AS b (tenant_id, app_id, theoretical_arrival) \
                 SELECT $1, app_id, extract(epoch FROM clock_timestamp())::float8 + $3 \
                 FROM bucket \
                 ON CONFLICT (tenant_id, app_id) DO UPDATE \
                 SET theoretical_arrival = greatest(b.theoretical_arrival + $3, \
                                                    EXCLUDED.theoretical_arrival) \
                 WHERE b.theoretical_arrival <= EXCLUDED.theoretical_arrival - $3 + $4 \
                 RETURNING 1) \
             SELECT EXISTS (SELECT 1 FROM taken), \
                    (SELECT theoretical_arrival - extract(epoch FROM clock_timestamp())::float8 - $4 \
                     FROM throttle_buckets \
                     WHERE tenant_id = $1 AND app_id = (SELECT app_id FROM bucket))",
        )
        .bind(tenant.0)
        .bind(app)
        .bind(interval.as_secs_f64())
        .bind(tolerance)
        .bind(MAX_APP_BUCKETS)
        .fetch_one(self.pool()?)
        .await?;
        // One take in SWEEP_EVERY sweeps: enough to keep the table near the buckets in use,
        // with no timer or instance in charge of it.
        // A failed sweep costs nothing but rows kept a little longer: the request it rode on was
        // answered already, so it is logged, never returned.
        if uuid::Uuid::new_v4().as_u128().is_multiple_of(SWEEP_EVERY)
            && let Err(error) = self.sweep_full_buckets().await
        {
            log::warn!("throttle buckets not swept ({error}); the next sweep tries again");
        }
        if row.try_get::<bool, _>(0)? {
            return Ok(Throttled::Allowed);
        }
        let ahead: Option<f64> = row.try_get(1)?;
        Ok(Throttled::Wait(
            Duration::try_from_secs_f64(ahead.unwrap_or_default().max(0.0)).unwrap_or_default(),
        ))
    }

    /// Deletes the buckets that are full again (idle for as long as a burst takes to refill): a
    /// missing bucket is a full one. Returns how many went.
    pub async fn sweep_full_buckets(&self) -> Result<u64, StoreError> {
        // Now as a parameter, read first: Citus refuses a volatile function in a modification
        // that reaches every shard.
        let now: f64 = sqlx::query_scalar("SELECT extract(epoch FROM clock_timestamp())::float8")
            .fetch_one(self.pool()?)
            .await?;
        Ok(
            sqlx::query("DELETE FROM throttle_buckets WHERE theoretical_arrival < $1")
                .bind(now)
                .execute(self.pool()?)
                .await?
                .rows_affected(),
        )
    }

    /// Imported records waiting to be processed, recompute requests waiting for a worker, devices
    /// waiting `pending` to settle: in every tenant.
    pub async fn backlog(&self) -> Result<Backlog, StoreError> {
        let (imports_pending, recompute_requests, devices_pending) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM imported_device_identities WHERE pending), \
                    (SELECT count(*) FROM assignment_recomputes), \
                    (SELECT count(*) FROM device_identities \
                     WHERE assignment_pending_since IS NOT NULL)",
        )
        .fetch_one(self.pool()?)
        .await?;
        Ok(Backlog {
            imports_pending,
            recompute_requests,
            devices_pending,
        })
    }
}

/// Deletes the tenant's state, children first, then its work, which those deletions add to.
async fn delete_tenant(connection: &mut PgConnection, tenant: Tenant) -> Result<(), StoreError> {
    let tables = TENANT_TABLES
        .iter()
        .rev()
        .map(|table| table.name)
        .chain(TENANT_WORK_TABLES);
    for table in tables {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE tenant_id = $1"
        )))
        .bind(tenant.0)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// The rows of each table a state document holds, refusing what is not one.
fn document_tables(document: &Json) -> Result<BTreeMap<&str, &[Json]>, ImportStateError> {
    let invalid = |message: String| Err(ImportStateError::Invalid(message));
    let Some(tables) = document.get("tables").and_then(Json::as_object) else {
        return invalid(
            "The document must be an object with a \"tables\" object, as export writes it."
                .to_owned(),
        );
    };
    let mut found = BTreeMap::new();
    for (name, rows) in tables {
        let Some(table) = TENANT_TABLES.iter().find(|t| t.name == name) else {
            let names: Vec<&str> = TENANT_TABLES.iter().map(|t| t.name).collect();
            return invalid(format!(
                "'{name}' is not a table of tenant state; the tables are {}.",
                names.join(", ")
            ));
        };
        let Some(rows) = rows.as_array() else {
            return invalid(format!("tables.{name} must be an array of rows."));
        };
        if let Some(index) = rows.iter().position(|row| !row.is_object()) {
            return invalid(format!("tables.{name}[{index}] is not an object."));
        }
        found.insert(table.name, rows.as_slice());
    }
    Ok(found)
}

/// The rows of `table` with the columns that take their row's own id when left out (an imported
/// record's import id, see [`ServerValue::OwnIdUnlessGiven`]) filled in as a create fills them,
/// and an id made for a row that has none; a row whose id is not text is left for the database to
/// refuse.
fn with_own_ids(table: &str, rows: &[Json]) -> Vec<Json> {
    let own_id_columns: Vec<&str> = ENTITY_SETS
        .iter()
        .filter(|set| set.table == table)
        .flat_map(|set| set.columns())
        .filter(|p| p.server_value == Some(ServerValue::OwnIdUnlessGiven))
        .map(|p| p.column)
        .collect();
    if own_id_columns.is_empty() {
        return rows.to_vec();
    }
    rows.iter()
        .map(|row| {
            let mut row = row.clone();
            let Some(object) = row.as_object_mut() else {
                return row;
            };
            let id = match object.get("id") {
                None | Some(Json::Null) => {
                    let id = Json::String(uuid::Uuid::new_v4().to_string());
                    object.insert("id".to_owned(), id.clone());
                    id
                }
                Some(id @ Json::String(_)) => id.clone(),
                Some(_) => return row,
            };
            for column in &own_id_columns {
                if object.get(*column).is_none_or(Json::is_null) {
                    object.insert((*column).to_owned(), id.clone());
                }
            }
            row
        })
        .collect()
}

/// The columns the rows of `table` set, in the table's order; a key that is no column, or that is
/// `tenant_id`, refuses the document.
fn used_columns(
    table: &str,
    rows: &[Json],
    known: &[String],
) -> Result<Vec<String>, ImportStateError> {
    let mut used = HashSet::new();
    for (index, row) in rows.iter().enumerate() {
        for key in row.as_object().map(Map::keys).into_iter().flatten() {
            if key == "tenant_id" || !known.contains(key) {
                return Err(ImportStateError::Invalid(format!(
                    "tables.{table}[{index}] has '{key}', which is not a column it can be given \
                     (the tenant comes from the path)."
                )));
            }
            used.insert(key.as_str());
        }
    }
    Ok(known
        .iter()
        .filter(|column| used.contains(column.as_str()))
        .cloned()
        .collect())
}

/// The columns of every tenant table but `tenant_id`, in table order.
async fn table_columns(
    connection: &mut PgConnection,
) -> Result<BTreeMap<String, Vec<String>>, StoreError> {
    let names: Vec<&str> = TENANT_TABLES.iter().map(|t| t.name).collect();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = ANY($1) \
               AND column_name <> 'tenant_id' \
         ORDER BY table_name, ordinal_position",
    )
    .bind(&names)
    .fetch_all(connection)
    .await?;
    let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in rows {
        columns.entry(table).or_default().push(column);
    }
    Ok(columns)
}

/// A short pause while another instance finishes work of the tenant being settled; past
/// `deadline`, the settle gives up as a timeout.
async fn wait_for_another_instance(deadline: Instant) -> Result<(), StoreError> {
    if Instant::now() > deadline {
        return Err(StoreError::from(sqlx::Error::PoolTimedOut));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_document_names_only_tables_of_state_with_rows_as_objects() {
        let error = |document: Json| match document_tables(&document) {
            Err(ImportStateError::Invalid(message)) => message,
            other => panic!("not refused: {other:?}"),
        };
        assert!(error(json!([])).contains("\"tables\""));
        assert!(error(json!({"tables": {"users": []}})).contains("'users'"));
        assert!(error(json!({"tables": {"throttle_buckets": []}})).contains("throttle_buckets"));
        assert!(error(json!({"tables": {"device_identities": {}}})).contains("array"));
        assert!(error(json!({"tables": {"device_identities": [1]}})).contains("[0]"));
        let document = json!({"tables": {"device_identities": [{"serial_number": "A"}]}});
        assert_eq!(
            document_tables(&document).unwrap()["device_identities"].len(),
            1
        );
    }

    #[test]
    fn an_imported_record_left_without_an_import_id_takes_its_own_id() {
        let rows = [
            json!({"id": "a", "serial_number": "S1"}),
            json!({"id": "b", "import_id": "batch"}),
            json!({"serial_number": "S3", "import_id": null}),
        ];
        let filled = with_own_ids("imported_device_identities", &rows);
        assert_eq!(filled[0]["import_id"], "a");
        assert_eq!(filled[1]["import_id"], "batch");
        let made = filled[2]["id"].as_str().unwrap();
        assert_eq!(filled[2]["import_id"], made);
        assert!(uuid::Uuid::parse_str(made).is_ok());
        assert_eq!(
            with_own_ids("device_identities", &rows[2..]),
            rows[2..],
            "other tables are left as they are"
        );
    }

    #[test]
    fn rows_set_known_columns_in_table_order_and_never_the_tenant() {
        let known = [
            "id".to_owned(),
            "serial_number".to_owned(),
            "group_tag".to_owned(),
        ];
        let rows = [
            json!({"group_tag": "x"}),
            json!({"id": "i", "group_tag": "y"}),
        ];
        assert_eq!(
            used_columns("t", &rows, &known).unwrap(),
            ["id", "group_tag"]
        );
        for bad in [json!({"tenant_id": "x"}), json!({"colour": "red"})] {
            assert!(matches!(
                used_columns("t", &[bad], &known),
                Err(ImportStateError::Invalid(_))
            ));
        }
    }
}
