//! Reading campaigns as a whole, for the console: the account's campaigns with their
//! recipients per status, and why a campaign's notes were skipped or failed. Campaigns
//! are not stored as rows of their own; they are the note events grouped by campaign id.

use super::NotesError;
use crate::{
    AppState,
    store::{AccountId, CampaignSummary, NoteEventRepo, NoteStatus},
};

/// The account's campaigns reported through `POST /v1/messages/sent`, newest sent first.
pub async fn campaigns(
    state: &AppState,
    account: AccountId,
) -> Result<Vec<CampaignSummary>, NotesError> {
    Ok(NoteEventRepo
        .campaigns(state.store.conn(), account, None)
        .await?)
}

/// One campaign of the account, or `None` when nothing was reported under that id.
pub async fn campaign(
    state: &AppState,
    account: AccountId,
    campaign: &str,
) -> Result<Option<CampaignSummary>, NotesError> {
    Ok(NoteEventRepo
        .campaigns(state.store.conn(), account, Some(campaign))
        .await?
        .into_iter()
        .next())
}

/// Each distinct reason a campaign's notes were skipped or failed, with how many
/// recipients it concerns, most first (at most `limit` reasons).
pub async fn reasons(
    state: &AppState,
    account: AccountId,
    campaign: &str,
    limit: u64,
) -> Result<Vec<(NoteStatus, String, i64)>, NotesError> {
    Ok(NoteEventRepo
        .reasons(state.store.conn(), account, campaign, limit)
        .await?)
}
