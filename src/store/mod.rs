//! PostgreSQL: the pool, the embedded migrations, and the SQL of any entity set, assembled from its
//! table description. Nothing here knows HTTP or the wire format.

use chrono::TimeDelta;
use sqlx::postgres::types::PgInterval;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgListener, PgPoolOptions, PgRow, PgSslMode};
use sqlx::query::Query;
// Every dynamic statement here is assembled from the table and column names of entity-set
// descriptions only; values are always bound, so AssertSqlSafe is sound.
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool, Postgres, Row};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

use crate::domain::Tenant;
use crate::domain::entity::{Entity, EntitySet, Kind, Property, PropertyValue, ServerValue, Value};
use crate::domain::mobile_app::MOBILE_APPS;
use crate::domain::query::{CompareOp, Direction, Filter, OrderKey, Page};

mod apps;
mod assignment_filters;
mod assignment_status;
mod autopilot_events;
mod configuration_policies;
mod control;
mod corporate_identifiers;
mod cpu;
mod directory;
pub mod distribution;
mod enrollment;
mod enrollment_simulation;
pub(crate) mod filter;
mod follow_up;
mod grouped;
mod imports;
mod managed_devices;
mod offboarding;
mod profile_assignments;
mod settings;

pub use apps::AppRegistration;
pub use assignment_status::ASSIGNMENT_CHANNEL;
pub use configuration_policies::{AppliedPolicy, StoredSetting};
pub use control::{
    Backlog, ImportStateError, MAX_APP_BUCKETS, Seeded, Settled, TENANT_ACCESS_TABLES,
    TENANT_TABLES, TENANT_WORK_TABLES, TenantTable, Throttled,
};
pub use directory::{Added, DeviceDeleted, DeviceGroups};
pub use enrollment::EnrollmentAssignmentRefused;
pub use enrollment_simulation::{Enrolled, EnrollmentRefused};
pub use grouped::GroupedMetrics;
use grouped::{GroupStatement, Grouped};
pub use offboarding::{IdentityDeleted, SerialDeleted};

/// How connections are made, shared by the pool's user and the grouped statements' tasks: a probe
/// may find that they must do without TLS (see [`Store::probe`]).
pub(crate) type SharedOptions = Arc<RwLock<PgConnectOptions>>;

/// How grouped statements are started, for the `Store` and each runtime that asks for its own.
struct Grouping {
    options: SharedOptions,
    /// Connections per statement, in all.
    connections: u32,
    creates: GroupedMetrics,
    reads: GroupedMetrics,
}

impl Grouping {
    /// Both grouped statements with `connections` each, on the current runtime.
    fn start(
        &self,
        connections: u32,
    ) -> (Arc<Grouped<CreateEntities>>, Arc<Grouped<ReadEntities>>) {
        (
            Arc::new(Grouped::start(
                CreateEntities,
                self.options.clone(),
                connections,
                self.creates.clone(),
            )),
            Arc::new(Grouped::start(
                ReadEntities,
                self.options.clone(),
                connections,
                self.reads.clone(),
            )),
        )
    }
}
pub use imports::IMPORT_CHANNEL;
pub use managed_devices::DEVICE_ACTIONS_CHANNEL;
pub use profile_assignments::{
    AssignmentCreated, DeviceProfileIds, DevicesAssigned, ProfileDeleted,
};
pub use settings::SYNC_CHANNEL;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// The columns every entity set's table has besides its properties: the owner, and when the row was
/// made and last changed.
pub const BOOKKEEPING_COLUMNS: [&str; 3] = ["tenant_id", "created_at", "updated_at"];

/// How many of the oldest due pieces of work (records, requests, devices) a discovery query reads
/// to name the tenants that have some: the bound on the one kind of query that spans tenants.
const DISCOVERY_WINDOW: i64 = 1000;

/// How long a request waits for a connection before it is answered 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the start waits for PostgreSQL to answer one connection attempt.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a store operation failed. Cloneable, because one failed statement can answer a whole group.
#[derive(Debug, Clone)]
pub enum StoreError {
    /// Another entity of the tenant already has the value of this unique key (the name of its
    /// index or constraint, when the database named it).
    Duplicate {
        key: Option<String>,
    },
    /// A reference between the tenant's entities would break: a row names one that does not
    /// exist, or a row still named by another was to go (the foreign key's name, when given).
    Referenced {
        key: Option<String>,
    },
    /// The database cannot be reached right now; the request may be retried.
    Unavailable(Arc<sqlx::Error>),
    /// The service has not applied its migrations yet (it is still waiting for the database).
    NotMigrated,
    Failed(Arc<sqlx::Error>),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Duplicate { key } => write!(f, "duplicate unique key {key:?}"),
            StoreError::Referenced { key } => write!(f, "broken reference {key:?}"),
            StoreError::Unavailable(e) => write!(f, "database unavailable: {e}"),
            StoreError::NotMigrated => f.write_str("the migrations are not applied yet"),
            StoreError::Failed(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// Why the database could not be reached by [`Store::probe`].
#[derive(Debug)]
pub enum ProbeError {
    /// It may answer later: it is away, starting, or refuses the service for now.
    NotYet(sqlx::Error),
    /// TLS with it cannot be set up as the URL's `sslmode` asks, however often it is tried: what
    /// went wrong and which `sslmode` would connect.
    Tls(String),
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::NotYet(error) => error.fmt(f),
            ProbeError::Tls(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ProbeError {}

/// rustls's reason when a connection failed setting up TLS: a certificate it cannot read (an
/// X.509 v1 one) or does not trust, or a server without TLS under `sslmode=require`.
fn tls_failure(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Tls(cause) => Some(cause.to_string()),
        sqlx::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map(ToString::to_string),
        _ => None,
    }
}

/// What to say of a TLS failure under `mode`, naming the `sslmode` that would connect.
fn tls_advice(mode: PgSslMode, cause: &str) -> String {
    let mode_name = match mode {
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Allow => "allow",
        PgSslMode::Disable => "disable",
    };
    let fix = if cause.contains("UnsupportedCertVersion") {
        "the server's certificate is X.509 v1, which rustls cannot read: give the server an X.509 \
         v3 certificate, or connect with sslmode=prefer (no TLS when it cannot be set up, as libpq \
         does) or sslmode=disable"
    } else {
        "check the server's certificate and sslrootcert, or connect with sslmode=require (TLS \
         without certificate checks), sslmode=prefer (no TLS when it cannot be set up) or \
         sslmode=disable"
    };
    format!(
        "TLS with the database cannot be set up under sslmode={mode_name} ({cause}); retrying will \
         not help: {fix}"
    )
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let Some(db) = error
            .as_database_error()
            .filter(|db| db.is_unique_violation())
        {
            StoreError::Duplicate {
                key: db.constraint().map(str::to_owned),
            }
        } else if let Some(db) = error
            .as_database_error()
            .filter(|db| db.is_foreign_key_violation())
        {
            StoreError::Referenced {
                key: db.constraint().map(str::to_owned),
            }
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

/// The columns an entity is read from, in its set's order; a secret column is never read back.
pub(crate) fn select_columns(set: &EntitySet) -> String {
    set.columns()
        .map(|p| if p.secret { "NULL" } else { p.column })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The general pool's connections (grouped statements hold theirs outside it).
#[derive(Debug, Clone, Copy)]
pub struct PoolConnections {
    pub open: u32,
    pub idle: usize,
    pub max: u32,
}

#[derive(Clone)]
pub struct Store {
    /// Lists, counts, updates, deletes and migrations.
    pool: PgPool,
    /// The connections background work may hold, apart from `pool`, so that a tenant's long
    /// recompute never leaves requests waiting for a connection.
    background: PgPool,
    /// Creates and reads by id, grouped into one statement per batch of concurrent requests, on
    /// the runtime that started them (see [`Store::with_own_grouped_statements`]).
    creates: Arc<Grouped<CreateEntities>>,
    reads: Arc<Grouped<ReadEntities>>,
    grouping: Arc<Grouping>,
    /// Set once this process has applied the migrations; until then no entity query runs, so a
    /// service that started before its database answers 503 rather than "no such table".
    migrated: Arc<watch::Sender<bool>>,
    /// Why the migrations wait, while they do: what the database answered the last attempt.
    not_ready_because: Arc<std::sync::Mutex<Option<String>>>,
}

impl Store {
    /// A listener woken by notifications on `channel`, from any instance. It keeps a connection
    /// of its own for as long as it lives, outside the pools (as sqlx's `PgListener::connect`
    /// does): in a pool it would hold one of the connections the work needs.
    pub async fn listener(&self, channel: &str) -> Result<PgListener, StoreError> {
        let options = self.pool()?.connect_options();
        let own = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_lazy_with(PgConnectOptions::clone(&options));
        let mut listener = PgListener::connect_with(&own).await?;
        listener.listen(channel).await?;
        Ok(listener)
    }

    /// Connections made on demand, so the service starts (and answers 503) while the database is
    /// away. Of `max_connections` (at least 3), a quarter (at most 4) serves grouped creates, as
    /// many grouped reads; of the rest, a quarter (at least 2) is background work's (see
    /// [`Store::background`]) and the others the requests' pool. Each background worker's
    /// listener has one more (see [`Store::listener`]). Must be called within a Tokio
    /// runtime, which runs the grouped statements of this `Store` (and of its clones).
    pub fn connect_lazy(database_url: &str, max_connections: u32) -> Result<Store, sqlx::Error> {
        let options: PgConnectOptions = database_url.parse()?;
        let grouped = (max_connections / 4).clamp(1, 4);
        let rest = max_connections.saturating_sub(2 * grouped);
        let background = (rest / 4).max(2);
        let pool = PgPoolOptions::new()
            .max_connections(rest.saturating_sub(background).max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options.clone());
        let background = PgPoolOptions::new()
            .max_connections(background)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options.clone());
        let grouping = Arc::new(Grouping {
            options: Arc::new(RwLock::new(options)),
            connections: grouped,
            creates: GroupedMetrics::new("create"),
            reads: GroupedMetrics::new("read"),
        });
        let (creates, reads) = grouping.start(grouped);
        Ok(Store {
            pool,
            background,
            creates,
            reads,
            grouping,
            migrated: Arc::new(watch::Sender::new(false)),
            not_ready_because: Arc::default(),
        })
    }

    /// This store on the background work's connections: the workers' store.
    pub fn background(&self) -> Store {
        Store {
            pool: self.background.clone(),
            ..self.clone()
        }
    }

    /// This store, with grouped statements of its own on the current runtime: one of `runtimes`
    /// sharing the grouped connections (each keeps at least one per statement). An HTTP worker
    /// thread takes one, so that its requests' statements run, and answer, on that thread; a
    /// grouped statement's connections are made on first use, so the ones nobody uses cost
    /// nothing.
    pub fn with_own_grouped_statements(&self, runtimes: u32) -> Store {
        let connections = (self.grouping.connections / runtimes.max(1)).max(1);
        let (creates, reads) = self.grouping.start(connections);
        Store {
            creates,
            reads,
            ..self.clone()
        }
    }

    /// The tenants a discovery statement names, in its order: `sql` takes the delay work must
    /// have waited, in seconds, as `$1`, and [`DISCOVERY_WINDOW`] as `$2`.
    async fn tenants_due(
        &self,
        sql: &'static str,
        delay: Duration,
    ) -> Result<Vec<Tenant>, StoreError> {
        let tenants: Vec<Uuid> = sqlx::query_scalar(sql)
            .bind(delay.as_secs_f64())
            .bind(DISCOVERY_WINDOW)
            .fetch_all(self.pool()?)
            .await?;
        Ok(tenants.into_iter().map(Tenant).collect())
    }

    /// Opens one connection outside the pool and closes it again, to hear PostgreSQL's own answer:
    /// the pool retries a refused connection (an unknown database, a wrong password) in silence.
    /// Under `sslmode=prefer` (the default) a server whose TLS cannot be set up (rustls cannot
    /// read an X.509 v1 certificate) is tried without TLS, as libpq does, and every connection
    /// from then on (the requests', the background work's, the grouped statements') is made so; under `require` and `verify-*` that failure is a [`ProbeError::Tls`].
    pub async fn probe(&self) -> Result<(), ProbeError> {
        let options = self.pool.connect_options();
        let mode = options.get_ssl_mode();
        let cause = match connect_once(&options).await {
            Ok(()) => return Ok(()),
            Err(error) => match tls_failure(&error) {
                Some(cause) => cause,
                None => return Err(ProbeError::NotYet(error)),
            },
        };
        if !matches!(mode, PgSslMode::Prefer) {
            return Err(ProbeError::Tls(tls_advice(mode, &cause)));
        }
        let plain = (*options).clone().ssl_mode(PgSslMode::Disable);
        connect_once(&plain).await.map_err(ProbeError::NotYet)?;
        log::warn!(
            "TLS with the database cannot be set up ({cause}): connecting without TLS, as \
             sslmode=prefer allows (say sslmode=disable to connect so without trying TLS first)"
        );
        self.pool.set_connect_options(plain.clone());
        self.background.set_connect_options(plain.clone());
        *self
            .grouping
            .options
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = plain;
        Ok(())
    }

    /// Records why the migrations still wait, for `/readyz`.
    pub fn waiting_on(&self, problem: String) {
        *self
            .not_ready_because
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(problem);
    }

    /// Why the migrations have not been applied yet, when an attempt failed.
    pub fn not_ready_because(&self) -> Option<String> {
        self.not_ready_because
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The pool's connections, open and idle, and the most it opens.
    pub fn pool_connections(&self) -> PoolConnections {
        PoolConnections {
            open: self.pool.size(),
            idle: self.pool.num_idle(),
            max: self.pool.options().get_max_connections(),
        }
    }

    /// Each grouped statement's metrics: every runtime's queue of it counts in them.
    pub fn grouped_statements(&self) -> [&GroupedMetrics; 2] {
        [self.creates.metrics(), self.reads.metrics()]
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

    /// Refuses entity queries until the migrations are applied.
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

    /// Inserts an entity; a unique index, not a prior read, refuses a duplicate (a device's serial).
    pub async fn create(
        &self,
        set: &'static EntitySet,
        tenant: Tenant,
        assignments: Vec<PropertyValue>,
    ) -> Result<Entity, StoreError> {
        self.check_migrated()?;
        self.creates.submit((set, tenant, assignments)).await
    }

    /// Inserts several entities in one transaction: all of them, or none.
    pub async fn create_all(
        &self,
        set: &'static EntitySet,
        tenant: Tenant,
        entities: Vec<Vec<PropertyValue>>,
    ) -> Result<Vec<Entity>, StoreError> {
        if entities.is_empty() {
            // No row, no statement: an INSERT needs at least one.
            return Ok(Vec::new());
        }
        let requests: Vec<_> = entities
            .into_iter()
            .map(|assignments| (set, tenant, assignments))
            .collect();
        let mut tx = self.pool()?.begin().await?;
        let created = insert(&mut tx, set, &requests.iter().collect::<Vec<_>>())
            .await?
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        Ok(created)
    }

    /// Sets the given properties of an entity; false when the tenant has no such entity.
    pub async fn update(
        &self,
        set: &'static EntitySet,
        tenant: Tenant,
        id: Uuid,
        assignments: &[PropertyValue],
    ) -> Result<bool, StoreError> {
        let mut binds = vec![Value::Guid(tenant.0), Value::Guid(id)];
        let mut changes = String::new();
        for assignment in assignments {
            let value = placeholder(&mut binds, &assignment.value);
            changes.push_str(&format!(", {} = {value}", assignment.property.column));
        }
        for property in set.columns() {
            if property.server_value == Some(ServerValue::UpdateTime) {
                changes.push_str(&format!(", {} = now()", property.column));
            }
        }
        let sql = format!(
            "UPDATE {} SET updated_at = now(){changes} WHERE tenant_id = $1 AND id = $2",
            set.table
        );
        let mut tx = self.pool()?.begin().await?;
        let done = bind_values(sqlx::query(AssertSqlSafe(sql)), &binds)
            .execute(&mut *tx)
            .await?;
        let updated = done.rows_affected() == 1;
        if updated {
            follow_up::after_update(&mut tx, set, (tenant.0, id), assignments).await?;
        }
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes an entity; false when the tenant has no such entity.
    pub async fn delete(
        &self,
        set: &'static EntitySet,
        tenant: Tenant,
        id: Uuid,
    ) -> Result<bool, StoreError> {
        let sql = format!("DELETE FROM {} WHERE tenant_id = $1 AND id = $2", set.table);
        let mut tx = self.pool()?.begin().await?;
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(tenant.0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let deleted = done.rows_affected() == 1;
        if deleted {
            follow_up::after_delete(&mut tx, set, tenant.0).await?;
            if set.table == MOBILE_APPS.table {
                enrollment::forget_mobile_app(&mut tx, tenant, id).await?;
            }
        }
        tx.commit().await?;
        Ok(deleted)
    }

    /// One page of the tenant's entities that match `page.filter`, in `page.order_by` order, after
    /// the cursor: keyset paging, so a deep page costs what the first one does.
    pub async fn list(
        &self,
        set: &'static EntitySet,
        tenant: Tenant,
        page: &Page<'_>,
    ) -> Result<Vec<Entity>, StoreError> {
        let mut binds = vec![Value::Guid(tenant.0)];
        let mut sql = format!(
            "SELECT {} FROM {} WHERE tenant_id = $1",
            select_columns(set),
            set.table
        );
        if let Some(filter) = page.filter {
            sql.push_str(" AND ");
            sql.push_str(&filter::condition(filter, &mut binds));
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
        Ok(rows
            .iter()
            .map(|row| entity_from_row(set, row))
            .collect::<Result<_, _>>()?)
    }

    /// How many of the tenant's entities match the filter.
    pub async fn count(
        &self,
        set: &'static EntitySet,
        tenant: Tenant,
        filter: Option<&Filter>,
    ) -> Result<i64, StoreError> {
        let mut binds = vec![Value::Guid(tenant.0)];
        let mut sql = format!("SELECT count(*) FROM {} WHERE tenant_id = $1", set.table);
        if let Some(filter) = filter {
            sql.push_str(" AND ");
            sql.push_str(&filter::condition(filter, &mut binds));
        }
        let count = bind_values(sqlx::query(AssertSqlSafe(sql)), &binds)
            .fetch_one(self.pool()?)
            .await?
            .try_get(0)?;
        Ok(count)
    }

    /// How many of the tenant's entities that pass `filter` share each combination of values of
    /// `properties` (as text; `None` for null), most common first, at most `limit` combinations.
    pub async fn count_by(
        &self,
        set: &'static EntitySet,
        tenant: Tenant,
        properties: &[&'static Property],
        filter: Option<&Filter>,
        limit: u32,
    ) -> Result<Vec<(Vec<Option<String>>, i64)>, StoreError> {
        let columns: Vec<String> = properties
            .iter()
            .map(|property| format!("{}::text", property.column))
            .collect();
        let positions: Vec<String> = (1..=properties.len()).map(|i| i.to_string()).collect();
        let mut binds = vec![Value::Guid(tenant.0)];
        let mut sql = format!(
            "SELECT {}, count(*) FROM {} WHERE tenant_id = $1",
            columns.join(", "),
            set.table
        );
        if let Some(filter) = filter {
            sql.push_str(" AND ");
            sql.push_str(&filter::condition(filter, &mut binds));
        }
        // Integers and column positions, not user text: safe to write into the statement.
        sql.push_str(&format!(
            " GROUP BY {positions} ORDER BY count(*) DESC, {positions} LIMIT {limit}",
            positions = positions.join(", ")
        ));
        let rows = bind_values(sqlx::query(AssertSqlSafe(sql)), &binds)
            .fetch_all(self.pool()?)
            .await?;
        rows.iter()
            .map(|row| {
                let values = (0..properties.len())
                    .map(|i| row.try_get::<Option<String>, _>(i))
                    .collect::<Result<_, _>>()?;
                Ok((values, row.try_get(properties.len())?))
            })
            .collect()
    }

    /// The tenant's entity with this id among those `within` narrows to, if there is one.
    pub async fn find_within(
        &self,
        set: &'static EntitySet,
        tenant: Tenant,
        within: Filter,
        id: Uuid,
    ) -> Result<Option<Entity>, StoreError> {
        let key = Filter::Compare {
            property: set.key(),
            op: CompareOp::Eq,
            value: Value::Guid(id),
        };
        let filter = within.and(Some(&key));
        let order_by = [OrderKey {
            property: set.key(),
            direction: Direction::Asc,
        }];
        let page = Page {
            filter: Some(&filter),
            order_by: &order_by,
            after: None,
            skip: 0,
            limit: 1,
        };
        Ok(self.list(set, tenant, &page).await?.pop())
    }

    /// The tenant's entity with this id, if there is one.
    pub async fn get(
        &self,
        set: &'static EntitySet,
        tenant: Tenant,
        id: Uuid,
    ) -> Result<Option<Entity>, StoreError> {
        self.check_migrated()?;
        self.reads.submit((set, tenant, id)).await
    }
}

/// Opens one connection with `options` and closes it again, giving up after [`PROBE_TIMEOUT`].
async fn connect_once(options: &PgConnectOptions) -> Result<(), sqlx::Error> {
    let connection = tokio::time::timeout(PROBE_TIMEOUT, PgConnection::connect_with(options))
        .await
        .map_err(|_| {
            sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {PROBE_TIMEOUT:?}"),
            ))
        })??;
    connection.close().await
}

/// The indices of `requests` for each entity set among them, in first-seen order: a statement
/// names one table, so a group runs one statement per set.
fn by_set<R>(
    requests: &[R],
    set_of: impl Fn(&R) -> &'static EntitySet,
) -> Vec<(&'static EntitySet, Vec<usize>)> {
    let mut sets: Vec<(&'static EntitySet, Vec<usize>)> = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        let set = set_of(request);
        match sets.iter_mut().find(|(known, _)| std::ptr::eq(*known, set)) {
            Some((_, indices)) => indices.push(i),
            None => sets.push((set, vec![i])),
        }
    }
    sets
}

/// Answers collected set by set, handed back in request order.
struct InRequestOrder<A>(Vec<Option<A>>);

impl<A> InRequestOrder<A> {
    fn new(requests: usize) -> Self {
        InRequestOrder((0..requests).map(|_| None).collect())
    }

    fn fill(&mut self, indices: &[usize], answers: Vec<A>) {
        for (&i, answer) in indices.iter().zip(answers) {
            self.0[i] = Some(answer);
        }
    }

    fn finish(self) -> Vec<A> {
        self.0
            .into_iter()
            .map(|answer| answer.expect("every request is answered"))
            .collect()
    }
}

/// Creates as one multi-row INSERT per entity set. Each row gets its id here, so the returned rows
/// can be matched to their requests; a request whose row is not returned lost to an entity with the
/// same unique key (stored before, or earlier in the same group) and is a duplicate.
struct CreateEntities;

impl GroupStatement for CreateEntities {
    type Request = (&'static EntitySet, Tenant, Vec<PropertyValue>);
    type Answer = Entity;

    async fn run(
        &self,
        connection: &mut PgConnection,
        requests: &[Self::Request],
    ) -> Result<Vec<Result<Entity, StoreError>>, sqlx::Error> {
        // One transaction: the rows and what they ask of the background work go in together.
        let mut tx = connection.begin().await?;
        let mut answers = InRequestOrder::new(requests.len());
        for (set, indices) in by_set(requests, |r| r.0) {
            let group: Vec<_> = indices.iter().map(|&i| &requests[i]).collect();
            answers.fill(&indices, insert(&mut tx, set, &group).await?);
        }
        tx.commit().await?;
        Ok(answers.finish())
    }
}

/// Inserts the rows and asks for what they need of the background work, on `connection`, which
/// must be in a transaction for the two to go in together.
async fn insert(
    connection: &mut PgConnection,
    set: &'static EntitySet,
    requests: &[&(&'static EntitySet, Tenant, Vec<PropertyValue>)],
) -> Result<Vec<Result<Entity, StoreError>>, sqlx::Error> {
    // Every column any request sets; a request that does not set one takes its DEFAULT.
    let columns: Vec<&Property> = set
        .columns()
        .filter(|p| {
            p.server_value == Some(ServerValue::OwnIdUnlessGiven)
                || requests
                    .iter()
                    .any(|(_, _, assignments)| assignments.iter().any(|a| a.property == *p))
        })
        .collect();
    let ids: Vec<Uuid> = requests.iter().map(|_| Uuid::new_v4()).collect();
    let mut binds = Vec::with_capacity(requests.len() * (columns.len() + 2));
    let mut rows = Vec::with_capacity(requests.len());
    for ((_, tenant, assignments), id) in requests.iter().zip(&ids) {
        let mut row = vec![
            push_bind(&mut binds, Value::Guid(*id)),
            push_bind(&mut binds, Value::Guid(tenant.0)),
        ];
        for column in &columns {
            row.push(match assignments.iter().find(|a| a.property == *column) {
                Some(assignment) => placeholder(&mut binds, &assignment.value),
                None if column.server_value == Some(ServerValue::OwnIdUnlessGiven) => {
                    push_bind(&mut binds, Value::Text(id.to_string()))
                }
                None => "DEFAULT".to_owned(),
            });
        }
        rows.push(format!("({})", row.join(", ")));
    }
    let column_names: Vec<&str> = columns.iter().map(|p| p.column).collect();
    let on_conflict = match &set.unique {
        Some(unique) => format!(" ON CONFLICT {} DO NOTHING", unique.conflict_target),
        None => String::new(),
    };
    let sql = format!(
        "INSERT INTO {} (id, tenant_id{}) VALUES {}{on_conflict} RETURNING {}",
        set.table,
        column_names
            .iter()
            .map(|c| format!(", {c}"))
            .collect::<String>(),
        rows.join(", "),
        select_columns(set)
    );
    let mut created: HashMap<Uuid, Entity> = bind_values(sqlx::query(AssertSqlSafe(sql)), &binds)
        .fetch_all(&mut *connection)
        .await?
        .iter()
        .map(|row| entity_from_row(set, row).map(|entity| (entity.id(), entity)))
        .collect::<Result<_, _>>()?;
    let made: Vec<(Uuid, Uuid)> = requests
        .iter()
        .zip(&ids)
        .filter(|(_, id)| created.contains_key(id))
        .map(|((_, tenant, _), id)| (tenant.0, *id))
        .collect();
    follow_up::after_create(&mut *connection, set, &made).await?;
    Ok(ids
        .iter()
        .map(|id| {
            // A row left out by `ON CONFLICT DO NOTHING` clashed on the set's unique key.
            created.remove(id).ok_or_else(|| StoreError::Duplicate {
                key: set.unique.as_ref().map(|unique| unique.index.to_owned()),
            })
        })
        .collect())
}

/// Reads by id as one lookup on the primary key, (tenant, id), per entity set; a row of another
/// tenant than the one asking is treated as absent.
struct ReadEntities;

impl GroupStatement for ReadEntities {
    type Request = (&'static EntitySet, Tenant, Uuid);
    type Answer = Option<Entity>;

    async fn run(
        &self,
        connection: &mut PgConnection,
        requests: &[Self::Request],
    ) -> Result<Vec<Result<Option<Entity>, StoreError>>, sqlx::Error> {
        let mut answers = InRequestOrder::new(requests.len());
        for (set, indices) in by_set(requests, |r| r.0) {
            let group: Vec<_> = indices.iter().map(|&i| &requests[i]).collect();
            answers.fill(&indices, read(connection, set, &group).await?);
        }
        Ok(answers.finish())
    }
}

async fn read(
    connection: &mut PgConnection,
    set: &'static EntitySet,
    requests: &[&(&'static EntitySet, Tenant, Uuid)],
) -> Result<Vec<Result<Option<Entity>, StoreError>>, sqlx::Error> {
    let sql = format!(
        "SELECT {}, tenant_id FROM {} WHERE tenant_id = ANY($1) AND id = ANY($2)",
        select_columns(set),
        set.table
    );
    let mut tenants: Vec<Uuid> = requests.iter().map(|(_, tenant, _)| tenant.0).collect();
    tenants.sort_unstable();
    tenants.dedup();
    let ids: Vec<Uuid> = requests.iter().map(|(_, _, id)| *id).collect();
    let mut found: HashMap<(Uuid, Uuid), Entity> = HashMap::new();
    for row in sqlx::query(AssertSqlSafe(sql))
        .bind(&tenants)
        .bind(&ids)
        .fetch_all(connection)
        .await?
    {
        let tenant: Uuid = row.try_get(set.columns().count())?;
        let entity = entity_from_row(set, &row)?;
        found.insert((tenant, entity.id()), entity);
    }
    // Each found entity moves to its request; only an id asked for again later in the group is
    // copied (groups hold at most a few dozen requests).
    Ok(requests
        .iter()
        .enumerate()
        .map(|(i, (_, tenant, id))| {
            let key = (tenant.0, *id);
            let asked_again = requests[i + 1..].iter().any(|(_, t, d)| (t.0, *d) == key);
            Ok(match asked_again {
                true => found.get(&key).cloned(),
                false => found.remove(&key),
            })
        })
        .collect())
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

/// Where a written value goes in a statement: NULL itself (which fits a column of any type, where a
/// bound NULL would carry the type of its Rust value), else a bound parameter.
fn placeholder(binds: &mut Vec<Value>, value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_owned(),
        value => push_bind(binds, value.clone()),
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
            Value::Int32(n) => query.bind(n),
            Value::Int64(n) => query.bind(n),
            // Kept as JSON text: the column is text (see `Kind::Document`).
            Value::Document(document) => query.bind(document.to_string()),
            Value::Bool(b) => query.bind(b),
            Value::Duration(d) => query.bind(d),
            Value::Texts(texts) => query.bind(texts.as_slice()),
            Value::Bytes(bytes) => query.bind(bytes.as_slice()),
        };
    }
    query
}

/// An interval as one span of time: a day is 24 hours and a month 30 days, as an Edm.Duration
/// has no calendar (the store writes days and seconds only).
fn interval_duration(interval: PgInterval) -> TimeDelta {
    TimeDelta::days(i64::from(interval.months) * 30 + i64::from(interval.days))
        + TimeDelta::microseconds(interval.microseconds)
}

pub(crate) fn entity_from_row(set: &'static EntitySet, row: &PgRow) -> Result<Entity, sqlx::Error> {
    let values = set
        .columns()
        .enumerate()
        .map(|(i, property)| {
            Ok(match property.kind {
                _ if property.secret => Value::Null,
                Kind::Guid => Value::Guid(row.try_get(i)?),
                Kind::DateTime => Value::DateTime(row.try_get(i)?),
                Kind::String(_) | Kind::Enum(_) => row
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Value::Null, Value::Text),
                Kind::Int32 => Value::Int32(row.try_get(i)?),
                Kind::Int64 => Value::Int64(row.try_get(i)?),
                Kind::Document(_) => match row.try_get::<Option<String>, _>(i)? {
                    Some(text) => Value::Document(
                        serde_json::from_str(&text)
                            .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
                    ),
                    None => Value::Null,
                },
                Kind::Boolean => Value::Bool(row.try_get(i)?),
                Kind::Duration => Value::Duration(interval_duration(row.try_get(i)?)),
                Kind::Strings(_) => row
                    .try_get::<Option<Vec<String>>, _>(i)?
                    .map_or(Value::Null, Value::Texts),
                Kind::Binary => row
                    .try_get::<Option<Vec<u8>>, _>(i)?
                    .map_or(Value::Null, Value::Bytes),
                Kind::Complex(_) => unreachable!("columns() lists a complex property's members"),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Entity { set, values })
}
