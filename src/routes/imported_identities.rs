//! importedWindowsAutopilotDeviceIdentities on both roots: the generic entity-set operations but
//! update (Graph has none: PATCH is its route-template 400), and the collection's `import` action.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::Tenant;
use crate::domain::entity::{EntitySet, PropertyValue, Value};
use crate::domain::imported_identity::IMPORTED_IDENTITIES;
use crate::graph::GRAPH_JSON;
use crate::graph::entity::EntityView;
use crate::graph::error::ErrorResponse;
use crate::graph::import::{MAX_IMPORT_BODY_BYTES, parse_import_body};
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{
    CountParameters, IMPORTED_TAG, ImportBodyBeta, ImportBodyV1, ImportResponseBeta,
    ImportResponseV1, ImportedIdentityBeta, ImportedIdentityPageBeta, ImportedIdentityPageV1,
    ImportedIdentityV1, ListParameters,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, ExpandParameters, ItemParameters, Key, Served, entity_set_routes,
};
use crate::store::Store;

/// Imported identities, for the route attributes.
pub struct ImportedIdentities;

impl Served for ImportedIdentities {
    const SET: &'static EntitySet = &IMPORTED_IDENTITIES;
}

/// The answer of `import`: the new records, in the order sent.
#[derive(Serialize)]
struct Imported<'a> {
    #[serde(rename = "@odata.context")]
    context: String,
    value: Vec<EntityView<'a>>,
}

/// POST `.../import`: every record stored in one transaction, all sharing one new `importId`, each
/// `unknown` until it is processed.
async fn import(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    body: JsonBody<MAX_IMPORT_BODY_BYTES>,
) -> Handled {
    let set = &IMPORTED_IDENTITIES;
    let import_id = set
        .property("importId")
        .expect("imported identities have an importId");
    let shared = Value::Text(Uuid::new_v4().to_string());
    let records = parse_import_body(&body.0, root.version)?
        .into_iter()
        .map(|mut assignments| {
            assignments.push(PropertyValue {
                property: import_id,
                value: shared.clone(),
            });
            assignments
        })
        .collect();
    let created = store.create_all(set, tenant, records).await?;
    let body = Imported {
        context: root.collection_of_type_context(set),
        value: created
            .iter()
            .map(|entity| EntityView {
                entity,
                version: root.version,
                select: None,
                context: None,
                typed: false,
                expanded: &[],
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(body))
}

macro_rules! root_operations {
    ($root:ident, $prefix:tt, $entity:ty, $page:ty, $import_body:ty, $import_response:ty) => {
        pub mod $root {
            use super::*;

            entity_set_routes!(
                set: ImportedIdentities, prefix: $prefix, tag: IMPORTED_TAG,
                collection: "/deviceManagement/importedWindowsAutopilotDeviceIdentities",
                count: "/deviceManagement/importedWindowsAutopilotDeviceIdentities/$count",
                item: "/deviceManagement/importedWindowsAutopilotDeviceIdentities/{id}",
                documented_item: "/deviceManagement/importedWindowsAutopilotDeviceIdentities/{importedWindowsAutopilotDeviceIdentity-id}",
                operation_ids: ("deviceManagement.", "ImportedWindowsAutopilotDeviceIdentities",
                    "deviceManagement.importedWindowsAutopilotDeviceIdentities.GetCount"),
                summaries: ("importedWindowsAutopilotDeviceIdentities", "importedWindowsAutopilotDeviceIdentity"),
                described: ("A page of imported identities", "The imported identity", "The URL of the new imported identity"),
                entity: $entity, page: $page, create_examples: (),
                operations: [list, create, count, get, delete]
            );

            #[utoipa::path(
                post,
                path = "/deviceManagement/importedWindowsAutopilotDeviceIdentities/import",
                tag = IMPORTED_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.importedWindowsAutopilotDeviceIdentities.import"),
                summary = "Invoke action import",
                request_body(content = $import_body, content_type = "application/json"),
                responses(
                    (status = 200, description = "The new records, each `unknown` until processed", body = $import_response),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[post("/deviceManagement/importedWindowsAutopilotDeviceIdentities/import")]
            pub async fn import(
                access: WriteAccess,
                store: web::Data<Store>,
                root: ServiceRoot,
                body: JsonBody<MAX_IMPORT_BODY_BYTES>,
            ) -> Handled {
                super::import(access.0, store, root, body).await
            }

            /// This root's routes, `$count` and `import` before the item routes.
            pub fn routes(config: &mut ServiceConfig) {
                config
                    .service(list)
                    .service(create)
                    .service(count)
                    .service(import)
                    .service(get)
                    .service(delete);
            }
        }
    };
}

root_operations!(
    v1,
    "",
    ImportedIdentityV1,
    ImportedIdentityPageV1,
    ImportBodyV1,
    ImportResponseV1
);
root_operations!(
    beta,
    "beta.",
    ImportedIdentityBeta,
    ImportedIdentityPageBeta,
    ImportBodyBeta,
    ImportResponseBeta
);
