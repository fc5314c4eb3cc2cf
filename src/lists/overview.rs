//! The lists table at a glance: every list of an account with its last ended run, the
//! run in progress and its schedule, read in a fixed number of statements (lists,
//! latest ended runs, active runs, schedules) however many lists the account has.

use std::collections::HashMap;

use super::ListError;
use crate::{
    AppState, runs,
    scheduling::Rule,
    store::{AccountId, List, ListId, ListRepo, Run, ScheduleRepo, ScheduleTarget},
};

/// A list's schedule as the table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSummary {
    /// The rule in words, e.g. `daily 06:00 Europe/London`.
    pub rule: String,
    /// Switched on.
    pub enabled: bool,
    /// Paused because its connector was reset.
    pub paused: bool,
}

/// One row of the lists table.
#[derive(Debug, Clone)]
pub struct ListOverview {
    /// The list with its kind and member count.
    pub list: List,
    /// Its latest ended import or sync (dry runs and segment pushes left out).
    pub last_run: Option<Run>,
    /// Its queued or running import or sync.
    pub active_run: Option<Run>,
    /// Its schedule, if it has one.
    pub schedule: Option<ScheduleSummary>,
}

/// Every list of the account, newest first, with its last run, run in progress and
/// schedule. Four statements, run together.
pub async fn overview(
    state: &AppState,
    account: AccountId,
) -> Result<Vec<ListOverview>, ListError> {
    let db = state.store.conn();
    let (lists, last_runs, active_runs, schedules) = tokio::try_join!(
        ListRepo.all(db, account),
        runs::latest_ended_per_list(state, account),
        runs::active_per_list(state, account),
        ScheduleRepo.of_lists(db, account),
    )?;
    let mut last: HashMap<ListId, Run> = last_runs.into_iter().map(|r| (r.list_id, r)).collect();
    let mut active: HashMap<ListId, Run> =
        active_runs.into_iter().map(|r| (r.list_id, r)).collect();
    let mut scheduled: HashMap<ListId, ScheduleSummary> = schedules
        .into_iter()
        .filter_map(|s| match s.target {
            ScheduleTarget::List(id) => Some((
                id,
                ScheduleSummary {
                    rule: Rule::from_json(&s.rule)
                        .map_or_else(|_| "unreadable rule".to_string(), |r| r.summary()),
                    enabled: s.enabled,
                    paused: s.paused,
                },
            )),
            ScheduleTarget::Segment(_) => None,
        })
        .collect();
    Ok(lists
        .into_iter()
        .map(|list| ListOverview {
            last_run: last.remove(&list.id),
            active_run: active.remove(&list.id),
            schedule: scheduled.remove(&list.id),
            list,
        })
        .collect())
}
