//! The identities of the directory besides devices and groups: users (whom a policy targets through
//! a group of users) and service principals (the Intune Provisioning Client owns the device group
//! of a device preparation policy). Both may be added to a group as members (users) or owners.

use super::directory::GROUPS;
use super::entity::{
    EntitySet, ItemSegment, Kind, Property, Segments, TEXT, TextLimits, UniqueKey,
};

/// Graph's limit on a user principal name.
const USER_PRINCIPAL_NAME: TextLimits = TextLimits {
    min_chars: 1,
    max_chars: 113,
};

/// The users of a tenant: the properties of the SDK model `user` that a client creating and
/// finding users sets and reads (the profile, not the mailbox, licences or sign-in state).
pub static USERS: EntitySet = EntitySet {
    type_name: "microsoft.graph.user",
    description: "An Entra ID user, whom policies target through the groups that hold it.",
    path: "users",
    beta_only: false,
    table: "directory_users",
    properties: &[
        Property::key(),
        Property::new("accountEnabled", "account_enabled", Kind::Boolean).required(),
        Property::new("businessPhones", "business_phones", Kind::Strings(TEXT)),
        Property::text("city", "city"),
        Property::text("companyName", "company_name"),
        Property::text("country", "country"),
        Property::date_time("createdDateTime", "created_date_time").read_only(),
        Property::text("department", "department"),
        Property::text("displayName", "display_name").required(),
        Property::text("employeeId", "employee_id"),
        Property::text("givenName", "given_name"),
        Property::text("jobTitle", "job_title"),
        Property::text("mail", "mail"),
        Property::text("mailNickname", "mail_nickname").required(),
        Property::text("mobilePhone", "mobile_phone"),
        Property::text("officeLocation", "office_location"),
        Property::text("preferredLanguage", "preferred_language"),
        Property::text("surname", "surname"),
        Property::text("usageLocation", "usage_location"),
        Property::new(
            "userPrincipalName",
            "user_principal_name",
            Kind::String(USER_PRINCIPAL_NAME),
        )
        .required()
        .described(
            "The user's sign-in name, `alias@domain`; unique in the tenant, whatever its case.",
        ),
        Property::text("userType", "user_type").not_null(),
    ],
    aliases: &[],
    unique: Some(UniqueKey {
        index: "directory_users_tenant_upn_key",
        conflict_target: "(tenant_id, lower(user_principal_name))",
        conflict_message: USER_PRINCIPAL_NAME_TAKEN,
    }),
    internal_columns: &[],
    derived: &[],
    expandable: &[],
    segments: Segments {
        singleton: false,
        collection_actions: &[],
        below_item: &[
            ItemSegment::Related("memberOf", &GROUPS),
            ItemSegment::Related("transitiveMemberOf", &GROUPS),
        ],
    },
};

/// Graph's message when a user principal name is taken.
pub const USER_PRINCIPAL_NAME_TAKEN: &str =
    "Another object with the same value for property userPrincipalName already exists.";

/// The service principals of a tenant: one per application (`appId`) used in it.
pub static SERVICE_PRINCIPALS: EntitySet = EntitySet {
    type_name: "microsoft.graph.servicePrincipal",
    description: "An Entra ID service principal: an application's identity in the tenant, which \
                  may own groups.",
    path: "servicePrincipals",
    beta_only: false,
    table: "directory_service_principals",
    properties: &[
        Property::key(),
        Property::boolean("accountEnabled", "account_enabled"),
        Property::text("appDisplayName", "app_display_name").read_only(),
        Property::text("appId", "app_id")
            .required()
            .described("The application's id (a GUID); one service principal per application."),
        Property::new(
            "appOwnerOrganizationId",
            "app_owner_organization_id",
            Kind::Guid,
        )
        .read_only(),
        Property::boolean("appRoleAssignmentRequired", "app_role_assignment_required"),
        Property::text("description", "description"),
        Property::text("displayName", "display_name"),
        Property::text("notes", "notes"),
        Property::new(
            "servicePrincipalNames",
            "service_principal_names",
            Kind::Strings(TEXT),
        )
        .read_only(),
        Property::text("servicePrincipalType", "service_principal_type")
            .not_null()
            .read_only(),
        Property::new("tags", "tags", Kind::Strings(TEXT)),
    ],
    aliases: &[],
    unique: Some(UniqueKey {
        index: "directory_service_principals_tenant_app_key",
        conflict_target: "(tenant_id, lower(app_id))",
        conflict_message: "The service principal cannot be created, updated, or restored because \
                           the service principal name is already in use.",
    }),
    internal_columns: &[],
    derived: &[],
    expandable: &[],
    segments: Segments::PLAIN,
};

/// The tenant of Microsoft's own (first-party) applications.
pub const MICROSOFT_SERVICES_TENANT: uuid::Uuid =
    uuid::uuid!("f8cdef31-a31e-4b4a-93e4-5f571e91255a");

/// Microsoft's applications whose service principals clients create by `appId` alone, with the
/// display name Entra gives them.
pub const FIRST_PARTY_APPS: [(&str, &str); 4] = [
    (INTUNE_PROVISIONING_CLIENT, "Intune Provisioning Client"),
    ("0000000a-0000-0000-c000-000000000000", "Microsoft Intune"),
    ("00000003-0000-0000-c000-000000000000", "Microsoft Graph"),
    (
        "d4ebce55-015a-49b5-a083-c84d1797ae8c",
        "Microsoft Intune Enrollment",
    ),
];

/// The application whose service principal must own a device preparation policy's device group.
pub const INTUNE_PROVISIONING_CLIENT: &str = "f1346770-5b25-470b-88bd-d5744ab7952c";

/// The display name Entra gives the service principal of the first-party app `app_id`.
pub fn first_party_name(app_id: &str) -> Option<&'static str> {
    FIRST_PARTY_APPS
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(app_id))
        .map(|(_, name)| *name)
}

/// Sets whose items a path may name by another key than the id, as `name(key='value')`:
/// `servicePrincipals(appId='...')`, `users(userPrincipalName='...')`.
pub const ALTERNATE_KEYS: [(&EntitySet, &str); 2] = [
    (&SERVICE_PRINCIPALS, "appId"),
    (&USERS, "userPrincipalName"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_party_apps_are_found_whatever_the_case_of_their_id() {
        assert_eq!(
            first_party_name("F1346770-5B25-470B-88BD-D5744AB7952C"),
            Some("Intune Provisioning Client")
        );
        assert_eq!(first_party_name("not-an-app"), None);
        for (key, name) in ALTERNATE_KEYS {
            assert!(key.property(name).is_some(), "{}.{name}", key.path);
        }
    }
}
