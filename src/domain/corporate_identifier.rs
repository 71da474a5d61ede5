//! Beta's `microsoft.graph.importedDeviceIdentity` as a table: the corporate identifiers a tenant
//! imports so that the devices they name count as corporate-owned when they enroll; the identifier
//! of each type, parsed; and the rule that decides whether a Windows device may enroll when the
//! platform restriction that applies blocks personal devices.

use uuid::Uuid;

use super::device_identity::ENROLLMENT_STATE;
use super::entity::{EntitySet, EnumType, Kind, Property, PropertyValue, Segments, TextLimits};
use super::entity::{UniqueKey, Value};

/// `importedDeviceIdentityType`: what an identifier is. As every enum of this beta-only set, its
/// members are listed as its root's own.
pub static IDENTITY_TYPE: EnumType = EnumType {
    name: "microsoft.graph.importedDeviceIdentityType",
    members: &["unknown", "imei", "serialNumber", "manufacturerModelSerial"],
    beta_members: &[],
};

/// `microsoft.graph.platform`: the platform an identifier is for.
pub static PLATFORM: EnumType = EnumType {
    name: "microsoft.graph.platform",
    members: &[
        "unknown",
        "ios",
        "android",
        "windows",
        "windowsMobile",
        "macOS",
        "visionOS",
        "tvOS",
        "unknownFutureValue",
    ],
    beta_members: &[],
};

/// The most identifiers one `importDeviceIdentityList` or `searchExistingIdentities` takes: the
/// rows Intune takes in one CSV file of corporate identifiers.
pub const MAX_IDENTIFIERS_PER_REQUEST: usize = 5000;
/// The largest body of those actions: Intune's 5 MB per CSV file, with room for the JSON around
/// each identifier.
pub const MAX_IDENTIFIER_LIST_BYTES: usize = 8 * 1024 * 1024;
/// A description ("device details") is at most 128 characters in Intune.
const DESCRIPTION: TextLimits = TextLimits {
    min_chars: 0,
    max_chars: 128,
};

const IDENTIFIER: &str = "importedDeviceIdentifier";
const TYPE: &str = "importedDeviceIdentityType";
const PLATFORM_PROPERTY: &str = "platform";

/// The corporate identifiers of a tenant (beta only).
pub static CORPORATE_IDENTIFIERS: EntitySet = EntitySet {
    type_name: "microsoft.graph.importedDeviceIdentity",
    description: "A corporate identifier: a device named by its IMEI, its serial number, or (for \
                  Windows) its manufacturer, model and serial number, which counts as \
                  corporate-owned when it enrolls. Identifiers are unique in a tenant, compared \
                  case-insensitively.",
    path: "deviceManagement/importedDeviceIdentities",
    beta_only: true,
    table: "corporate_identifiers",
    properties: &[
        Property::key(),
        Property::text(IDENTIFIER, "imported_device_identifier")
            .required()
            .described(
                "An IMEI (14 digits, or 15 with its Luhn check digit), a serial number, or \
                 'manufacturer,model,serialNumber' for a Windows device. Serial numbers hold no \
                 periods.",
            ),
        Property::member(TYPE, "imported_device_identity_type", &IDENTITY_TYPE).required(),
        Property::date_time("lastModifiedDateTime", "last_modified_date_time").read_only(),
        Property::date_time("createdDateTime", "created_date_time").read_only(),
        Property::date_time("lastContactedDateTime", "last_contacted_date_time")
            .read_only()
            .described("When the device last enrolled; 0001-01-01T00:00:00Z until it does."),
        Property::new("description", "description", Kind::String(DESCRIPTION)),
        Property::member("enrollmentState", "enrollment_state", &ENROLLMENT_STATE)
            .read_only()
            .described("notContacted until the device enrolls, then enrolled (or failed)."),
        Property::member(PLATFORM_PROPERTY, "platform", &PLATFORM)
            .described("windows for a manufacturerModelSerial identifier, else as sent."),
    ],
    aliases: &[],
    unique: Some(UniqueKey {
        index: "corporate_identifiers_tenant_identifier_key",
        conflict_target: "(tenant_id, lower(imported_device_identifier))",
        conflict_message: "An importedDeviceIdentity with this importedDeviceIdentifier already \
                           exists in the tenant (identifiers are compared case-insensitively).",
    }),
    internal_columns: &[],
    derived: &[],
    expandable: &[],
    segments: Segments {
        singleton: false,
        collection_actions: &[IMPORT_ACTION, SEARCH_ACTION],
        below_item: &[],
    },
};

/// The collection's actions.
pub const IMPORT_ACTION: &str = "importDeviceIdentityList";
pub const SEARCH_ACTION: &str = "searchExistingIdentities";

/// A corporate identifier, checked against the rules of its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorporateIdentifier {
    /// A Windows device: the only kind of corporate identifier Windows takes.
    ManufacturerModelSerial {
        manufacturer: String,
        model: String,
        serial_number: String,
    },
    SerialNumber(String),
    Imei(String),
}

impl CorporateIdentifier {
    /// The identifier `raw` of the type named `identity_type` (a member of [`IDENTITY_TYPE`]), or
    /// why it is not one.
    pub fn parse(identity_type: &str, raw: &str) -> Result<CorporateIdentifier, String> {
        match identity_type {
            "manufacturerModelSerial" => {
                let parts: Vec<&str> = raw.split(',').collect();
                let [manufacturer, model, serial_number] = parts[..] else {
                    return Err(format!(
                        "A manufacturerModelSerial identifier is 'manufacturer,model,serialNumber' \
                         (three parts separated by commas); '{raw}' has {} part(s).",
                        parts.len()
                    ));
                };
                CorporateIdentifier::of_windows_device(manufacturer, model, serial_number)
            }
            "serialNumber" => serial_number(raw).map(CorporateIdentifier::SerialNumber),
            "imei" => imei(raw).map(CorporateIdentifier::Imei),
            other => Err(format!(
                "The importedDeviceIdentityType '{other}' names no kind of identifier Intune \
                 imports: use manufacturerModelSerial, serialNumber or imei."
            )),
        }
    }

    /// The identifier of a Windows device with this manufacturer, model and serial number.
    pub fn of_windows_device(
        manufacturer: &str,
        model: &str,
        serial: &str,
    ) -> Result<CorporateIdentifier, String> {
        Ok(CorporateIdentifier::ManufacturerModelSerial {
            manufacturer: part("manufacturer", manufacturer)?,
            model: part("model", model)?,
            serial_number: serial_number(serial)?,
        })
    }

    /// Its `importedDeviceIdentityType`.
    pub fn type_name(&self) -> &'static str {
        match self {
            CorporateIdentifier::ManufacturerModelSerial { .. } => "manufacturerModelSerial",
            CorporateIdentifier::SerialNumber(_) => "serialNumber",
            CorporateIdentifier::Imei(_) => "imei",
        }
    }

    /// The text stored and answered: the parts trimmed, joined by commas without spaces.
    pub fn text(&self) -> String {
        match self {
            CorporateIdentifier::ManufacturerModelSerial {
                manufacturer,
                model,
                serial_number,
            } => format!("{manufacturer},{model},{serial_number}"),
            CorporateIdentifier::SerialNumber(text) | CorporateIdentifier::Imei(text) => {
                text.clone()
            }
        }
    }
}

/// A manufacturer or model: not empty, no control character (a comma would be another part).
fn part(name: &str, raw: &str) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(format!(
            "The {name} of a manufacturerModelSerial identifier is empty."
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("The {name} '{text}' holds a control character."));
    }
    Ok(text.to_owned())
}

/// A serial number: not empty, no comma, no period (Intune's rule: "Remove all periods from the
/// serial number"), no control character.
fn serial_number(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("The serial number is empty.".to_owned());
    }
    if let Some(bad) = text
        .chars()
        .find(|c| *c == ',' || *c == '.' || c.is_control())
    {
        return Err(format!(
            "The serial number '{text}' holds '{}': serial numbers hold no commas, periods or \
             control characters (remove periods, as Intune asks).",
            bad.escape_default()
        ));
    }
    Ok(text.to_owned())
}

/// An IMEI (3GPP TS 23.003): 14 digits, or 15 whose last is the Luhn check digit of the others.
fn imei(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    if !text.chars().all(|c| c.is_ascii_digit()) || !(14..=15).contains(&text.len()) {
        return Err(format!(
            "The IMEI '{text}' is not 14 digits, or 15 with its check digit."
        ));
    }
    if text.len() == 15 && !luhn_valid(text) {
        return Err(format!("The IMEI '{text}' has a wrong check digit (Luhn)."));
    }
    Ok(text.to_owned())
}

/// Whether the last digit of `digits` is the Luhn check digit of the others.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match i % 2 {
                1 if d * 2 > 9 => d * 2 - 9,
                1 => d * 2,
                _ => d,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Why a body's identifier cannot be stored: the property at fault and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierProblem {
    pub property: &'static str,
    pub message: String,
}

/// The properties of a new corporate identifier, as read from a body, made what the tenant
/// stores: the identifier checked against its type and written in its one form, and the platform
/// Windows for a manufacturerModelSerial identifier (another platform is refused).
pub fn checked_identifier(
    mut assignments: Vec<PropertyValue>,
) -> Result<Vec<PropertyValue>, IdentifierProblem> {
    let text_of = |assignments: &[PropertyValue], name: &str| {
        assignments
            .iter()
            .find(|a| a.property.name == name)
            .and_then(|a| match &a.value {
                Value::Text(text) => Some(text.clone()),
                _ => None,
            })
    };
    let identity_type = text_of(&assignments, TYPE).unwrap_or_default();
    let raw = text_of(&assignments, IDENTIFIER).unwrap_or_default();
    let identifier =
        CorporateIdentifier::parse(&identity_type, &raw).map_err(|message| IdentifierProblem {
            property: if IDENTITY_TYPE.members[1..].contains(&identity_type.as_str()) {
                IDENTIFIER
            } else {
                TYPE
            },
            message,
        })?;
    let platform = text_of(&assignments, PLATFORM_PROPERTY);
    if let CorporateIdentifier::ManufacturerModelSerial { .. } = identifier {
        match platform.as_deref() {
            None | Some("unknown" | "windows") => {}
            Some(other) => {
                return Err(IdentifierProblem {
                    property: PLATFORM_PROPERTY,
                    message: format!(
                        "A manufacturerModelSerial identifier is for Windows only; the platform \
                         '{other}' is not windows."
                    ),
                });
            }
        }
        assignments.retain(|a| a.property.name != PLATFORM_PROPERTY);
        assignments.push(PropertyValue {
            property: property(PLATFORM_PROPERTY),
            value: Value::Text("windows".to_owned()),
        });
    }
    for assignment in &mut assignments {
        if assignment.property.name == IDENTIFIER {
            assignment.value = Value::Text(identifier.text());
        }
    }
    Ok(assignments)
}

fn property(name: &str) -> &'static Property {
    CORPORATE_IDENTIFIERS
        .property(name)
        .expect("a property of corporate identifiers")
}

/// What the identifier of a search names: its text, and its type when the item says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoughtIdentifier {
    pub text: String,
    pub identity_type: Option<String>,
}

/// The identifier an item of `searchExistingIdentities` names, written as stored (when its type
/// says how) so that it compares as stored ones do.
pub fn sought_identifier(
    assignments: &[PropertyValue],
) -> Result<SoughtIdentifier, IdentifierProblem> {
    let text_of = |name: &str| {
        assignments
            .iter()
            .find(|a| a.property.name == name)
            .and_then(|a| match &a.value {
                Value::Text(text) => Some(text.clone()),
                _ => None,
            })
    };
    let Some(raw) = text_of(IDENTIFIER) else {
        return Err(IdentifierProblem {
            property: IDENTIFIER,
            message: format!("The property '{IDENTIFIER}' is required."),
        });
    };
    match text_of(TYPE).filter(|t| t != "unknown") {
        None => Ok(SoughtIdentifier {
            text: raw.trim().to_owned(),
            identity_type: None,
        }),
        Some(identity_type) => CorporateIdentifier::parse(&identity_type, &raw)
            .map(|identifier| SoughtIdentifier {
                text: identifier.text(),
                identity_type: Some(identity_type),
            })
            .map_err(|message| IdentifierProblem {
                property: IDENTIFIER,
                message,
            }),
    }
}

/// How a corporate identifier's device went through enrollment, as its `enrollmentState` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierEnrollment {
    Enrolled,
    Failed,
}

impl IdentifierEnrollment {
    /// The `enrollmentState` member.
    pub fn state(self) -> &'static str {
        match self {
            IdentifierEnrollment::Enrolled => "enrolled",
            IdentifierEnrollment::Failed => "failed",
        }
    }
}

/// The Windows settings of the platform restriction that applies to an enrollment (of a
/// `deviceEnrollmentPlatformRestrictionsConfiguration`'s `windowsRestriction`, or of a Windows
/// `deviceEnrollmentPlatformRestrictionConfiguration`'s `platformRestriction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowsRestriction {
    /// The restriction's enrollment configuration.
    pub configuration: Uuid,
    pub platform_blocked: bool,
    pub personal_device_enrollment_blocked: bool,
}

/// Why the tenant knows a device as corporate-owned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorporateEvidence {
    /// A registered Windows Autopilot device identity has its serial number.
    AutopilotIdentity(Uuid),
    /// A manufacturerModelSerial corporate identifier names it.
    CorporateIdentifier(Uuid),
}

/// Whose a device that may enroll is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    Corporate(CorporateEvidence),
    Personal,
}

/// Why a Windows device may not enroll: the restriction that refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollmentRefusal {
    /// The restriction blocks Windows altogether.
    PlatformBlocked { configuration: Uuid },
    /// The restriction blocks personal devices, and the tenant does not know this one.
    PersonalDeviceBlocked { configuration: Uuid },
}

impl EnrollmentRefusal {
    /// The error Windows shows (MENROLL_E_DEVICENOTSUPPORTED), whichever restriction refused.
    pub const ERROR_CODE: &'static str = "0x80180014";
    /// What Windows says with it.
    pub const WINDOWS_MESSAGE: &'static str =
        "There was a problem. Your organization does not support this version of Windows.";
    /// Intune's failure reason in its enrollment failures report.
    pub const FAILURE_REASON: &'static str = "Enrollment restriction not met";

    /// The restriction's enrollment configuration.
    pub fn configuration(self) -> Uuid {
        match self {
            EnrollmentRefusal::PlatformBlocked { configuration }
            | EnrollmentRefusal::PersonalDeviceBlocked { configuration } => configuration,
        }
    }

    /// The whole story, as a failure's details say it.
    pub fn details(self) -> String {
        let why = match self {
            EnrollmentRefusal::PlatformBlocked { .. } => "the platform restriction blocks Windows",
            EnrollmentRefusal::PersonalDeviceBlocked { .. } => {
                "the platform restriction blocks personal Windows devices, and no Autopilot \
                 device identity nor manufacturerModelSerial corporate identifier names this one"
            }
        };
        format!(
            "{} ({}): {} (configuration {}). {}",
            Self::FAILURE_REASON,
            Self::ERROR_CODE,
            why,
            self.configuration(),
            Self::WINDOWS_MESSAGE
        )
    }
}

/// Whether a Windows device may enroll under `restriction`, given what makes the tenant know it
/// as corporate (an Autopilot identity first, as Windows takes the Autopilot path when the device
/// is registered): a blocked platform refuses every device; blocked personal devices refuse a
/// device the tenant does not know; otherwise it enrolls, corporate or personal.
pub fn may_windows_device_enroll(
    restriction: WindowsRestriction,
    evidence: Option<CorporateEvidence>,
) -> Result<Ownership, EnrollmentRefusal> {
    let configuration = restriction.configuration;
    if restriction.platform_blocked {
        return Err(EnrollmentRefusal::PlatformBlocked { configuration });
    }
    match evidence {
        Some(evidence) => Ok(Ownership::Corporate(evidence)),
        None if restriction.personal_device_enrollment_blocked => {
            Err(EnrollmentRefusal::PersonalDeviceBlocked { configuration })
        }
        None => Ok(Ownership::Personal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_windows_identifier_is_three_trimmed_parts_and_its_serial_has_no_period() {
        let parsed =
            CorporateIdentifier::parse("manufacturerModelSerial", " Microsoft , Surface 5,SN01 ")
                .unwrap();
        assert_eq!(parsed.text(), "Microsoft,Surface 5,SN01");
        assert_eq!(parsed.type_name(), "manufacturerModelSerial");
        for bad in [
            "Microsoft,Surface 5",
            "a,b,c,d",
            ",m,s",
            "m,,s",
            "m,mo,",
            "m,mo,S.N",
        ] {
            assert!(
                CorporateIdentifier::parse("manufacturerModelSerial", bad).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            CorporateIdentifier::of_windows_device("Lenovo", "ThinkPad T14", "PF12345"),
            CorporateIdentifier::parse("manufacturerModelSerial", "Lenovo,ThinkPad T14,PF12345")
        );
    }

    #[test]
    fn an_imei_is_fourteen_digits_or_fifteen_with_its_luhn_check_digit() {
        assert!(CorporateIdentifier::parse("imei", "49015420323751").is_ok());
        assert!(CorporateIdentifier::parse("imei", "490154203237518").is_ok());
        assert!(CorporateIdentifier::parse("imei", "490154203237519").is_err());
        assert!(CorporateIdentifier::parse("imei", "4901542032375").is_err());
        assert!(CorporateIdentifier::parse("imei", "49015420323751x").is_err());
        assert!(CorporateIdentifier::parse("imei", "4901542032375188").is_err());
    }

    #[test]
    fn serial_numbers_refuse_commas_and_periods_and_unknown_is_no_type() {
        assert!(CorporateIdentifier::parse("serialNumber", "C02XL0GHJGH5").is_ok());
        assert!(CorporateIdentifier::parse("serialNumber", "C02.XL0").is_err());
        assert!(CorporateIdentifier::parse("serialNumber", "a,b").is_err());
        assert!(CorporateIdentifier::parse("serialNumber", "  ").is_err());
        assert!(CorporateIdentifier::parse("unknown", "anything").is_err());
    }

    #[test]
    fn blocked_personal_devices_enroll_only_when_the_tenant_knows_them() {
        let configuration = Uuid::from_u128(7);
        let blocking = WindowsRestriction {
            configuration,
            platform_blocked: false,
            personal_device_enrollment_blocked: true,
        };
        let identifier = CorporateEvidence::CorporateIdentifier(Uuid::from_u128(1));
        let autopilot = CorporateEvidence::AutopilotIdentity(Uuid::from_u128(2));
        assert_eq!(
            may_windows_device_enroll(blocking, None),
            Err(EnrollmentRefusal::PersonalDeviceBlocked { configuration })
        );
        assert_eq!(
            may_windows_device_enroll(blocking, Some(identifier)),
            Ok(Ownership::Corporate(identifier))
        );
        assert_eq!(
            may_windows_device_enroll(blocking, Some(autopilot)),
            Ok(Ownership::Corporate(autopilot))
        );
        let open = WindowsRestriction {
            personal_device_enrollment_blocked: false,
            ..blocking
        };
        assert_eq!(
            may_windows_device_enroll(open, None),
            Ok(Ownership::Personal)
        );
        let closed = WindowsRestriction {
            platform_blocked: true,
            ..open
        };
        assert_eq!(
            may_windows_device_enroll(closed, Some(autopilot)),
            Err(EnrollmentRefusal::PlatformBlocked { configuration })
        );
        assert!(
            EnrollmentRefusal::PersonalDeviceBlocked { configuration }
                .details()
                .contains("0x80180014")
        );
    }
}
