//! `/v1/account`: the account the API key belongs to, and its settings (name, default
//! time zone, default phone region) through the same service as the console's settings
//! page ([`crate::accounts::AccountAdmin::update_settings`]), which owns their rules.

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::json_body::JsonObject;
use crate::{
    accounts::AccountAdmin,
    app::AppState,
    auth::AuthedAccount,
    error::{ApiError, Problem},
    store::{Account, AccountId, AccountSettings},
};

/// An account as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// Account id.
    pub id: AccountId,
    /// Account name.
    pub name: String,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// The default time zone (an IANA name such as `Europe/London`) a new schedule in
    /// the console starts from.
    pub time_zone: String,
    /// The ISO 3166 alpha-2 region national phone numbers are read in (`GB`); null:
    /// only numbers with a country code match callers.
    pub default_region: Option<String>,
}

impl AccountView {
    fn new(account: &Account, settings: AccountSettings) -> Self {
        AccountView {
            id: account.id,
            name: settings.name,
            created_at: account.created_at,
            time_zone: settings.time_zone,
            default_region: settings.default_region,
        }
    }
}

/// The settings to change; a member left out keeps its current value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountSettingsBody {
    /// The account's name, unique across the service.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String)]
    pub name: Option<String>,
    /// The default time zone: an IANA name such as `Europe/London` or `UTC`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String)]
    pub time_zone: Option<String>,
    /// The default phone region (ISO 3166 alpha-2, e.g. `GB`); `""` or null clears it.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<String>)]
    pub default_region: Option<Option<String>>,
}

/// A member that is present must be a string (null is refused: it would mean nothing).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

/// A member that is present is a string or null (null: clear it).
fn present_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_account, update_account))
}

fn admin(state: &AppState) -> AccountAdmin<'_> {
    AccountAdmin {
        store: &state.store,
        clock: state.clock.as_ref(),
        random: state.random.as_ref(),
    }
}

/// The calling API key's account, with its settings.
#[utoipa::path(get, path = "/v1/account", tag = "account", responses(
    (status = 200, description = "The caller's account", body = AccountView),
    (status = 401, description = "Missing or invalid API key", body = Problem)))]
pub async fn get_account(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
) -> Result<Json<AccountView>, ApiError> {
    let settings = admin(&state).settings(account.id).await?;
    Ok(Json(AccountView::new(&account, settings)))
}

/// Changes the account's name, default time zone or default phone region (the same
/// rules as the console's settings page). A changed region re-reads the account's phone
/// index, since national numbers then mean other numbers.
#[utoipa::path(patch, path = "/v1/account", tag = "account", request_body = AccountSettingsBody,
    responses(
        (status = 200, description = "Saved; the account with its settings", body = AccountView),
        (status = 401, description = "Missing or invalid API key", body = Problem),
        (status = 409, description = "Another account has this name", body = Problem),
        (status = 422, description = "A setting cannot be used (an empty name, a time zone \
            or region that does not exist); `details.field` names it", body = Problem)))]
pub async fn update_account(
    State(state): State<AppState>,
    AuthedAccount(account): AuthedAccount,
    JsonObject(body): JsonObject<AccountSettingsBody>,
) -> Result<Json<AccountView>, ApiError> {
    let admin = admin(&state);
    let current = admin.settings(account.id).await?;
    let name = body.name.unwrap_or(current.name);
    let time_zone = body.time_zone.unwrap_or(current.time_zone);
    let default_region = body
        .default_region
        .unwrap_or(current.default_region)
        .unwrap_or_default();
    let saved = admin
        .update_settings(account.id, &name, &time_zone, &default_region)
        .await?;
    tracing::info!(account = %account.id, "account settings saved");
    Ok(Json(AccountView::new(&account, saved)))
}
