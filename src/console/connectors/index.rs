//! `GET /connectors`: the account's connectors (status, CRM user, last verified) with
//! their actions, the notice of the action just done, and the Connect form up front
//! when there is no connector yet.

use serde::Deserialize;

use super::{
    connect::ConnectValues,
    view::{ConnectorRow, KindChoice, kind_choices},
};
use crate::console::prelude::*;
use crate::store::ConnectorRecord;

/// The connectors page.
#[derive(Template)]
#[template(path = "console/connectors.html")]
struct ConnectorsPage {
    layout: Layout,
    connectors: Vec<ConnectorRow>,
    notice: String,
    /// Whether some kind of this build is not connected yet (offer Connect).
    can_connect: bool,
    form: ConnectValues,
    errors: FieldErrors,
    kinds: Vec<KindChoice>,
}

/// `?done=<action>&connector=<id>` after a form succeeded.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
    connector: Option<String>,
}

/// `GET /connectors`.
pub async fn show(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    let records = state
        .connectors()
        .list(viewer.account_id())
        .await
        .map_err(super::page_error)?;
    let notice = notice(&state, &records, &done);
    let kinds = kind_choices(&state);
    // Another CRM may always be connected, of any kind (two Infor CRMs are fine).
    let can_connect = !kinds.is_empty();
    let form = ConnectValues {
        kind: kinds
            .first()
            .map(|k| k.code.to_string())
            .unwrap_or_default(),
        ..ConnectValues::default()
    };
    ConnectorsPage {
        layout: Layout::new(&viewer, Section::Connectors),
        connectors: records
            .iter()
            .map(|r| ConnectorRow::of(&state, r))
            .collect(),
        notice,
        can_connect,
        form,
        errors: FieldErrors::none(),
        kinds,
    }
    .respond(StatusCode::OK)
}

/// The sentence for the action just done, about the connector it was done to: the
/// one named, else (after Connect) the newest.
fn notice(state: &AppState, records: &[ConnectorRecord], done: &Done) -> String {
    let named = done
        .connector
        .as_deref()
        .and_then(|id| records.iter().find(|r| r.id.as_db() == id));
    if done.done.as_deref() == Some("deleted") {
        return "The connector was deleted, with its stored login. Nothing in the CRM changed."
            .to_string();
    }
    let newest = || records.iter().max_by_key(|r| r.created_at);
    let Some(record) = named.or_else(newest) else {
        return String::new();
    };
    let row = ConnectorRow::of(state, record);
    match done.done.as_deref() {
        Some("connected") => format!("Connected to {} as {}.", row.base_url, row.who()),
        Some("reconfirmed") => format!(
            "Login reconfirmed: {} as {}. Paused schedules run again.",
            row.base_url,
            row.who()
        ),
        Some("reset") => format!(
            "{} was reset: its password is forgotten and its schedules are paused. \
             Lists and their data are kept. Use Reconfirm Login to connect it again.",
            row.base_url
        ),
        _ => String::new(),
    }
}
