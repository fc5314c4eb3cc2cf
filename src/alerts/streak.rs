//! The one way an outcome reaches a streak: records it in `alert_streaks` and queues
//! the alert its change calls for (one job per channel), both in one transaction, so
//! several instances never send twice and a crash in between sends nothing half. Every
//! subject (scheduled runs, dead jobs, a connector's login) goes through here.

use sea_orm::TransactionTrait;

use super::{Alert, AlertError, AlertEvent, job::queue_alert};
use crate::{
    AppState,
    store::{AccountId, AlertStreakRepo, StoreError, StreakChange},
};

/// One outcome of an account's alert subject.
pub(super) struct Outcome<'a> {
    /// The account.
    pub account: AccountId,
    /// The subject, e.g. `dead_jobs:form_delivery`.
    pub subject: &'a str,
    /// Failed, or succeeded.
    pub failed: bool,
    /// The run or job observed (its stored id), so one outcome counts once.
    pub observed: String,
}

/// What the alert is built from once the streak has changed.
pub(super) struct Change {
    /// True for the first success after a streak ("recovered"), false for the failure
    /// that starts one (the other changes send nothing and build nothing).
    pub recovered: bool,
    /// Failures of the streak before this outcome (what "recovered" counts).
    pub failures_before: i32,
    /// The account's name.
    pub account: String,
}

/// Records `outcome` and, when it starts or ends a streak, queues the alert `build`
/// makes of the change to every channel of the account. Answers the event queued.
pub(super) async fn record(
    state: &AppState,
    outcome: &Outcome<'_>,
    build: impl FnOnce(Change) -> Alert,
) -> Result<Option<AlertEvent>, AlertError> {
    let now = state.clock.now();
    let account = state
        .store
        .accounts()
        .get(outcome.account)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    // Read before the transaction: on SQLite it holds the one writer connection.
    let channels = state.store.alert_channels().list(outcome.account).await?;
    let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
    let streaks = AlertStreakRepo::on(&tx);
    let before = streaks.get(outcome.account, outcome.subject).await?;
    if before.as_ref().and_then(|s| s.last_observed_id.as_deref())
        == Some(outcome.observed.as_str())
    {
        return Ok(None);
    }
    let change = streaks
        .observe(
            outcome.account,
            outcome.subject,
            outcome.failed,
            Some(&outcome.observed),
            now,
        )
        .await?;
    if matches!(change, StreakChange::Continued | StreakChange::Steady) {
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(None);
    }
    let alert = build(Change {
        recovered: change == StreakChange::Recovered,
        failures_before: before.map_or(0, |s| s.failures),
        account,
    });
    let event = alert.event;
    let queued = queue_alert(state, &tx, &channels, &alert).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if queued > 0 {
        state.job_signal.notify_one();
    }
    tracing::info!(subject = %outcome.subject, ?event, channels = queued, "alert queued");
    Ok(Some(event))
}

/// Whether the account's `subject` is in a failure streak now: one primary-key read,
/// so a success of a subject that is not failing (the usual case) costs only this. It
/// runs on the read connections: every delivery asks it, and on SQLite the writing
/// connection is better left to the writes (form intake among them).
pub(super) async fn failing(
    state: &AppState,
    account: AccountId,
    subject: &str,
) -> Result<bool, AlertError> {
    Ok(AlertStreakRepo::on(state.store.reads())
        .get(account, subject)
        .await?
        .is_some_and(|s| s.failing))
}
