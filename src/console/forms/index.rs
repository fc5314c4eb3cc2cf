//! `/forms`: the account's forms with their connector, submissions and hosted page.

use std::collections::HashMap;

use super::page_error;
use crate::console::prelude::*;

/// One row of the table.
#[derive(Debug, Clone)]
pub struct FormRow {
    /// Form id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The connector, in words.
    pub connector: String,
    /// "12 submissions".
    pub submissions: String,
    /// The hosted page's path.
    pub hosted: String,
}

#[derive(Template)]
#[template(path = "console/forms.html")]
struct FormsPage {
    layout: Layout,
    rows: Vec<FormRow>,
}

/// `GET /forms`: three queries whatever the number of forms.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let forms = crate::forms::list_forms(&state, account)
        .await
        .map_err(page_error)?;
    let counts = crate::forms::submission_counts(&state, account)
        .await
        .map_err(page_error)?;
    let connectors: HashMap<_, _> = state
        .connectors()
        .list(account)
        .await
        .map_err(ConsoleError::service)?
        .into_iter()
        .map(|c| (c.id, c.base_url))
        .collect();
    let rows = forms
        .into_iter()
        .map(|f| FormRow {
            id: f.id.to_string(),
            connector: connectors
                .get(&f.settings.connector_id)
                .cloned()
                .unwrap_or_else(|| "(removed connector)".into()),
            submissions: words::count(
                counts.get(&f.id).copied().unwrap_or(0),
                "submission",
                "submissions",
            ),
            hosted: format!("/f/{}", f.form_key),
            name: f.settings.name,
        })
        .collect();
    let page = FormsPage {
        layout: Layout::new(&viewer, Section::Forms),
        rows,
    };
    page.respond(StatusCode::OK)
}
