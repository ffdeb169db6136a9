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
        sync::push, sync::pull, sync::snapshot, sync::events,
        admin::list_users, admin::add_user, admin::disable_user, admin::enable_user, admin::reset_password,
        admin::bind_colleague, admin::grant, admin::revoke, admin::customer_shares,
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn operations() -> Vec<(String, Value)> {
        let doc = openapi_document();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        paths
            .into_iter()
            .flat_map(|(path, item)| {
                let item = item.as_object().cloned().unwrap_or_default();
                item.into_iter().map(move |(method, operation)| (format!("{method} {path}"), operation))
            })
            .collect()
    }

    /// What holds for every endpoint because of the layers around the handlers: the protocol
    /// check (400), the token check (401), the body limit (413).
    #[test]
    fn every_operation_lists_what_every_endpoint_of_its_kind_answers() {
        let all = operations();
        assert_eq!(all.len(), 20, "every endpoint is documented");
        for (name, operation) in all {
            let answers = operation["responses"].as_object().map(|r| r.keys().cloned().collect::<Vec<_>>());
            let answers = answers.unwrap_or_default();
            assert!(answers.contains(&"400".to_owned()), "{name}: a wrong protocol header is 400");
            let header = operation["parameters"]
                .as_array()
                .and_then(|p| p.iter().find(|p| p["name"] == duly_protocol::PROTOCOL_HEADER))
                .unwrap_or_else(|| panic!("{name} names the protocol header"));
            assert_eq!(header["in"], "header");
            assert_eq!(header["required"], json!(name.contains(" /api/sync/")), "{name}");
            assert_eq!(header["schema"]["enum"], json!([duly_protocol::PROTOCOL_VERSION.to_string()]));
            if operation["security"] != json!([]) {
                assert!(answers.contains(&"401".to_owned()), "{name} takes a token, so it can answer 401");
            }
            if operation["requestBody"].is_object() {
                assert!(answers.contains(&"413".to_owned()), "{name} reads a body, so it can answer 413");
            }
        }
    }

    /// The numbers the document states are the ones the checks use.
    #[test]
    fn the_documented_limits_are_the_checks_constants() {
        use duly_protocol::limits::{MAX_LOGIN_BYTES, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
        let doc = openapi_document();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["LoginRequest"]["properties"]["login"]["maxLength"], MAX_LOGIN_BYTES);
        assert_eq!(schemas["LoginRequest"]["properties"]["password"]["maxLength"], MAX_PASSWORD_BYTES);
        assert_eq!(schemas["NewUser"]["properties"]["password"]["minLength"], MIN_PASSWORD_CHARS);
        assert_eq!(schemas["PasswordReset"]["properties"]["password"]["maxLength"], MAX_PASSWORD_BYTES);
        assert_eq!(schemas["PushRequest"]["properties"]["ops"]["maxItems"], duly_protocol::MAX_PUSH_OPS);
        assert_eq!(schemas["OpId"]["properties"]["client_seq"]["minimum"], 1);
        let login = schemas["NewUser"]["properties"]["login"]["pattern"].as_str().unwrap_or_default();
        assert!(login.contains(&format!("{{1,{MAX_LOGIN_BYTES}}}")), "{login}");
        let value = &schemas["Operation"]["properties"]["value"];
        assert!(value.get("type").is_none(), "a value is any JSON, not only an object: {value}");
    }
}
