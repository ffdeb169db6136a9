//! The OpenAPI document: every endpoint with every status it can answer and the rules its
//! input is held to (`duly_protocol::openapi` builds those from the checks' own constants).
//! Schemathesis holds the server to it (`tests/system/openapi_fuzz.rs`).

use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Required, schema};

use super::{admin, blobs, session, sync};
use crate::error::ApiJson;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Duly server", description = "Scoped sync, users and sharing for Duly."),
    paths(
        session::health, session::login, session::logout, session::me, openapi_json,
        sync::push, sync::pull, sync::events,
        admin::list_users, admin::add_user, admin::disable_user, admin::enable_user, admin::reset_password,
        admin::grant, admin::revoke, admin::customer_shares,
        blobs::put_blob, blobs::get_blob,
    ),
    modifiers(&BearerAuth, &ProtocolHeader),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The protocol check runs before every endpoint (`super::check_protocol`), so every
/// operation names the header: required on the sync endpoints, optional elsewhere.
struct ProtocolHeader;

impl utoipa::Modify for ProtocolHeader {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            let needed = path.starts_with("/api/sync/");
            let operations = [&mut item.get, &mut item.put, &mut item.post];
            for operation in operations.into_iter().flatten() {
                add_protocol_header(operation, needed);
            }
        }
    }
}

fn add_protocol_header(operation: &mut Operation, needed: bool) {
    let header = ParameterBuilder::new()
        .name(duly_protocol::PROTOCOL_HEADER)
        .parameter_in(ParameterIn::Header)
        .required(if needed { Required::True } else { Required::False })
        .schema(Some(schema::Schema::Object(duly_protocol::openapi::protocol_header())))
        .build();
    operation.parameters.get_or_insert_with(Vec::new).push(header.into());
}

/// The OpenAPI document of this server (this endpoint included).
#[utoipa::path(get, path = "/api/openapi.json", tag = "session", security(()),
    responses((status = 200, description = "OpenAPI 3.1 document"),
        (status = 400, body = duly_protocol::ErrorBody)))]
pub async fn openapi_json() -> ApiJson<serde_json::Value> {
    ApiJson(openapi_document())
}

/// The document, with `security: []` on the endpoints that take no token.
pub fn openapi_document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
            for operation in item.values_mut().filter_map(|o| o.as_object_mut()) {
                let public = operation
                    .get("security")
                    .and_then(|s| s.as_array())
                    .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(|r| r.is_empty())));
                if public {
                    operation.insert("security".into(), serde_json::json!([]));
                }
            }
        }
    }
    doc
}
