//! `/v1/account`: the account the API key belongs to.

use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{app::AppState, auth::AuthedAccount, error::Problem, store::AccountId};

/// An account as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// Account id.
    pub id: AccountId,
    /// Account name.
    pub name: String,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
}

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_account))
}

/// The calling API key's account.
#[utoipa::path(get, path = "/v1/account", tag = "account", responses(
    (status = 200, description = "The caller's account", body = AccountView),
    (status = 401, description = "Missing or invalid API key", body = Problem)))]
pub async fn get_account(AuthedAccount(account): AuthedAccount) -> Json<AccountView> {
    Json(AccountView {
        id: account.id,
        name: account.name,
        created_at: account.created_at,
    })
}
