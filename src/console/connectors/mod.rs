//! The *Connectors* pages (admins only): the account's CRM connectors, *Connect*,
//! *Reconfirm Login*, *Reset Connector* and *Delete connector* behind a confirmation,
//! and a browser of the CRM's fields. Every action goes through [`crate::connectors::ConnectorService`],
//! the same service the JSON API calls, and shows the API's messages beside the field
//! they are about.

mod connect;
mod delete;
mod errors;
mod fields;
mod index;
mod reconfirm;
mod reset;
mod view;

pub use view::kind_name;

use axum::{Router, routing::get};

use super::error::ConsoleError;
use crate::{
    app::AppState,
    connectors::ConnectError,
    store::{AccountId, ConnectorId, ConnectorRecord},
};

/// `/connectors` and its forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/connectors", get(index::show).post(connect::submit))
        .route("/connectors/new", get(connect::show))
        .route(
            "/connectors/{id}/reconfirm",
            get(reconfirm::show).post(reconfirm::submit),
        )
        .route(
            "/connectors/{id}/reset",
            get(reset::show).post(reset::submit),
        )
        .route(
            "/connectors/{id}/delete",
            get(delete::show).post(delete::submit),
        )
        .route("/connectors/{id}/fields", get(fields::show))
}

/// The connector `raw` (an id from the URL) of `account`: a malformed id and another
/// account's connector are both "not found".
async fn owned(
    state: &AppState,
    account: AccountId,
    raw: &str,
) -> Result<ConnectorRecord, ConsoleError> {
    let Some(id) = ConnectorId::from_db(raw) else {
        return Err(not_found());
    };
    state
        .connectors()
        .get(account, id)
        .await
        .map_err(page_error)
}

/// The error page for a failed connector action that is not about a form field.
fn page_error(err: ConnectError) -> ConsoleError {
    match err {
        ConnectError::NotFound(_) => not_found(),
        other => ConsoleError::service(other),
    }
}

/// The page shown for a connector that is not this account's.
fn not_found() -> ConsoleError {
    ConsoleError::NotFound("There is no such connector in this account.".to_string())
}
