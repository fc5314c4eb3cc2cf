//! Why a connector action failed, in terms a marketer can act on.

use listbridge_connector::ConnectorError;

use super::UrlPolicyError;
use crate::{
    secrets::SecretError,
    store::{ConnectorId, ConnectorUsers, StoreError},
};

/// The outcome of a failed connector action. Never carries a password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The kind is not compiled into this build.
    #[error("unknown connector kind '{kind}'; known kinds: {known}")]
    UnknownKind {
        /// The kind asked for.
        kind: String,
        /// The registered kinds, comma-separated.
        known: String,
    },
    /// The account tried to reach an address of its choosing (*Connect*, *Reconfirm
    /// Login*, an SFTP server's host key) too often.
    #[error(
        "too many attempts to reach a CRM or server for this account (Connect, Reconfirm \
         Login, SFTP host keys); try again in {retry_after_seconds} s"
    )]
    TooManyAttempts {
        /// Seconds until the next attempt is allowed.
        retry_after_seconds: u64,
    },
    /// The base URL was refused before any request was made.
    #[error(transparent)]
    Url(#[from] UrlPolicyError),
    /// A required value is missing or empty.
    #[error("{field} must not be empty")]
    Missing {
        /// The request field.
        field: &'static str,
    },
    /// The connector's own request budget is out of range.
    #[error("rate_limit.{field} must be between 1 and {max}, not {value}")]
    InvalidRateLimit {
        /// `requests_per_second` or `concurrency`.
        field: &'static str,
        /// What was asked for.
        value: u32,
        /// The most allowed.
        max: u32,
    },
    /// The account is already connected to this CRM (same kind, same address).
    #[error(
        "this account is already connected to this {kind} CRM (connector {existing}); use reconfirm to change its login"
    )]
    AlreadyConnected {
        /// The kind.
        kind: String,
        /// The existing connector's id.
        existing: ConnectorId,
    },
    /// *Delete connector* while lists, forms, schedules or waiting notes use it.
    #[error("{}", in_use_message(connector, users))]
    InUse {
        /// The connector as a person knows it: `Infor CRM connector at https://…`.
        connector: String,
        /// What uses it, by name (boxed: the error stays small on every other path).
        users: Box<ConnectorUsers>,
    },
    /// No such connector in this account.
    #[error("connector {0} was not found")]
    NotFound(ConnectorId),
    /// The connector has no credentials (it was reset).
    #[error("connector {0} has been reset; reconfirm its login first")]
    NotConnected(ConnectorId),
    /// The CRM refused or could not be reached; the CRM's own words are kept.
    #[error(transparent)]
    Crm(#[from] ConnectorError),
    /// A stored password could not be decrypted.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConnectError {
    /// A fixed word for the failure, for info and warn logs, which carry kinds and ids
    /// but never the CRM's words or a URL (the full text goes to debug).
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectError::UnknownKind { .. } => "unknown_kind",
            ConnectError::TooManyAttempts { .. } => "too_many_attempts",
            ConnectError::Url(_) => "url_refused",
            ConnectError::Missing { .. } => "missing_value",
            ConnectError::InvalidRateLimit { .. } => "invalid_rate_limit",
            ConnectError::AlreadyConnected { .. } => "already_connected",
            ConnectError::InUse { .. } => "in_use",
            ConnectError::NotFound(_) => "not_found",
            ConnectError::NotConnected(_) => "not_connected",
            ConnectError::Crm(err) => err.kind(),
            ConnectError::Secret(_) => "secret",
            ConnectError::Store(_) => "store",
        }
    }
}

/// "the Infor CRM connector at https://… is still used by lists 'A' and 'B', form 'F', …":
/// every user by name, so the marketer knows what to delete or change first.
fn in_use_message(connector: &str, users: &ConnectorUsers) -> String {
    let quoted = |names: &[String]| -> String {
        let names: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
        match names.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
    };
    let plural = |n: usize, one: &str, many: &str| if n == 1 { one } else { many }.to_string();
    let mut parts = Vec::new();
    if !users.lists.is_empty() {
        let word = plural(users.lists.len(), "list", "lists");
        parts.push(format!("{word} {}", quoted(&users.lists)));
    }
    if !users.forms.is_empty() {
        let word = plural(users.forms.len(), "form", "forms");
        parts.push(format!("{word} {}", quoted(&users.forms)));
    }
    if !users.schedules.is_empty() {
        parts.push(format!(
            "the scheduled syncs of {}",
            users.schedules.join(" and ")
        ));
    }
    if !users.conversion_exports.is_empty() {
        let word = plural(
            users.conversion_exports.len(),
            "conversion export",
            "conversion exports",
        );
        parts.push(format!("{word} {}", quoted(&users.conversion_exports)));
    }
    if users.waiting_notes > 0 {
        let n = users.waiting_notes;
        let word = plural(n as usize, "message-sent note", "message-sent notes");
        parts.push(format!("{n} {word} waiting to be written"));
    }
    if users.waiting_calls > 0 {
        let n = users.waiting_calls;
        let word = plural(n as usize, "call note", "call notes");
        parts.push(format!("{n} {word} waiting to be written"));
    }
    let things = !(users.lists.is_empty()
        && users.forms.is_empty()
        && users.schedules.is_empty()
        && users.conversion_exports.is_empty());
    let notes = users.waiting_notes > 0 || users.waiting_calls > 0;
    let then = match (things, notes) {
        (true, true) => "delete or change those first, and try again once the notes are written",
        (false, true) => "try again once the notes are written",
        _ => "delete or change those first",
    };
    format!(
        "the {connector} is still used by {}; {then}",
        parts.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_in_use_refusal_names_everything_that_uses_the_connector() {
        let users = ConnectorUsers {
            lists: vec!["Leads".into(), "Contacts".into(), "Webinar".into()],
            forms: vec!["Spring offer".into()],
            schedules: vec![
                "list 'Leads'".into(),
                "segment 'Gold' of list 'Leads'".into(),
            ],
            waiting_notes: 3,
            waiting_calls: 1,
            conversion_exports: vec!["Won deals".into()],
        };
        let message = in_use_message("Infor CRM connector at https://crm.example", &users);
        assert_eq!(
            message,
            "the Infor CRM connector at https://crm.example is still used by lists 'Leads', \
             'Contacts' and 'Webinar'; form 'Spring offer'; the scheduled syncs of list 'Leads' \
             and segment 'Gold' of list 'Leads'; conversion export 'Won deals'; 3 message-sent notes waiting to be written; \
             1 call note waiting to be written; delete or change those first, and try again \
             once the notes are written"
        );
    }
}
