//! The REST resources under `/services/data/vXX.X/`, after authentication and the API
//! limit: routes each to its handler.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::Method;
use serde_json::json;

use crate::errors::ApiError;
use crate::req::Req;
use crate::routes::method_not_allowed;
use crate::schema::SObject;
use crate::state::FakeState;

/// Handles one REST request; `rest` is the path after the version.
pub(crate) fn handle(
    state: &FakeState,
    req: &Req,
    version: &str,
    rest: &[&str],
) -> Result<Response, ApiError> {
    let m = &req.method;
    match rest {
        [] => only(m, Method::GET, || {
            Ok(Json(directory(version)).into_response())
        }),
        ["limits"] => only(m, Method::GET, || {
            Ok(Json(state.limits_mut().resource()).into_response())
        }),
        ["sobjects"] => only(m, Method::GET, || {
            Ok(Json(crate::describe::global(version)).into_response())
        }),
        ["sobjects", name] => {
            let object = object(name)?;
            match *m {
                Method::GET => Ok(Json(crate::describe::basic(object, version)).into_response()),
                Method::POST => crate::sobjects::create(state, req, object),
                _ => Ok(method_not_allowed(m, "GET,HEAD,POST")),
            }
        }
        ["sobjects", name, "describe"] => {
            let object = object(name)?;
            only(m, Method::GET, || {
                Ok(Json(crate::describe::describe(object, version)).into_response())
            })
        }
        ["sobjects", name, id] => {
            let object = object(name)?;
            match *m {
                Method::GET => crate::sobjects::get(state, req, version, object, id),
                Method::PATCH => crate::sobjects::update(state, req, object, id),
                Method::DELETE => crate::sobjects::delete(state, object, id),
                _ => Ok(method_not_allowed(m, "GET,HEAD,PATCH,DELETE")),
            }
        }
        [kind @ ("query" | "queryAll")] => only(m, Method::GET, || {
            crate::query::first_page(state, req, version, *kind == "queryAll")
        }),
        [kind @ ("query" | "queryAll"), locator] => only(m, Method::GET, || {
            crate::query::next_page(state, version, kind, locator)
        }),
        ["composite", "sobjects"] => match *m {
            Method::POST => crate::collections::save(state, req, crate::write::Op::Create),
            Method::PATCH => crate::collections::save(state, req, crate::write::Op::Update),
            _ => Ok(method_not_allowed(m, "PATCH,POST")),
        },
        ["composite", "sobjects", name] => {
            let object = object(name)?;
            match *m {
                Method::GET | Method::HEAD | Method::POST => {
                    crate::retrieve::retrieve(state, req, version, object)
                }
                _ => Ok(method_not_allowed(m, "GET,HEAD,POST")),
            }
        }
        ["composite", "batch"] => only(m, Method::POST, || {
            crate::composite_batch::run(state, req, version)
        }),
        ["jobs", "query"] => only(m, Method::POST, || crate::bulk::create(state, req, version)),
        ["jobs", "query", id] => match *m {
            Method::GET => crate::bulk::info(state, version, id),
            Method::PATCH => crate::bulk::abort(state, req, version, id),
            Method::DELETE => crate::bulk::delete(state, id),
            _ => Ok(method_not_allowed(m, "GET,PATCH,DELETE")),
        },
        ["jobs", "query", id, "results"] => {
            only(m, Method::GET, || crate::bulk::results(state, req, id))
        }
        _ => Err(ApiError::not_found()),
    }
}

fn only(
    m: &Method,
    want: Method,
    f: impl FnOnce() -> Result<Response, ApiError>,
) -> Result<Response, ApiError> {
    if *m == want || (want == Method::GET && *m == Method::HEAD) {
        f()
    } else {
        Ok(method_not_allowed(m, want.as_str()))
    }
}

/// The sObject named in a path; unknown ones are 404 `NOT_FOUND`.
fn object(name: &str) -> Result<SObject, ApiError> {
    SObject::from_name(name).ok_or_else(ApiError::not_found)
}

/// `GET /services/data/vXX.X/`: the resources of a version.
fn directory(version: &str) -> serde_json::Value {
    let base = format!("/services/data/{version}");
    json!({
        "sobjects": format!("{base}/sobjects"),
        "query": format!("{base}/query"),
        "queryAll": format!("{base}/queryAll"),
        "composite": format!("{base}/composite"),
        "jobs": format!("{base}/jobs"),
        "limits": format!("{base}/limits"),
    })
}
