//! `GET/POST /account` (admins): the account's name (unique across the service; a
//! taken one is refused beside the field), default phone region (ISO 3166 alpha-2, for
//! caller lookups) and default time zone (one of the IANA
//! names `chrono_tz` knows, checked by parsing), through
//! [`crate::accounts::AccountAdmin::update_settings`].

use serde::Deserialize;

use crate::console::prelude::*;
use crate::{
    accounts::AccountError,
    console::people::{account_admin, account_refusal},
};

/// The settings page.
#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    time_zone: String,
    /// The default phone region as typed (blank: none).
    default_region: String,
    /// Every time zone name, with the typed one first when it is not one of them.
    zones: Vec<String>,
    errors: FieldErrors,
    notice: &'static str,
}

/// `?done=saved` after a save.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The submitted settings form.
#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    default_region: String,
}

/// `GET /account`.
pub async fn show(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    let settings = account_admin(&state)
        .settings(viewer.account_id())
        .await
        .map_err(|e| ConsoleError::internal(&e))?;
    let notice = match done.done.as_deref() {
        Some("saved") => "The account's settings were saved.",
        _ => "",
    };
    page(
        &viewer,
        settings.name,
        settings.time_zone,
        settings.default_region.unwrap_or_default(),
        FieldErrors::none(),
        notice,
        StatusCode::OK,
    )
}

/// `POST /account`: saves, then back with a notice; a refusal shows the form again
/// with what was typed and the message beside its field.
pub async fn submit(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Form(form): Form<SettingsForm>,
) -> Result<Response, ConsoleError> {
    match account_admin(&state)
        .update_settings(
            viewer.account_id(),
            &form.name,
            &form.time_zone,
            &form.default_region,
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/account?done=saved").into_response()),
        Err(err) => {
            let (errors, status) = account_refusal(err, |e| match e {
                AccountError::InvalidTimeZone(_) => "time_zone",
                AccountError::InvalidRegion(_) => "default_region",
                _ => "name",
            })?;
            page(
                &viewer,
                form.name,
                form.time_zone,
                form.default_region,
                errors,
                "",
                status,
            )
        }
    }
}

fn page(
    viewer: &Viewer,
    name: String,
    time_zone: String,
    default_region: String,
    errors: FieldErrors,
    notice: &'static str,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let mut zones: Vec<String> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name().to_string())
        .collect();
    zones.sort();
    if !zones.contains(&time_zone) {
        zones.insert(0, time_zone.clone());
    }
    AccountPage {
        layout: Layout::new(viewer, Section::Account),
        name,
        time_zone,
        default_region,
        zones,
        errors,
        notice,
    }
    .respond(status)
}
