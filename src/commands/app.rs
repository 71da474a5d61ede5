//! `autopilot-registry app ...`: add, list or remove the app registrations the token endpoint
//! issues tokens to.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::config::{AppAddArgs, AppCommand, AppListArgs, AppRemoveArgs};
use crate::identity::apps::register;
use crate::startup::{StartupError, migrated_store};

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

/// Applies the migrations, then adds, lists or removes.
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

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
