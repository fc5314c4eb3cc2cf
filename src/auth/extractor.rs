//! The bearer-key check for `/v1` and the extractor handlers use.

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::tokens::hash_key;
use crate::{app::AppState, error::ApiError, store::Account};

/// How often a key's `last_used_at` is written: at most once a minute, so calling the
/// API costs no write per request (like console sessions' last-seen time).
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// The account a request authenticated as. Taking it in a handler both proves
/// the request carried a valid key and names the only account it may see.
#[derive(Debug, Clone)]
pub struct AuthedAccount(pub Account);

impl FromRequestParts<AppState> for AuthedAccount {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(account) = parts.extensions.get::<AuthedAccount>() {
            return Ok(account.clone());
        }
        authenticate(state, &parts.headers).await
    }
}

/// Middleware for every `/v1` route: rejects requests without a valid key with
/// 401, and stores the [`AuthedAccount`] for the handler.
pub async fn require_account(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    match authenticate(&state, request.headers()).await {
        Ok(account) => {
            request.extensions_mut().insert(account);
            next.run(request).await
        }
        Err(err) => err.into_response(),
    }
}

/// Resolves `Authorization: Bearer <key>` to its account.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<AuthedAccount, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer <API key> header"))?;
    let key = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        })
        .filter(|key| !key.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be 'Bearer <API key>'")
        })?;
    let keys = state.store.api_keys();
    match keys.authenticate(&hash_key(key)).await? {
        Some((record, account)) => {
            let now = state.clock.now();
            let stale = record
                .last_used_at
                .is_none_or(|last| now - last >= TOUCH_EVERY);
            if stale {
                keys.touch(record.id, now).await?;
            }
            Ok(AuthedAccount(account))
        }
        None => Err(ApiError::unauthorized("the API key is not valid")),
    }
}
