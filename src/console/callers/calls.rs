//! `GET /callers/calls`: the calls the phone system reported (`POST /v1/interactions`)
//! and where each one's CRM note is — written on which lead or contact, still waiting,
//! refused by the CRM, or unmatched with the reason (no record has the number, or it is
//! not a number). Filtered by status (`?status=`) and paged by the same interaction id
//! cursor (`?after=`) as `GET /v1/interactions`, through the same service
//! ([`interactions::list_interactions`]). Start times are shown in the account's time
//! zone. Every signed-in user may read it; only the viewer's account is read.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::console::prelude::*;
use crate::{
    callers::interactions::{self, duration_text},
    console::{
        error::filtered_page_url,
        people::account_admin,
        words::{count, thousands},
    },
    scheduling::rule::parse_zone,
    store::{CallDirection, DEFAULT_TIME_ZONE, Interaction, InteractionStatus},
};

/// The page's address.
const BASE: &str = "/callers/calls";
/// Calls per page when the URL does not say.
const DEFAULT_LIMIT: u64 = 50;
/// The most calls one page shows (the API's maximum).
const MAX_LIMIT: u64 = 1000;
/// The longest part of a call's notes shown in the table (the CRM note has them all).
const NOTES_SHOWN: usize = 200;

/// The status filters offered, in the order of the tabs (*All* comes first).
const FILTERS: [(&str, InteractionStatus); 4] = [
    ("Note written", InteractionStatus::Delivered),
    ("Waiting", InteractionStatus::Pending),
    ("Failed", InteractionStatus::Failed),
    ("Unmatched", InteractionStatus::Unmatched),
];

/// What the page is asked for.
#[derive(Debug, Deserialize)]
pub struct CallsQuery {
    /// Only calls of this status (`delivered`, `pending`, `failed`, `unmatched`, or
    /// `sending`); all when absent or unknown.
    status: Option<String>,
    /// Calls after this interaction id (the *Next* cursor).
    after: Option<String>,
    /// Calls per page.
    limit: Option<String>,
}

/// A status filter tab.
struct FilterTab {
    label: String,
    url: String,
    current: bool,
}

/// One call's row.
struct CallRow {
    interaction_id: String,
    started: String,
    started_iso: String,
    direction: &'static str,
    caller: String,
    callee: String,
    agent: String,
    outcome: String,
    duration: String,
    notes: String,
    status: &'static str,
    class: &'static str,
    /// "Lead QABC…" / "Contact C6UJ…", or "".
    record: String,
    /// Why it is unmatched or failed, or "".
    reason: String,
}

#[derive(Template)]
#[template(path = "console/callers_calls.html")]
struct CallsPage {
    layout: Layout,
    /// The account has no call at all: the empty state says how calls arrive.
    none_yet: bool,
    counts: Vec<(&'static str, String)>,
    waiting: bool,
    zone: String,
    tabs: Vec<FilterTab>,
    rows: Vec<CallRow>,
    summary: String,
    first: Option<String>,
    next: Option<String>,
}

/// `GET /callers/calls`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<CallsQuery>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let status = query.status.as_deref().and_then(InteractionStatus::parse);
    let after = query.after.as_deref().filter(|a| !a.is_empty());
    let limit = query
        .limit
        .as_deref()
        .and_then(|l| l.trim().parse::<u64>().ok());
    let page_size = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let listing = interactions::list_interactions(&state, account, status, after, page_size)
        .await
        .map_err(ConsoleError::service)?;
    let zone = account_zone(&state, &viewer).await;

    let tally = listing.counts;
    let next = listing
        .next_after
        .as_deref()
        .map(|last| page_url(status, Some(last), limit));
    let first = after.map(|_| page_url(status, None, limit));
    let shown = listing.interactions.len();
    let summary = match (status, shown) {
        (Some(s), 0) if after.is_none() => format!("No call is {}.", status_words(s).0),
        (_, 0) => "No more calls.".to_string(),
        (Some(s), n) => format!(
            "{} of {} {}, by interaction id.",
            thousands(n as i64),
            count(tally.of(s), "call", "calls"),
            status_words(s).0
        ),
        (None, n) => format!(
            "{} of {}, by interaction id.",
            thousands(n as i64),
            count(tally.total(), "call", "calls")
        ),
    };
    let mut tabs = vec![FilterTab {
        label: format!("All ({})", thousands(tally.total())),
        url: page_url(None, None, limit),
        current: status.is_none(),
    }];
    tabs.extend(FILTERS.iter().map(|&(label, s)| FilterTab {
        label: format!("{label} ({})", thousands(tally.of(s))),
        url: page_url(Some(s), None, limit),
        current: status == Some(s),
    }));
    let waiting = tally.pending + tally.sending;
    CallsPage {
        layout: Layout::new(&viewer, Section::Callers),
        none_yet: tally.total() == 0,
        counts: vec![
            ("Calls", thousands(tally.total())),
            ("Notes written", thousands(tally.delivered)),
            ("Unmatched", thousands(tally.unmatched)),
            ("Failed", thousands(tally.failed)),
            ("Waiting", thousands(waiting)),
        ],
        waiting: waiting > 0,
        rows: listing
            .interactions
            .into_iter()
            .map(|i| call_row(i, &zone))
            .collect(),
        zone,
        tabs,
        summary,
        first,
        next,
    }
    .respond(StatusCode::OK)
}

/// The account's time zone, the one its pages show times in; UTC when it cannot be
/// read.
async fn account_zone(state: &AppState, viewer: &Viewer) -> String {
    match account_admin(state).settings(viewer.account_id()).await {
        Ok(settings) => settings.time_zone,
        Err(e) => {
            tracing::warn!(error = %e, "account time zone unreadable; using UTC");
            DEFAULT_TIME_ZONE.to_string()
        }
    }
}

/// An instant in the account's zone: `2 Jun 2025, 10:00 BST`.
fn local(at: DateTime<Utc>, zone: &str) -> String {
    match parse_zone(zone) {
        Ok(tz) => at
            .with_timezone(&tz)
            .format("%-d %b %Y, %H:%M %Z")
            .to_string(),
        Err(_) => words::when(at),
    }
}

/// A status in words, and its badge class.
fn status_words(status: InteractionStatus) -> (&'static str, &'static str) {
    match status {
        InteractionStatus::Pending => ("waiting", ""),
        InteractionStatus::Sending => ("being written", ""),
        InteractionStatus::Delivered => ("note written", "ok"),
        InteractionStatus::Unmatched => ("unmatched", "warn"),
        InteractionStatus::Failed => ("failed", "bad"),
    }
}

/// The first [`NOTES_SHOWN`] characters of a call's notes, with "…" when cut.
fn notes_excerpt(notes: Option<String>) -> String {
    let notes = notes.unwrap_or_default();
    match notes.char_indices().nth(NOTES_SHOWN) {
        Some((cut, _)) => format!("{}…", &notes[..cut]),
        None => notes,
    }
}

fn call_row(i: Interaction, zone: &str) -> CallRow {
    let (status, class) = status_words(i.status);
    let record = i
        .crm
        .map(|t| {
            let entity = match t.entity.as_str() {
                "lead" => "Lead",
                "contact" => "Contact",
                other => other,
            };
            format!("{entity} {}", t.key)
        })
        .unwrap_or_default();
    CallRow {
        started: local(i.started_at, zone),
        started_iso: i.started_at.to_rfc3339(),
        direction: match i.direction {
            CallDirection::Inbound => "Inbound",
            CallDirection::Outbound => "Outbound",
        },
        duration: duration_text(i.duration_seconds),
        notes: notes_excerpt(i.notes),
        agent: i.agent.unwrap_or_default(),
        outcome: i.outcome.unwrap_or_default(),
        interaction_id: i.interaction_id,
        caller: i.caller,
        callee: i.callee,
        status,
        class,
        record,
        reason: i.reason.unwrap_or_default(),
    }
}

/// The URL of a page of calls: the filter, the cursor and the size.
fn page_url(status: Option<InteractionStatus>, after: Option<&str>, limit: Option<u64>) -> String {
    filtered_page_url(BASE, status.map(|s| s.as_str()), after, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_carry_filter_cursor_and_size() {
        assert_eq!(
            page_url(
                Some(InteractionStatus::Unmatched),
                Some("call 7&x"),
                Some(10)
            ),
            "/callers/calls?status=unmatched&after=call+7%26x&limit=10"
        );
        assert_eq!(page_url(None, None, None), "/callers/calls");
    }

    #[test]
    fn start_times_are_shown_in_the_account_zone() {
        let at = DateTime::parse_from_rfc3339("2025-06-02T09:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap();
        assert_eq!(local(at, "Europe/London"), "2 Jun 2025, 10:00 BST");
        assert_eq!(local(at, "UTC"), "2 Jun 2025, 09:00 UTC");
        assert_eq!(local(at, "nowhere"), "2 Jun 2025, 09:00 UTC");
    }

    #[test]
    fn long_notes_are_cut_on_a_character() {
        let long = "é".repeat(NOTES_SHOWN + 5);
        let shown = notes_excerpt(Some(long));
        assert_eq!(shown.chars().count(), NOTES_SHOWN + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(notes_excerpt(Some("short".into())), "short");
        assert_eq!(notes_excerpt(None), "");
    }
}
