//! PostgreSQL: the pool, the embedded migrations and the device queries. Nothing here knows HTTP.

pub mod filter;

use sqlx::postgres::{PgArguments, PgPoolOptions, PgRow};
use sqlx::query::Query;
// Every dynamic statement here is assembled from the column names of `PROPERTIES` only; values
// are always bound, so AssertSqlSafe is sound.
use sqlx::{AssertSqlSafe, PgPool, Postgres, Row};
use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;
use uuid::Uuid;

use crate::device::{Device, Kind, PROPERTIES, Tenant, Value};
use crate::graph::entity::Assignment;

/// How long a request waits for a connection before it is answered 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The unique index that keeps serial numbers unique per tenant, whatever their case.
const SERIAL_KEY: &str = "device_identities_tenant_serial_key";

#[derive(Debug)]
pub enum StoreError {
    /// Another device of the tenant already has this serial number.
    DuplicateSerial,
    /// The database cannot be reached right now; the request may be retried.
    Unavailable(sqlx::Error),
    Failed(sqlx::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::DuplicateSerial => f.write_str("duplicate serial number"),
            StoreError::Unavailable(e) => write!(f, "database unavailable: {e}"),
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
            StoreError::Unavailable(error)
        } else {
            StoreError::Failed(error)
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
    pool: PgPool,
}

impl Store {
    /// A pool that connects on demand, so the service starts (and answers 503) while the database is away.
    pub fn connect_lazy(database_url: &str, max_connections: u32) -> Result<Store, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy(database_url)?;
        Ok(Store { pool })
    }

    /// Applies the migrations embedded in the binary.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        sqlx::migrate!().run(&self.pool).await
    }

    /// Inserts a device in one round trip: the unique index, not a prior read, refuses a duplicate serial.
    pub async fn create_device(
        &self,
        tenant: Tenant,
        assignments: &[Assignment],
    ) -> Result<Device, StoreError> {
        let mut columns = String::from("tenant_id");
        let mut placeholders = String::from("$1");
        for (i, assignment) in assignments.iter().enumerate() {
            columns.push_str(", ");
            columns.push_str(assignment.property.column);
            placeholders.push_str(&format!(", ${}", i + 2));
        }
        let sql = format!(
            "INSERT INTO device_identities ({columns}) VALUES ({placeholders}) RETURNING {}",
            *DEVICE_COLUMNS
        );
        let query = bind_all(sqlx::query(AssertSqlSafe(sql)).bind(tenant.0), assignments);
        let row = query.fetch_one(&self.pool).await?;
        Ok(device_from_row(&row)?)
    }

    pub async fn device(&self, tenant: Tenant, id: Uuid) -> Result<Option<Device>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {} FROM device_identities WHERE tenant_id = $1 AND id = $2",
                *DEVICE_COLUMNS
            )
        });
        let row = sqlx::query(AssertSqlSafe(SQL.as_str()))
            .bind(tenant.0)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(device_from_row).transpose()?)
    }
}

fn bind_all<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    assignments: &'q [Assignment],
) -> Query<'q, Postgres, PgArguments> {
    for assignment in assignments {
        query = match &assignment.value {
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
