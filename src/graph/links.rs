//! `@odata.context`, `@odata.nextLink` and `Location`, built on the service's external base URL
//! (which the routes work out from `--public-url` or the request).

use uuid::Uuid;

use crate::domain::ApiVersion;
use crate::domain::entity::EntitySet;

/// Where the external base URL of links comes from.
#[derive(Debug, Clone)]
pub enum LinkBase {
    /// The configured `--public-url`, without a trailing slash.
    Public(String),
    /// Each request's Host; with `trust_forwarded`, its `Forwarded` and `X-Forwarded-*` headers
    /// first.
    FromRequest { trust_forwarded: bool },
}

/// The root (`<base>/v1.0` or `<base>/beta`) a request was made under.
#[derive(Debug, Clone)]
pub struct ServiceRoot {
    pub version: ApiVersion,
    base: String,
}

impl ServiceRoot {
    pub fn new(base: &str, version: ApiVersion) -> Self {
        ServiceRoot {
            version,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn root(&self) -> String {
        format!("{}/{}", self.base, self.version.segment())
    }

    /// `<root>/$metadata#<fragment>`.
    pub fn metadata(&self, fragment: &str) -> String {
        format!("{}/$metadata#{fragment}", self.root())
    }

    /// `...$metadata#deviceManagement/windowsAutopilotDeviceIdentities`, with `select` (`(a,b)` or
    /// empty) naming the selected properties.
    pub fn collection_context(&self, set: &EntitySet, select: &str) -> String {
        self.metadata(&format!("{}{select}", set.path))
    }

    /// `...$metadata#Collection(microsoft.graph.importedWindowsAutopilotDeviceIdentity)`: the context
    /// of an action's answer that holds entities of `set`.
    pub fn collection_of_type_context(&self, set: &EntitySet) -> String {
        self.metadata(&format!("Collection({})", set.type_name))
    }

    pub fn entity_context(&self, set: &EntitySet, select: &str) -> String {
        format!("{}/$entity", self.collection_context(set, select))
    }

    pub fn collection_url(&self, set: &EntitySet) -> String {
        format!("{}/{}", self.root(), set.path)
    }

    pub fn entity_url(&self, set: &EntitySet, id: Uuid) -> String {
        format!("{}/{id}", self.collection_url(set))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::device_identity::DEVICE_IDENTITIES;

    #[test]
    fn links_hang_off_the_public_base_and_version() {
        let root = ServiceRoot::new("https://graph.example/", ApiVersion::Beta);
        let set = &DEVICE_IDENTITIES;
        assert_eq!(
            root.entity_context(set, ""),
            "https://graph.example/beta/$metadata#deviceManagement/windowsAutopilotDeviceIdentities/$entity"
        );
        assert_eq!(
            root.collection_context(set, "(id,model)"),
            "https://graph.example/beta/$metadata#deviceManagement/windowsAutopilotDeviceIdentities(id,model)"
        );
        assert_eq!(
            root.entity_url(set, Uuid::nil()),
            "https://graph.example/beta/deviceManagement/windowsAutopilotDeviceIdentities/00000000-0000-0000-0000-000000000000"
        );
    }
}
