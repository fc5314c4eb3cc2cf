//! OAuth 2.0: `POST /services/oauth2/token` with the client credentials flow and the JWT
//! bearer flow, the tokens it issues, and the bearer check every REST request passes.
//!
//! Follows "OAuth 2.0 Client Credentials Flow for Server-to-Server Integration" and
//! "OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration" in Salesforce Help.

use std::collections::HashMap;

use axum::Json;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::errors::ApiError;
use crate::req::Req;
use crate::state::FakeState;

/// Issued access tokens and when each expires (milliseconds, server clock).
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    issued: HashMap<String, i64>,
    seq: u64,
}

impl Tokens {
    fn issue(&mut self, org: &str, now_ms: i64, ttl_secs: i64) -> String {
        self.seq += 1;
        let mut hash = Sha256::new();
        hash.update(org.as_bytes());
        hash.update(now_ms.to_be_bytes());
        hash.update(self.seq.to_be_bytes());
        let noise: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let token = format!("{org}!AQ{}{noise}", self.seq);
        self.issued.insert(
            token.clone(),
            now_ms.saturating_add(ttl_secs.saturating_mul(1000)),
        );
        token
    }

    fn valid(&self, token: &str, now_ms: i64) -> bool {
        self.issued.get(token).is_some_and(|exp| now_ms < *exp)
    }

    /// Forgets every token.
    pub(crate) fn expire_all(&mut self) {
        self.issued.clear();
    }
}

fn oauth_error(error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// `POST /services/oauth2/token`.
pub(crate) fn token(state: &FakeState, req: &Req) -> Response {
    let mut fields = req.form();
    fields.extend(req.params.iter().cloned());
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let s = state.settings();
    match get("grant_type") {
        Some("client_credentials") => {
            if get("client_id") != Some(s.client_id.as_str()) {
                return oauth_error("invalid_client_id", "client identifier invalid");
            }
            if get("client_secret") != Some(s.client_secret.as_str()) {
                return oauth_error("invalid_client", "invalid client credentials");
            }
            grant(state)
        }
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
            let Some(claims) = get("assertion").and_then(crate::jwt::read) else {
                return oauth_error("invalid_grant", "invalid assertion");
            };
            if claims.iss != s.client_id {
                return oauth_error("invalid_client_id", "client identifier invalid");
            }
            let audiences = [
                "https://login.salesforce.com".to_string(),
                "https://test.salesforce.com".to_string(),
                state.base_url(),
            ];
            if !claims.has_audience(&audiences) {
                return oauth_error("invalid_grant", "audience is invalid");
            }
            if claims.exp.saturating_mul(1000) <= state.clock().now().timestamp_millis() {
                return oauth_error("invalid_grant", "expired authorization code");
            }
            if !claims.sub.eq_ignore_ascii_case(&s.username) {
                return oauth_error("invalid_grant", "user hasn't approved this consumer");
            }
            grant(state)
        }
        _ => oauth_error("unsupported_grant_type", "grant type not supported"),
    }
}

fn grant(state: &FakeState) -> Response {
    let s = state.settings();
    let now = state.clock().now().timestamp_millis();
    let org = s.org_id.to_18();
    let token = state.tokens().issue(&org, now, s.token_ttl_secs);
    let base = state.base_url();
    let id = format!("{base}/id/{org}/{}", s.user_id.to_18());
    let issued_at = now.to_string();
    let signature = Hmac::<Sha256>::new_from_slice(s.client_secret.as_bytes())
        .map(|mut mac| {
            mac.update(id.as_bytes());
            mac.update(issued_at.as_bytes());
            STANDARD.encode(mac.finalize().into_bytes())
        })
        .unwrap_or_default();
    Json(json!({
        "access_token": token,
        "signature": signature,
        "scope": "api",
        "instance_url": base,
        "id": id,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }))
    .into_response()
}

/// Whether `Authorization: Bearer <token>` (or `OAuth <token>`) names a live token.
pub(crate) fn check(state: &FakeState, req: &Req) -> bool {
    let token = req.header("authorization").and_then(|h| {
        let (scheme, token) = h.split_once(' ')?;
        (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
            .then(|| token.trim())
    });
    let now = state.clock().now().timestamp_millis();
    token.is_some_and(|t| state.tokens().valid(t, now))
}

/// 401 `INVALID_SESSION_ID` with `WWW-Authenticate: Token`.
pub(crate) fn unauthorized() -> Response {
    let mut resp = ApiError::session().into_response();
    resp.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
    resp
}
