//! A stored connector as the pages show it: words instead of codes, times in UTC,
//! never its password.

use crate::{
    app::AppState,
    store::{ConnectorRecord, ConnectorStatus},
};

/// One connector, ready for a template.
#[derive(Debug, Clone)]
pub struct ConnectorRow {
    /// The id, for links.
    pub id: String,
    /// The kind's name for people, e.g. `Infor CRM`.
    pub kind: String,
    /// The CRM's address.
    pub base_url: String,
    /// The CRM login name.
    pub username: String,
    /// Whether it holds a verified login (else it was reset).
    pub connected: bool,
    /// The CRM user's name at the last successful login, or "".
    pub crm_user: String,
    /// When the login was last verified, in UTC; "" when never.
    pub last_verified: String,
    /// The same instant for `<time datetime>`; "" when never.
    pub last_verified_iso: String,
}

impl ConnectorRow {
    /// The row of `record`.
    pub fn of(state: &AppState, record: &ConnectorRecord) -> Self {
        let (crm_user, last_verified, last_verified_iso) = match &record.verified {
            Some(v) => (
                v.crm_user_name.trim().to_string(),
                crate::console::words::when(v.verified_at),
                v.verified_at.to_rfc3339(),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        ConnectorRow {
            id: record.id.as_db(),
            kind: kind_name(state, &record.kind),
            base_url: record.base_url.clone(),
            username: record.username.clone(),
            connected: record.status == ConnectorStatus::Connected,
            crm_user,
            last_verified,
            last_verified_iso,
        }
    }

    /// The CRM user for sentences: their name, else the login name.
    pub fn who(&self) -> &str {
        if self.crm_user.is_empty() {
            &self.username
        } else {
            &self.crm_user
        }
    }
}

/// A connector kind's name for people (`Infor CRM`), else its code.
pub fn kind_name(state: &AppState, kind: &str) -> String {
    state
        .registry
        .get(kind)
        .map_or_else(|| kind.to_string(), |f| f.display_name().to_string())
}

/// One choice of the kind select.
#[derive(Debug, Clone)]
pub struct KindChoice {
    /// The registry's kind code (the option value).
    pub code: &'static str,
    /// Its name for people.
    pub name: &'static str,
}

/// Every kind this build can connect, for the kind select.
pub fn kind_choices(state: &AppState) -> Vec<KindChoice> {
    state
        .registry
        .kinds()
        .filter_map(|code| state.registry.get(code))
        .map(|f| KindChoice {
            code: f.kind(),
            name: f.display_name(),
        })
        .collect()
}
