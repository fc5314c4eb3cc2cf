//! What every signed-in page shows around its content: the account, the person and
//! their role, the navigation their role may use, and the CSRF token its forms carry.

use super::session::Viewer;

/// The navigation section a page belongs to, to mark it in the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Lists, members, imports and uploads.
    Lists,
    /// Web forms, their hosted pages and submissions.
    Forms,
    /// Sent campaigns and their "message sent" notes in the CRM.
    Campaigns,
    /// The background job queue.
    Jobs,
    /// CRM connectors (admins).
    Connectors,
    /// Lookup keys and routing rules for phone systems (admins).
    Callers,
    /// People and API keys (admins).
    People,
    /// The account's settings (admins).
    Account,
}

/// The frame of a signed-in page.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The account's name.
    pub account: String,
    /// The person's email.
    pub user: String,
    /// `admin` or `marketer`.
    pub role: &'static str,
    /// Whether admin-only links are shown.
    pub is_admin: bool,
    /// The session's CSRF token, for the page's forms and htmx requests.
    pub csrf: String,
    /// The section to mark in the menu.
    pub section: Section,
    /// The build's version, to bust cached static files after an upgrade.
    pub version: &'static str,
}

impl Layout {
    /// The frame for `viewer` on a page of `section`.
    pub fn new(viewer: &Viewer, section: Section) -> Self {
        let session = &viewer.0;
        Layout {
            account: session.account.name.clone(),
            user: session.user.email.clone(),
            role: session.user.role.as_str(),
            is_admin: viewer.is_admin(),
            csrf: session.csrf_token.clone(),
            section,
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// The `aria-current` value of the menu link to the section named `name`
    /// (`lists`, `forms`, `campaigns`, `jobs`, `connectors`, `callers`, `people`, `account`):
    /// `page` for this page's section, else `false`.
    pub fn current(&self, name: &str) -> &'static str {
        let this = match self.section {
            Section::Lists => "lists",
            Section::Forms => "forms",
            Section::Campaigns => "campaigns",
            Section::Jobs => "jobs",
            Section::Connectors => "connectors",
            Section::Callers => "callers",
            Section::People => "people",
            Section::Account => "account",
        };
        if this == name { "page" } else { "false" }
    }

    /// The `hx-headers` attribute value that makes htmx send the CSRF token.
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ "X-CSRF-Token": self.csrf }).to_string()
    }
}
