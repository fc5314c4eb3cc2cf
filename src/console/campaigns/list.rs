//! `GET /campaigns`: the account's reported campaigns, newest sent first, with their
//! recipients and notes written, skipped, failed and waiting — one grouped statement
//! for the whole table.

use askama::Template;
use axum::{extract::State, response::Html};

use super::campaign_url;
use crate::{
    app::AppState,
    console::{
        error::ConsoleError,
        layout::{Layout, Section},
        session::Viewer,
        words::{thousands, when},
    },
    error::ApiError,
    notes::overview,
    store::CampaignSummary,
};

/// One row of the table.
struct Row {
    url: String,
    campaign_id: String,
    subject: String,
    sent: String,
    sent_iso: String,
    recipients: String,
    written: String,
    skipped: String,
    failed: String,
    waiting: String,
    /// Some notes are still to be written.
    busy: bool,
}

#[derive(Template)]
#[template(path = "console/campaigns.html")]
struct CampaignsPage {
    layout: Layout,
    rows: Vec<Row>,
}

fn row(c: CampaignSummary) -> Row {
    let waiting = c.tally.pending + c.tally.sending;
    Row {
        url: campaign_url(&c.campaign_id),
        sent: when(c.sent_at),
        sent_iso: c.sent_at.to_rfc3339(),
        recipients: thousands(c.tally.total()),
        written: thousands(c.tally.delivered),
        skipped: thousands(c.tally.skipped),
        failed: thousands(c.tally.failed),
        waiting: thousands(waiting),
        busy: waiting > 0,
        campaign_id: c.campaign_id,
        subject: c.subject,
    }
}

/// `GET /campaigns`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, ConsoleError> {
    let campaigns = overview::campaigns(&state, viewer.account_id())
        .await
        .map_err(|e| ConsoleError::from(ApiError::from(e)))?;
    let page = CampaignsPage {
        layout: Layout::new(&viewer, Section::Campaigns),
        rows: campaigns.into_iter().map(row).collect(),
    };
    Ok(Html(page.render()?))
}
