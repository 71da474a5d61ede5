//! App registrations and the token signing key of the token endpoint.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Store, StoreError};

/// An app registration as stored: its secret only as a SHA-256.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppRegistration {
    pub client_id: Uuid,
    pub tenant_id: Uuid,
    pub object_id: Uuid,
    pub display_name: String,
    pub roles: Vec<String>,
    pub secret_sha256: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

const APP_COLUMNS: &str =
    "client_id, tenant_id, object_id, display_name, roles, secret_sha256, created_at";

impl Store {
    /// How long the client's secret is locked out still: it failed `limit` times in the current
    /// window of `window`; `None` when it may try.
    pub async fn secret_lockout(
        &self,
        client_id: Uuid,
        limit: i32,
        window: std::time::Duration,
    ) -> Result<Option<std::time::Duration>, StoreError> {
        let left: Option<f64> = sqlx::query_scalar(
            "SELECT extract(epoch FROM window_start + make_interval(secs => $3) - clock_timestamp())::float8 \
             FROM client_secret_failures \
             WHERE client_id = $1 AND failures >= $2 \
               AND window_start + make_interval(secs => $3) > clock_timestamp()",
        )
        .bind(client_id)
        .bind(limit)
        .bind(window.as_secs_f64())
        .fetch_optional(self.pool()?)
        .await?;
        Ok(left.map(|seconds| std::time::Duration::from_secs_f64(seconds.max(0.0))))
    }

    /// Counts a wrong secret for the client, in a window of `window` that starts at the first
    /// failure after the last window ended.
    pub async fn record_secret_failure(
        &self,
        client_id: Uuid,
        window: std::time::Duration,
    ) -> Result<(), StoreError> {
        // Now is read first and bound: Citus refuses volatile functions (and timestamp
        // arithmetic, which is not immutable) in an upsert's DO UPDATE on a reference table.
        let now: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT clock_timestamp()")
            .fetch_one(self.pool()?)
            .await?;
        let window_ended_before = chrono::Duration::from_std(window)
            .ok()
            .and_then(|window| now.checked_sub_signed(window))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        sqlx::query(
            "INSERT INTO client_secret_failures AS f (client_id, window_start, failures) \
             VALUES ($1, $2, 1) \
             ON CONFLICT (client_id) DO UPDATE SET \
               window_start = CASE WHEN f.window_start <= $3 THEN $2 ELSE f.window_start END, \
               failures = CASE WHEN f.window_start <= $3 THEN 1 ELSE f.failures + 1 END",
        )
        .bind(client_id)
        .bind(now)
        .bind(window_ended_before)
        .execute(self.pool()?)
        .await?;
        Ok(())
    }

    pub async fn insert_app(&self, app: &AppRegistration) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO app_registrations \
                 (client_id, tenant_id, object_id, display_name, roles, secret_sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(app.client_id)
        .bind(app.tenant_id)
        .bind(app.object_id)
        .bind(&app.display_name)
        .bind(&app.roles)
        .bind(&app.secret_sha256)
        .bind(app.created_at)
        .execute(self.pool()?)
        .await?;
        Ok(())
    }

    /// Every app registration, or one tenant's, oldest first.
    pub async fn apps(&self, tenant: Option<Uuid>) -> Result<Vec<AppRegistration>, StoreError> {
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM app_registrations \
             WHERE $1::uuid IS NULL OR tenant_id = $1 ORDER BY created_at, client_id"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(tenant)
            .fetch_all(self.pool()?)
            .await?)
    }

    pub async fn app(&self, client_id: Uuid) -> Result<Option<AppRegistration>, StoreError> {
        let sql = format!("SELECT {APP_COLUMNS} FROM app_registrations WHERE client_id = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(client_id)
            .fetch_optional(self.pool()?)
            .await?)
    }

    /// Whether the app existed.
    pub async fn delete_app(&self, client_id: Uuid) -> Result<bool, StoreError> {
        let deleted = sqlx::query("DELETE FROM app_registrations WHERE client_id = $1")
            .bind(client_id)
            .execute(self.pool()?)
            .await?;
        Ok(deleted.rows_affected() > 0)
    }

    /// A tenant exists for the token endpoint while it has an app registration.
    pub async fn tenant_has_apps(&self, tenant: Uuid) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM app_registrations WHERE tenant_id = $1)",
        )
        .bind(tenant)
        .fetch_one(self.pool()?)
        .await?)
    }

    /// The token signing key (PKCS#1 DER), if one was stored.
    pub async fn signing_key(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT private_key FROM token_signing_key")
                .fetch_optional(self.pool()?)
                .await?,
        )
    }

    /// Stores `candidate` unless a key is stored already, and returns the stored key: of instances
    /// racing to make the first key, one wins and all use its key.
    pub async fn keep_signing_key(&self, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
        let pool = self.pool()?;
        sqlx::query(
            "INSERT INTO token_signing_key (private_key) VALUES ($1) ON CONFLICT DO NOTHING",
        )
        .bind(candidate)
        .execute(pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT private_key FROM token_signing_key")
                .fetch_one(pool)
                .await?,
        )
    }
}
