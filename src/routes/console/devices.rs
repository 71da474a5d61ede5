//! The devices: a searchable, filtered, sorted list paged as the Graph list pages (keyset, through
//! the same store call), and a device's page: its Autopilot identity, Entra device, managed device,
//! groups, effective profile and why, Enrollment Status Page and enrollment timeline; and the
//! simulated enrollment of a device.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::view::{Field, fields, percent_of, text};
use super::{Chrome, Console, ConsoleTenant, Failure, Posted, ROOT, first, id_of, latest};
use crate::domain::autopilot_event::AUTOPILOT_EVENTS;
use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
use crate::domain::device_identity::{DEVICE_IDENTITIES, ENROLLMENT_STATE};
use crate::domain::directory::{DIRECTORY_DEVICES, GROUPS, groups_of_device, with_ids};
use crate::domain::enrollment_configuration::{ENROLLMENT_CONFIGURATIONS, default_configuration};
use crate::domain::enrollment_simulation::EnrollmentBody;
use crate::domain::entity::{Entity, EntitySet, Property, Value};
use crate::domain::managed_device::MANAGED_DEVICES;
use crate::domain::profile_assignment::{
    AssignmentTarget, ProfileAssignment, Verdict, profile_reason,
};
use crate::domain::query::{CompareOp, Filter, MatchFunction};
use crate::domain::{ApiVersion, Tenant};
use crate::graph::odata::options::{Endpoint, QueryOptions};
use crate::routes::control::enrollment_refused;
use crate::routes::entity_set::page_of;
use crate::store::Store;

/// Devices a page of the list shows.
const PAGE_SIZE: u32 = 50;
/// The longest search text and filter value taken.
const MAX_SEARCH_CHARS: usize = 100;
/// The longest cursor taken (the hex of a small JSON document).
const MAX_CURSOR_CHARS: usize = 2048;
/// The most profiles and group tags the list's filters offer.
const MAX_CHOICES: u32 = 100;
/// The most profiles whose names the reason for a device's profile shows.
const MAX_PROFILES: u32 = 1000;
/// The most groups and enrollments a device's page shows.
const MAX_SHOWN: u32 = 50;
/// The columns the list sorts by.
const SORTABLE: [(&str, &str); 4] = [
    ("serialNumber", "Serial number"),
    ("displayName", "Name"),
    ("groupTag", "Group tag"),
    ("lastContactedDateTime", "Last contacted"),
];

fn property(set: &'static EntitySet, name: &str) -> &'static Property {
    set.property(name)
        .expect("the console names properties its sets have")
}

#[derive(Deserialize, Default)]
pub struct DeviceQuery {
    q: Option<String>,
    state: Option<String>,
    profile: Option<String>,
    tag: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    after: Option<String>,
}

/// A filter value as given: trimmed, none when empty, bounded.
fn given(value: &Option<String>) -> Result<Option<&str>, Failure> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) if text.chars().count() > MAX_SEARCH_CHARS => Err(Failure::Page {
            status: actix_web::http::StatusCode::BAD_REQUEST,
            message: format!("A search or filter value has at most {MAX_SEARCH_CHARS} characters."),
        }),
        Some(text) => Ok(Some(text)),
    }
}

impl DeviceQuery {
    /// The list's filter: the search (serial number, group tag or name containing the text) and
    /// the exact filters, all of them.
    fn filter(&self) -> Result<Option<Filter>, Failure> {
        let mut conditions = Vec::new();
        if let Some(search) = given(&self.q)? {
            let contains = |name| Filter::Match {
                function: MatchFunction::Contains,
                property: property(&DEVICE_IDENTITIES, name),
                value: search.to_owned(),
            };
            conditions.push(Filter::Or(
                Box::new(Filter::Or(
                    Box::new(contains("serialNumber")),
                    Box::new(contains("groupTag")),
                )),
                Box::new(contains("displayName")),
            ));
        }
        if let Some(state) = given(&self.state)? {
            if !enrollment_states().any(|member| member == state) {
                return Err(Failure::not_found(format!(
                    "No enrollment state '{state}'."
                )));
            }
            conditions.push(Filter::Compare {
                property: property(&DEVICE_IDENTITIES, "enrollmentState"),
                op: CompareOp::Eq,
                value: Value::Text(state.to_owned()),
            });
        }
        if let Some(profile) = given(&self.profile)? {
            conditions.push(Filter::IntendedProfile(id_of(
                profile,
                "deployment profile",
            )?));
        }
        if let Some(tag) = given(&self.tag)? {
            conditions.push(Filter::Compare {
                property: property(&DEVICE_IDENTITIES, "groupTag"),
                op: CompareOp::Eq,
                value: Value::Text(tag.to_owned()),
            });
        }
        Ok(conditions
            .into_iter()
            .reduce(|all, next| Filter::And(Box::new(all), Box::new(next))))
    }

    fn sort(&self) -> &'static str {
        let asked = self.sort.as_deref().unwrap_or_default();
        SORTABLE
            .iter()
            .find(|(name, _)| *name == asked)
            .map_or(SORTABLE[0].0, |(name, _)| name)
    }

    fn descending(&self) -> bool {
        self.order.as_deref() == Some("desc")
    }

    /// The query options the Graph list would take for this page: the order and the cursor.
    fn options(&self) -> Result<QueryOptions, Failure> {
        let direction = if self.descending() { "desc" } else { "asc" };
        let mut query = format!("$orderby={}%20{direction}&$top={PAGE_SIZE}", self.sort());
        if let Some(after) = self
            .after
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            if after.len() > MAX_CURSOR_CHARS || !after.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Failure::Page {
                    status: actix_web::http::StatusCode::BAD_REQUEST,
                    message: "The page cursor is not valid: follow the list's Next link.".into(),
                });
            }
            query.push_str(&format!("&$skiptoken={after}"));
        }
        let mut options =
            QueryOptions::parse(&query, &DEVICE_IDENTITIES, ApiVersion::Beta, Endpoint::List)?;
        options.filter = self.filter()?;
        Ok(options)
    }

    /// This list's address with another cursor (none: the first page).
    fn link(&self, tenant: Tenant, after: Option<&str>) -> String {
        let mut pairs: Vec<(&str, &str)> = [
            ("q", &self.q),
            ("state", &self.state),
            ("profile", &self.profile),
            ("tag", &self.tag),
            ("sort", &self.sort),
            ("order", &self.order),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.as_deref().filter(|v| !v.is_empty())?)))
        .collect();
        if let Some(after) = after {
            pairs.push(("after", after));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{ROOT}/tenants/{}/devices?{query}", tenant.0)
    }
}

/// The enrollment states a device can be in (beta's included).
fn enrollment_states() -> impl Iterator<Item = &'static str> {
    ENROLLMENT_STATE
        .members
        .iter()
        .chain(ENROLLMENT_STATE.beta_members)
        .copied()
}

pub struct DeviceRow {
    pub id: String,
    pub serial_number: String,
    pub name: String,
    pub group_tag: String,
    pub state: String,
    pub assignment: String,
    pub last_contacted: String,
}

/// A choice of a filter's select: its value, its label and whether it is the one chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices(
    values: impl IntoIterator<Item = (String, String)>,
    chosen: &Option<String>,
) -> Vec<Choice> {
    let chosen = chosen.as_deref().unwrap_or_default();
    values
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == chosen,
            value,
            label,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DeviceList {
    chrome: Chrome,
    search: String,
    states: Vec<Choice>,
    profiles: Vec<Choice>,
    tags: Vec<Choice>,
    sorts: Vec<Choice>,
    descending: bool,
    count: i64,
    devices: Vec<DeviceRow>,
    next: Option<String>,
    first_page: Option<String>,
}

pub async fn list(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
    query: web::Query<DeviceQuery>,
) -> Result<HttpResponse, Failure> {
    let options = query.options()?;
    let tag_property = property(&DEVICE_IDENTITIES, "groupTag");
    let ((devices, cursor), count, profiles, tags) = tokio::try_join!(
        async { Ok::<_, Failure>(page_of(&store, &DEVICE_IDENTITIES, tenant, &options).await?) },
        async {
            Ok::<_, Failure>(
                store
                    .count(&DEVICE_IDENTITIES, tenant, options.filter.as_ref())
                    .await?,
            )
        },
        first(
            &store,
            &DEPLOYMENT_PROFILES,
            tenant,
            None,
            "displayName",
            MAX_CHOICES
        ),
        async {
            Ok::<_, Failure>(
                store
                    .count_by(
                        &DEVICE_IDENTITIES,
                        tenant,
                        &[tag_property],
                        None,
                        MAX_CHOICES,
                    )
                    .await?,
            )
        },
    )?;
    let rows = devices
        .iter()
        .map(|device| DeviceRow {
            id: device.id().to_string(),
            serial_number: text(device, "serialNumber"),
            name: text(device, "displayName"),
            group_tag: text(device, "groupTag"),
            state: text(device, "enrollmentState"),
            assignment: text(device, "deploymentProfileAssignmentStatus"),
            last_contacted: text(device, "lastContactedDateTime"),
        })
        .collect();
    let next =
        cursor.map(|cursor: Vec<Value>| query.link(tenant, Some(&options.skip_token(&cursor))));
    let first_page = query
        .after
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|_| query.link(tenant, None));
    let mut tags: Vec<String> = tags
        .into_iter()
        .filter_map(|(v, _)| v.into_iter().next().flatten())
        .collect();
    tags.sort();
    console.page(&DeviceList {
        chrome: console.chrome(Some(tenant), "devices"),
        search: query.q.clone().unwrap_or_default(),
        states: choices(
            enrollment_states().map(|s| (s.to_owned(), s.to_owned())),
            &query.state,
        ),
        profiles: choices(
            profiles
                .iter()
                .map(|p| (p.id().to_string(), text(p, "displayName"))),
            &query.profile,
        ),
        tags: choices(tags.into_iter().map(|t| (t.clone(), t)), &query.tag),
        sorts: choices(
            SORTABLE
                .iter()
                .map(|(name, label)| ((*name).to_owned(), (*label).to_owned())),
            &Some(query.sort().to_owned()),
        ),
        descending: query.descending(),
        count,
        devices: rows,
        next,
        first_page,
    })
}

/// A group the device is in, and how it got there.
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub how: String,
}

/// An assignment that concerns the device, and what it did.
pub struct ReasonRow {
    pub profile_id: String,
    pub profile: String,
    pub target: String,
    pub verdict: &'static str,
}

/// One phase of an enrollment, as a segment of its bar.
pub struct PhaseBar {
    pub name: &'static str,
    pub seconds: i64,
    pub status: String,
    pub percent: u32,
    /// Where the segment starts, in percent of the bar.
    pub offset: u32,
}

pub struct EnrollmentRow {
    pub when: String,
    pub outcome: String,
    pub total: String,
    pub profile: String,
    pub esp: String,
    pub failure: String,
    pub phases: Vec<PhaseBar>,
}

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage {
    chrome: Chrome,
    notice: Option<&'static str>,
    id: String,
    serial_number: String,
    identity: Vec<Field>,
    entra: Option<Vec<Field>>,
    managed: Option<Vec<Field>>,
    groups: Vec<GroupRow>,
    profile: Option<(String, String)>,
    assigned_profile: Option<(String, String)>,
    direct: bool,
    reasons: Vec<ReasonRow>,
    esp: Option<(String, String, String)>,
    enrollments: Vec<EnrollmentRow>,
}

#[derive(Deserialize)]
pub struct DeviceNotice {
    enrolled: Option<String>,
}

/// The tenant's device identity, or the page's 404.
async fn identity(store: &Store, tenant: Tenant, raw: &str) -> Result<Entity, Failure> {
    let not_found = || Failure::not_found(format!("The tenant has no Autopilot device '{raw}'."));
    let id = Uuid::parse_str(raw).map_err(|_| not_found())?;
    store
        .get(&DEVICE_IDENTITIES, tenant, id)
        .await?
        .ok_or_else(not_found)
}

/// The one entity of `set` that passes `filter`, if any.
async fn only(
    store: &Store,
    set: &'static EntitySet,
    tenant: Tenant,
    filter: Filter,
) -> Result<Option<Entity>, Failure> {
    Ok(first(store, set, tenant, Some(&filter), "id", 1)
        .await?
        .pop())
}

pub async fn device(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
    query: web::Query<DeviceNotice>,
) -> Result<HttpResponse, Failure> {
    let identity = identity(&store, tenant, &path.1).await?;
    let id = identity.id();
    let serial_number = text(&identity, "serialNumber");
    let managed_id = Uuid::parse_str(&text(&identity, "managedDeviceId")).ok();
    let events_filter = Filter::Compare {
        property: property(&AUTOPILOT_EVENTS, "deviceSerialNumber"),
        op: CompareOp::Eq,
        value: Value::Text(serial_number.clone()),
    };
    let (entra, managed, ids, assignments, profiles, esp, events) = tokio::try_join!(
        only(
            &store,
            &DIRECTORY_DEVICES,
            tenant,
            Filter::RegisteredFor(id)
        ),
        async {
            match managed_id {
                Some(managed) => {
                    Ok::<_, Failure>(store.get(&MANAGED_DEVICES, tenant, managed).await?)
                }
                None => Ok(None),
            }
        },
        async { Ok::<_, Failure>(store.device_profile_ids(tenant, id).await?) },
        async { Ok::<_, Failure>(store.tenant_profile_assignments(tenant).await?) },
        first(
            &store,
            &DEPLOYMENT_PROFILES,
            tenant,
            None,
            "displayName",
            MAX_PROFILES
        ),
        enrollment_status_page(&store, tenant, id),
        latest(
            &store,
            &AUTOPILOT_EVENTS,
            tenant,
            &events_filter,
            "eventDateTime",
            MAX_SHOWN
        ),
    )?;
    // The groups: those it was added to, those whose rule takes it.
    let stored = match &entra {
        Some(entra) => store.device_groups(tenant, entra.id()).await?,
        None => None,
    };
    let group_ids = stored.as_ref().map_or_else(Vec::new, |stored| {
        groups_of_device(&stored.added_to, &stored.with_rules, &stored.physical_ids)
    });
    let group_entities = match group_ids.is_empty() {
        true => Vec::new(),
        false => {
            let filter = with_ids(&GROUPS, &group_ids);
            first(
                &store,
                &GROUPS,
                tenant,
                Some(&filter),
                "displayName",
                MAX_SHOWN,
            )
            .await?
        }
    };
    let groups = group_entities
        .iter()
        .map(|group| {
            let added = stored
                .as_ref()
                .is_some_and(|stored| stored.added_to.contains(&group.id()));
            GroupRow {
                id: group.id().to_string(),
                name: text(group, "displayName"),
                how: match added {
                    true => "added as a member".to_owned(),
                    false => format!("its rule takes it: {}", text(group, "membershipRule")),
                },
            }
        })
        .collect();
    let reason = profile_reason(
        &assignments,
        ids.direct,
        &group_ids.iter().copied().collect(),
    );
    let name_of = |profile: Uuid| {
        profiles
            .iter()
            .find(|p| p.id() == profile)
            .map_or_else(|| profile.to_string(), |p| text(p, "displayName"))
    };
    let named = |profile: Uuid| (profile.to_string(), name_of(profile));
    let reasons = reason
        .assignments
        .iter()
        .map(|(assignment, verdict)| ReasonRow {
            profile_id: assignment.profile.to_string(),
            profile: name_of(assignment.profile),
            target: target_text(assignment, &group_entities),
            verdict: match verdict {
                Verdict::Chosen => "chosen: the oldest assignment that includes the device",
                Verdict::Excluded => "skipped: an exclusion group of this profile holds the device",
                Verdict::Outranked => "skipped: a direct or older assignment came first",
                Verdict::Excludes => "excludes the device from this profile",
            },
        })
        .collect();
    let enrollments = events.iter().map(enrollment_row).collect();
    console.page(&DevicePage {
        chrome: console.chrome(Some(tenant), "devices"),
        notice: query
            .enrolled
            .as_ref()
            .map(|_| "The simulated enrollment ran: its timeline is below."),
        id: id.to_string(),
        serial_number,
        identity: fields(&identity),
        entra: entra.as_ref().map(fields),
        managed: managed.as_ref().map(fields),
        groups,
        profile: ids.intended.map(named),
        assigned_profile: ids.assigned.map(named),
        direct: ids.direct.is_some() && ids.direct == ids.intended,
        reasons,
        esp,
        enrollments,
    })
}

/// Whom an assignment targets, in words.
fn target_text(assignment: &ProfileAssignment, groups: &[Entity]) -> String {
    let group_name = |group: Uuid| {
        groups
            .iter()
            .find(|g| g.id() == group)
            .map_or_else(|| group.to_string(), |g| text(g, "displayName"))
    };
    match assignment.target {
        AssignmentTarget::Group(group) => format!("group {}", group_name(group)),
        AssignmentTarget::ExclusionGroup(group) => {
            format!("exclusion group {}", group_name(group))
        }
        AssignmentTarget::AllDevices => "all devices".to_owned(),
    }
}

/// The Enrollment Status Page that applies to a device: its id, name and why it applies.
async fn enrollment_status_page(
    store: &Store,
    tenant: Tenant,
    device: Uuid,
) -> Result<Option<(String, String, String)>, Failure> {
    store.ensure_enrollment_defaults(tenant).await?;
    let Some(page) = store
        .applicable_enrollment_status_page(tenant, device)
        .await?
    else {
        return Ok(None);
    };
    let Some(entity) = store.get(&ENROLLMENT_CONFIGURATIONS, tenant, page).await? else {
        return Ok(None);
    };
    let why = match default_configuration(page) {
        Some(_) => "the default: no page assigned to the device's groups applies".to_owned(),
        None => format!(
            "the highest-priority page assigned to the device (priority {})",
            text(&entity, "priority")
        ),
    };
    Ok(Some((page.to_string(), text(&entity, "displayName"), why)))
}

/// An Autopilot event as a row of the timeline, its phases as a bar.
fn enrollment_row(event: &Entity) -> EnrollmentRow {
    let seconds = |name| match AUTOPILOT_EVENTS.property(name).map(|p| event.get(p)) {
        Some(Value::Duration(duration)) => duration.num_seconds(),
        _ => 0,
    };
    let total = seconds("deploymentTotalDuration");
    let phases = [
        (
            "device preparation",
            total - seconds("deploymentDuration"),
            text(event, "enrollmentState"),
        ),
        (
            "device setup",
            seconds("deviceSetupDuration"),
            text(event, "deviceSetupStatus"),
        ),
        (
            "account setup",
            seconds("accountSetupDuration"),
            text(event, "accountSetupStatus"),
        ),
    ];
    let mut offset = 0;
    let phases = phases
        .into_iter()
        .map(|(name, seconds, status)| {
            let percent = percent_of(seconds, total);
            let bar = PhaseBar {
                name,
                seconds,
                status,
                percent,
                offset,
            };
            offset += percent;
            bar
        })
        .collect();
    EnrollmentRow {
        when: text(event, "eventDateTime"),
        outcome: text(event, "deploymentState"),
        total: text(event, "deploymentTotalDuration"),
        profile: text(event, "windowsAutopilotDeploymentProfileDisplayName"),
        esp: text(
            event,
            "windows10EnrollmentCompletionPageConfigurationDisplayName",
        ),
        failure: text(event, "enrollmentFailureDetails"),
        phases,
    }
}

#[derive(Template)]
#[template(path = "enroll.html")]
struct ConfirmEnrollment {
    chrome: Chrome,
    id: String,
    serial_number: String,
}

pub async fn confirm_enroll(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Failure> {
    let identity = identity(&store, tenant, &path.1).await?;
    console.page(&ConfirmEnrollment {
        chrome: console.chrome(Some(tenant), "devices"),
        id: identity.id().to_string(),
        serial_number: text(&identity, "serialNumber"),
    })
}

/// The enrollment form: how it ends, where it fails, who signs in.
#[derive(Deserialize)]
pub struct EnrollmentForm {
    outcome: String,
    phase: Option<String>,
    user_principal_name: Option<String>,
}

/// Walks the device through a simulated enrollment, as `POST /_control/tenants/{tenant}/enrollments`
/// does for its serial number, then shows its page with the timeline.
pub async fn enroll(
    posted: Posted<EnrollmentForm>,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Failure> {
    let identity = identity(&store, tenant, &path.1).await?;
    let form = &posted.form;
    let mut body = serde_json::json!({
        "serialNumber": text(&identity, "serialNumber"),
        "outcome": form.outcome,
    });
    if let Some(phase) = form.phase.as_deref().filter(|p| !p.is_empty()) {
        body["phase"] = phase.into();
    }
    if let Some(upn) = form
        .user_principal_name
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        body["userPrincipalName"] = upn.into();
    }
    let bad = |message: String| Failure::Page {
        status: actix_web::http::StatusCode::BAD_REQUEST,
        message,
    };
    let body: EnrollmentBody = serde_json::from_value(body)
        .map_err(|error| bad(format!("The form is not valid: {error}.")))?;
    let enrollment = body.check().map_err(bad)?;
    store
        .simulate_enrollment(tenant, &enrollment)
        .await
        .map_err(|refused| enrollment_refused(refused, &enrollment.selection))?;
    Ok(posted.console.redirect(&format!(
        "{ROOT}/tenants/{}/devices/{}?enrolled=1",
        tenant.0,
        identity.id()
    )))
}
