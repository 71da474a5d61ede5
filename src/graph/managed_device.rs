//! The parameters of a managed device's remote actions, as the SDKs' request bodies name them per
//! root, checked into what the action will do to the record.

use crate::domain::ApiVersion;
use crate::domain::entity::{BoundAction, TEXT};
use crate::domain::managed_device::ActionRequest;
use crate::graph::entity::{checked_text, parse_object};
use crate::graph::error::{ErrorDetail, GraphError};

/// The JSON type of a parameter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ParameterType {
    Boolean,
    String,
}

/// An action's parameter: its name, type, and whether only beta's body has it.
struct Parameter {
    name: &'static str,
    kind: ParameterType,
    beta_only: bool,
}

const fn boolean(name: &'static str) -> Parameter {
    Parameter {
        name,
        kind: ParameterType::Boolean,
        beta_only: false,
    }
}

const fn string(name: &'static str) -> Parameter {
    Parameter {
        name,
        kind: ParameterType::String,
        beta_only: false,
    }
}

const fn beta(parameter: Parameter) -> Parameter {
    Parameter {
        beta_only: true,
        ..parameter
    }
}

/// `wipe`'s body: v1.0's four members, and beta's two more.
const WIPE: &[Parameter] = &[
    boolean("keepEnrollmentData"),
    boolean("keepUserData"),
    string("macOsUnlockCode"),
    boolean("persistEsimDataPlan"),
    beta(string("obliterationBehavior")),
    beta(boolean("useProtectedWipe")),
];
const CLEAN_WINDOWS_DEVICE: &[Parameter] = &[boolean("keepUserData")];
const SET_DEVICE_NAME: &[Parameter] = &[string("deviceName")];

fn parameters(action: &str) -> &'static [Parameter] {
    match action {
        "wipe" => WIPE,
        "cleanWindowsDevice" => CLEAN_WINDOWS_DEVICE,
        "setDeviceName" => SET_DEVICE_NAME,
        _ => &[],
    }
}

/// The parameters `action` takes on `version`: each name, and whether it is a Boolean (else a
/// string).
pub fn parameter_names(
    action: &str,
    version: ApiVersion,
) -> impl Iterator<Item = (&'static str, bool)> {
    parameters(action)
        .iter()
        .filter(move |p| version == ApiVersion::Beta || !p.beta_only)
        .map(|p| (p.name, p.kind == ParameterType::Boolean))
}

/// Whether `action` reads a JSON body (the others take none, and ignore one sent).
pub fn takes_parameters(action: BoundAction) -> bool {
    !parameters(action.name).is_empty()
}

/// What `action` with `body` will do on `version`: its parameters checked against the SDK's
/// request body of that root (an unknown one, or one of the wrong type, is a 400).
pub fn action_request(
    action: BoundAction,
    body: Option<&[u8]>,
    version: ApiVersion,
) -> Result<ActionRequest, GraphError> {
    let mut request = ActionRequest::plain(action.name);
    let given = match body.filter(|body| !body.iter().all(u8::is_ascii_whitespace)) {
        Some(body) if takes_parameters(action) => {
            parse_object(body).map_err(|error| match error.details.is_empty() {
                true => GraphError::bad_request(format!(
                    "The body of '{}' must be a JSON object of its parameters.",
                    action.name
                )),
                false => error,
            })?
        }
        _ => Vec::new(),
    };
    let mut problems = Vec::new();
    let mut keeps_enrollment = false;
    for (key, raw) in &given {
        if key.contains('@') {
            continue; // annotations carry no parameter
        }
        let known = parameters(action.name)
            .iter()
            .find(|p| p.name == key && (version == ApiVersion::Beta || !p.beta_only));
        let Some(parameter) = known else {
            problems.push(ErrorDetail::invalid(
                key,
                format!(
                    "The parameter '{key}' in the request payload is not a valid parameter for \
                     the operation '{}'.",
                    action.name
                ),
            ));
            continue;
        };
        match parameter.kind {
            ParameterType::Boolean => match serde_json::from_str::<Option<bool>>(raw.get()) {
                Ok(value) => {
                    if key == "keepEnrollmentData" {
                        keeps_enrollment = value.unwrap_or(false);
                    }
                }
                Err(_) => problems.push(ErrorDetail::invalid(
                    key,
                    format!("The parameter '{key}' must be a Boolean or null."),
                )),
            },
            ParameterType::String => match serde_json::from_str::<Option<String>>(raw.get()) {
                Ok(Some(text)) => match checked_text("parameter", key, TEXT, text) {
                    Ok(text) if key == "deviceName" => request.new_device_name = Some(text),
                    Ok(_) => {}
                    Err(problem) => problems.push(problem),
                },
                Ok(None) => {}
                Err(_) => problems.push(ErrorDetail::invalid(
                    key,
                    format!("The parameter '{key}' must be a string or null."),
                )),
            },
        }
    }
    if action.name == "setDeviceName" && request.new_device_name.as_deref().unwrap_or("").is_empty()
    {
        problems.push(ErrorDetail::invalid(
            "deviceName",
            "The parameter 'deviceName' is required by 'setDeviceName' and must be a non-empty \
             string."
                .to_owned(),
        ));
    }
    if !problems.is_empty() {
        return Err(GraphError::invalid_fields(problems));
    }
    match action.name {
        "wipe" => {
            request.leaves_intune = !keeps_enrollment;
            request.pending_state = Some("wipePending");
        }
        "retire" => {
            request.leaves_intune = true;
            request.pending_state = Some("retirePending");
        }
        _ => {}
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::managed_device::ACTIONS;

    fn action(name: &str) -> BoundAction {
        *ACTIONS.iter().find(|a| a.name == name).unwrap()
    }

    fn request(name: &str, body: &str, version: ApiVersion) -> Result<ActionRequest, GraphError> {
        action_request(action(name), Some(body.as_bytes()), version)
    }

    #[test]
    fn wipe_leaves_intune_unless_it_keeps_the_enrollment() {
        let wipe = request("wipe", r#"{"keepUserData":false}"#, ApiVersion::V1).unwrap();
        assert!(wipe.leaves_intune);
        assert_eq!(wipe.pending_state, Some("wipePending"));
        let kept = request("wipe", r#"{"keepEnrollmentData":true}"#, ApiVersion::V1).unwrap();
        assert!(!kept.leaves_intune);
        assert!(request("retire", "", ApiVersion::V1).unwrap().leaves_intune);
        assert!(
            !request("syncDevice", "", ApiVersion::V1)
                .unwrap()
                .leaves_intune
        );
    }

    #[test]
    fn parameters_are_those_of_the_roots_body() {
        assert!(request("wipe", r#"{"useProtectedWipe":true}"#, ApiVersion::Beta).is_ok());
        let error = request("wipe", r#"{"useProtectedWipe":true}"#, ApiVersion::V1).unwrap_err();
        assert_eq!(error.details[0].target, "useProtectedWipe");
        let error = request("wipe", r#"{"keepUserData":"yes"}"#, ApiVersion::V1).unwrap_err();
        assert_eq!(error.details[0].target, "keepUserData");
        assert!(request("wipe", "[]", ApiVersion::V1).is_err());
    }

    #[test]
    fn set_device_name_needs_a_name() {
        let named = request(
            "setDeviceName",
            r#"{"deviceName":"KIOSK-7"}"#,
            ApiVersion::Beta,
        );
        assert_eq!(named.unwrap().new_device_name.as_deref(), Some("KIOSK-7"));
        let error = request("setDeviceName", "{}", ApiVersion::Beta).unwrap_err();
        assert_eq!(error.details[0].target, "deviceName");
    }
}
