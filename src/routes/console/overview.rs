//! A tenant at a glance: its devices by enrollment state and by profile assignment status, its
//! imports, profiles and enrollments, its sync; and the tenant-wide actions (sync, reset).

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::view::{Bar, bars, shown, text};
use super::{Chrome, Console, ConsoleTenant, Failure, NoFields, Posted, ROOT, first};
use crate::domain::Tenant;
use crate::domain::autopilot_event::AUTOPILOT_EVENTS;
use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
use crate::domain::device_identity::DEVICE_IDENTITIES;
use crate::domain::entity::{EntitySet, Value};
use crate::domain::imported_identity::IMPORTED_IDENTITIES;
use crate::domain::query::Filter;
use crate::domain::settings::{AUTOPILOT_SETTINGS, SyncTrigger};
use crate::routes::SyncCooldown;
use crate::store::Store;

/// The most profiles the overview lists.
const MAX_PROFILES: u32 = 50;
/// The most distinct values a chart shows.
const MAX_BARS: u32 = 20;

/// A chart of counts, with its heading.
pub struct Chart {
    pub title: &'static str,
    pub bars: Vec<Bar>,
}

pub struct ProfileRow {
    pub id: String,
    pub name: String,
    pub devices: i64,
    pub percent: u32,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview {
    chrome: Chrome,
    notice: Option<String>,
    devices: i64,
    charts: Vec<Chart>,
    profiles: Vec<ProfileRow>,
    last_sync: String,
    last_manual_sync: String,
    sync_status: String,
    next_manual_sync: String,
}

#[derive(Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

/// A chart of how many of the tenant's entities of `set` have each value of `property`.
async fn chart(
    store: &Store,
    tenant: Tenant,
    title: &'static str,
    set: &'static EntitySet,
    property: &str,
) -> Result<Chart, Failure> {
    let property = set
        .columns()
        .find(|p| p.name == property)
        .expect("the chart's property belongs to its set");
    let counts = store
        .count_by(set, tenant, &[property], None, MAX_BARS)
        .await?;
    Ok(Chart {
        title,
        bars: bars(counts.into_iter().map(|(values, count)| {
            let label = values.into_iter().next().flatten();
            (label.unwrap_or_else(|| "(none)".to_owned()), count)
        })),
    })
}

pub async fn overview(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
    cooldown: web::Data<SyncCooldown>,
    query: web::Query<Notice>,
) -> Result<HttpResponse, Failure> {
    let (devices, by_state, by_assignment, imports, enrollments, settings) = tokio::try_join!(
        async { Ok::<_, Failure>(store.count(&DEVICE_IDENTITIES, tenant, None).await?) },
        chart(
            &store,
            tenant,
            "Devices by enrollment state",
            &DEVICE_IDENTITIES,
            "enrollmentState"
        ),
        chart(
            &store,
            tenant,
            "Devices by profile assignment status",
            &DEVICE_IDENTITIES,
            "deploymentProfileAssignmentStatus",
        ),
        chart(
            &store,
            tenant,
            "Imported records by state",
            &IMPORTED_IDENTITIES,
            "deviceImportStatus"
        ),
        chart(
            &store,
            tenant,
            "Enrollments by outcome",
            &AUTOPILOT_EVENTS,
            "deploymentState"
        ),
        async { Ok::<_, Failure>(store.settings(tenant).await?) },
    )?;
    let profiles = first(
        &store,
        &DEPLOYMENT_PROFILES,
        tenant,
        None,
        "displayName",
        MAX_PROFILES,
    )
    .await?;
    let targeted = futures_util::future::try_join_all(profiles.iter().map(|profile| {
        let filter = Filter::IntendedProfile(profile.id());
        let store = store.clone();
        async move { store.count(&DEVICE_IDENTITIES, tenant, Some(&filter)).await }
    }))
    .await?;
    let largest = targeted.iter().copied().max().unwrap_or(0).max(1);
    let profiles = profiles
        .iter()
        .zip(targeted)
        .map(|(profile, devices)| ProfileRow {
            id: profile.id().to_string(),
            name: text(profile, "displayName"),
            devices,
            percent: u32::try_from(devices * 100 / largest).unwrap_or(100),
        })
        .collect();
    let manual = AUTOPILOT_SETTINGS
        .property("lastManualSyncTriggerDateTime")
        .map(|p| settings.get(p).clone());
    let next_manual_sync = match manual {
        Some(Value::DateTime(at)) => next_sync(at, cooldown.0),
        _ => "now".to_owned(),
    };
    let notice = query
        .notice
        .as_deref()
        .and_then(notice_text)
        .map(str::to_owned);
    console.page(&Overview {
        chrome: console.chrome(Some(tenant), "overview"),
        notice,
        devices,
        charts: vec![by_state, by_assignment, imports, enrollments],
        profiles,
        last_sync: text(&settings, "lastSyncDateTime"),
        last_manual_sync: text(&settings, "lastManualSyncTriggerDateTime"),
        sync_status: text(&settings, "syncStatus"),
        next_manual_sync,
    })
}

/// When the next manual sync may be triggered, after one at `last`.
fn next_sync(last: DateTime<Utc>, cooldown: std::time::Duration) -> String {
    let allowed = last + chrono::TimeDelta::from_std(cooldown).unwrap_or(chrono::TimeDelta::MAX);
    if allowed <= Utc::now() {
        "now".to_owned()
    } else {
        shown(&Value::DateTime(allowed))
    }
}

/// The line the overview shows after an action led back to it.
fn notice_text(code: &str) -> Option<&'static str> {
    match code {
        "sync-started" => Some("Sync started: it completes in a second or so."),
        "sync-running" => Some("A sync is already running for this tenant."),
        "sync-cooling" => Some("A manual sync ran recently: the cooldown has not passed yet."),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct Confirm {
    pub chrome: Chrome,
    pub title: &'static str,
    pub question: String,
    pub action: String,
    pub button: &'static str,
    pub back: String,
}

pub async fn confirm_sync(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
) -> Result<HttpResponse, Failure> {
    let base = format!("{ROOT}/tenants/{}", tenant.0);
    console.page(&Confirm {
        chrome: console.chrome(Some(tenant), "overview"),
        title: "Trigger an Autopilot sync",
        question: "Start a sync of this tenant, as the Intune portal's Sync button does? Another \
                   manual sync is refused until the cooldown passes."
            .to_owned(),
        action: format!("{base}/sync"),
        button: "Sync",
        back: format!("{base}/"),
    })
}

/// Triggers a sync as `windowsAutopilotSettings/sync` does, cooldown included.
pub async fn sync(
    posted: Posted<NoFields>,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
    cooldown: web::Data<SyncCooldown>,
) -> Result<HttpResponse, Failure> {
    let notice = match store.trigger_sync(tenant, cooldown.0).await? {
        SyncTrigger::Started => "sync-started",
        SyncTrigger::Running => "sync-running",
        SyncTrigger::CoolingDown(_) => "sync-cooling",
    };
    Ok(posted
        .console
        .redirect(&format!("{ROOT}/tenants/{}/?notice={notice}", tenant.0)))
}

pub async fn confirm_reset(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
) -> Result<HttpResponse, Failure> {
    let base = format!("{ROOT}/tenants/{}", tenant.0);
    console.page(&Confirm {
        chrome: console.chrome(Some(tenant), "overview"),
        title: "Reset the tenant",
        question: format!(
            "Delete every device, import, profile, group, configuration and enrollment of tenant \
             {}? Its app registrations stay. This cannot be undone.",
            tenant.0
        ),
        action: format!("{base}/reset"),
        button: "Reset the tenant",
        back: format!("{base}/"),
    })
}

/// Deletes the tenant's state, as `POST /_control/tenants/{tenant}/reset` does.
pub async fn reset(
    posted: Posted<NoFields>,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
) -> Result<HttpResponse, Failure> {
    store.reset_tenant(tenant).await?;
    Ok(posted
        .console
        .redirect(&format!("{ROOT}/tenants/{}/", tenant.0)))
}
