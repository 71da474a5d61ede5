//! deviceAppManagement/mobileApps on both roots: create, list, count, get and delete of app
//! records, under Graph's DeviceManagementApps permissions.

use actix_web::{HttpRequest, delete, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

// The generic routes name their extractors `ReadAccess` and `WriteAccess`; apps need
// DeviceManagementApps permissions instead of DeviceManagementServiceConfig.
use crate::auth::{AppsReadAccess as ReadAccess, AppsWriteAccess as WriteAccess};
use crate::domain::entity::EntitySet;
use crate::domain::mobile_app::MOBILE_APPS;
use crate::graph::error::ErrorResponse;
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{
    CountParameters, ListParameters, MOBILE_APPS_TAG, MobileAppBeta, MobileAppPageBeta,
    MobileAppPageV1, MobileAppV1,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, ExpandParameters, ItemParameters, Key, Served, entity_set_routes,
};
use crate::store::Store;

/// Mobile apps, for the route attributes.
pub struct MobileApps;

impl Served for MobileApps {
    const SET: &'static EntitySet = &MOBILE_APPS;
}

macro_rules! mobile_app_routes {
    ($root:ident, $prefix:tt, $entity:ty, $page:ty) => {
        pub mod $root {
            use super::*;

            entity_set_routes!(
                set: MobileApps, prefix: $prefix, tag: MOBILE_APPS_TAG,
                collection: "/deviceAppManagement/mobileApps",
                count: "/deviceAppManagement/mobileApps/$count",
                item: "/deviceAppManagement/mobileApps/{id}",
                documented_item: "/deviceAppManagement/mobileApps/{mobileApp-id}",
                operation_ids: ("deviceAppManagement.", "MobileApps",
                    "deviceAppManagement.mobileApps.GetCount"),
                summaries: ("mobileApps", "mobileApp"),
                described: ("A page of mobile apps", "The mobile app", "The URL of the new mobile app"),
                entity: $entity, page: $page, create_examples: (),
                operations: [list, create, count, get, delete]
            );

            /// The app routes, `$count` before the item routes.
            pub fn routes(config: &mut ServiceConfig) {
                config
                    .service(list)
                    .service(create)
                    .service(count)
                    .service(get)
                    .service(delete);
            }
        }
    };
}

mobile_app_routes!(v1, "", MobileAppV1, MobileAppPageV1);
mobile_app_routes!(beta, "beta.", MobileAppBeta, MobileAppPageBeta);
