//! The tenant's traffic, when the control plane is on: the request journal and the fault rules
//! with their hits. The page refreshes its live part every few seconds through htmx; without
//! JavaScript it shows the same part as of its loading.

use std::sync::atomic::Ordering;

use actix_web::{HttpResponse, web};
use askama::Template;

use super::view::shown;
use super::{Chrome, Console, ConsoleTenant, Failure, ROOT};
use crate::domain::Tenant;
use crate::domain::entity::Value;
use crate::routes::traffic::Traffic;

/// The journal entries shown, the latest first.
const SHOWN_ENTRIES: usize = 100;

pub struct EntryRow {
    pub time: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub failed: bool,
    pub duration: String,
    pub request_id: String,
}

pub struct FaultRow {
    pub id: u64,
    pub method: String,
    pub path: String,
    pub answer: String,
    pub hits: u64,
    pub limit: String,
}

/// What the live part shows.
pub struct Live {
    pub on: bool,
    pub url: String,
    pub entries: Vec<EntryRow>,
    pub faults: Vec<FaultRow>,
}

#[derive(Template)]
#[template(path = "traffic.html")]
struct TrafficPage {
    chrome: Chrome,
    live: Live,
}

#[derive(Template)]
#[template(path = "traffic_live.html")]
struct LivePart {
    live: Live,
}

/// The journal's entries of the tenant and the fault rules that apply to it.
fn live_of(traffic: &Traffic, tenant: Tenant) -> Live {
    let url = format!("{ROOT}/tenants/{}/traffic/live", tenant.0);
    let Some(journal) = traffic.journal.as_ref().filter(|_| traffic.control.enabled) else {
        return Live {
            on: false,
            url,
            entries: Vec::new(),
            faults: Vec::new(),
        };
    };
    let entries = journal
        .last(crate::control::journal::CAPACITY)
        .into_iter()
        .rev()
        .filter(|entry| entry.tenant.is_none_or(|t| t == tenant.0))
        .take(SHOWN_ENTRIES)
        .map(|entry| EntryRow {
            time: shown(&Value::DateTime(entry.time)),
            method: entry.method,
            path: match entry.query {
                Some(query) => format!("{}?{query}", entry.path),
                None => entry.path,
            },
            status: entry.status,
            failed: entry.status >= 400,
            duration: format!("{:.1} ms", entry.duration_ms),
            request_id: entry.request_id,
        })
        .collect();
    let faults = traffic
        .faults
        .list()
        .iter()
        .filter(|rule| rule.tenant.is_none_or(|t| t == tenant.0))
        .map(|rule| FaultRow {
            id: rule.id,
            method: rule.method.clone().unwrap_or_else(|| "any".to_owned()),
            path: rule.path.clone(),
            answer: match (rule.status, rule.latency_ms) {
                (Some(status), 0) => format!("{status} {}", rule.code.unwrap_or_default()),
                (Some(status), latency) => {
                    format!(
                        "{status} {} after {latency} ms",
                        rule.code.unwrap_or_default()
                    )
                }
                (None, latency) => format!("{latency} ms of latency"),
            },
            hits: rule.hits.load(Ordering::Relaxed),
            limit: rule
                .times
                .map_or_else(|| "no limit".to_owned(), |times| format!("at most {times}")),
        })
        .collect();
    Live {
        on: true,
        url,
        entries,
        faults,
    }
}

pub async fn traffic(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    traffic: web::Data<Traffic>,
) -> Result<HttpResponse, Failure> {
    console.page(&TrafficPage {
        chrome: console.chrome(Some(tenant), "traffic"),
        live: live_of(&traffic, tenant),
    })
}

/// The live part alone, which the page's htmx swaps in every few seconds.
pub async fn live(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    traffic: web::Data<Traffic>,
) -> Result<HttpResponse, Failure> {
    console.page(&LivePart {
        live: live_of(&traffic, tenant),
    })
}
