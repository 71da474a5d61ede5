//! App registrations: the client ids and secrets the token endpoint issues tokens to, and the `app`
//! command that manages them.
//!
//! A secret is 256 random bits and is stored only as its SHA-256. A slow password hash (argon2)
//! protects secrets people choose, which can be guessed; no guess finds a 256-bit random value, so
//! a plain SHA-256 is as safe here, and checking a secret costs the token endpoint next to nothing
//! (a slow hash would hand anyone who can reach it a way to burn the service's CPU).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::{AppAddArgs, AppCommand, AppListArgs, AppRemoveArgs, DatabaseArgs};
use crate::store::{AppRegistration, Store};
use crate::{StartupError, migrate_when_reachable, open_store};

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

/// What `app list` prints of each registration.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    tenant_id: Uuid,
    client_id: Uuid,
    object_id: Uuid,
    display_name: String,
    roles: Vec<String>,
    created_date_time: String,
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
) -> Result<Credentials, StartupError> {
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

/// `autopilot-registry app ...`: applies the migrations, then adds, lists or removes.
pub async fn run(command: &AppCommand) -> Result<(), StartupError> {
    let database = match command {
        AppCommand::Add(AppAddArgs { database, .. })
        | AppCommand::List(AppListArgs { database, .. })
        | AppCommand::Remove(AppRemoveArgs { database, .. }) => database,
    };
    // A private server, when one was started, stops when `_server` is dropped.
    let (store, _server) = migrated_store(database).await?;
    match command {
        AppCommand::Add(args) => {
            let credentials = register(&store, args.tenant, &args.roles, &args.name).await?;
            println!("{}", serde_json::to_string(&credentials)?);
        }
        AppCommand::List(args) => {
            let listed: Vec<Listed> = store
                .apps(args.tenant)
                .await?
                .into_iter()
                .map(|app| Listed {
                    tenant_id: app.tenant_id,
                    client_id: app.client_id,
                    object_id: app.object_id,
                    display_name: app.display_name,
                    roles: app.roles,
                    created_date_time: timestamp(app.created_at),
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&listed)?);
        }
        AppCommand::Remove(args) => {
            if !store.delete_app(args.client_id).await? {
                return Err(format!("no app registration has client id {}", args.client_id).into());
            }
        }
    }
    Ok(())
}

/// The store with its migrations applied, and the private server it runs on, if any (stopped
/// when dropped).
async fn migrated_store(
    database: &DatabaseArgs,
) -> Result<(Store, Option<crate::embedded::EmbeddedPostgres>), StartupError> {
    let (store, server) = open_store(database).await?;
    migrate_when_reachable(&store).await?;
    Ok((store, server))
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
