//! What each bound action of windowsAutopilotDeviceIdentity does, as property assignments, and the
//! checks on its parameters.

use crate::domain::ApiVersion;
use crate::domain::device_identity::DEVICE_IDENTITIES;
use crate::domain::device_identity::DeviceAction;
use crate::domain::entity::{Kind, Property, PropertyValue, TEXT, Value};
use crate::graph::entity::{checked_text, parse_object};
use crate::graph::error::{ErrorDetail, GraphError};

/// An action parameter and the property it sets.
struct Parameter {
    name: &'static str,
    property: &'static str,
    required: bool,
    beta_only: bool,
}

const fn parameter(name: &'static str, property: &'static str) -> Parameter {
    Parameter {
        name,
        property,
        required: false,
        beta_only: false,
    }
}

const fn required(parameter: Parameter) -> Parameter {
    Parameter {
        required: true,
        ..parameter
    }
}

const fn beta(parameter: Parameter) -> Parameter {
    Parameter {
        beta_only: true,
        ..parameter
    }
}

const ASSIGN_USER: &[Parameter] = &[
    required(parameter("userPrincipalName", "userPrincipalName")),
    parameter("addressableUserName", "addressableUserName"),
];
const UPDATE_PROPERTIES: &[Parameter] = &[
    parameter("userPrincipalName", "userPrincipalName"),
    parameter("addressableUserName", "addressableUserName"),
    parameter("groupTag", "groupTag"),
    parameter("displayName", "displayName"),
    beta(parameter("deviceAccountUpn", "deviceAccountUpn")),
    beta(parameter("deviceAccountPassword", "deviceAccountPassword")),
    beta(parameter("deviceFriendlyName", "deviceFriendlyName")),
];
const ASSIGN_RESOURCE_ACCOUNT: &[Parameter] = &[
    required(parameter("userPrincipalName", "userPrincipalName")),
    parameter("addressableUserName", "addressableUserName"),
    parameter("resourceAccountName", "resourceName"),
];

/// The device property an action sets, by its wire name.
fn target(name: &str) -> &'static Property {
    DEVICE_IDENTITIES
        .property(name)
        .expect("actions only set properties of the table")
}

impl DeviceAction {
    /// Whether the action reads a JSON body of parameters.
    pub fn takes_parameters(self) -> bool {
        !self.parameters().is_empty()
    }

    /// The parameters the action takes on `version`: each with whether it is required and the
    /// property it sets, whose limits it shares.
    pub fn parameter_names(
        self,
        version: ApiVersion,
    ) -> impl Iterator<Item = (&'static str, bool, &'static Property)> {
        self.parameters()
            .iter()
            .filter(move |p| version == ApiVersion::Beta || !p.beta_only)
            .map(|p| (p.name, p.required, target(p.property)))
    }

    fn parameters(self) -> &'static [Parameter] {
        match self {
            DeviceAction::AssignUserToDevice => ASSIGN_USER,
            DeviceAction::UpdateDeviceProperties => UPDATE_PROPERTIES,
            DeviceAction::AssignResourceAccountToDevice => ASSIGN_RESOURCE_ACCOUNT,
            DeviceAction::UnassignUserFromDevice
            | DeviceAction::AllowNextEnrollment
            | DeviceAction::UnassignResourceAccountFromDevice => &[],
        }
    }

    /// What the action sets regardless of parameters.
    fn fixed_effect(self) -> Vec<(&'static str, Value)> {
        let cleared = |names: &[&'static str]| names.iter().map(|n| (*n, Value::Null)).collect();
        match self {
            DeviceAction::UnassignUserFromDevice => {
                cleared(&["userPrincipalName", "addressableUserName"])
            }
            DeviceAction::UnassignResourceAccountFromDevice => {
                cleared(&["userPrincipalName", "addressableUserName", "resourceName"])
            }
            DeviceAction::AllowNextEnrollment => vec![(
                "userlessEnrollmentStatus",
                Value::Text("allowed".to_owned()),
            )],
            DeviceAction::AssignUserToDevice
            | DeviceAction::UpdateDeviceProperties
            | DeviceAction::AssignResourceAccountToDevice => Vec::new(),
        }
    }

    /// The assignments the action makes, given its JSON body (for actions with parameters).
    pub fn assignments(
        self,
        body: Option<&[u8]>,
        version: ApiVersion,
    ) -> Result<Vec<PropertyValue>, GraphError> {
        let mut values = self.fixed_effect();
        if let Some(body) = body.filter(|_| self.takes_parameters()) {
            values.extend(self.parse_parameters(body, version)?);
        }
        Ok(values
            .into_iter()
            .map(|(name, value)| PropertyValue {
                property: target(name),
                value,
            })
            .collect())
    }

    fn parse_parameters(
        self,
        body: &[u8],
        version: ApiVersion,
    ) -> Result<Vec<(&'static str, Value)>, GraphError> {
        let mut members = parse_object(body).map_err(|error| match error.details.is_empty() {
            // Not a JSON object at all; a parameter given twice keeps its own detail.
            true => GraphError::bad_request(format!(
                "The body of '{}' must be a JSON object of its parameters.",
                self.name()
            )),
            false => error,
        })?;
        members.sort_by(|(a, _), (b, _)| a.cmp(b));
        let parameters = self.parameters();
        let mut problems = Vec::new();
        let mut values = Vec::new();
        for (key, raw) in &members {
            if key.contains('@') {
                continue; // annotations carry no parameter
            }
            let Some(parameter) = parameters
                .iter()
                .find(|p| p.name == key && (version == ApiVersion::Beta || !p.beta_only))
            else {
                problems.push(ErrorDetail::invalid(
                    key,
                    format!(
                        "The parameter '{key}' in the request payload is not a valid parameter for the operation '{}'.",
                        self.name()
                    ),
                ));
                continue;
            };
            let limits = match target(parameter.property).kind {
                Kind::String(limits) => limits,
                _ => TEXT,
            };
            match serde_json::from_str::<Option<String>>(raw.get()) {
                Ok(Some(text)) => match checked_text("parameter", key, limits, text) {
                    Ok(text) => values.push((parameter.property, Value::Text(text))),
                    Err(problem) => problems.push(problem),
                },
                Ok(None) => values.push((parameter.property, Value::Null)),
                Err(_) => problems.push(ErrorDetail::invalid(
                    key,
                    format!("The parameter '{key}' must be a string or null."),
                )),
            }
        }
        for parameter in parameters.iter().filter(|p| p.required) {
            let given = members
                .iter()
                .find(|(key, _)| key == parameter.name)
                .and_then(|(_, raw)| serde_json::from_str::<String>(raw.get()).ok())
                .is_some_and(|text| !text.is_empty());
            if !given {
                problems.push(ErrorDetail::invalid(
                    parameter.name,
                    format!(
                        "The parameter '{}' is required by '{}' and must be a non-empty string.",
                        parameter.name,
                        self.name()
                    ),
                ));
            }
        }
        if problems.is_empty() {
            Ok(values)
        } else {
            Err(GraphError::invalid_fields(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effect(
        action: DeviceAction,
        body: &str,
        version: ApiVersion,
    ) -> Result<Vec<(&str, Value)>, GraphError> {
        let body = action.takes_parameters().then_some(body.as_bytes());
        Ok(action
            .assignments(body, version)?
            .into_iter()
            .map(|a| (a.property.name, a.value))
            .collect())
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    #[test]
    fn every_parameter_sets_a_property_of_the_table() {
        for action in DeviceAction::ALL {
            for p in action.parameters() {
                assert!(
                    DEVICE_IDENTITIES.property(p.property).is_some(),
                    "{}",
                    p.property
                );
            }
            for (name, _) in action.fixed_effect() {
                assert!(DEVICE_IDENTITIES.property(name).is_some(), "{name}");
            }
        }
    }

    #[test]
    fn assign_user_sets_both_user_fields_and_requires_the_upn() {
        let set = effect(
            DeviceAction::AssignUserToDevice,
            r#"{"userPrincipalName":"a@b.c","addressableUserName":"A"}"#,
            ApiVersion::V1,
        )
        .unwrap();
        assert_eq!(
            set,
            [
                ("addressableUserName", text("A")),
                ("userPrincipalName", text("a@b.c"))
            ]
        );
        for body in [
            "{}",
            r#"{"userPrincipalName":""}"#,
            r#"{"userPrincipalName":3}"#,
        ] {
            let error = effect(DeviceAction::AssignUserToDevice, body, ApiVersion::V1).unwrap_err();
            assert_eq!(error.details[0].target, "userPrincipalName", "{body}");
        }
    }

    #[test]
    fn unassign_clears_and_allow_next_enrollment_allows() {
        assert_eq!(
            effect(DeviceAction::UnassignUserFromDevice, "", ApiVersion::V1).unwrap(),
            [
                ("userPrincipalName", Value::Null),
                ("addressableUserName", Value::Null)
            ]
        );
        assert_eq!(
            effect(DeviceAction::AllowNextEnrollment, "", ApiVersion::Beta).unwrap(),
            [("userlessEnrollmentStatus", text("allowed"))]
        );
    }

    #[test]
    fn update_device_properties_changes_only_what_is_sent_and_knows_beta_parameters() {
        let set = effect(
            DeviceAction::UpdateDeviceProperties,
            r#"{"groupTag":"G"}"#,
            ApiVersion::V1,
        )
        .unwrap();
        assert_eq!(set, [("groupTag", text("G"))]);
        assert!(
            effect(DeviceAction::UpdateDeviceProperties, "{}", ApiVersion::V1)
                .unwrap()
                .is_empty()
        );
        let body = r#"{"deviceFriendlyName":"F","deviceAccountPassword":"p"}"#;
        assert!(effect(DeviceAction::UpdateDeviceProperties, body, ApiVersion::V1).is_err());
        assert_eq!(
            effect(DeviceAction::UpdateDeviceProperties, body, ApiVersion::Beta)
                .unwrap()
                .len(),
            2
        );
        let error = effect(
            DeviceAction::UpdateDeviceProperties,
            r#"{"serialNumber":"x"}"#,
            ApiVersion::V1,
        )
        .unwrap_err();
        assert!(error.message.contains("not a valid parameter"));
        assert!(effect(DeviceAction::UpdateDeviceProperties, "[1]", ApiVersion::V1).is_err());
        let nul = r#"{"groupTag":"a\u0000"}"#;
        assert!(effect(DeviceAction::UpdateDeviceProperties, nul, ApiVersion::V1).is_err());
    }

    #[test]
    fn the_resource_account_lands_in_resource_name() {
        let set = effect(
            DeviceAction::AssignResourceAccountToDevice,
            r#"{"userPrincipalName":"room@b.c","resourceAccountName":"Room"}"#,
            ApiVersion::Beta,
        )
        .unwrap();
        assert!(set.contains(&("resourceName", text("Room"))));
    }
}
