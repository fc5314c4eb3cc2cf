//! `GET /campaigns`: the account's reported campaigns, newest sent first, with their
//! recipients and notes written, skipped, failed and waiting — one grouped statement
//! for the whole table.

use super::campaign_url;
use crate::console::prelude::*;
use crate::{
    console::words::{thousands, when},
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
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, ConsoleError> {
    let campaigns = overview::campaigns(&state, viewer.account_id())
        .await
        .map_err(ConsoleError::service)?;
    let page = CampaignsPage {
        layout: Layout::new(&viewer, Section::Campaigns),
        rows: campaigns.into_iter().map(row).collect(),
    };
    page.respond(StatusCode::OK)
}
