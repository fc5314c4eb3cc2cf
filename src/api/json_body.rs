//! The extractor of every JSON request body: axum's `Json`, but only a JSON object is
//! accepted. serde lets a struct be read from an array of its fields in order, so with
//! plain `Json` a body `[true]` is taken as `{"dry_run": true}` and `["x"]` as
//! `{"name": "x"}`, while the document (and every client) says the body is an object.
//!
//! Answers as `Json` does: 415 without a JSON content type, 400 for text that is not
//! JSON, 422 (`invalid_body`) for JSON of the wrong shape, now including JSON that is
//! not an object.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, OptionalFromRequest, Request, rejection::JsonRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON object body, deserialized into `T`.
#[derive(Debug, Clone)]
pub struct JsonObject<T>(pub T);

impl<T, S> FromRequest<S> for JsonObject<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        if !json_content_type(req.headers()) {
            return Err(not_json().into_response());
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        read(&bytes).map_err(IntoResponse::into_response)
    }
}

impl<T, S> OptionalFromRequest<S> for JsonObject<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    /// No body at all (no `Content-Type`) is `None`, as with `Option<Json<T>>`.
    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Response> {
        if req.headers().get(header::CONTENT_TYPE).is_none() {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

/// Why a body was not read.
#[derive(Debug)]
enum Unread {
    /// Not JSON, or JSON of the wrong shape (axum's own answer).
    Json(JsonRejection),
    /// JSON of the right fields, but not an object.
    NotAnObject,
}

impl IntoResponse for Unread {
    fn into_response(self) -> Response {
        match self {
            Unread::Json(rejection) => rejection.into_response(),
            Unread::NotAnObject => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "the body must be a JSON object",
            )
            .into_response(),
        }
    }
}

/// Reads `bytes` as `T` (axum's own messages for text that is not JSON or JSON of the
/// wrong shape), then refuses anything but an object.
fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<JsonObject<T>, Unread> {
    let Json(value) = Json::<T>::from_bytes(bytes).map_err(Unread::Json)?;
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(Unread::NotAnObject);
    }
    Ok(JsonObject(value))
}

/// `application/json` or `application/…+json`, as axum's `Json` accepts.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

fn not_json() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Expected request with `Content-Type: application/json`",
    )
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(default)]
        dry_run: bool,
    }

    fn status(result: Result<JsonObject<Body>, Unread>) -> u16 {
        match result {
            Ok(_) => 200,
            Err(unread) => unread.into_response().status().as_u16(),
        }
    }

    #[test]
    fn only_an_object_is_a_body() {
        assert_eq!(status(read(br#" {"dry_run": true}"#)), 200);
        assert!(read::<Body>(br#"{"dry_run": true}"#).unwrap().0.dry_run);
        // serde alone reads these as the struct's fields in order.
        assert_eq!(status(read(b"[]")), 422);
        assert_eq!(status(read(b"[true]")), 422);
        assert_eq!(status(read(br#"{"other": 1}"#)), 422);
        assert_eq!(status(read(b"{nonsense")), 400);
    }

    #[test]
    fn json_content_types_are_those_axum_accepts() {
        let mut headers = HeaderMap::new();
        for (value, json) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("application/problem+json", true),
            ("text/json", false),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
        ] {
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            assert_eq!(json_content_type(&headers), json, "{value}");
        }
    }
}
