//! What the tenant is configured with: its imports (each batch's progress by outcome, the error
//! codes explained), deployment profiles, groups and enrollment configurations, each listed and
//! shown with its assignments.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::view::{Field, fields, percent_of, text};
use super::{Chrome, Console, ConsoleTenant, Failure, first, id_of};
use crate::domain::Tenant;
use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
use crate::domain::device_identity::DEVICE_IDENTITIES;
use crate::domain::directory::{DIRECTORY_DEVICES, GROUPS, with_ids};
use crate::domain::enrollment_configuration::{ENROLLMENT_CONFIGURATIONS, EnrollmentTarget};
use crate::domain::entity::{Entity, EntitySet};
use crate::domain::import::error_explanation;
use crate::domain::imported_identity::IMPORTED_IDENTITIES;
use crate::domain::profile_assignment::{AssignmentTarget, ProfileAssignment};
use crate::domain::query::Filter;
use crate::routes::directory::device_members_filter;
use crate::store::Store;

/// The most rows a list shows.
const MAX_LISTED: u32 = 200;
/// The most (import, state, error) combinations the imports page reads.
const MAX_IMPORT_ROWS: u32 = 2000;
/// The most members a group's page shows.
const MAX_MEMBERS: u32 = 50;

/// One outcome of an import batch, as a segment of its progress bar.
pub struct Segment {
    pub status: String,
    pub count: i64,
    pub percent: u32,
    pub offset: u32,
}

pub struct ImportError {
    pub code: String,
    pub name: String,
    pub count: i64,
    pub explanation: &'static str,
}

pub struct Batch {
    pub id: String,
    pub total: i64,
    pub segments: Vec<Segment>,
    pub errors: Vec<ImportError>,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct Imports {
    chrome: Chrome,
    batches: Vec<Batch>,
}

/// Each import batch (the records sharing an `importId`) by outcome, and its errors explained.
pub async fn imports(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
) -> Result<HttpResponse, Failure> {
    let by = |name| {
        IMPORTED_IDENTITIES
            .columns()
            .find(|p| p.name == name)
            .expect("imported identities have the property")
    };
    let rows = store
        .count_by(
            &IMPORTED_IDENTITIES,
            tenant,
            &[
                by("importId"),
                by("deviceImportStatus"),
                by("deviceErrorCode"),
                by("deviceErrorName"),
            ],
            None,
            MAX_IMPORT_ROWS,
        )
        .await?;
    let mut batches: BTreeMap<String, (BTreeMap<String, i64>, Vec<ImportError>)> = BTreeMap::new();
    for (values, count) in rows {
        let mut values = values.into_iter().map(Option::unwrap_or_default);
        let mut next = || values.next().unwrap_or_default();
        let (import, status, code, name) = (next(), next(), next(), next());
        let (statuses, errors) = batches.entry(import).or_default();
        *statuses.entry(status).or_default() += count;
        if code != "0" && !code.is_empty() {
            let explanation = code
                .parse()
                .ok()
                .and_then(error_explanation)
                .unwrap_or("An error code processing does not write.");
            errors.push(ImportError {
                code,
                name,
                count,
                explanation,
            });
        }
    }
    let batches = batches
        .into_iter()
        .map(|(id, (statuses, errors))| {
            let total = statuses.values().sum();
            let mut offset = 0;
            let segments = statuses
                .into_iter()
                .map(|(status, count)| {
                    let percent = percent_of(count, total);
                    let segment = Segment {
                        status,
                        count,
                        percent,
                        offset,
                    };
                    offset += percent;
                    segment
                })
                .collect();
            Batch {
                id,
                total,
                segments,
                errors,
            }
        })
        .collect();
    console.page(&Imports {
        chrome: console.chrome(Some(tenant), "imports"),
        batches,
    })
}

/// A row of a list of entities: its id, name and a few words about it.
pub struct Listed {
    pub id: String,
    pub name: String,
    pub about: String,
    pub extra: String,
}

#[derive(Template)]
#[template(path = "list.html")]
struct List {
    chrome: Chrome,
    title: &'static str,
    path: &'static str,
    columns: [&'static str; 3],
    rows: Vec<Listed>,
}

/// An assignment, in words: whom it targets and anything else about it.
pub struct AssignmentRow {
    pub link: Option<String>,
    pub target: String,
    pub about: String,
}

#[derive(Template)]
#[template(path = "detail.html")]
struct Detail {
    chrome: Chrome,
    kind: &'static str,
    name: String,
    fields: Vec<Field>,
    assignments_title: &'static str,
    assignments: Vec<AssignmentRow>,
    related_title: &'static str,
    related: Vec<AssignmentRow>,
    /// The devices list narrowed to this entity's devices, and how many there are.
    devices_link: Option<(String, String)>,
}

fn base(tenant: Tenant) -> String {
    format!("{}/tenants/{}", super::ROOT, tenant.0)
}

/// The tenant's entity of `set` with the id in the path, or the page's 404.
async fn entity(
    store: &Store,
    set: &'static EntitySet,
    tenant: Tenant,
    raw: &str,
    what: &str,
) -> Result<Entity, Failure> {
    let id = id_of(raw, what)?;
    store
        .get(set, tenant, id)
        .await?
        .ok_or_else(|| Failure::not_found(format!("The tenant has no {what} '{raw}'.")))
}

/// The names of the tenant's groups among `ids`.
async fn group_names(
    store: &Store,
    tenant: Tenant,
    ids: &[Uuid],
) -> Result<BTreeMap<Uuid, String>, Failure> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let filter = with_ids(&GROUPS, ids);
    let groups = first(
        store,
        &GROUPS,
        tenant,
        Some(&filter),
        "displayName",
        MAX_LISTED,
    )
    .await?;
    Ok(groups
        .iter()
        .map(|g| (g.id(), text(g, "displayName")))
        .collect())
}

/// A group target, linked to its page.
fn group_target(
    tenant: Tenant,
    names: &BTreeMap<Uuid, String>,
    group: Uuid,
    how: &str,
) -> AssignmentRow {
    AssignmentRow {
        link: Some(format!("{}/groups/{group}", base(tenant))),
        target: format!(
            "{how} {}",
            names
                .get(&group)
                .cloned()
                .unwrap_or_else(|| group.to_string())
        ),
        about: String::new(),
    }
}

fn profile_target(
    tenant: Tenant,
    names: &BTreeMap<Uuid, String>,
    assignment: &ProfileAssignment,
) -> AssignmentRow {
    match assignment.target {
        AssignmentTarget::Group(group) => group_target(tenant, names, group, "group"),
        AssignmentTarget::ExclusionGroup(group) => {
            group_target(tenant, names, group, "exclusion group")
        }
        AssignmentTarget::AllDevices => AssignmentRow {
            link: None,
            target: "all devices".to_owned(),
            about: String::new(),
        },
    }
}

pub async fn profiles(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
) -> Result<HttpResponse, Failure> {
    let profiles = first(
        &store,
        &DEPLOYMENT_PROFILES,
        tenant,
        None,
        "displayName",
        MAX_LISTED,
    )
    .await?;
    let ids: Vec<Uuid> = profiles.iter().map(Entity::id).collect();
    let (assignments, targeted) = tokio::try_join!(
        async { Ok::<_, Failure>(store.profile_assignments(tenant, &ids).await?) },
        targeted_counts(&store, tenant, &ids),
    )?;
    let rows = profiles
        .iter()
        .zip(targeted)
        .map(|(profile, devices)| Listed {
            id: profile.id().to_string(),
            name: text(profile, "displayName"),
            about: text(profile, "@odata.type"),
            extra: format!(
                "{} assignments, {devices} devices targeted",
                assignments
                    .iter()
                    .filter(|a| a.profile == profile.id())
                    .count()
            ),
        })
        .collect();
    console.page(&List {
        chrome: console.chrome(Some(tenant), "profiles"),
        title: "Deployment profiles",
        path: "profiles",
        columns: ["Name", "Type", "Assignments"],
        rows,
    })
}

/// How many device identities each of these profiles targets.
async fn targeted_counts(
    store: &Store,
    tenant: Tenant,
    profiles: &[Uuid],
) -> Result<Vec<i64>, Failure> {
    Ok(
        futures_util::future::try_join_all(profiles.iter().map(|profile| {
            let filter = Filter::IntendedProfile(*profile);
            async move { store.count(&DEVICE_IDENTITIES, tenant, Some(&filter)).await }
        }))
        .await?,
    )
}

pub async fn profile(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Failure> {
    let profile = entity(
        &store,
        &DEPLOYMENT_PROFILES,
        tenant,
        &path.1,
        "deployment profile",
    )
    .await?;
    let assignments = store.profile_assignments(tenant, &[profile.id()]).await?;
    let groups: Vec<Uuid> = assignments
        .iter()
        .filter_map(|a| a.target.group())
        .collect();
    let profile_ids = [profile.id()];
    let (names, targeted) = tokio::try_join!(
        group_names(&store, tenant, &groups),
        targeted_counts(&store, tenant, &profile_ids),
    )?;
    let targeted = targeted.first().copied().unwrap_or_default();
    console.page(&Detail {
        chrome: console.chrome(Some(tenant), "profiles"),
        kind: "Deployment profile",
        name: text(&profile, "displayName"),
        fields: fields(&profile),
        assignments_title: "Assignments (oldest first: the oldest that includes a device wins)",
        assignments: assignments
            .iter()
            .map(|a| profile_target(tenant, &names, a))
            .collect(),
        related_title: "",
        related: Vec::new(),
        devices_link: Some((
            format!("{}/devices?profile={}", base(tenant), profile.id()),
            format!("{targeted} devices targeted"),
        )),
    })
}

pub async fn groups(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
) -> Result<HttpResponse, Failure> {
    let groups = first(&store, &GROUPS, tenant, None, "displayName", MAX_LISTED).await?;
    let rows = groups
        .iter()
        .map(|group| {
            let rule = text(group, "membershipRule");
            Listed {
                id: group.id().to_string(),
                name: text(group, "displayName"),
                about: match rule.is_empty() {
                    true => "assigned".to_owned(),
                    false => "dynamic".to_owned(),
                },
                extra: rule,
            }
        })
        .collect();
    console.page(&List {
        chrome: console.chrome(Some(tenant), "groups"),
        title: "Groups",
        path: "groups",
        columns: ["Name", "Membership", "Rule"],
        rows,
    })
}

pub async fn group(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Failure> {
    let group = entity(&store, &GROUPS, tenant, &path.1, "group").await?;
    let members = device_members_filter(&group)?;
    let (members, profiles, configurations) = tokio::try_join!(
        first(
            &store,
            &DIRECTORY_DEVICES,
            tenant,
            Some(&members),
            "displayName",
            MAX_MEMBERS
        ),
        first(
            &store,
            &DEPLOYMENT_PROFILES,
            tenant,
            None,
            "displayName",
            MAX_LISTED
        ),
        configurations(&store, tenant),
    )?;
    let profile_ids: Vec<Uuid> = profiles.iter().map(Entity::id).collect();
    let configuration_ids: Vec<Uuid> = configurations.iter().map(Entity::id).collect();
    let (profile_assignments, enrollment_assignments) = tokio::try_join!(
        async { Ok::<_, Failure>(store.profile_assignments(tenant, &profile_ids).await?) },
        async {
            Ok::<_, Failure>(
                store
                    .enrollment_assignments(tenant, &configuration_ids)
                    .await?,
            )
        },
    )?;
    let named = |entities: &[Entity], id: Uuid| {
        entities
            .iter()
            .find(|e| e.id() == id)
            .map_or_else(|| id.to_string(), |e| text(e, "displayName"))
    };
    let mut assignments: Vec<AssignmentRow> = profile_assignments
        .iter()
        .filter(|a| a.target.group() == Some(group.id()))
        .map(|a| AssignmentRow {
            link: Some(format!("{}/profiles/{}", base(tenant), a.profile)),
            target: format!("deployment profile {}", named(&profiles, a.profile)),
            about: a.target.type_name().to_owned(),
        })
        .collect();
    assignments.extend(
        enrollment_assignments
            .iter()
            .filter(|a| a.target.group() == Some(group.id()))
            .map(|a| AssignmentRow {
                link: Some(format!(
                    "{}/enrollment-configurations/{}",
                    base(tenant),
                    a.configuration
                )),
                target: format!(
                    "enrollment configuration {}",
                    named(&configurations, a.configuration)
                ),
                about: a.target.type_name().to_owned(),
            }),
    );
    console.page(&Detail {
        chrome: console.chrome(Some(tenant), "groups"),
        kind: "Group",
        name: text(&group, "displayName"),
        fields: fields(&group),
        assignments_title: "Assigned to it",
        assignments,
        related_title: "Members (Entra devices)",
        related: members
            .iter()
            .map(|device| AssignmentRow {
                link: None,
                target: text(device, "displayName"),
                about: text(device, "physicalIds"),
            })
            .collect(),
        devices_link: None,
    })
}

/// The tenant's enrollment configurations (Intune's defaults written first), by priority.
async fn configurations(store: &Store, tenant: Tenant) -> Result<Vec<Entity>, Failure> {
    store.ensure_enrollment_defaults(tenant).await?;
    first(
        store,
        &ENROLLMENT_CONFIGURATIONS,
        tenant,
        None,
        "priority",
        MAX_LISTED,
    )
    .await
}

pub async fn enrollment_configurations(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
) -> Result<HttpResponse, Failure> {
    let rows = configurations(&store, tenant)
        .await?
        .iter()
        .map(|configuration| Listed {
            id: configuration.id().to_string(),
            name: text(configuration, "displayName"),
            about: text(configuration, "@odata.type"),
            extra: format!("priority {}", text(configuration, "priority")),
        })
        .collect();
    console.page(&List {
        chrome: console.chrome(Some(tenant), "enrollment-configurations"),
        title: "Enrollment configurations",
        path: "enrollment-configurations",
        columns: ["Name", "Type", "Priority"],
        rows,
    })
}

pub async fn enrollment_configuration(
    console: Console,
    ConsoleTenant(tenant): ConsoleTenant,
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Failure> {
    store.ensure_enrollment_defaults(tenant).await?;
    let configuration = entity(
        &store,
        &ENROLLMENT_CONFIGURATIONS,
        tenant,
        &path.1,
        "enrollment configuration",
    )
    .await?;
    let assignments = store
        .enrollment_assignments(tenant, &[configuration.id()])
        .await?;
    let groups: Vec<Uuid> = assignments
        .iter()
        .filter_map(|a| a.target.group())
        .collect();
    let names = group_names(&store, tenant, &groups).await?;
    let rows = assignments
        .iter()
        .map(|a| {
            let mut row = match a.target {
                EnrollmentTarget::Group(group) => group_target(tenant, &names, group, "group"),
                EnrollmentTarget::ExclusionGroup(group) => {
                    group_target(tenant, &names, group, "exclusion group")
                }
                EnrollmentTarget::AllDevices => AssignmentRow {
                    link: None,
                    target: "all devices".to_owned(),
                    about: String::new(),
                },
                EnrollmentTarget::AllLicensedUsers => AssignmentRow {
                    link: None,
                    target: "all licensed users".to_owned(),
                    about: String::new(),
                },
            };
            if let Some(filter) = a.filter.id {
                row.about = format!("filter {filter} ({})", a.filter.filter_type);
            }
            row
        })
        .collect();
    console.page(&Detail {
        chrome: console.chrome(Some(tenant), "enrollment-configurations"),
        kind: "Enrollment configuration",
        name: text(&configuration, "displayName"),
        fields: fields(&configuration),
        assignments_title: "Assignments",
        assignments: rows,
        related_title: "",
        related: Vec::new(),
        devices_link: None,
    })
}
