//! Reading the account's calls back: how many are in each status and one page of them
//! by interaction id, optionally of one status. The one home of the listing that both
//! `GET /v1/interactions` and the console's *Calls* page show, so they count, filter and
//! page alike.

use serde::Serialize;
use utoipa::ToSchema;

use super::InteractionError;
use crate::{
    AppState,
    store::{AccountId, Interaction, InteractionRepo, InteractionStatus},
};

/// Interactions per status: the listing's totals, whatever page or filter is shown.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct InteractionCounts {
    /// Waiting.
    pub pending: i64,
    /// Being written.
    pub sending: i64,
    /// Written.
    pub delivered: i64,
    /// No CRM record has the number.
    pub unmatched: i64,
    /// Refused by the CRM.
    pub failed: i64,
}

impl InteractionCounts {
    /// How many are in `status`.
    pub fn of(&self, status: InteractionStatus) -> i64 {
        match status {
            InteractionStatus::Pending => self.pending,
            InteractionStatus::Sending => self.sending,
            InteractionStatus::Delivered => self.delivered,
            InteractionStatus::Unmatched => self.unmatched,
            InteractionStatus::Failed => self.failed,
        }
    }

    /// How many there are in all.
    pub fn total(&self) -> i64 {
        InteractionStatus::ALL.into_iter().map(|s| self.of(s)).sum()
    }

    fn add(&mut self, status: InteractionStatus, n: i64) {
        let slot = match status {
            InteractionStatus::Pending => &mut self.pending,
            InteractionStatus::Sending => &mut self.sending,
            InteractionStatus::Delivered => &mut self.delivered,
            InteractionStatus::Unmatched => &mut self.unmatched,
            InteractionStatus::Failed => &mut self.failed,
        };
        *slot += n;
    }
}

/// One page of the account's interactions, with the account's totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionListing {
    /// Interactions per status (all of the account's, not only this page's).
    pub counts: InteractionCounts,
    /// This page, by interaction id.
    pub interactions: Vec<Interaction>,
    /// The interaction id to continue after; `None` on the last page.
    pub next_after: Option<String>,
}

/// The account's interactions per status, and a page of at most `limit` of them by
/// interaction id after `after` (only `status` when given). A full page has a cursor to
/// the next one; a short page is the last.
pub async fn list_interactions(
    state: &AppState,
    account: AccountId,
    status: Option<InteractionStatus>,
    after: Option<&str>,
    limit: u64,
) -> Result<InteractionListing, InteractionError> {
    let db = state.store.conn();
    let mut counts = InteractionCounts::default();
    for (status, n) in InteractionRepo.counts(db, account).await? {
        counts.add(status, n);
    }
    let interactions = InteractionRepo
        .page(db, account, status, after, limit)
        .await?;
    let next_after = if interactions.len() as u64 == limit {
        interactions.last().map(|i| i.interaction_id.clone())
    } else {
        None
    };
    Ok(InteractionListing {
        counts,
        interactions,
        next_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_status() {
        let mut counts = InteractionCounts::default();
        counts.add(InteractionStatus::Delivered, 3);
        counts.add(InteractionStatus::Unmatched, 2);
        counts.add(InteractionStatus::Delivered, 1);
        assert_eq!(counts.of(InteractionStatus::Delivered), 4);
        assert_eq!(counts.of(InteractionStatus::Pending), 0);
        assert_eq!(counts.total(), 6);
    }
}
