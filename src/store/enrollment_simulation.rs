//! Simulated enrollment's SQL: the devices one enrollment takes (locked, so that a retried or
//! concurrent request, or another instance's auto-enrollment, cannot enroll one twice), their
//! effective profiles and applicable Enrollment Status Pages, and what the walk writes: the
//! identity, its Entra device object, a managed device, an Autopilot event and the count by
//! outcome, all in one transaction. A device that is no Autopilot identity goes through the
//! enrollment gate and the device preparation policy of its user's groups, and the same writers
//! record it, with the Entra device object it creates, the enrollment-time device group it joins
//! and its corporate identifier's state. The devices due for `--auto-enroll-after` are found and
//! claimed here too.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{AssertSqlSafe, PgConnection};
use uuid::Uuid;

use super::corporate_identifiers::record_identifier_enrollment;
use super::enrollment::applicable_enrollment_status_pages;
use super::{Store, StoreError};
use crate::domain::Tenant;
use crate::domain::corporate_identifier::{CorporateEvidence, IdentifierEnrollment, Ownership};
use crate::domain::enrollment_simulation::{
    Deployment, Enrollment, NamedDevice, Outcome, Phase, Run, Selection, Walk, WalkRefused,
    device_name,
};

/// The timeout of an Enrollment Status Page that names none, Intune's default.
const DEFAULT_ESP_TIMEOUT_MINUTES: u32 = 60;
/// The Windows version a simulated device runs (Windows 11 23H2), on its managed device and event.
const OS_VERSION: &str = "10.0.22631.4460";

/// What an enrollment did.
#[derive(Debug, Default)]
pub struct Enrolled {
    /// Devices that became managed devices now.
    pub enrolled: u64,
    /// Devices whose deployment failed (an enrolled one included, when a later phase failed).
    pub failed: u64,
    /// Devices left alone because they already are managed devices.
    pub already_enrolled: u64,
    /// The managed devices of the devices taken, enrolled now or before, in identity order.
    pub managed_device_ids: Vec<Uuid>,
    /// The device preparation policy that drove a device that is no Autopilot identity.
    pub device_preparation_policy: Option<Uuid>,
    /// Why Intune refused a device that is no Autopilot identity (its enrollment restriction),
    /// as the failed deployment's event says it.
    pub refusal: Option<String>,
}

/// Why an enrollment was refused, before anything was written.
#[derive(Debug)]
pub enum EnrollmentRefused {
    /// No Autopilot identity of the tenant has the serial number or group tag.
    NoDevices,
    /// The device deploys self-deploying and so has no account setup to fail in.
    NoAccountSetup {
        serial_number: String,
    },
    /// The tenant has no user with the user principal name a device preparation walk names.
    UnknownUser(String),
    Store(StoreError),
}

impl From<StoreError> for EnrollmentRefused {
    fn from(error: StoreError) -> Self {
        EnrollmentRefused::Store(error)
    }
}

impl From<sqlx::Error> for EnrollmentRefused {
    fn from(error: sqlx::Error) -> Self {
        EnrollmentRefused::Store(error.into())
    }
}

/// A device identity as an enrollment reads it, with its effective profile.
#[derive(sqlx::FromRow)]
struct Candidate {
    id: Uuid,
    serial_number: String,
    manufacturer: Option<String>,
    model: Option<String>,
    directory_device: Option<Uuid>,
    entra_device_id: Option<String>,
    already_managed: Option<String>,
    profile_type: Option<String>,
    usage_type: Option<String>,
    name_template: Option<String>,
    profile_name: Option<String>,
}

/// The identities an enrollment takes, locked; `{scope}` is the condition on `d`.
const CANDIDATES: &str = "SELECT d.id, d.serial_number, d.manufacturer, d.model, \
         v.id AS directory_device, v.device_id AS entra_device_id, \
         nullif(d.managed_device_id, '') AS already_managed, \
         p.odata_type AS profile_type, p.oobe_setting_device_usage_type AS usage_type, \
         p.device_name_template AS name_template, p.display_name AS profile_name \
     FROM device_identities d \
     LEFT JOIN deployment_profiles p ON p.tenant_id = d.tenant_id AND p.id = d.assigned_profile_id \
     LEFT JOIN directory_devices v ON v.tenant_id = d.tenant_id AND v.device_identity_id = d.id \
     WHERE d.tenant_id = $1 AND {scope} \
     ORDER BY d.id FOR UPDATE OF d";

/// The condition that makes a device due for auto-enrollment `$2` seconds after its profile was
/// assigned (the partial index device_identities_enrollment_due).
const DUE: &str = "assigned_profile_id IS NOT NULL AND enrollment_state = 'notContacted' \
     AND deployment_profile_assigned_date_time <= now() - make_interval(secs => $2)";

impl Store {
    /// Enrolls the tenant's devices that `enrollment` names, as [`Run::walk`] decides, in
    /// one transaction.
    pub async fn simulate_enrollment(
        &self,
        tenant: Tenant,
        enrollment: &Enrollment,
    ) -> Result<Enrolled, EnrollmentRefused> {
        // A device wiped or retired moments ago has left Intune once its action is due.
        self.settle_device_actions(tenant).await?;
        self.ensure_enrollment_defaults(tenant).await?;
        let mut tx = self.pool()?.begin().await?;
        let (scope, value) = match &enrollment.selection {
            Selection::SerialNumber(serial) => ("lower(d.serial_number) = lower($2)", serial),
            Selection::Device(device) => {
                ("lower(d.serial_number) = lower($2)", &device.serial_number)
            }
            Selection::GroupTag(tag) => ("coalesce(d.group_tag, '') = $2", tag),
        };
        let candidates: Vec<Candidate> =
            sqlx::query_as(AssertSqlSafe(CANDIDATES.replace("{scope}", scope)))
                .bind(tenant.0)
                .bind(value)
                .fetch_all(&mut *tx)
                .await?;
        if candidates.is_empty() {
            return match &enrollment.selection {
                // No Autopilot identity: device preparation's path.
                Selection::Device(device) => {
                    drop(tx);
                    self.enroll_through_policy(tenant, device, &enrollment.run)
                        .await
                }
                _ => Err(EnrollmentRefused::NoDevices),
            };
        }
        let enrolled = enroll(&mut tx, tenant, &enrollment.run, candidates).await?;
        tx.commit().await?;
        Ok(enrolled)
    }

    /// The tenants with devices due for auto-enrollment `after` their profile was assigned, those
    /// waiting longest first, among the `DISCOVERY_WINDOW` longest waiting: it reads across
    /// tenants, without locks.
    pub async fn tenants_with_enrollments_due(
        &self,
        after: Duration,
    ) -> Result<Vec<Tenant>, StoreError> {
        self.tenants_due(
            "SELECT tenant_id FROM (SELECT tenant_id, deployment_profile_assigned_date_time \
                 FROM device_identities \
                 WHERE assigned_profile_id IS NOT NULL AND enrollment_state = 'notContacted' \
                   AND deployment_profile_assigned_date_time <= now() - make_interval(secs => $1) \
                 ORDER BY deployment_profile_assigned_date_time LIMIT $2) AS due \
             GROUP BY tenant_id ORDER BY min(deployment_profile_assigned_date_time)",
            after,
        )
        .await
    }

    /// Enrolls, successfully and with no user, at most `limit` of the tenant's devices due `after`
    /// their assignment that no other instance holds; returns how many.
    pub async fn auto_enroll(
        &self,
        tenant: Tenant,
        after: Duration,
        limit: i64,
    ) -> Result<usize, StoreError> {
        self.settle_device_actions(tenant).await?;
        self.ensure_enrollment_defaults(tenant).await?;
        let mut tx = self.pool()?.begin().await?;
        let scope = format!(
            "d.id IN (SELECT id FROM device_identities WHERE tenant_id = $1 AND {DUE} \
                      ORDER BY deployment_profile_assigned_date_time LIMIT $3 \
                      FOR UPDATE SKIP LOCKED)"
        );
        let candidates: Vec<Candidate> =
            sqlx::query_as(AssertSqlSafe(CANDIDATES.replace("{scope}", &scope)))
                .bind(tenant.0)
                .bind(after.as_secs_f64())
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let taken = candidates.len();
        match enroll(&mut tx, tenant, &Run::AUTOMATIC, candidates).await {
            Ok(_) => {}
            Err(EnrollmentRefused::Store(error)) => return Err(error),
            // A successful run fails in no phase, so no device refuses it.
            Err(refused) => {
                log::error!("auto-enrollment refused ({refused:?}); left for a later pass");
                return Ok(0);
            }
        }
        tx.commit().await?;
        Ok(taken)
    }

    /// How long until the next device is due for auto-enrollment `after` its assignment: a device
    /// still pending its profile counts from when it started waiting, the soonest it can settle.
    pub async fn next_enrollment_due(
        &self,
        after: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        let seconds: Option<f64> = sqlx::query_scalar(
            "SELECT extract(epoch FROM least( \
                 (SELECT min(deployment_profile_assigned_date_time) FROM device_identities \
                  WHERE assigned_profile_id IS NOT NULL AND enrollment_state = 'notContacted'), \
                 (SELECT min(assignment_pending_since) FROM device_identities \
                  WHERE assignment_pending_since IS NOT NULL)) \
               + make_interval(secs => $1) - now())::float8",
        )
        .bind(after.as_secs_f64())
        .fetch_one(self.pool()?)
        .await?;
        Ok(seconds.map(|s| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or_default()))
    }

    /// Enrollments by outcome, every tenant's, for /metrics.
    pub async fn enrollment_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT outcome, sum(total)::bigint FROM simulated_enrollment_counts \
             GROUP BY outcome ORDER BY outcome",
        )
        .fetch_all(self.pool()?)
        .await?)
    }
}

impl Store {
    /// Enrolls `device`, which is no Autopilot identity of the tenant, for the run's user, as
    /// Windows Autopilot device preparation does: the enrollment gate of the user's groups decides
    /// whether it may enroll (a refusal is a failed deployment), the device preparation policy of
    /// those groups drives the walk (Windows' own setup when none applies), and a device that
    /// enrolls gets an Entra device object, joins the policy's enrollment-time device group and
    /// marks its corporate identifier. A device that already is a managed device is left alone.
    async fn enroll_through_policy(
        &self,
        tenant: Tenant,
        device: &NamedDevice,
        run: &Run,
    ) -> Result<Enrolled, EnrollmentRefused> {
        let upn = run.user_principal_name.clone().unwrap_or_default();
        let user: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM directory_users \
             WHERE tenant_id = $1 AND lower(user_principal_name) = lower($2)",
        )
        .bind(tenant.0)
        .bind(&upn)
        .fetch_optional(self.pool()?)
        .await?;
        let Some(user) = user else {
            return Err(EnrollmentRefused::UnknownUser(upn));
        };
        let groups = self.groups_holding_user(tenant, user).await?;
        let gate = self
            .may_windows_device_enroll(
                tenant,
                &device.identifier(),
                &groups.iter().copied().collect::<HashSet<_>>(),
            )
            .await?;
        let policy = self
            .applicable_device_preparation_policy(tenant, &groups)
            .await?;
        let deployment = policy
            .as_ref()
            .map_or(Deployment::WITHOUT_PROFILE, |policy| {
                Deployment::of_device_preparation(policy.template, &policy.settings)
            });
        let timeout = policy
            .as_ref()
            .and_then(|policy| policy.settings.timeout_minutes)
            .and_then(|minutes| u32::try_from(minutes).ok())
            .filter(|&minutes| minutes > 0)
            .unwrap_or(DEFAULT_ESP_TIMEOUT_MINUTES);
        let mut tx = self.pool()?.begin().await?;
        // The device has no row to lock yet: one enrollment of a serial number at a time.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text || lower($2), 0))")
            .bind(tenant.0)
            .bind(&device.serial_number)
            .execute(&mut *tx)
            .await?;
        let managed: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM managed_devices \
             WHERE tenant_id = $1 AND lower(serial_number) = lower($2) ORDER BY id LIMIT 1",
        )
        .bind(tenant.0)
        .bind(&device.serial_number)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(managed) = managed {
            return Ok(Enrolled {
                already_enrolled: 1,
                managed_device_ids: vec![managed],
                ..Enrolled::default()
            });
        }
        let refusal = gate.as_ref().err().map(|refusal| refusal.details());
        let (walk, outcome, ownership) = match gate {
            Err(refusal) => (
                Walk::refused(refusal.details()),
                Outcome::Failure(Phase::DevicePreparation),
                None,
            ),
            Ok(ownership) => {
                let walk =
                    run.walk(&deployment, timeout)
                        .map_err(|WalkRefused::NoAccountSetup| {
                            EnrollmentRefused::NoAccountSetup {
                                serial_number: device.serial_number.clone(),
                            }
                        })?;
                (walk, run.outcome, Some(ownership))
            }
        };
        let entra_device = Uuid::new_v4();
        let mut random = || Uuid::new_v4().as_u64_pair().0;
        let name = device_name(None, &device.serial_number, &mut random);
        let joined = walk.enrolled.then(|| JoinedDevice {
            physical_ids: entra_join_physical_ids(user, &mut random),
            group: policy.as_ref().and_then(|policy| policy.device_group),
        });
        let policy_id = policy.as_ref().map(|policy| policy.id);
        let corporate_identifier = match ownership {
            Some(Ownership::Corporate(CorporateEvidence::CorporateIdentifier(id))) => Some(id),
            _ => None,
        };
        let plan = Planned {
            identity: None,
            directory_device: walk.enrolled.then_some(entra_device),
            entra_device_id: if walk.enrolled {
                entra_device.to_string()
            } else {
                String::new()
            },
            serial_number: device.serial_number.clone(),
            manufacturer: Some(device.manufacturer.clone()),
            model: Some(device.model.clone()),
            personal: matches!(ownership, Some(Ownership::Personal)),
            name,
            with_profile: false,
            profile_name: policy.map(|policy| policy.name),
            esp: None,
            managed_device: walk.enrolled.then(Uuid::new_v4),
            deployment,
            outcome,
            walk,
            joined,
            corporate_identifier,
        };
        let mut answer = record(&mut tx, tenant, vec![plan], &HashMap::new()).await?;
        tx.commit().await?;
        answer.device_preparation_policy = policy_id;
        answer.refusal = refusal;
        Ok(answer)
    }
}

/// The physical ids Windows registers for a device it joins to Entra ID outside Autopilot (no
/// `[ZTDID]`, no `[OrderID]`): its hardware id and its device group id, each also with the id of
/// the user who joined it. The ids are 16 random digits.
fn entra_join_physical_ids(user: Uuid, random: &mut impl FnMut() -> u64) -> Vec<String> {
    let mut digits = || format!("{:016}", random() % 10_000_000_000_000_000);
    let (hardware, group) = (digits(), digits());
    vec![
        format!("[USER-GID]:{user}:{group}"),
        format!("[GID]:g:{group}"),
        format!("[USER-HWID]:{user}:{hardware}"),
        format!("[HWID]:h:{hardware}"),
    ]
}

/// What device preparation's Entra join makes of a device that enrolls: its new device object's
/// physical ids and the enrollment-time device group it joins, when the policy names one.
struct JoinedDevice {
    physical_ids: Vec<String>,
    group: Option<Uuid>,
}

/// One device's walk and what it writes.
struct Planned {
    /// Its Autopilot identity; none for a device that device preparation enrolls.
    identity: Option<Uuid>,
    /// Its Entra device object: its identity's (unless a client deleted it), or the one device
    /// preparation's join creates.
    directory_device: Option<Uuid>,
    /// That object's `deviceId`, the managed device's `azureADDeviceId`; empty without one.
    entra_device_id: String,
    serial_number: String,
    manufacturer: Option<String>,
    model: Option<String>,
    /// Enrolled as a personal device (blocked personal devices let no such device through).
    personal: bool,
    name: String,
    deployment: Deployment,
    with_profile: bool,
    /// The Autopilot profile's name, or the device preparation policy's.
    profile_name: Option<String>,
    esp: Option<Uuid>,
    walk: Walk,
    /// How the deployment ended, as enrollments are counted.
    outcome: Outcome,
    managed_device: Option<Uuid>,
    /// Device preparation's join; none for an identity, whose device object exists.
    joined: Option<JoinedDevice>,
    /// The corporate identifier that names the device, whose state the enrollment writes.
    corporate_identifier: Option<Uuid>,
}

/// Walks `candidates` (locked by the caller's transaction) through `run` and writes the
/// outcome. Devices that already are managed devices are left alone; nothing is written when
/// one device cannot go through it.
async fn enroll(
    connection: &mut PgConnection,
    tenant: Tenant,
    run: &Run,
    candidates: Vec<Candidate>,
) -> Result<Enrolled, EnrollmentRefused> {
    let mut already = Enrolled::default();
    let mut to_walk = Vec::new();
    for candidate in candidates {
        match candidate.already_managed.as_deref().map(Uuid::parse_str) {
            Some(Ok(managed)) if !managed.is_nil() => {
                already.already_enrolled += 1;
                already.managed_device_ids.push(managed);
            }
            _ => to_walk.push(candidate),
        }
    }
    if to_walk.is_empty() {
        return Ok(already);
    }
    let ids: Vec<Uuid> = to_walk.iter().map(|c| c.id).collect();
    let pages = applicable_enrollment_status_pages(&mut *connection, tenant, &ids).await?;
    let mut page_ids: Vec<Uuid> = pages.values().copied().collect();
    page_ids.sort_unstable();
    page_ids.dedup();
    let page_rows: Vec<(Uuid, Option<String>, i32)> = sqlx::query_as(
        "SELECT id, display_name, install_progress_timeout_in_minutes \
         FROM device_enrollment_configurations WHERE tenant_id = $1 AND id = ANY($2)",
    )
    .bind(tenant.0)
    .bind(&page_ids)
    .fetch_all(&mut *connection)
    .await?;
    let esp_pages: HashMap<Uuid, (Option<String>, u32)> = page_rows
        .into_iter()
        .map(|(id, name, timeout)| {
            let timeout = u32::try_from(timeout)
                .ok()
                .filter(|&t| t > 0)
                .unwrap_or(DEFAULT_ESP_TIMEOUT_MINUTES);
            (id, (name, timeout))
        })
        .collect();
    let mut random = || Uuid::new_v4().as_u64_pair().0;
    let mut planned = Vec::with_capacity(to_walk.len());
    for candidate in to_walk {
        let deployment = match &candidate.profile_type {
            Some(odata_type) => Deployment::of_profile(
                odata_type,
                candidate.usage_type.as_deref(),
                candidate.name_template.as_deref(),
            ),
            None => Deployment::WITHOUT_PROFILE,
        };
        let esp = pages.get(&candidate.id).copied();
        let timeout = esp
            .and_then(|page| esp_pages.get(&page))
            .map_or(DEFAULT_ESP_TIMEOUT_MINUTES, |(_, timeout)| *timeout);
        let walk = run
            .walk(&deployment, timeout)
            .map_err(
                |WalkRefused::NoAccountSetup| EnrollmentRefused::NoAccountSetup {
                    serial_number: candidate.serial_number.clone(),
                },
            )?;
        let name = device_name(
            deployment.name_template.as_deref(),
            &candidate.serial_number,
            &mut random,
        );
        let managed_device = walk.enrolled.then(Uuid::new_v4);
        planned.push(Planned {
            identity: Some(candidate.id),
            directory_device: candidate.directory_device,
            entra_device_id: candidate.entra_device_id.unwrap_or_default(),
            serial_number: candidate.serial_number,
            manufacturer: candidate.manufacturer,
            model: candidate.model,
            personal: false,
            name,
            deployment,
            with_profile: candidate.profile_type.is_some(),
            profile_name: candidate.profile_name,
            esp,
            walk,
            outcome: run.outcome,
            managed_device,
            joined: None,
            corporate_identifier: None,
        });
    }
    let walked = record(connection, tenant, planned, &esp_pages).await?;
    already.enrolled = walked.enrolled;
    already.failed = walked.failed;
    already.managed_device_ids.extend(walked.managed_device_ids);
    Ok(already)
}

/// Writes what the walks of `planned` did, an identity's or device preparation's alike: managed
/// devices, identities, Entra device objects (and the groups device preparation joins them to),
/// corporate identifiers, Autopilot events and the counts by outcome.
async fn record(
    connection: &mut PgConnection,
    tenant: Tenant,
    planned: Vec<Planned>,
    esp_pages: &HashMap<Uuid, (Option<String>, u32)>,
) -> Result<Enrolled, EnrollmentRefused> {
    write_managed_devices(&mut *connection, tenant, &planned).await?;
    write_identities(&mut *connection, tenant, &planned).await?;
    write_joined_devices(&mut *connection, tenant, &planned).await?;
    write_directory_devices(&mut *connection, tenant, &planned).await?;
    write_corporate_identifiers(&mut *connection, tenant, &planned).await?;
    write_events(&mut *connection, tenant, &planned, esp_pages).await?;
    let mut counts: HashMap<&'static str, i64> = HashMap::new();
    for plan in &planned {
        *counts.entry(plan.outcome.label()).or_default() += 1;
    }
    for (outcome, total) in counts {
        sqlx::query(
            "INSERT INTO simulated_enrollment_counts (tenant_id, outcome, total) \
             VALUES ($1, $2, $3) ON CONFLICT (tenant_id, outcome) \
             DO UPDATE SET total = simulated_enrollment_counts.total + excluded.total",
        )
        .bind(tenant.0)
        .bind(outcome)
        .bind(total)
        .execute(&mut *connection)
        .await?;
    }
    let mut answer = Enrolled::default();
    for plan in &planned {
        if let Some(managed) = plan.managed_device {
            answer.enrolled += 1;
            answer.managed_device_ids.push(managed);
        }
        if !plan.walk.succeeded {
            answer.failed += 1;
        }
    }
    Ok(answer)
}

/// Seconds from the start of the deployment to the end of device preparation, when the device
/// joined and enrolled.
fn preparation_seconds(walk: &Walk) -> f64 {
    f64::from(walk.phase(Phase::DevicePreparation).seconds)
}

/// The managed devices of the devices that enrolled, named from their template, with their
/// hardware and the Entra device id of their device object. A device whose identity names no
/// manufacturer or model gets the simulation's (the managed device table's defaults).
async fn write_managed_devices(
    connection: &mut PgConnection,
    tenant: Tenant,
    planned: &[Planned],
) -> Result<(), sqlx::Error> {
    let enrolled: Vec<&Planned> = planned
        .iter()
        .filter(|p| p.managed_device.is_some())
        .collect();
    if enrolled.is_empty() {
        return Ok(());
    }
    let column = |f: &dyn Fn(&Planned) -> String| enrolled.iter().map(|p| f(p)).collect::<Vec<_>>();
    let ids: Vec<Uuid> = enrolled.iter().filter_map(|p| p.managed_device).collect();
    let since_enrolled: Vec<f64> = enrolled
        .iter()
        .map(|p| f64::from(p.walk.total_seconds()) - preparation_seconds(&p.walk))
        .collect();
    sqlx::query(
        "INSERT INTO managed_devices (tenant_id, id, device_name, serial_number, \
             azure_ad_device_id, user_principal_name, email_address, \
             enrolled_by_user_principal_name, manufacturer, model, join_type, \
             device_enrollment_type, enrollment_profile_name, managed_device_name, \
             enrolled_date_time, last_sync_date_time, os_version, compliance_state, \
             managed_device_owner_type, owner_type) \
         SELECT $1, n.id, n.name, n.serial, n.entra_device_id, n.upn, n.upn, n.upn, \
             coalesce(nullif(n.manufacturer, ''), 'Microsoft Corporation'), \
             coalesce(nullif(n.model, ''), 'Virtual Machine'), n.join_type, n.enrollment_type, \
             n.profile_name, n.managed_name, now() - make_interval(secs => n.since_enrolled), \
             now(), $12, CASE WHEN n.succeeded THEN 'compliant' ELSE 'noncompliant' END, \
             n.owner, n.owner \
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
                     $8::text[], $9::float8[], $10::bool[], $11::text[], $13::text[], \
                     $14::text[], $15::text[], $16::text[]) \
             AS n(id, name, upn, join_type, enrollment_type, profile_name, managed_name, \
                  since_enrolled, succeeded, serial, entra_device_id, manufacturer, model, owner)",
    )
    .bind(tenant.0)
    .bind(&ids)
    .bind(column(&|p| p.name.clone()))
    .bind(column(&|p| {
        p.walk.user_principal_name.clone().unwrap_or_default()
    }))
    .bind(column(&|p| p.deployment.join_type().to_owned()))
    .bind(column(&|p| {
        p.deployment.device_enrollment_type().to_owned()
    }))
    .bind(column(&|p| p.profile_name.clone().unwrap_or_default()))
    .bind(column(&|p| managed_device_name(p)))
    .bind(&since_enrolled)
    .bind(
        enrolled
            .iter()
            .map(|p| p.walk.succeeded)
            .collect::<Vec<_>>(),
    )
    .bind(column(&|p| p.serial_number.clone()))
    .bind(OS_VERSION)
    .bind(column(&|p| p.entra_device_id.clone()))
    .bind(column(&|p| p.manufacturer.clone().unwrap_or_default()))
    .bind(column(&|p| p.model.clone().unwrap_or_default()))
    .bind(column(&|p| {
        if p.personal { "personal" } else { "company" }.to_owned()
    }))
    .execute(connection)
    .await?;
    Ok(())
}

/// Intune's `managedDeviceName`: the user's name (empty for a device without one), the platform
/// and the enrollment's date and time.
fn managed_device_name(plan: &Planned) -> String {
    let user = plan
        .walk
        .user_principal_name
        .as_deref()
        .and_then(|upn| upn.split('@').next())
        .unwrap_or_default();
    let enrolled = chrono::Utc::now();
    format!("{user}_Windows_{}", enrolled.format("%-m/%-d/%Y_%-I:%M %p"))
}

/// The identities: `enrolled` with their managed device, or `failed`; contacted now; the user
/// who signed in, when one did.
async fn write_identities(
    connection: &mut PgConnection,
    tenant: Tenant,
    planned: &[Planned],
) -> Result<(), sqlx::Error> {
    let planned: Vec<&Planned> = planned.iter().filter(|p| p.identity.is_some()).collect();
    if planned.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE device_identities d SET enrollment_state = n.state, \
             managed_device_id = coalesce(n.managed::text, d.managed_device_id), \
             user_principal_name = coalesce(n.upn, d.user_principal_name), \
             last_contacted_date_time = now(), updated_at = now() \
         FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::text[]) AS n(id, state, managed, upn) \
         WHERE d.tenant_id = $1 AND d.id = n.id",
    )
    .bind(tenant.0)
    .bind(
        planned
            .iter()
            .filter_map(|p| p.identity)
            .collect::<Vec<_>>(),
    )
    .bind(
        planned
            .iter()
            .map(|p| {
                if p.walk.enrolled {
                    "enrolled"
                } else {
                    "failed"
                }
            })
            .collect::<Vec<_>>(),
    )
    .bind(planned.iter().map(|p| p.managed_device).collect::<Vec<_>>())
    .bind(
        planned
            .iter()
            .map(|p| p.walk.user_principal_name.clone())
            .collect::<Vec<_>>(),
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// The Entra device objects of the devices that enrolled: joined (`trustType`), managed and
/// compliant as Intune reports them, named as the device is, registered and signed in to now.
async fn write_directory_devices(
    connection: &mut PgConnection,
    tenant: Tenant,
    planned: &[Planned],
) -> Result<(), sqlx::Error> {
    let enrolled: Vec<&Planned> = planned
        .iter()
        .filter(|p| p.walk.enrolled && p.directory_device.is_some())
        .collect();
    if enrolled.is_empty() {
        return Ok(());
    }
    // The registration times are worked out here from the transaction's time: Citus refuses an
    // UPDATE that calls a STABLE function such as now() on a column's value.
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *connection)
        .await?;
    sqlx::query(
        "UPDATE directory_devices v SET trust_type = n.trust_type, is_managed = true, \
             is_compliant = n.succeeded, display_name = n.name, enrollment_type = n.enrollment_type, \
             operating_system_version = $6, registration_date_time = n.registered, \
             approximate_last_sign_in_date_time = now(), updated_at = now() \
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $7::bool[], $8::text[]) \
             AS n(id, trust_type, name, registered, succeeded, enrollment_type) \
         WHERE v.tenant_id = $1 AND v.id = n.id",
    )
    .bind(tenant.0)
    .bind(
        enrolled
            .iter()
            .filter_map(|p| p.directory_device)
            .collect::<Vec<_>>(),
    )
    .bind(
        enrolled
            .iter()
            .map(|p| p.deployment.join.trust_type())
            .collect::<Vec<_>>(),
    )
    .bind(enrolled.iter().map(|p| p.name.clone()).collect::<Vec<_>>())
    .bind(
        enrolled
            .iter()
            .map(|p| {
                let since_joined = f64::from(p.walk.total_seconds()) - preparation_seconds(&p.walk);
                now - TimeDelta::milliseconds((since_joined * 1000.0) as i64)
            })
            .collect::<Vec<_>>(),
    )
    .bind(OS_VERSION)
    .bind(enrolled.iter().map(|p| p.walk.succeeded).collect::<Vec<_>>())
    .bind(
        enrolled
            .iter()
            .map(|p| p.deployment.directory_enrollment_type())
            .collect::<Vec<_>>(),
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// The Entra device objects device preparation's join creates (the shared update then makes them
/// joined and managed), and the enrollment-time device group each joins, as Intune adds it there
/// when the device enrolls (a group deleted since the policy named it is joined by none).
async fn write_joined_devices(
    connection: &mut PgConnection,
    tenant: Tenant,
    planned: &[Planned],
) -> Result<(), sqlx::Error> {
    for plan in planned {
        let (Some(joined), Some(device)) = (&plan.joined, plan.directory_device) else {
            continue;
        };
        sqlx::query(
            "INSERT INTO directory_devices (tenant_id, id, device_id, device_ownership, \
                 display_name, manufacturer, model, device_physical_ids, profile_type) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'RegisteredDevice')",
        )
        .bind(tenant.0)
        .bind(device)
        .bind(&plan.entra_device_id)
        .bind(if plan.personal { "Personal" } else { "Company" })
        .bind(&plan.name)
        .bind(&plan.manufacturer)
        .bind(&plan.model)
        .bind(&joined.physical_ids)
        .execute(&mut *connection)
        .await?;
        if let Some(group) = joined.group {
            sqlx::query(
                "INSERT INTO directory_group_members (tenant_id, group_id, device_object_id) \
                 SELECT tenant_id, id, $3 FROM directory_groups WHERE tenant_id = $1 AND id = $2 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(tenant.0)
            .bind(group)
            .bind(device)
            .execute(&mut *connection)
            .await?;
        }
    }
    Ok(())
}

/// The corporate identifiers of the devices walked: `enrolled` or `failed`, in contact now.
async fn write_corporate_identifiers(
    connection: &mut PgConnection,
    tenant: Tenant,
    planned: &[Planned],
) -> Result<(), sqlx::Error> {
    // Only device preparation names one: an Autopilot identity's walk asks nothing more.
    if planned
        .iter()
        .all(|plan| plan.corporate_identifier.is_none())
    {
        return Ok(());
    }
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *connection)
        .await?;
    for plan in planned {
        if let Some(identifier) = plan.corporate_identifier {
            let state = if plan.walk.enrolled {
                IdentifierEnrollment::Enrolled
            } else {
                IdentifierEnrollment::Failed
            };
            record_identifier_enrollment(&mut *connection, tenant, identifier, state, now).await?;
        }
    }
    Ok(())
}

/// One Autopilot event per device walked: its phases' statuses and durations, the deployment's
/// times (it ends now), the profile and Enrollment Status Page that drove it.
async fn write_events(
    connection: &mut PgConnection,
    tenant: Tenant,
    planned: &[Planned],
    esp_pages: &HashMap<Uuid, (Option<String>, u32)>,
) -> Result<(), sqlx::Error> {
    let texts = |f: &dyn Fn(&Planned) -> Option<String>| planned.iter().map(f).collect::<Vec<_>>();
    let seconds = |f: &dyn Fn(&Walk) -> u32| {
        planned
            .iter()
            .map(|p| f64::from(f(&p.walk)))
            .collect::<Vec<_>>()
    };
    let phase = |phase: Phase| {
        planned
            .iter()
            .map(|p| p.walk.phase(phase).state.name())
            .collect::<Vec<_>>()
    };
    sqlx::query(
        "INSERT INTO autopilot_events (tenant_id, id, device_id, event_date_time, \
             device_registered_date_time, enrollment_start_date_time, enrollment_type, \
             device_serial_number, managed_device_name, user_principal_name, \
             windows_autopilot_deployment_profile_display_name, enrollment_state, \
             windows10_enrollment_completion_page_configuration_id, \
             windows10_enrollment_completion_page_configuration_display_name, deployment_state, \
             device_setup_status, account_setup_status, os_version, deployment_duration, \
             deployment_total_duration, device_setup_duration, account_setup_duration, \
             deployment_start_date_time, deployment_end_date_time, enrollment_failure_details) \
         SELECT $1, gen_random_uuid(), n.device_id, now(), \
             now() - make_interval(secs => n.total - n.preparation), \
             now() - make_interval(secs => n.total), n.enrollment_type, n.serial, n.name, n.upn, \
             n.profile_name, n.enrollment_state, n.esp_id, n.esp_name, n.deployment_state, \
             n.device_setup_status, n.account_setup_status, $2, \
             make_interval(secs => n.total - n.preparation), make_interval(secs => n.total), \
             make_interval(secs => n.device_setup), make_interval(secs => n.account_setup), \
             now() - make_interval(secs => n.total - n.preparation), now(), n.failure \
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
                     $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], \
                     $14::text[], $15::float8[], $16::float8[], $17::float8[], $18::float8[], \
                     $19::text[]) \
             AS n(device_id, enrollment_type, serial, name, upn, profile_name, \
                  enrollment_state, esp_id, esp_name, deployment_state, device_setup_status, \
                  account_setup_status, total, preparation, device_setup, account_setup, failure)",
    )
    .bind(tenant.0)
    .bind(OS_VERSION)
    .bind(texts(&|p| p.managed_device.map(|id| id.to_string())))
    .bind(texts(&|p| {
        Some(p.deployment.enrollment_type(p.with_profile).to_owned())
    }))
    .bind(texts(&|p| Some(p.serial_number.clone())))
    .bind(texts(&|p| Some(p.name.clone())))
    .bind(texts(&|p| p.walk.user_principal_name.clone()))
    .bind(texts(&|p| p.profile_name.clone()))
    .bind(texts(&|p| {
        Some(
            if p.walk.enrolled {
                "enrolled"
            } else {
                "failed"
            }
            .to_owned(),
        )
    }))
    .bind(texts(&|p| p.esp.map(|id| id.to_string())))
    .bind(texts(&|p| {
        p.esp
            .and_then(|id| esp_pages.get(&id))
            .and_then(|(name, _)| name.clone())
    }))
    .bind(texts(&|p| {
        Some(
            if p.walk.succeeded {
                "success"
            } else {
                "failure"
            }
            .to_owned(),
        )
    }))
    .bind(phase(Phase::DeviceSetup))
    .bind(phase(Phase::AccountSetup))
    .bind(seconds(&Walk::total_seconds))
    .bind(seconds(&|w| w.phase(Phase::DevicePreparation).seconds))
    .bind(seconds(&|w| w.phase(Phase::DeviceSetup).seconds))
    .bind(seconds(&|w| w.phase(Phase::AccountSetup).seconds))
    .bind(texts(&|p| p.walk.failure_details.clone()))
    .execute(connection)
    .await?;
    Ok(())
}
