//! `GET /callers`: the account's lookup keys (with *Create lookup key* and *Revoke*)
//! and routing rule sets (with *New rule set*, *Edit*, *Delete*).

use serde::Deserialize;

use crate::callers::{keys::LookupKeys, routing::RoutingRules};
use crate::console::prelude::*;

/// What the key form holds: empty at first, what was typed after a refusal.
#[derive(Debug, Clone, Default)]
pub struct KeyFormValues {
    /// The key's name.
    pub name: String,
    /// Whether a secret header is required.
    pub require_secret: bool,
    /// The field typed digits are matched against.
    pub dtmf_field: String,
}

/// One lookup key in the table.
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    requires_secret: bool,
    dtmf_field: String,
    created: String,
}

/// One rule set in the table.
struct RuleRow {
    id: String,
    name: String,
    field: String,
    rows: usize,
    default: String,
}

/// The Callers page.
#[derive(Template)]
#[template(path = "console/callers.html")]
struct CallersPage {
    layout: Layout,
    keys: Vec<KeyRow>,
    rules: Vec<RuleRow>,
    form: KeyFormValues,
    errors: FieldErrors,
    notice: &'static str,
}

/// `?done=<action>` after a form succeeded.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> &'static str {
    match done {
        Some("revoked") => "The lookup key was revoked. Lookups with it are refused from now on.",
        Some("saved") => "The routing rule set was saved.",
        Some("deleted") => "The routing rule set was deleted. Its route URL now answers 404.",
        _ => "",
    }
}

/// `GET /callers`.
pub async fn show(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    render(
        &state,
        &viewer,
        KeyFormValues::default(),
        FieldErrors::none(),
        notice(done.done.as_deref()),
        StatusCode::OK,
    )
    .await
}

/// The page with `form` in the key form and `errors` beside its controls.
pub async fn render(
    state: &AppState,
    viewer: &Viewer,
    form: KeyFormValues,
    errors: FieldErrors,
    notice: &'static str,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let keys = LookupKeys::from_state(state)
        .list(account)
        .await
        .map_err(ConsoleError::service)?;
    let rules = RoutingRules::from_state(state)
        .list(account)
        .await
        .map_err(ConsoleError::service)?;
    CallersPage {
        layout: Layout::new(viewer, Section::Callers),
        keys: keys
            .into_iter()
            .map(|k| KeyRow {
                id: k.id.to_string(),
                name: k.name,
                prefix: k.prefix,
                requires_secret: k.requires_secret,
                dtmf_field: k.dtmf_field.unwrap_or_default(),
                created: words::when(k.created_at),
            })
            .collect(),
        rules: rules
            .into_iter()
            .map(|r| RuleRow {
                id: r.id.to_string(),
                rows: r.rows.len(),
                default: r.default.to_string(),
                name: r.name,
                field: r.field,
            })
            .collect(),
        form,
        errors,
        notice,
    }
    .respond(status)
}
