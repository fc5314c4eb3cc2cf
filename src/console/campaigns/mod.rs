//! *Campaigns*: the sent campaigns the email sender reported through
//! `POST /v1/messages/sent`, each with its recipients and how many "message sent"
//! notes were written to the CRM, skipped (with the reasons) or are still waiting; and
//! one campaign's per-recipient outcomes. Every signed-in user may open them.
//!
//! Campaigns are not rows of their own: the list is the account's note events grouped
//! by campaign id in one statement ([`crate::notes::overview`]); a campaign's page
//! reads the same counts and keyset pages as `GET /v1/messages/{campaign_id}/notes`.

mod detail;
mod list;

use axum::{Router, routing::get};

use crate::{app::AppState, store::NoteStatus};

/// `/campaigns` and `/campaigns/{campaign_id}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list::show))
        .route("/campaigns/{campaign_id}", get(detail::show))
}

/// The URL of a campaign's page; the sender's id may hold any character.
pub fn campaign_url(campaign_id: &str) -> String {
    format!("/campaigns/{}", path_segment(campaign_id))
}

/// Percent-encodes a value as one URL path segment (all but unreserved characters).
fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A note status in words and its badge class.
fn status_words(status: NoteStatus) -> (&'static str, &'static str) {
    match status {
        NoteStatus::Pending => ("waiting", ""),
        NoteStatus::Sending => ("being written", ""),
        NoteStatus::Delivered => ("written", "ok"),
        NoteStatus::Skipped => ("skipped", "warn"),
        NoteStatus::Failed => ("failed", "bad"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaign_ids_stay_one_path_segment() {
        assert_eq!(campaign_url("spring-1"), "/campaigns/spring-1");
        assert_eq!(
            campaign_url("a b/c?d#é"),
            "/campaigns/a%20b%2Fc%3Fd%23%C3%A9"
        );
    }
}
