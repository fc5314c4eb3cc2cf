//! `GET /campaigns/{campaign_id}`: one campaign's counts, why notes were skipped or
//! failed, and its recipients (email, status, the CRM record the note went to, the
//! reason) filtered by status and paged by the same email cursor as
//! `GET /v1/messages/{campaign_id}/notes`. Another account's campaign is the 404 page.

use serde::Deserialize;

use super::{campaign_url, status_words};
use crate::console::prelude::*;
use crate::{
    console::{
        error::filtered_page_url,
        words::{count, thousands, when},
    },
    notes::{self, overview},
    store::{NoteEvent, NoteStatus},
};

/// Recipients per page when the URL does not say.
const DEFAULT_LIMIT: u64 = 50;
/// The most recipients one page shows (the API's maximum).
const MAX_LIMIT: u64 = 1000;
/// The most distinct reasons listed.
const MAX_REASONS: u64 = 20;

/// What the page is asked for.
#[derive(Debug, Deserialize)]
pub struct CampaignQuery {
    /// Only recipients of this status (`pending`, `sending`, `delivered`, `skipped`,
    /// `failed`); all when absent or unknown.
    status: Option<String>,
    /// Recipients after this email (the *Next* cursor).
    after: Option<String>,
    /// Recipients per page.
    limit: Option<String>,
}

/// A status filter tab.
struct FilterTab {
    label: String,
    url: String,
    current: bool,
}

/// One distinct reason notes were not written.
struct Reason {
    status: &'static str,
    class: &'static str,
    text: String,
    recipients: String,
}

/// One recipient's row.
struct Recipient {
    email: String,
    status: &'static str,
    class: &'static str,
    /// "Lead QABC…" / "Contact C6UJ…", or "".
    record: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "console/campaign.html")]
struct CampaignPage {
    layout: Layout,
    campaign_id: String,
    subject: String,
    sent: String,
    sent_iso: String,
    recipients_total: String,
    counts: Vec<(&'static str, String)>,
    waiting: bool,
    reasons: Vec<Reason>,
    tabs: Vec<FilterTab>,
    rows: Vec<Recipient>,
    summary: String,
    first: Option<String>,
    next: Option<String>,
}

/// `GET /campaigns/{campaign_id}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(campaign_id): Path<String>,
    Query(query): Query<CampaignQuery>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let fail = |e: notes::NotesError| ConsoleError::service(e);
    let Some(summary) = overview::campaign(&state, account, &campaign_id)
        .await
        .map_err(fail)?
    else {
        return Err(ConsoleError::NotFound(format!(
            "No campaign “{campaign_id}” was reported in this account."
        )));
    };
    let status = query.status.as_deref().and_then(NoteStatus::parse);
    let after = query.after.as_deref().filter(|a| !a.is_empty());
    let limit = query
        .limit
        .as_deref()
        .and_then(|l| l.trim().parse::<u64>().ok());
    let page_size = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let (_, events) =
        notes::campaign_notes(&state, account, &campaign_id, status, after, page_size)
            .await
            .map_err(fail)?;
    let reasons = overview::reasons(&state, account, &campaign_id, MAX_REASONS)
        .await
        .map_err(fail)?;

    let base = campaign_url(&campaign_id);
    let tally = summary.tally;
    let next = (events.len() as u64 == page_size)
        .then(|| events.last().map(|e| e.email.clone()))
        .flatten()
        .map(|last| page_url(&base, status, Some(&last), limit));
    let first = after.map(|_| page_url(&base, status, None, limit));
    let filtered_total = match status {
        None => tally.total(),
        Some(NoteStatus::Pending) => tally.pending,
        Some(NoteStatus::Sending) => tally.sending,
        Some(NoteStatus::Delivered) => tally.delivered,
        Some(NoteStatus::Skipped) => tally.skipped,
        Some(NoteStatus::Failed) => tally.failed,
    };
    let summary_line = match (status, events.len()) {
        (Some(s), 0) if after.is_none() => {
            format!("No recipient is {}.", status_words(s).0)
        }
        (_, 0) => "No more recipients.".to_string(),
        (Some(s), n) => format!(
            "{} of {} {}, in email order.",
            thousands(n as i64),
            count(filtered_total, "recipient", "recipients"),
            status_words(s).0
        ),
        (None, n) => format!(
            "{} of {}, in email order.",
            thousands(n as i64),
            count(filtered_total, "recipient", "recipients")
        ),
    };
    let tab = |label: &str, s: Option<NoteStatus>, n: i64| FilterTab {
        label: format!("{label} ({})", thousands(n)),
        url: page_url(&base, s, None, limit),
        current: s == status,
    };
    let page = CampaignPage {
        layout: Layout::new(&viewer, Section::Campaigns),
        subject: summary.subject,
        sent: when(summary.sent_at),
        sent_iso: summary.sent_at.to_rfc3339(),
        recipients_total: count(tally.total(), "recipient", "recipients"),
        counts: vec![
            ("Notes written", thousands(tally.delivered)),
            ("Skipped", thousands(tally.skipped)),
            ("Failed", thousands(tally.failed)),
            ("Waiting", thousands(tally.pending + tally.sending)),
        ],
        waiting: tally.pending + tally.sending > 0,
        reasons: reasons
            .into_iter()
            .map(|(s, text, n)| {
                let (status, class) = status_words(s);
                Reason {
                    status,
                    class,
                    text,
                    recipients: thousands(n),
                }
            })
            .collect(),
        tabs: vec![
            tab("All", None, tally.total()),
            tab("Written", Some(NoteStatus::Delivered), tally.delivered),
            tab("Skipped", Some(NoteStatus::Skipped), tally.skipped),
            tab("Failed", Some(NoteStatus::Failed), tally.failed),
            tab("Waiting", Some(NoteStatus::Pending), tally.pending),
            tab("Being written", Some(NoteStatus::Sending), tally.sending),
        ],
        rows: events.into_iter().map(recipient).collect(),
        summary: summary_line,
        first,
        next,
        campaign_id,
    };
    page.respond(StatusCode::OK)
}

fn recipient(e: NoteEvent) -> Recipient {
    let (status, class) = status_words(e.status);
    let record = e
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
    Recipient {
        email: e.email,
        status,
        class,
        record,
        reason: e.reason.unwrap_or_default(),
    }
}

/// The URL of a page of recipients: the filter, the cursor and the size.
fn page_url(
    base: &str,
    status: Option<NoteStatus>,
    after: Option<&str>,
    limit: Option<u64>,
) -> String {
    filtered_page_url(base, status.map(|s| s.as_str()), after, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_carry_filter_cursor_and_size() {
        assert_eq!(
            page_url(
                "/campaigns/c",
                Some(NoteStatus::Skipped),
                Some("a+b@x.com"),
                Some(10)
            ),
            "/campaigns/c?status=skipped&after=a%2Bb%40x.com&limit=10"
        );
        assert_eq!(page_url("/campaigns/c", None, None, None), "/campaigns/c");
    }
}
