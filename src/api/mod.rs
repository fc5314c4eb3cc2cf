//! The HTTP API: one module per resource, each exposing `routes()` built with
//! utoipa-axum so a route and its OpenAPI description come from one place.
//!
//! Every route under `/v1` is behind [`crate::auth::require_account`] and is
//! documented with the bearer security scheme; `/healthz`, `/readyz`,
//! `/openapi.json`, the web form intake `/f/{form_key}` and the phone-system lookup
//! URL `/crm-lookup/{lookup_key}` (its key is the credential) are public.

use std::sync::Arc;

use axum::{Json, Router, middleware, routing::get};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, PathItem,
        security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{app::AppState, auth, error, forms::IntakeLimiter};

pub mod account;
pub mod alert_channels;
pub mod connectors;
mod contract;
pub mod conversion_exports;
pub mod crm_lookup;
pub mod field_usages;
pub mod forms;
pub mod health;
pub mod interactions;
pub mod jobs;
mod json_body;
pub mod lists;
pub mod lookup_keys;
pub mod members;
pub mod messages;
mod paging;
mod problems;
pub mod public_forms;
pub mod routing_rules;
pub mod runs;
pub mod schedules;
pub mod segments;
pub mod sync;

/// The name of the bearer security scheme in the document.
pub const BEARER_SCHEME: &str = "bearer";
/// The prefix of every authenticated route.
pub const V1_PREFIX: &str = "/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "listbridge",
        description = "Keeps marketing lists and CRMs in step. Every /v1 route needs \
                       `Authorization: Bearer <API key>`; the phone-system lookup URL \
                       `/crm-lookup/{lookup_key}` is authenticated by its key (and \
                       `X-Lookup-Secret` when the key has one) instead. Errors are \
                       `Problem` JSON."
    ),
    modifiers(&BearerScheme),
    components(schemas(error::Problem, crate::alerts::Alert)),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "account", description = "The caller's account"),
        (name = "connectors", description = "CRM connections: Connect, Reconfirm Login, Reset"),
        (name = "lists", description = "Marketing lists: import, upload, columns, members"),
        (name = "segments", description = "Saved filters over a list; members computed"),
        (name = "field-usages", description = "Standard Field Names: column to system usage"),
        (name = "sync", description = "Sync setups, Run Now, run reports"),
        (name = "schedules", description = "When lists and segments sync by themselves; at most ten"),
        (name = "jobs", description = "The background job queue: status, last error, retry"),
        (name = "forms", description = "Web forms: definitions, public intake at /f/{form_key}, submissions"),
        (name = "messages", description = "Message sent reports and their CRM notes"),
        (name = "callers", description = "The phone-system lookup URL /crm-lookup/{lookup_key} (public: the key is the credential), its lookup keys and routing rule sets"),
        (name = "interactions", description = "Calls reported by the phone system and their CRM call notes"),
        (name = "alerts", description = "Alert channels (email, signed webhooks) for failed scheduled syncs, refused CRM logins, dead jobs and rejected form submissions piling up, and a test alert"),
        (name = "conversions", description = "Offline conversions: CRM sales sent back to the call-tracking platform that brought the customer, exactly once, with its answers; CSV downloads")
    )
)]
struct ApiDoc;

/// Adds the bearer API-key scheme to the document's components.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("API key")
                    .build(),
            ),
        );
    }
}

/// The authenticated `/v1` routes, with their documentation. Add a resource by
/// merging its `routes()` here.
pub fn v1_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(account::routes())
        .merge(connectors::routes())
        .merge(lists::routes())
        .merge(members::routes())
        .merge(segments::routes())
        .merge(field_usages::routes())
        .merge(sync::routes())
        .merge(runs::routes())
        .merge(schedules::routes())
        .merge(jobs::routes())
        .merge(forms::routes())
        .merge(messages::routes())
        .merge(lookup_keys::routes())
        .merge(routing_rules::routes())
        .merge(interactions::routes())
        .merge(alert_channels::routes())
        .merge(conversion_exports::routes())
}

/// The API's routes (public, `/v1` behind [`auth::require_account`], `/openapi.json`)
/// and their OpenAPI document; [`crate::http::router`] puts them beside the console.
pub fn routes(state: &AppState) -> (Router<AppState>, openapi::OpenApi) {
    let (v1, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(v1_routes())
        .split_for_parts();
    require_bearer_on_v1(&mut doc);
    let v1 = v1.route_layer(middleware::from_fn_with_state(
        state.clone(),
        auth::require_account,
    ));

    let (public, public_doc) = OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .merge(public_forms::routes(Arc::new(IntakeLimiter::new(
            &state.form_intake,
        ))))
        .merge(crm_lookup::routes())
        .split_for_parts();
    doc.merge(public_doc);
    contract::complete(&mut doc);

    let served = Arc::new(doc.clone());
    let router = Router::new().merge(public).merge(v1).route(
        "/openapi.json",
        get(move || async move { Json(served.as_ref().clone()) }),
    );
    (router, doc)
}

/// Marks every `/v1` operation as requiring the bearer scheme, so the document
/// states what [`auth::require_account`] enforces.
fn require_bearer_on_v1(doc: &mut openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        if path.starts_with(V1_PREFIX) {
            for operation in operations_mut(item) {
                operation.security = Some(vec![SecurityRequirement::new(
                    BEARER_SCHEME,
                    Vec::<String>::new(),
                )]);
            }
        }
    }
}

/// The operations of a path item, with their HTTP methods.
pub fn operations(item: &PathItem) -> Vec<(&'static str, &openapi::path::Operation)> {
    [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("DELETE", &item.delete),
        ("OPTIONS", &item.options),
        ("HEAD", &item.head),
        ("PATCH", &item.patch),
        ("TRACE", &item.trace),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_ref().map(|op| (method, op)))
    .collect()
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}
