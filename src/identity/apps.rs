//! App registrations: the client ids and secrets the token endpoint issues tokens to.
//!
//! A secret is 256 random bits and is stored only as its SHA-256. A slow password hash (argon2)
//! protects secrets people choose, which can be guessed; no guess finds a 256-bit random value, so
//! a plain SHA-256 is as safe here, and checking a secret costs the token endpoint next to nothing
//! (a slow hash would hand anyone who can reach it a way to burn the service's CPU).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::store::{AppRegistration, Store};

/// Bytes of randomness in a client secret.
const SECRET_BYTES: usize = 32;

/// What `app add` prints: everything a client needs, the secret included (shown only this once).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub tenant_id: Uuid,
    pub client_id: Uuid,
    pub client_secret: String,
}

fn secret_sha256(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Whether `presented` is the app's secret; the comparison takes the same time wherever the
/// digests differ.
pub fn secret_matches(app: &AppRegistration, presented: &str) -> bool {
    let presented = secret_sha256(presented);
    presented.len() == app.secret_sha256.len()
        && presented
            .iter()
            .zip(&app.secret_sha256)
            .fold(0u8, |differs, (a, b)| differs | (a ^ b))
            == 0
}

/// Registers an app in `tenant` with these application permissions; returns its credentials.
pub async fn register(
    store: &Store,
    tenant: Uuid,
    roles: &[String],
    display_name: &str,
) -> Result<Credentials, Box<dyn std::error::Error + Send + Sync>> {
    let roles: Vec<String> = roles.iter().map(|role| role.trim().to_owned()).collect();
    if roles.iter().any(String::is_empty) {
        return Err("--roles has an empty name; give permissions such as DeviceManagementServiceConfig.ReadWrite.All".into());
    }
    let mut random = [0u8; SECRET_BYTES];
    getrandom::fill(&mut random).map_err(|e| format!("the operating system's RNG failed: {e}"))?;
    let client_secret = URL_SAFE_NO_PAD.encode(random);
    let app = AppRegistration {
        client_id: Uuid::new_v4(),
        tenant_id: tenant,
        object_id: Uuid::new_v4(),
        display_name: display_name.to_owned(),
        roles,
        secret_sha256: secret_sha256(&client_secret),
        created_at: Utc::now(),
    };
    store.insert_app(&app).await?;
    Ok(Credentials {
        tenant_id: tenant,
        client_id: app.client_id,
        client_secret,
    })
}
