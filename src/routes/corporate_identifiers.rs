//! deviceManagement/importedDeviceIdentities (beta only): corporate identifiers. The generic list,
//! `$count`, get and delete; a create whose identifier is checked against its type; and the
//! collection's actions `importDeviceIdentityList` and `searchExistingIdentities`.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::Utc;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::Tenant;
use crate::domain::corporate_identifier::{
    CORPORATE_IDENTIFIERS, MAX_IDENTIFIER_LIST_BYTES, checked_identifier,
};
use crate::domain::entity::EntitySet;
use crate::graph::GRAPH_JSON;
use crate::graph::corporate_identifier::{
    ImportResultView, RESULT_TYPE, parse_import_list, parse_search_list,
};
use crate::graph::entity::{EntityView, parse_new_entity};
use crate::graph::error::{ErrorDetail, ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{
    CORPORATE_IDENTIFIERS_TAG, CorporateIdentifierBeta, CorporateIdentifierPageBeta,
    CountParameters, ImportIdentifierListBody, ImportIdentifierListResponse, ListParameters,
    SearchIdentifiersBody, SearchIdentifiersResponse,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, ExpandParameters, ItemParameters, Key, Served, entity_set_routes,
};
use crate::store::Store;

/// Corporate identifiers, for the route attributes.
pub struct CorporateIdentifiers;

impl Served for CorporateIdentifiers {
    const SET: &'static EntitySet = &CORPORATE_IDENTIFIERS;

    /// A create's identifier must be one of its type (stored in its one form).
    async fn create(
        tenant: Tenant,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> Result<HttpResponse, GraphError> {
        let assignments = parse_new_entity(Self::SET, &body.0, root.version)?;
        let assignments = checked_identifier(assignments).map_err(|problem| {
            GraphError::invalid_fields(vec![ErrorDetail::invalid(
                problem.property,
                problem.message,
            )])
        })?;
        entity_set::create_parsed(Self::SET, tenant, store, root, assignments).await
    }
}

/// An answer that lists items: `@odata.context` and `value`.
#[derive(Serialize)]
struct Listed<T> {
    #[serde(rename = "@odata.context")]
    context: String,
    value: Vec<T>,
}

fn listed<T: Serialize>(context: String, value: Vec<T>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(GRAPH_JSON)
        .json(Listed { context, value })
}

pub mod beta {
    use super::*;

    entity_set_routes!(
        set: CorporateIdentifiers, prefix: "beta.", tag: CORPORATE_IDENTIFIERS_TAG,
        collection: "/deviceManagement/importedDeviceIdentities",
        count: "/deviceManagement/importedDeviceIdentities/$count",
        item: "/deviceManagement/importedDeviceIdentities/{id}",
        documented_item: "/deviceManagement/importedDeviceIdentities/{importedDeviceIdentity-id}",
        operation_ids: ("deviceManagement.", "ImportedDeviceIdentities",
            "deviceManagement.importedDeviceIdentities.GetCount"),
        summaries: ("importedDeviceIdentities", "importedDeviceIdentity"),
        described: ("A page of corporate identifiers", "The corporate identifier", "The URL of the new corporate identifier"),
        entity: CorporateIdentifierBeta, page: CorporateIdentifierPageBeta, create_examples: (),
        operations: [list, create, count, get, delete]
    );

    #[utoipa::path(
        post,
        path = "/deviceManagement/importedDeviceIdentities/importDeviceIdentityList",
        tag = CORPORATE_IDENTIFIERS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.importedDeviceIdentities.importDeviceIdentityList",
        summary = "Invoke action importDeviceIdentityList",
        request_body(content = ImportIdentifierListBody, content_type = "application/json"),
        responses(
            (status = 200, description = "Each identifier as it now stands, with whether this import stored it", body = ImportIdentifierListResponse),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post("/deviceManagement/importedDeviceIdentities/importDeviceIdentityList")]
    pub async fn import_list(
        access: WriteAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody<MAX_IDENTIFIER_LIST_BYTES>,
    ) -> Handled {
        let import = parse_import_list(&body.0, root.version)?;
        let imported = store
            .import_corporate_identifiers(
                access.0,
                &import.identifiers,
                import.overwrite,
                Utc::now(),
            )
            .await?;
        let value = imported
            .iter()
            .map(|identifier| ImportResultView {
                entity: &identifier.entity,
                status: identifier.stored,
            })
            .collect();
        Ok(listed(
            root.metadata(&format!("Collection({RESULT_TYPE})")),
            value,
        ))
    }

    #[utoipa::path(
        post,
        path = "/deviceManagement/importedDeviceIdentities/searchExistingIdentities",
        tag = CORPORATE_IDENTIFIERS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.importedDeviceIdentities.searchExistingIdentities",
        summary = "Invoke action searchExistingIdentities",
        request_body(content = SearchIdentifiersBody, content_type = "application/json"),
        responses(
            (status = 200, description = "The tenant's identifiers among those sent", body = SearchIdentifiersResponse),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post("/deviceManagement/importedDeviceIdentities/searchExistingIdentities")]
    pub async fn search(
        access: ReadAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody<MAX_IDENTIFIER_LIST_BYTES>,
    ) -> Handled {
        let sought = parse_search_list(&body.0, root.version)?;
        let found = store
            .search_corporate_identifiers(access.0, &sought)
            .await?;
        let value = found
            .iter()
            .map(|entity| EntityView {
                entity,
                version: root.version,
                select: None,
                context: None,
                typed: false,
                expanded: &[],
            })
            .collect();
        Ok(listed(
            root.collection_of_type_context(&CORPORATE_IDENTIFIERS),
            value,
        ))
    }

    /// The routes, `$count` and the actions before the item routes.
    pub fn routes(config: &mut ServiceConfig) {
        config
            .service(list)
            .service(create)
            .service(count)
            .service(import_list)
            .service(search)
            .service(get)
            .service(delete);
    }
}
