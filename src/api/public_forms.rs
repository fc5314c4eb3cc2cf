//! `POST /f/{form_key}`: where web forms post. Public (the form key is the only
//! credential), rate limited per client (behind a trusted proxy, the address it
//! forwards: [`crate::client_address`]) and per form, size-capped. A plain HTML
//! form (`application/x-www-form-urlencoded`) is answered with a redirect to the form's
//! thank-you URL or a small thank-you page; JSON with `202` and the submission id. The
//! submission and its delivery job are stored before the answer is sent.
//!
//! `GET /f/{form_key}` serves the form itself as a small HTML page ([`page`]); a browser
//! post (form data, `Accept: text/html`) refused for a field (a required field empty, no or a bad email) gets that page
//! again with the message beside the field and what the visitor typed. A filled-in
//! honeypot is answered as a success and stored nowhere (see [`crate::forms::HONEYPOT_FIELD`]).

pub mod page;

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use axum::{
    Extension, Json,
    body::to_bytes,
    extract::{ConnectInfo, Path, Query, Request, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    client_address::{ClientKey, client_address},
    error::{ApiError, Problem},
    forms::{self, BodyKind, IntakeLimiter, accept_submission, parse_body, thank_you_url},
    metrics::record::{self, FormRefusal},
    store::{Form, SubmissionId, SubmissionStatus},
};

/// The public routes of this resource, with one instance's rate limiters.
pub fn routes(limiter: Arc<IntakeLimiter>) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit_form, show_form))
        .layer(Extension(limiter))
}

/// The answer to a JSON submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionReceipt {
    /// The stored submission; see `GET /v1/forms/{id}/submissions`.
    pub submission_id: SubmissionId,
    /// `queued`: stored and waiting for delivery to the CRM.
    pub status: SubmissionStatus,
}

fn rate_limited(what: &str, wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many submissions {what}; retry in {secs} s"),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The 303 to a form's thank-you URL, in its normal form (forms saved before URLs were
/// normalised may hold one with a tab or newline, which is no valid `Location`). Should
/// even that fail, the thank-you page: the submission is stored by now, and an error
/// page would make the visitor send it again.
fn thank_you(form: &Form, url: &str) -> Response {
    let location = thank_you_url(url)
        .ok()
        .and_then(|normal| HeaderValue::from_str(&normal).ok());
    match location {
        Some(location) => page::with_policy(
            (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        ),
        None => {
            tracing::warn!(form = %form.id, "a form's thank-you URL cannot be redirected to; answered with the thank-you page");
            tracing::debug!(form = %form.id, url = %url.escape_debug(), "the thank-you URL refused");
            page::thank_you(form)
        }
    }
}

/// The hosted form page: the form's title, intro and fields, posting to the same path.
/// Hidden fields take their value from the query string (`?campaign=spring`).
#[utoipa::path(get, path = "/f/{form_key}", tag = "forms",
    params(("form_key" = String, Path, description = "The form's public key")),
    responses(
        (status = 200, description = "The form as an HTML page (no script)", content_type = "text/html"),
        (status = 404, description = "No form has this key", body = Problem)))]
pub async fn show_form(
    State(state): State<AppState>,
    Path(form_key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match forms::form_by_public_key(&state, &form_key).await {
        Ok(Some(form)) => page::first_visit(&form, &query),
        Ok(None) => ApiError::not_found("a form with this key").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn too_large(max: usize) -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the submission is larger than {max} bytes"),
    )
    .into_response()
}

/// Submits a web form: a plain HTML form or a JSON object of field values. A valid
/// email is required; at most 64 KB, 64 fields and 4 KB per field (defaults).
#[utoipa::path(post, path = "/f/{form_key}", tag = "forms",
    params(("form_key" = String, Path, description = "The form's public key")),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded",
        description = "The form's fields (or the same as an `application/json` object)"),
    responses(
        (status = 202, description = "JSON submission stored; delivered to the CRM in the background", body = SubmissionReceipt),
        (status = 303, description = "Form data stored; redirect to the form's thank-you URL"),
        (status = 200, description = "Form data stored; a thank-you page (no thank-you URL set)", content_type = "text/html"),
        (status = 400, description = "The body cannot be read", body = Problem),
        (status = 404, description = "No form has this key", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Not form data or JSON", body = Problem),
        (status = 422, description = "No or invalid email, a required field empty, field too long, too many fields; form data from a browser (Accept: text/html) refused for a field gets the hosted page again (text/html) with the message beside it", body = Problem),
        (status = 429, description = "Rate limited; see Retry-After", body = Problem)))]
pub async fn submit_form(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<IntakeLimiter>>,
    Path(form_key): Path<String>,
    request: Request,
) -> Response {
    match submit(&state, &limiter, &form_key, request).await {
        Ok(response) => response,
        Err(response) => {
            record::form_refused(FormRefusal::of_status(response.status().as_u16()));
            response
        }
    }
}

async fn submit(
    state: &AppState,
    limiter: &IntakeLimiter,
    form_key: &str,
    request: Request,
) -> Result<Response, Response> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let client = client_address(
        peer,
        request.headers(),
        &state.trusted_proxies,
        state.forwarded_header,
    );
    limiter
        .check_client(ClientKey::of(client))
        .map_err(|wait| rate_limited("from this address", wait))?;
    let not_found = || ApiError::not_found("a form with this key").into_response();
    let intake = forms::intake_form(state, form_key)
        .await
        .map_err(|e| ApiError::from(e).into_response())?
        .ok_or_else(not_found)?;
    let form = intake.form.as_ref();
    limiter
        .check_form(&form.form_key)
        .map_err(|wait| rate_limited("to this form", wait))?;

    let kind = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(BodyKind::from_content_type)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the form as application/x-www-form-urlencoded (a plain HTML form) or application/json",
            )
            .into_response()
        })?;
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let max = state.form_intake.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > max) {
        return Err(too_large(max));
    }
    let body = to_bytes(request.into_body(), max)
        .await
        .map_err(|_| too_large(max))?;
    let fields = parse_body(kind, &body, &state.form_intake)
        .map_err(|e| ApiError::from(e).into_response())?;
    // A browser (form data, asking for HTML) gets the hosted page again for a field
    // error; other clients get the problem JSON.
    let typed = (kind == BodyKind::FormData && wants_html).then(|| fields.clone());
    let accepted = accept_submission(state, &intake, fields)
        .await
        .map_err(|e| {
            typed
                .as_ref()
                .and_then(|values| page::refused(form, values, &e))
                .unwrap_or_else(|| ApiError::from(e).into_response())
        })?;
    if accepted.stored {
        record::form_accepted();
        tracing::info!(form = %form.id, submission = %accepted.submission.id, "form submission accepted");
    } else {
        record::form_refused(FormRefusal::Honeypot);
    }
    Ok(match (kind, accepted.thank_you_url) {
        (BodyKind::Json, _) => (
            StatusCode::ACCEPTED,
            Json(SubmissionReceipt {
                submission_id: accepted.submission.id,
                status: accepted.submission.status,
            }),
        )
            .into_response(),
        (BodyKind::FormData, Some(url)) => thank_you(form, &url),
        (BodyKind::FormData, None) => page::thank_you(form),
    })
}
