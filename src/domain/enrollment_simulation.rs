//! Simulated enrollment: what Windows Autopilot does to a registered device when it goes through
//! the out-of-box experience, and what Windows Autopilot device preparation does to any other
//! Windows device a user signs in to, since no device ever enrolls here. The request the control
//! plane takes (which devices, which user, what goes wrong and where, how long each phase takes),
//! the deployment a device's effective profile or device preparation policy gives it (user-driven
//! or self-deploying, Entra or hybrid join, its name) and the phases it goes through, each with a
//! status and a duration. The store writes what this decides.

use serde::Deserialize;

use super::configuration_policy::{AUTOMATIC, DevicePreparationSettings, Template};
use super::corporate_identifier::CorporateIdentifier;

/// The most characters of a Windows computer name (NetBIOS), which Intune's name template rules
/// hold a template's result to.
pub const MAX_DEVICE_NAME_CHARS: usize = 15;
/// The most digits `%RAND:n%` takes: a name is at most 15 characters.
const MAX_RANDOM_DIGITS: usize = MAX_DEVICE_NAME_CHARS;
/// The longest a phase may be said to take (a day): durations are written as intervals and summed.
pub const MAX_PHASE_SECONDS: u32 = 86_400;
/// The longest user principal name Entra ID takes.
const MAX_UPN_CHARS: usize = 113;

/// The phases the Enrollment Status Page tracks, in the order a device goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    /// Entra join and MDM enrollment: the device is a managed device once it completes.
    DevicePreparation,
    /// Device-targeted policies, certificates and apps.
    DeviceSetup,
    /// The user's policies and apps; only a deployment with a user has it.
    AccountSetup,
}

impl Phase {
    pub const ALL: [Phase; 3] = [
        Phase::DevicePreparation,
        Phase::DeviceSetup,
        Phase::AccountSetup,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Phase::DevicePreparation => "devicePreparation",
            Phase::DeviceSetup => "deviceSetup",
            Phase::AccountSetup => "accountSetup",
        }
    }

    /// How long the phase takes when the request does not say: the typical times of a device with
    /// a handful of apps.
    const fn default_seconds(self) -> u32 {
        match self {
            Phase::DevicePreparation => 120,
            Phase::DeviceSetup => 420,
            Phase::AccountSetup => 300,
        }
    }
}

/// How an enrollment ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The Enrollment Status Page's `installProgressTimeoutInMinutes` runs out while it prepares
    /// the device, before MDM enrollment completes.
    EspTimeout,
    /// The phase fails (an app or policy that does not install, a join that is refused).
    Failure(Phase),
}

impl Outcome {
    /// The label enrollments are counted by.
    pub const fn label(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::EspTimeout => "espTimeout",
            Outcome::Failure(_) => "failure",
        }
    }
}

/// Which devices one request enrolls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The Autopilot identity with this serial number (compared case-insensitively).
    SerialNumber(String),
    /// Every Autopilot identity with this group tag.
    GroupTag(String),
    /// A Windows device named by its hardware, with the user who signs in: the Autopilot identity
    /// with its serial number when there is one (the profile wins, as on Windows), else the device
    /// preparation policy of the user's groups drives it.
    Device(NamedDevice),
}

/// A Windows device named by manufacturer, model and serial number, checked as a
/// manufacturerModelSerial corporate identifier is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedDevice {
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
}

impl NamedDevice {
    /// The manufacturerModelSerial corporate identifier that names it.
    pub fn identifier(&self) -> CorporateIdentifier {
        CorporateIdentifier::ManufacturerModelSerial {
            manufacturer: self.manufacturer.clone(),
            model: self.model.clone(),
            serial_number: self.serial_number.clone(),
        }
    }
}

/// A simulated enrollment, checked: the devices it takes and how their deployment goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub selection: Selection,
    pub run: Run,
}

/// How the deployment of every device of one enrollment goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub user_principal_name: Option<String>,
    pub outcome: Outcome,
    /// Seconds each phase takes, in [`Phase::ALL`]'s order.
    pub phase_seconds: [u32; 3],
}

impl Run {
    /// What `--auto-enroll-after` does to a due device: a successful deployment with the usual
    /// phase durations and no user named.
    pub const AUTOMATIC: Run = Run {
        user_principal_name: None,
        outcome: Outcome::Success,
        phase_seconds: [
            Phase::DevicePreparation.default_seconds(),
            Phase::DeviceSetup.default_seconds(),
            Phase::AccountSetup.default_seconds(),
        ],
    };
}

/// The body of `POST /_control/tenants/{tenant}/enrollments`, as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnrollmentBody {
    serial_number: Option<String>,
    manufacturer: Option<String>,
    model: Option<String>,
    group_tag: Option<String>,
    user_principal_name: Option<String>,
    outcome: Option<String>,
    phase: Option<Phase>,
    phase_durations_seconds: Option<PhaseDurations>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PhaseDurations {
    device_preparation: Option<u32>,
    device_setup: Option<u32>,
    account_setup: Option<u32>,
}

impl EnrollmentBody {
    /// The enrollment the body asks for, or why it is not one.
    pub fn check(self) -> Result<Enrollment, String> {
        let selection = match (self.serial_number, self.group_tag) {
            (_, Some(_)) if self.manufacturer.is_some() || self.model.is_some() => {
                return Err("Name the devices by groupTag or by their hardware, not both.".into());
            }
            (serial, None) if self.manufacturer.is_some() || self.model.is_some() => {
                let (Some(manufacturer), Some(model), Some(serial)) =
                    (&self.manufacturer, &self.model, &serial)
                else {
                    return Err("A device that is named by its hardware needs all of \
                                manufacturer, model and serialNumber."
                        .into());
                };
                if self.user_principal_name.is_none() {
                    return Err(
                        "A device named by manufacturer, model and serialNumber needs \
                                the userPrincipalName of the user who signs in to it."
                            .into(),
                    );
                }
                match CorporateIdentifier::of_windows_device(manufacturer, model, serial)? {
                    CorporateIdentifier::ManufacturerModelSerial {
                        manufacturer,
                        model,
                        serial_number,
                    } => Selection::Device(NamedDevice {
                        manufacturer,
                        model,
                        serial_number,
                    }),
                    _ => unreachable!("a Windows device's identifier is manufacturerModelSerial"),
                }
            }
            (Some(serial), None) if !serial.trim().is_empty() => Selection::SerialNumber(serial),
            (None, Some(tag)) if !tag.trim().is_empty() => Selection::GroupTag(tag),
            (Some(_), Some(_)) => {
                return Err("Name the devices by serialNumber or by groupTag, not both.".into());
            }
            _ => {
                return Err(
                    "Name the devices to enroll: serialNumber (one device) or groupTag (every \
                     Autopilot device with that tag), not empty."
                        .into(),
                );
            }
        };
        if let Some(upn) = &self.user_principal_name {
            let (name, domain) = upn.split_once('@').unwrap_or_default();
            if name.is_empty()
                || domain.is_empty()
                || domain.contains('@')
                || upn.chars().count() > MAX_UPN_CHARS
                || upn.chars().any(char::is_whitespace)
            {
                return Err(format!(
                    "userPrincipalName '{upn}' is not a user principal name (name@domain, at \
                     most {MAX_UPN_CHARS} characters, no spaces)."
                ));
            }
        }
        let outcome = match (self.outcome.as_deref().unwrap_or("success"), self.phase) {
            ("success", None) => Outcome::Success,
            ("espTimeout", None) => Outcome::EspTimeout,
            ("failure", Some(phase)) => Outcome::Failure(phase),
            ("failure", None) => {
                return Err(
                    "outcome 'failure' needs the phase that fails: devicePreparation, \
                            deviceSetup or accountSetup."
                        .into(),
                );
            }
            ("success" | "espTimeout", Some(_)) => {
                return Err(
                    "phase names where a 'failure' happens; other outcomes take none.".into(),
                );
            }
            (other, _) => {
                return Err(format!(
                    "outcome '{other}' is not one of success, espTimeout, failure."
                ));
            }
        };
        let mut phase_seconds = Phase::ALL.map(Phase::default_seconds);
        if let Some(given) = self.phase_durations_seconds {
            let given = [
                given.device_preparation,
                given.device_setup,
                given.account_setup,
            ];
            for ((seconds, given), phase) in phase_seconds.iter_mut().zip(given).zip(Phase::ALL) {
                match given {
                    Some(s) if s > MAX_PHASE_SECONDS => {
                        return Err(format!(
                            "phaseDurationsSeconds.{} is 0 to {MAX_PHASE_SECONDS}.",
                            phase.name()
                        ));
                    }
                    Some(s) => *seconds = s,
                    None => {}
                }
            }
        }
        Ok(Enrollment {
            selection,
            run: Run {
                user_principal_name: self.user_principal_name,
                outcome,
                phase_seconds,
            },
        })
    }
}

/// Who is at the device while it deploys, as the profile's `outOfBoxExperienceSetting` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentMode {
    /// `deviceUsageType` `singleUser`: a user signs in during the out-of-box experience.
    UserDriven,
    /// `deviceUsageType` `shared`: the device deploys alone, with no user and no account setup.
    SelfDeploying,
}

/// How the device joins the directory, as the profile's type says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    /// `azureADWindowsAutopilotDeploymentProfile`: Entra join (`trustType` `AzureAd`).
    Entra,
    /// `activeDirectoryWindowsAutopilotDeploymentProfile`: hybrid join (`trustType` `ServerAd`).
    Hybrid,
}

impl JoinType {
    /// The device object's `trustType` once joined.
    pub const fn trust_type(self) -> &'static str {
        match self {
            JoinType::Entra => "AzureAd",
            JoinType::Hybrid => "ServerAd",
        }
    }
}

/// What a device's effective deployment profile says about its deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub mode: DeploymentMode,
    pub join: JoinType,
    /// The profile's `deviceNameTemplate`, when it applies one.
    pub name_template: Option<String>,
    /// The device preparation policy's custom error message, which the user sees when the
    /// deployment fails or times out.
    pub error_message: Option<String>,
}

impl Deployment {
    /// What a device without an Autopilot profile does: Windows' own out-of-box experience, where
    /// the user signs in with a work account, which joins Entra ID and enrolls in Intune
    /// automatically; Windows names the device itself.
    pub const WITHOUT_PROFILE: Deployment = Deployment {
        mode: DeploymentMode::UserDriven,
        join: JoinType::Entra,
        name_template: None,
        error_message: None,
    };

    /// The deployment of a profile of concrete type `odata_type`, with `deviceUsageType`
    /// `usage` and `deviceNameTemplate` `template`. Self-deploying mode only joins Entra ID, so a
    /// hybrid profile deploys user-driven whatever its usage type; a hybrid-joined device is named
    /// by the domain join configuration, not the Autopilot profile's template.
    pub fn of_profile(odata_type: &str, usage: Option<&str>, template: Option<&str>) -> Deployment {
        let join = if odata_type == super::deployment_profile::ACTIVE_DIRECTORY {
            JoinType::Hybrid
        } else {
            JoinType::Entra
        };
        let mode = match (join, usage) {
            (JoinType::Entra, Some("shared")) => DeploymentMode::SelfDeploying,
            _ => DeploymentMode::UserDriven,
        };
        let name_template = match join {
            JoinType::Entra => template
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            JoinType::Hybrid => None,
        };
        Deployment {
            mode,
            join,
            name_template,
            error_message: None,
        }
    }

    /// The deployment of a device preparation policy of `template` with `settings`: it joins
    /// Entra ID only (device preparation joins nothing else), self-deploying for the automatic
    /// template or a self-deploying deployment type, else user-driven; Windows names the device
    /// (a policy has no name template); the policy's custom error message goes with a failure.
    pub fn of_device_preparation(
        template: &Template,
        settings: &DevicePreparationSettings,
    ) -> Deployment {
        let mode = if template.id == AUTOMATIC.id || settings.deployment_type == Some(1) {
            DeploymentMode::SelfDeploying
        } else {
            DeploymentMode::UserDriven
        };
        Deployment {
            mode,
            join: JoinType::Entra,
            name_template: None,
            error_message: settings
                .error_message
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned),
        }
    }

    /// The event's `enrollmentType` (`windowsAutopilotEnrollmentType`): how the device joined and
    /// whether an Autopilot profile drove it. The type has no member for a user-driven join
    /// without a profile (Windows' own setup, or device preparation): `unknown`.
    pub fn enrollment_type(&self, with_profile: bool) -> &'static str {
        match (with_profile, self.join, self.mode) {
            (false, JoinType::Entra, DeploymentMode::SelfDeploying) => {
                "azureADJoinedUsingDeviceAuthWithoutAutopilotProfile"
            }
            (false, _, _) => "unknown",
            (true, JoinType::Hybrid, _) => "offlineDomainJoined",
            (true, JoinType::Entra, DeploymentMode::UserDriven) => {
                "azureADJoinedWithAutopilotProfile"
            }
            (true, JoinType::Entra, DeploymentMode::SelfDeploying) => {
                "azureADJoinedUsingDeviceAuthWithAutopilotProfile"
            }
        }
    }

    /// The managed device's `deviceEnrollmentType`.
    pub const fn device_enrollment_type(&self) -> &'static str {
        match (self.join, self.mode) {
            (JoinType::Hybrid, _) => "windowsAutoEnrollment",
            (JoinType::Entra, DeploymentMode::UserDriven) => "windowsAzureADJoin",
            (JoinType::Entra, DeploymentMode::SelfDeploying) => "windowsAzureADJoinUsingDeviceAuth",
        }
    }

    /// The managed device's `joinType`.
    pub const fn join_type(&self) -> &'static str {
        match self.join {
            JoinType::Entra => "azureADJoined",
            JoinType::Hybrid => "hybridAzureADJoined",
        }
    }

    /// The Entra device object's `enrollmentType` once the device enrolled.
    pub const fn directory_enrollment_type(&self) -> &'static str {
        match (self.join, self.mode) {
            (JoinType::Hybrid, _) => "AutoEnrollment",
            (JoinType::Entra, DeploymentMode::UserDriven) => "AzureDomainJoined",
            (JoinType::Entra, DeploymentMode::SelfDeploying) => "AzureADJoinUsingDeviceAuth",
        }
    }

    /// The phases the Enrollment Status Page shows this deployment.
    pub fn has_phase(&self, phase: Phase) -> bool {
        phase != Phase::AccountSetup || self.mode == DeploymentMode::UserDriven
    }
}

/// The status of one phase, as `autopilotEvents` reports it (a member of
/// `windowsAutopilotDeploymentState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseState {
    Success,
    /// It failed, or the Enrollment Status Page's timeout ran out in it.
    Failure,
    /// Never reached (an earlier phase failed), or not in the deployment (account setup of a
    /// self-deploying device).
    NotAttempted,
}

impl PhaseState {
    pub const fn name(self) -> &'static str {
        match self {
            PhaseState::Success => "success",
            PhaseState::Failure => "failure",
            PhaseState::NotAttempted => "notAttempted",
        }
    }
}

/// One phase as it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseRun {
    pub phase: Phase,
    pub state: PhaseState,
    /// Seconds it took; 0 when it did not run.
    pub seconds: u32,
}

/// How one device's deployment went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    pub phases: [PhaseRun; 3],
    /// Whether MDM enrollment completed (device preparation did): the device is an Intune managed
    /// device and its identity `enrolled`, even when a later phase fails, as with Intune.
    pub enrolled: bool,
    /// Whether every phase the deployment has succeeded.
    pub succeeded: bool,
    /// The user signed in, for a user-driven deployment that got to account setup's sign-in.
    pub user_principal_name: Option<String>,
    /// What went wrong, as the event's `enrollmentFailureDetails` says it.
    pub failure_details: Option<String>,
}

impl Walk {
    /// Seconds from the start of the deployment to its end.
    pub fn total_seconds(&self) -> u32 {
        self.phases.iter().map(|p| p.seconds).sum()
    }

    /// The run of `phase`.
    pub fn phase(&self, phase: Phase) -> PhaseRun {
        self.phases[phase as usize]
    }

    /// A deployment Intune refuses as the device enrolls (an enrollment restriction): device
    /// preparation fails at once for `details`, nothing after it is attempted, and the device is
    /// not enrolled.
    pub fn refused(details: String) -> Walk {
        let phases = Phase::ALL.map(|phase| PhaseRun {
            phase,
            state: if phase == Phase::DevicePreparation {
                PhaseState::Failure
            } else {
                PhaseState::NotAttempted
            },
            seconds: 0,
        });
        Walk {
            phases,
            enrolled: false,
            succeeded: false,
            user_principal_name: None,
            failure_details: Some(details),
        }
    }
}

/// Why a device cannot go through the enrollment asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkRefused {
    /// A failure in account setup of a self-deploying device, which has no such phase.
    NoAccountSetup,
}

impl Run {
    /// How the deployment `deployment` goes for one device with this enrollment's outcome, under
    /// an Enrollment Status Page whose timeout is `esp_timeout_minutes`.
    pub fn walk(
        &self,
        deployment: &Deployment,
        esp_timeout_minutes: u32,
    ) -> Result<Walk, WalkRefused> {
        if self.outcome == Outcome::Failure(Phase::AccountSetup)
            && !deployment.has_phase(Phase::AccountSetup)
        {
            return Err(WalkRefused::NoAccountSetup);
        }
        let mut failed = false;
        let phases = Phase::ALL.map(|phase| {
            let seconds = self.phase_seconds[phase as usize];
            let run = |state, seconds| PhaseRun {
                phase,
                state,
                seconds,
            };
            if failed || !deployment.has_phase(phase) {
                run(PhaseState::NotAttempted, 0)
            } else if self.outcome == Outcome::EspTimeout && phase == Phase::DevicePreparation {
                failed = true;
                run(PhaseState::Failure, esp_timeout_minutes.saturating_mul(60))
            } else if self.outcome == Outcome::Failure(phase) {
                failed = true;
                run(PhaseState::Failure, seconds)
            } else {
                run(PhaseState::Success, seconds)
            }
        });
        let enrolled = phases[0].state == PhaseState::Success;
        let user_principal_name = match deployment.mode {
            DeploymentMode::UserDriven if enrolled => self.user_principal_name.clone(),
            _ => None,
        };
        let failure_details = match self.outcome {
            Outcome::Success => None,
            Outcome::EspTimeout => Some(format!(
                "The Enrollment Status Page timed out after {esp_timeout_minutes} minutes in \
                 devicePreparation (0x800705b4)."
            )),
            Outcome::Failure(phase) => Some(format!("{} failed (0x81036502).", phase.name())),
        }
        .map(|details| match &deployment.error_message {
            Some(message) => format!("{details} {message}"),
            None => details,
        });
        Ok(Walk {
            phases,
            enrolled,
            succeeded: !failed,
            user_principal_name,
            failure_details,
        })
    }
}

/// The device's name: its profile's template with `%SERIAL%` and `%RAND:n%` filled in, else the
/// name Windows gives itself (`DESKTOP-` and seven random letters and digits). `random` gives
/// random numbers.
///
/// Intune's rules: at most 15 characters of letters, digits and hyphens. `%SERIAL%` is the serial
/// number's letters and digits, and where the name would run past 15 characters it keeps the
/// serial's last ones (the end of a serial number is what differs between devices of one batch);
/// other text past 15 characters is cut.
pub fn device_name(
    template: Option<&str>,
    serial: &str,
    mut random: impl FnMut() -> u64,
) -> String {
    let Some(template) = template else {
        return format!("DESKTOP-{}", random_characters(7, &mut random));
    };
    // Split into literal text and macros, filling random ones now and the serial once the
    // room left for it is known.
    enum Part {
        Text(String),
        Serial,
    }
    let mut parts = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        let upper = rest.to_ascii_uppercase();
        if upper.starts_with("%SERIAL%") {
            parts.push(Part::Serial);
            rest = &rest["%SERIAL%".len()..];
            continue;
        }
        if let Some(digits) = random_macro(&upper) {
            let (count, length) = digits;
            parts.push(Part::Text(random_digits(count, &mut random)));
            rest = &rest[length..];
            continue;
        }
        let next = rest.chars().next().expect("not empty");
        if next.is_ascii_alphanumeric() || next == '-' {
            parts.push(Part::Text(next.to_string()));
        }
        rest = &rest[next.len_utf8()..];
    }
    let serial: String = serial.chars().filter(char::is_ascii_alphanumeric).collect();
    let serials = parts.iter().filter(|p| matches!(p, Part::Serial)).count();
    let fixed: usize = parts
        .iter()
        .map(|p| match p {
            Part::Text(text) => text.len(),
            Part::Serial => 0,
        })
        .sum();
    let room = MAX_DEVICE_NAME_CHARS.saturating_sub(fixed);
    let per_serial = room.checked_div(serials).unwrap_or(0);
    let kept = &serial[serial.len().saturating_sub(per_serial)..];
    let mut name: String = parts
        .iter()
        .map(|p| match p {
            Part::Text(text) => text.as_str(),
            Part::Serial => kept,
        })
        .collect();
    name.truncate(MAX_DEVICE_NAME_CHARS);
    if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
        // Windows refuses an empty or all-digit name; Intune falls back to its own.
        return format!("DESKTOP-{}", random_characters(7, &mut random));
    }
    name
}

/// `%RAND:n%` at the start of `upper`: the digits it asks for and the macro's length.
fn random_macro(upper: &str) -> Option<(usize, usize)> {
    let inner = upper.strip_prefix("%RAND:")?;
    let end = inner.find('%')?;
    let count: usize = inner[..end].parse().ok()?;
    (1..=MAX_RANDOM_DIGITS)
        .contains(&count)
        .then_some((count, "%RAND:".len() + end + 1))
}

fn random_digits(count: usize, random: &mut impl FnMut() -> u64) -> String {
    (0..count)
        .map(|_| char::from(b'0' + (random() % 10) as u8))
        .collect()
}

fn random_characters(count: usize, random: &mut impl FnMut() -> u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..count)
        .map(|_| char::from(ALPHABET[(random() % ALPHABET.len() as u64) as usize]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: serde_json::Value) -> Result<Enrollment, String> {
        serde_json::from_value::<EnrollmentBody>(value)
            .map_err(|e| e.to_string())?
            .check()
    }

    fn counting() -> impl FnMut() -> u64 {
        let mut n = 0;
        move || {
            n += 1;
            n
        }
    }

    #[test]
    fn a_request_names_its_devices_one_way_and_defaults_to_success() {
        let one = body(json!({"serialNumber": "SN-1"})).unwrap();
        assert_eq!(one.selection, Selection::SerialNumber("SN-1".into()));
        assert_eq!(one.run, Run::AUTOMATIC);
        let tagged =
            body(json!({"groupTag": "Kiosk", "phaseDurationsSeconds": {"deviceSetup": 5}}))
                .unwrap();
        assert_eq!(tagged.selection, Selection::GroupTag("Kiosk".into()));
        assert_eq!(tagged.run.phase_seconds, [120, 5, 300]);
        for refused in [
            json!({}),
            json!({"serialNumber": " "}),
            json!({"serialNumber": "A", "groupTag": "B"}),
            json!({"serialNumber": "A", "outcome": "failure"}),
            json!({"serialNumber": "A", "outcome": "success", "phase": "deviceSetup"}),
            json!({"serialNumber": "A", "outcome": "crash"}),
            json!({"serialNumber": "A", "userPrincipalName": "nobody"}),
            json!({"serialNumber": "A", "userPrincipalName": "a b@contoso.com"}),
            json!({"serialNumber": "A", "phaseDurationsSeconds": {"deviceSetup": 86401}}),
        ] {
            assert!(body(refused.clone()).is_err(), "{refused}");
        }
        // Unknown fields and phases are refused by the shape itself.
        assert!(body(json!({"serialNumber": "A", "serial": "B"})).is_err());
        assert!(body(json!({"serialNumber": "A", "outcome": "failure", "phase": "oobe"})).is_err());
    }

    #[test]
    fn a_device_named_by_its_hardware_needs_all_three_parts_and_its_user() {
        let named = body(json!({"manufacturer": " Contoso ", "model": "Laptop 7",
                                "serialNumber": "CORP-1", "userPrincipalName": "ada@contoso.com"}))
        .unwrap();
        let Selection::Device(device) = &named.selection else {
            panic!("{named:?}");
        };
        assert_eq!(device.manufacturer, "Contoso");
        assert_eq!(
            device.identifier().text(),
            "Contoso,Laptop 7,CORP-1",
            "the corporate identifier that names it"
        );
        for refused in [
            json!({"manufacturer": "C", "serialNumber": "S", "userPrincipalName": "a@b.c"}),
            json!({"manufacturer": "C", "model": "M", "userPrincipalName": "a@b.c"}),
            json!({"manufacturer": "C", "model": "M", "serialNumber": "S"}),
            json!({"manufacturer": "C", "model": "M", "serialNumber": "S.1",
                   "userPrincipalName": "a@b.c"}),
            json!({"manufacturer": "C", "model": "M", "groupTag": "T",
                   "userPrincipalName": "a@b.c"}),
        ] {
            assert!(body(refused.clone()).is_err(), "{refused}");
        }
    }

    #[test]
    fn a_device_preparation_policy_joins_entra_and_says_its_message_on_failure() {
        use crate::domain::configuration_policy::{AUTOMATIC, USER_DRIVEN};
        let settings = DevicePreparationSettings {
            error_message: Some(" Call the help desk. ".into()),
            ..DevicePreparationSettings::default()
        };
        let user_driven = Deployment::of_device_preparation(&USER_DRIVEN, &settings);
        assert_eq!(user_driven.mode, DeploymentMode::UserDriven);
        assert_eq!(user_driven.join, JoinType::Entra);
        assert_eq!(user_driven.enrollment_type(false), "unknown");
        let self_deploying = DevicePreparationSettings {
            deployment_type: Some(1),
            ..settings.clone()
        };
        for deployment in [
            Deployment::of_device_preparation(&USER_DRIVEN, &self_deploying),
            Deployment::of_device_preparation(&AUTOMATIC, &DevicePreparationSettings::default()),
        ] {
            assert_eq!(deployment.mode, DeploymentMode::SelfDeploying);
            assert_eq!(
                deployment.enrollment_type(false),
                "azureADJoinedUsingDeviceAuthWithoutAutopilotProfile"
            );
        }
        let mut run = body(json!({"serialNumber": "A", "outcome": "espTimeout"}))
            .unwrap()
            .run;
        let walk = run.walk(&user_driven, 30).unwrap();
        assert_eq!(
            walk.failure_details.as_deref(),
            Some(
                "The Enrollment Status Page timed out after 30 minutes in devicePreparation \
                 (0x800705b4). Call the help desk."
            )
        );
        run.outcome = Outcome::Success;
        assert_eq!(run.walk(&user_driven, 30).unwrap().failure_details, None);
        let refused = Walk::refused("Enrollment restriction not met".into());
        assert!(!refused.enrolled && !refused.succeeded);
        assert_eq!(
            refused.phase(Phase::DevicePreparation).state,
            PhaseState::Failure
        );
        assert_eq!(refused.total_seconds(), 0);
    }

    #[test]
    fn a_profile_says_how_the_device_deploys() {
        let entra = "microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
        let hybrid = super::super::deployment_profile::ACTIVE_DIRECTORY;
        let kiosk = Deployment::of_profile(entra, Some("shared"), Some("KIOSK-%SERIAL%"));
        assert_eq!(kiosk.mode, DeploymentMode::SelfDeploying);
        assert_eq!(kiosk.join, JoinType::Entra);
        assert_eq!(kiosk.name_template.as_deref(), Some("KIOSK-%SERIAL%"));
        assert!(!kiosk.has_phase(Phase::AccountSetup));
        let office = Deployment::of_profile(hybrid, Some("shared"), Some("PC-%RAND:4%"));
        assert_eq!(office.mode, DeploymentMode::UserDriven);
        assert_eq!(office.join.trust_type(), "ServerAd");
        assert_eq!(office.name_template, None);
        assert_eq!(
            Deployment::of_profile(entra, None, Some(" ")),
            Deployment::WITHOUT_PROFILE
        );
    }

    #[test]
    fn phases_after_a_failure_are_not_attempted_and_enrollment_is_device_preparation() {
        let mut enrollment =
            body(json!({"serialNumber": "A", "userPrincipalName": "u@contoso.com"}))
                .unwrap()
                .run;
        let user_driven = Deployment::WITHOUT_PROFILE;
        let walk = enrollment.walk(&user_driven, 60).unwrap();
        assert!(walk.enrolled && walk.succeeded);
        assert_eq!(walk.total_seconds(), 840);
        assert_eq!(walk.user_principal_name.as_deref(), Some("u@contoso.com"));

        enrollment.outcome = Outcome::EspTimeout;
        let walk = enrollment.walk(&user_driven, 45).unwrap();
        assert!(!walk.enrolled && !walk.succeeded);
        assert_eq!(
            walk.phase(Phase::DevicePreparation).state,
            PhaseState::Failure
        );
        assert!(
            walk.failure_details
                .as_deref()
                .unwrap()
                .contains("45 minutes")
        );
        assert_eq!(walk.phase(Phase::DevicePreparation).seconds, 2700);
        assert_eq!(
            walk.phase(Phase::DeviceSetup).state,
            PhaseState::NotAttempted
        );
        assert_eq!(walk.user_principal_name, None);

        enrollment.outcome = Outcome::Failure(Phase::DeviceSetup);
        let walk = enrollment.walk(&user_driven, 60).unwrap();
        assert!(walk.enrolled && !walk.succeeded);
        assert_eq!(walk.phase(Phase::DeviceSetup).state, PhaseState::Failure);
        assert_eq!(
            walk.phase(Phase::AccountSetup).state,
            PhaseState::NotAttempted
        );
        assert_eq!(walk.total_seconds(), 540);

        let self_deploying = Deployment {
            mode: DeploymentMode::SelfDeploying,
            ..Deployment::WITHOUT_PROFILE
        };
        enrollment.outcome = Outcome::Success;
        let walk = enrollment.walk(&self_deploying, 60).unwrap();
        assert_eq!(
            walk.phase(Phase::AccountSetup).state,
            PhaseState::NotAttempted
        );
        assert!(walk.succeeded);
        assert_eq!(walk.user_principal_name, None);
        enrollment.outcome = Outcome::Failure(Phase::AccountSetup);
        assert_eq!(
            enrollment.walk(&self_deploying, 60),
            Err(WalkRefused::NoAccountSetup)
        );
    }

    #[test]
    fn names_follow_intunes_template_rules() {
        assert_eq!(
            device_name(Some("KIOSK-%SERIAL%"), "ab-12", counting()),
            "KIOSK-ab12"
        );
        // The serial keeps its last characters to fit 15.
        assert_eq!(
            device_name(Some("CONTOSO-%SERIAL%"), "5CG1234567XYZ", counting()),
            "CONTOSO-4567XYZ"
        );
        assert_eq!(device_name(Some("pc-%rand:4%"), "S", counting()), "pc-1234");
        // Characters a computer name cannot hold are dropped, and the rest cut at 15.
        assert_eq!(
            device_name(Some("Front desk_%RAND:3%-LONGER-TEXT"), "S", counting()),
            "Frontdesk123-LO"
        );
        // A macro that is not one stays text, less its percent signs.
        assert_eq!(device_name(Some("A%RAND:99%"), "S", counting()), "ARAND99");
        let default = device_name(None, "S", counting());
        assert!(
            default.starts_with("DESKTOP-") && default.len() == 15,
            "{default}"
        );
        assert!(device_name(Some("%RAND:5%"), "S", counting()).starts_with("DESKTOP-"));
    }
}
