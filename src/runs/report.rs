//! A run's report: the run itself (status, progress, counts, duration) and its records
//! (each failed, rejected, conflicted or planned record with the CRM's own words),
//! filtered by outcome and paged by sequence number.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::RunError;
use crate::{
    AppState,
    store::{AccountId, Run, RunId, RunRecord, RunRepo},
};

/// Records on a page when the caller does not say how many.
const DEFAULT_PAGE: u64 = 100;
/// Most records one page may hold.
const MAX_PAGE: u64 = 1000;

/// Which records of a report to read.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecordsQuery {
    /// Only this outcome (`failed`, `conflict`, `invalid`, `duplicate`, `planned_create`, …).
    pub outcome: Option<String>,
    /// Records after this sequence number (the previous page's `next`).
    pub after: Option<i64>,
    /// Page size (default 100, max 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// A page of run records.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordsPage {
    /// The records, in the order they happened.
    pub records: Vec<RunRecord>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<i64>,
}

/// The run `id` of `account`; another account's run is not found.
pub async fn report(state: &AppState, account: AccountId, id: RunId) -> Result<Run, RunError> {
    RunRepo
        .get(state.store.conn(), account, id, state.clock.now())
        .await?
        .ok_or_else(|| RunError::NotFound(format!("run {id}")))
}

/// A page of the records of run `id` of `account`, as `query` asks.
pub async fn records(
    state: &AppState,
    account: AccountId,
    id: RunId,
    query: &RecordsQuery,
) -> Result<RecordsPage, RunError> {
    report(state, account, id).await?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let records = RunRepo
        .records(
            state.store.conn(),
            id,
            query.outcome.as_deref(),
            query.after.unwrap_or(0),
            limit,
        )
        .await?;
    let next = (records.len() as u64 == limit)
        .then(|| records.last().map(|r| r.seq))
        .flatten();
    Ok(RecordsPage { records, next })
}

/// How many records of each outcome the report of run `id` of `account` holds, by
/// outcome name: the counts of the report's filter tabs.
pub async fn record_outcomes(
    state: &AppState,
    account: AccountId,
    id: RunId,
) -> Result<Vec<(String, u64)>, RunError> {
    report(state, account, id).await?;
    Ok(RunRepo
        .outcome_counts(state.store.conn(), id)
        .await?
        .into_iter()
        .map(|(outcome, n)| (outcome, u64::try_from(n).unwrap_or(0)))
        .collect())
}
