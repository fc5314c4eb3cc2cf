//! The answers every operation can give beyond its own, added to the OpenAPI document in
//! one place so that no route can forget them and a client generated from
//! `/openapi.json` knows every status it may see:
//!
//! - 401 on every operation behind the bearer key ([`crate::auth::require_account`]);
//! - 404 on every operation with a path parameter (it names something that may not
//!   exist, or belongs to another account);
//! - 400 where the request can be malformed before a handler runs: a path id that is
//!   not a UUID, a query parameter of the wrong type, a JSON body that is not JSON;
//! - 415 and 422 on every JSON body of a secured operation: its `JsonObject` refuses
//!   another content type (415) and JSON of the wrong shape (422: a missing, unknown or
//!   mistyped field). A public operation (the lookup URL, form intake) reads its body
//!   its own way and documents what it answers itself.
//!
//! An operation's own description of a status wins: these are added only where it has
//! none. Every one of them answers a [`crate::error::Problem`].
//!
//! It also says what an optional body (`request_body(content = Option<T>)`) means: the
//! body may be left out, not sent as JSON `null` (which the service refuses), so its
//! schema is `T` itself in a request body that is not required.

use serde_json::Value;
use utoipa::openapi::{
    self, Content, RefOr, Required,
    path::{Operation, ParameterIn},
    response::ResponseBuilder,
    schema::Ref,
};

use super::operations_mut;

/// The name of the problem schema in the document's components.
const PROBLEM_SCHEMA: &str = "Problem";

/// What an operation takes, as far as its possible refusals go.
#[derive(Debug, Default)]
struct Inputs {
    secured: bool,
    path_params: bool,
    uuid_path_params: bool,
    query_params: bool,
    json_body: bool,
}

impl Inputs {
    fn of(operation: &Operation) -> Self {
        let mut inputs = Inputs {
            secured: operation
                .security
                .as_ref()
                .is_some_and(|requirements| !requirements.is_empty()),
            ..Inputs::default()
        };
        for parameter in operation.parameters.iter().flatten() {
            let RefOr::T(parameter) = parameter else {
                continue;
            };
            match parameter.parameter_in {
                ParameterIn::Path => {
                    inputs.path_params = true;
                    inputs.uuid_path_params |= is_uuid(parameter.schema.as_ref());
                }
                ParameterIn::Query => inputs.query_params = true,
                _ => {}
            }
        }
        if let Some(RefOr::T(body)) = &operation.request_body {
            inputs.json_body = body.content.keys().any(|c| c == "application/json");
        }
        inputs
    }

    /// The statuses this operation can answer before (or besides) its handler's own,
    /// with a description of each.
    fn refusals(&self) -> Vec<(&'static str, &'static str)> {
        let mut refusals = Vec::new();
        if self.uuid_path_params || self.query_params || self.json_body {
            refusals.push((
                "400",
                "The request cannot be read: a path id that is not a UUID, a query \
                 parameter of the wrong type or out of range, or a body that is not JSON",
            ));
        }
        if self.secured {
            refusals.push(("401", "Missing or invalid API key"));
        }
        if self.path_params {
            refusals.push((
                "404",
                "Nothing with this id (or name) exists in this account",
            ));
        }
        if self.json_body && self.secured {
            refusals.push(("415", "The body is not sent as application/json"));
            refusals.push((
                "422",
                "The JSON body does not have the documented shape: a required field \
                 missing, an unknown field, or a value of the wrong type",
            ));
        }
        refusals
    }
}

/// Whether a parameter's schema is a UUID string.
fn is_uuid(schema: Option<&RefOr<openapi::Schema>>) -> bool {
    schema
        .and_then(|s| serde_json::to_value(s).ok())
        .is_some_and(|s| s.get("format").and_then(Value::as_str) == Some("uuid"))
}

/// Completes `doc`: optional bodies as absent rather than `null`, and the refusals every
/// operation can answer.
pub(super) fn complete(doc: &mut openapi::OpenApi) {
    optional_bodies(doc);
    document_refusals(doc);
}

/// An optional body's schema is utoipa's `oneOf: [{type: null}, T]`; the service takes
/// no body or a `T`, never `null`.
fn optional_bodies(doc: &mut openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            let Some(RefOr::T(body)) = operation.request_body.as_mut() else {
                continue;
            };
            if matches!(body.required, Some(Required::True)) {
                continue;
            }
            for content in body.content.values_mut() {
                let RefOr::T(content) = content else {
                    continue;
                };
                if let Some(inner) = content.schema.as_ref().and_then(not_null) {
                    content.schema = Some(inner);
                }
            }
        }
    }
}

/// `T` of a `oneOf: [{type: null}, T]` schema.
fn not_null(schema: &RefOr<openapi::Schema>) -> Option<RefOr<openapi::Schema>> {
    let value = serde_json::to_value(schema).ok()?;
    let variants = value.get("oneOf")?.as_array()?;
    let null = Value::from_iter([("type".to_string(), Value::from("null"))]);
    match variants.as_slice() {
        [a, b] if *a == null => serde_json::from_value(b.clone()).ok(),
        [a, b] if *b == null => serde_json::from_value(a.clone()).ok(),
        _ => None,
    }
}

/// Adds the refusals every operation of `doc` can answer and does not describe yet.
fn document_refusals(doc: &mut openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            for (status, description) in Inputs::of(operation).refusals() {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem(description));
            }
        }
    }
}

/// A response answered with a problem JSON.
fn problem(description: &str) -> RefOr<openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name(PROBLEM_SCHEMA))),
        )
        .build()
        .into()
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::{
        OpenApiBuilder, PathItem, PathsBuilder,
        path::{HttpMethod, OperationBuilder, ParameterBuilder},
        request_body::RequestBodyBuilder,
        schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type},
        security::SecurityRequirement,
    };

    use super::*;

    fn doc_with(operation: Operation) -> openapi::OpenApi {
        OpenApiBuilder::new()
            .paths(PathsBuilder::new().path(
                "/v1/things/{id}",
                PathItem::new(HttpMethod::Post, operation),
            ))
            .build()
    }

    fn statuses(doc: &openapi::OpenApi) -> Vec<String> {
        let item = &doc.paths.paths["/v1/things/{id}"];
        let operation = item.post.as_ref().expect("the post operation");
        operation.responses.responses.keys().cloned().collect()
    }

    #[test]
    fn a_secured_operation_with_a_uuid_id_and_a_json_body_documents_every_refusal() {
        let uuid = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        let body = RequestBodyBuilder::new()
            .content("application/json", Content::new(None::<RefOr<_>>))
            .required(Some(Required::True))
            .build();
        let operation = OperationBuilder::new()
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .parameter(
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path)
                    .schema(Some(uuid)),
            )
            .request_body(Some(body))
            .response("200", ResponseBuilder::new().description("done"))
            .response("404", ResponseBuilder::new().description("its own words"))
            .build();
        let mut doc = doc_with(operation);
        document_refusals(&mut doc);
        assert_eq!(
            statuses(&doc),
            ["200", "400", "401", "404", "415", "422"].map(String::from)
        );
        let own = &doc.paths.paths["/v1/things/{id}"]
            .post
            .as_ref()
            .unwrap()
            .responses
            .responses["404"];
        let RefOr::T(own) = own else {
            panic!("an inline response")
        };
        assert_eq!(own.description, "its own words");
    }

    #[test]
    fn a_public_operation_with_a_json_body_gets_no_json_extractor_refusals() {
        let body = RequestBodyBuilder::new()
            .content("application/json", Content::new(None::<RefOr<_>>))
            .build();
        let operation = OperationBuilder::new()
            .request_body(Some(body))
            .response("200", ResponseBuilder::new().description("done"))
            .build();
        let mut doc = doc_with(operation);
        document_refusals(&mut doc);
        assert_eq!(statuses(&doc), ["200", "400"].map(String::from));
    }

    #[test]
    fn a_public_operation_without_inputs_gets_nothing() {
        let operation = OperationBuilder::new()
            .response("200", ResponseBuilder::new().description("done"))
            .build();
        let mut doc = doc_with(operation);
        document_refusals(&mut doc);
        assert_eq!(statuses(&doc), ["200"].map(String::from));
    }
}
