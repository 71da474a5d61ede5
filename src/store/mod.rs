//! PostgreSQL: the pool, the embedded migrations and the device queries. Nothing here knows HTTP.

use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::query::Query;
// Every dynamic statement here is assembled from the column names of `PROPERTIES` only; values
// are always bound, so AssertSqlSafe is sound.
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres, Row};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

use crate::device::{Device, Kind, PROPERTIES, Property, Tenant, Value};
use crate::graph::entity::Assignment;
use crate::graph::odata::filter::Filter;
use crate::graph::odata::options::{Direction, OrderKey};

mod filter;
mod grouped;

use grouped::{GroupStatement, Grouped};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// How long a request waits for a connection before it is answered 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The unique index that keeps serial numbers unique per tenant, whatever their case.
const SERIAL_KEY: &str = "device_identities_tenant_serial_key";

/// Why a store operation failed. Cloneable, because one failed statement can answer a whole group.
#[derive(Debug, Clone)]
pub enum StoreError {
    /// Another device of the tenant already has this serial number.
    DuplicateSerial,
    /// The database cannot be reached right now; the request may be retried.
    Unavailable(Arc<sqlx::Error>),
    /// The service has not applied its migrations yet (it is still waiting for the database).
    NotMigrated,
    Failed(Arc<sqlx::Error>),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::DuplicateSerial => f.write_str("duplicate serial number"),
            StoreError::Unavailable(e) => write!(f, "database unavailable: {e}"),
            StoreError::NotMigrated => f.write_str("the migrations are not applied yet"),
            StoreError::Failed(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        let duplicate_serial = error
            .as_database_error()
            .is_some_and(|db| db.constraint() == Some(SERIAL_KEY));
        if duplicate_serial {
            StoreError::DuplicateSerial
        } else if is_unreachable(&error) {
            StoreError::Unavailable(Arc::new(error))
        } else {
            StoreError::Failed(Arc::new(error))
        }
    }
}

/// Whether an error means the database cannot be reached now, so a retry later may succeed.
pub fn is_unreachable(error: &sqlx::Error) -> bool {
    match error {
        // Class 08 (connection exception) and 57P0x (the server is shutting down or starting up).
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            code.starts_with("08") || code.starts_with("57P0")
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        _ => false,
    }
}

/// The columns a device is read from, in [`PROPERTIES`] order; a secret column is never read back.
static DEVICE_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    PROPERTIES
        .iter()
        .map(|p| if p.secret { "NULL" } else { p.column })
        .collect::<Vec<_>>()
        .join(", ")
});

#[derive(Clone)]
pub struct Store {
    /// Lists, counts, updates, deletes and migrations.
    pool: PgPool,
    /// Creates and reads by id, grouped into one statement per batch of concurrent requests.
    creates: Arc<Grouped<CreateDevices>>,
    reads: Arc<Grouped<ReadDevices>>,
    /// Set once this process has applied the migrations; until then no device query runs, so a
    /// service that started before its database answers 503 rather than "no such table".
    migrated: Arc<watch::Sender<bool>>,
}

impl Store {
    /// Connections made on demand, so the service starts (and answers 503) while the database is
    /// away. Of `max_connections` (at least 3), a quarter (at most 4) serves grouped creates, as
    /// many grouped reads, and the pool the rest. Must be called within a Tokio runtime, which runs
    /// the grouped statements.
    pub fn connect_lazy(database_url: &str, max_connections: u32) -> Result<Store, sqlx::Error> {
        let options: PgConnectOptions = database_url.parse()?;
        let grouped = (max_connections / 4).clamp(1, 4);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.saturating_sub(2 * grouped).max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options.clone());
        Ok(Store {
            pool,
            creates: Arc::new(Grouped::start(CreateDevices, options.clone(), grouped)),
            reads: Arc::new(Grouped::start(ReadDevices, options, grouped)),
            migrated: Arc::new(watch::Sender::new(false)),
        })
    }

    /// Applies the migrations embedded in the binary.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        MIGRATOR.run(&self.pool).await?;
        self.migrated.send_replace(true);
        Ok(())
    }

    /// Resolves once [`Store::migrate`] has succeeded.
    pub async fn migrated(&self) {
        // The sender lives as long as `self`, so the wait cannot fail.
        let _ = self.migrated.subscribe().wait_for(|done| *done).await;
    }

    /// Refuses device queries until the migrations are applied.
    fn check_migrated(&self) -> Result<(), StoreError> {
        if *self.migrated.borrow() {
            Ok(())
        } else {
            Err(StoreError::NotMigrated)
        }
    }

    /// The pool, once the migrations are applied.
    fn pool(&self) -> Result<&PgPool, StoreError> {
        self.check_migrated()?;
        Ok(&self.pool)
    }

    /// Whether the database answers and holds every migration this binary embeds.
    pub async fn is_ready(&self) -> Result<bool, StoreError> {
        if !*self.migrated.borrow() {
            return Ok(false);
        }
        let latest = MIGRATOR.iter().map(|m| m.version).max().unwrap_or_default();
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?;
        Ok(applied.is_some_and(|version| version >= latest))
    }

    /// Inserts a device; the unique index, not a prior read, refuses a duplicate serial.
    pub async fn create_device(
        &self,
        tenant: Tenant,
        assignments: Vec<Assignment>,
    ) -> Result<Device, StoreError> {
        self.check_migrated()?;
        self.creates.submit((tenant, assignments)).await
    }

    /// Sets the given properties of a device; false when the tenant has no such device.
    pub async fn update_device(
        &self,
        tenant: Tenant,
        id: Uuid,
        assignments: &[Assignment],
    ) -> Result<bool, StoreError> {
        let mut sql = String::from("UPDATE device_identities SET updated_at = now()");
        for (i, assignment) in assignments.iter().enumerate() {
            sql.push_str(&format!(", {} = ${}", assignment.property.column, i + 3));
        }
        sql.push_str(" WHERE tenant_id = $1 AND id = $2");
        let key = [Value::Guid(tenant.0), Value::Guid(id)];
        let values = key.iter().chain(assignments.iter().map(|a| &a.value));
        let done = bind_values(sqlx::query(AssertSqlSafe(sql)), values)
            .execute(self.pool()?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a device; false when the tenant has no such device.
    pub async fn delete_device(&self, tenant: Tenant, id: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM device_identities WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id)
            .execute(self.pool()?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// One page of the tenant's devices that match `page.filter`, in `page.order_by` order, after
    /// the cursor: keyset paging, so a deep page costs what the first one does.
    pub async fn list_devices(
        &self,
        tenant: Tenant,
        page: &Page<'_>,
    ) -> Result<Vec<Device>, StoreError> {
        let mut binds = vec![Value::Guid(tenant.0)];
        let mut sql = format!(
            "SELECT {} FROM device_identities WHERE tenant_id = $1",
            *DEVICE_COLUMNS
        );
        if let Some(filter) = page.filter {
            sql.push_str(" AND ");
            sql.push_str(&filter::filter_sql(filter, &mut binds));
        }
        if let Some(after) = page.after {
            sql.push_str(" AND ");
            sql.push_str(&keyset_condition(page.order_by, after, &mut binds));
        }
        let order: Vec<String> = page
            .order_by
            .iter()
            .map(|key| {
                format!(
                    "{} {}",
                    sort_expression(key.property),
                    sql_direction(key.direction)
                )
            })
            .collect();
        // Integers, not user text: safe to write into the statement.
        sql.push_str(&format!(
            " ORDER BY {} LIMIT {} OFFSET {}",
            order.join(", "),
            page.limit,
            page.skip
        ));
        let rows = bind_values(sqlx::query(AssertSqlSafe(sql)), &binds)
            .fetch_all(self.pool()?)
            .await?;
        Ok(rows.iter().map(device_from_row).collect::<Result<_, _>>()?)
    }

    /// How many of the tenant's devices match the filter.
    pub async fn count_devices(
        &self,
        tenant: Tenant,
        filter: Option<&Filter>,
    ) -> Result<i64, StoreError> {
        let mut binds = vec![Value::Guid(tenant.0)];
        let mut sql = String::from("SELECT count(*) FROM device_identities WHERE tenant_id = $1");
        if let Some(filter) = filter {
            sql.push_str(" AND ");
            sql.push_str(&filter::filter_sql(filter, &mut binds));
        }
        let count = bind_values(sqlx::query(AssertSqlSafe(sql)), &binds)
            .fetch_one(self.pool()?)
            .await?
            .try_get(0)?;
        Ok(count)
    }

    pub async fn device(&self, tenant: Tenant, id: Uuid) -> Result<Option<Device>, StoreError> {
        self.check_migrated()?;
        self.reads.submit((tenant, id)).await
    }
}

/// Creates as one multi-row INSERT. Each row gets its id here, so the returned rows can be matched
/// to their requests; a request whose row is not returned lost to a device with its serial number
/// (stored before, or earlier in the same group) and is a duplicate.
struct CreateDevices;

impl GroupStatement for CreateDevices {
    type Request = (Tenant, Vec<Assignment>);
    type Answer = Device;

    async fn run(
        &self,
        connection: &mut PgConnection,
        requests: &[Self::Request],
    ) -> Result<Vec<Result<Device, StoreError>>, sqlx::Error> {
        // Every column any request sets; a request that does not set one takes its DEFAULT.
        let columns: Vec<&Property> = PROPERTIES
            .iter()
            .filter(|p| {
                requests
                    .iter()
                    .any(|(_, assignments)| assignments.iter().any(|a| a.property == *p))
            })
            .collect();
        let ids: Vec<Uuid> = requests.iter().map(|_| Uuid::new_v4()).collect();
        let mut binds = Vec::with_capacity(requests.len() * (columns.len() + 2));
        let mut rows = Vec::with_capacity(requests.len());
        for ((tenant, assignments), id) in requests.iter().zip(&ids) {
            let mut row = vec![
                push_bind(&mut binds, Value::Guid(*id)),
                push_bind(&mut binds, Value::Guid(tenant.0)),
            ];
            for column in &columns {
                row.push(match assignments.iter().find(|a| a.property == *column) {
                    Some(assignment) => push_bind(&mut binds, assignment.value.clone()),
                    None => "DEFAULT".to_owned(),
                });
            }
            rows.push(format!("({})", row.join(", ")));
        }
        let column_names: Vec<&str> = columns.iter().map(|p| p.column).collect();
        let sql = format!(
            "INSERT INTO device_identities (id, tenant_id, {}) VALUES {} \
             ON CONFLICT (tenant_id, lower(serial_number)) DO NOTHING RETURNING {}",
            column_names.join(", "),
            rows.join(", "),
            *DEVICE_COLUMNS
        );
        let mut created: HashMap<Uuid, Device> =
            bind_values(sqlx::query(AssertSqlSafe(sql)), &binds)
                .fetch_all(connection)
                .await?
                .iter()
                .map(|row| device_from_row(row).map(|device| (device.id(), device)))
                .collect::<Result<_, _>>()?;
        Ok(ids
            .iter()
            .map(|id| created.remove(id).ok_or(StoreError::DuplicateSerial))
            .collect())
    }
}

/// Reads by id as one `id = ANY(...)` lookup on the primary key; a row of another tenant is
/// treated as absent.
struct ReadDevices;

impl GroupStatement for ReadDevices {
    type Request = (Tenant, Uuid);
    type Answer = Option<Device>;

    async fn run(
        &self,
        connection: &mut PgConnection,
        requests: &[Self::Request],
    ) -> Result<Vec<Result<Option<Device>, StoreError>>, sqlx::Error> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {}, tenant_id FROM device_identities WHERE id = ANY($1)",
                *DEVICE_COLUMNS
            )
        });
        let ids: Vec<Uuid> = requests.iter().map(|(_, id)| *id).collect();
        let mut found: HashMap<(Uuid, Uuid), Device> = HashMap::new();
        for row in sqlx::query(AssertSqlSafe(SQL.as_str()))
            .bind(&ids)
            .fetch_all(connection)
            .await?
        {
            let tenant: Uuid = row.try_get(PROPERTIES.len())?;
            let device = device_from_row(&row)?;
            found.insert((tenant, device.id()), device);
        }
        Ok(requests
            .iter()
            .map(|(tenant, id)| Ok(found.get(&(tenant.0, *id)).cloned()))
            .collect())
    }
}

/// What a list asks for: the rows after `after` (the sort-key values of the previous page's last
/// row) or, on a first page, after skipping `skip` rows.
pub struct Page<'a> {
    pub filter: Option<&'a Filter>,
    pub order_by: &'a [OrderKey],
    pub after: Option<&'a [Value]>,
    pub skip: u64,
    pub limit: u32,
}

/// Sorting on a nullable text column sorts its NULLs as '' (first in ascending order, as Graph's
/// SQL Server does), so that every key compares and the cursor condition needs no NULL cases.
fn sort_expression(property: &Property) -> String {
    if property.nullable {
        format!("COALESCE({}, '')", property.column)
    } else {
        property.column.to_owned()
    }
}

fn sql_direction(direction: Direction) -> &'static str {
    match direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    }
}

/// Binds `value` as the next parameter and returns its placeholder.
fn push_bind(binds: &mut Vec<Value>, value: Value) -> String {
    binds.push(value);
    format!("${}", binds.len())
}

/// "The row comes after the cursor" in the sort order. One direction throughout is a row-value
/// comparison an index can serve; mixed directions expand to the lexicographic OR.
fn keyset_condition(order_by: &[OrderKey], after: &[Value], binds: &mut Vec<Value>) -> String {
    let cursor: Vec<(String, String, Direction)> = order_by
        .iter()
        .zip(after)
        .map(|(key, value)| {
            let value = match value {
                Value::Null => Value::Text(String::new()),
                other => other.clone(),
            };
            (
                sort_expression(key.property),
                push_bind(binds, value),
                key.direction,
            )
        })
        .collect();
    let beyond = |direction| {
        if direction == Direction::Asc {
            ">"
        } else {
            "<"
        }
    };
    let first = order_by[0].direction;
    if order_by.iter().all(|key| key.direction == first) {
        let (columns, placeholders): (Vec<&str>, Vec<&str>) = cursor
            .iter()
            .map(|(column, placeholder, _)| (column.as_str(), placeholder.as_str()))
            .unzip();
        return format!(
            "({}) {} ({})",
            columns.join(", "),
            beyond(first),
            placeholders.join(", ")
        );
    }
    let alternatives: Vec<String> = (0..cursor.len())
        .map(|i| {
            let mut terms: Vec<String> = cursor[..i]
                .iter()
                .map(|(column, placeholder, _)| format!("{column} = {placeholder}"))
                .collect();
            let (column, placeholder, direction) = &cursor[i];
            terms.push(format!("{column} {} {placeholder}", beyond(*direction)));
            format!("({})", terms.join(" AND "))
        })
        .collect();
    format!("({})", alternatives.join(" OR "))
}

fn bind_values<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    values: impl IntoIterator<Item = &'q Value>,
) -> Query<'q, Postgres, PgArguments> {
    for value in values {
        query = match value {
            Value::Null => query.bind(None::<String>),
            Value::Guid(id) => query.bind(id),
            Value::Text(text) => query.bind(text.as_str()),
            Value::DateTime(t) => query.bind(t),
        };
    }
    query
}

fn device_from_row(row: &PgRow) -> Result<Device, sqlx::Error> {
    let values = PROPERTIES
        .iter()
        .enumerate()
        .map(|(i, property)| {
            Ok(match property.kind {
                _ if property.secret => Value::Null,
                Kind::Guid => Value::Guid(row.try_get(i)?),
                Kind::DateTime => Value::DateTime(row.try_get(i)?),
                Kind::String | Kind::Enum(_) => row
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Value::Null, Value::Text),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Device { values })
}
