//! What alerts hear: a scheduled run's end. A failure (or a finish with errors) of a
//! list's scheduled sync starts a streak and alerts once; later failures only count;
//! the first success sends "recovered". The streak change and the alert jobs (one per
//! channel) commit in one transaction, so several instances never send twice and a
//! crash in between sends nothing half.

use sea_orm::TransactionTrait;

use super::{Alert, AlertError, AlertEvent, AlertList, job::queue_alert};
use crate::{
    AppState,
    runs::run_of_job,
    store::{AlertStreakRepo, Job, ListRepo, Run, RunRepo, RunStatus, RunTrigger, StreakChange},
};

/// The alert subject of a run's scheduled syncs: its segment's, else its list's.
pub fn run_subject(run: &Run) -> String {
    match run.segment_id {
        Some(segment) => format!("scheduled_sync:segment:{segment}"),
        None => format!("scheduled_sync:list:{}", run.list_id),
    }
}

/// Called by the dispatcher once a run job has finished (however it ended): records a
/// scheduled run's outcome in its streak and queues the alerts that change calls for.
/// Never fails the job: a problem is logged.
pub async fn after_run_job(state: &AppState, job: &Job) {
    if let Err(e) = observe(state, job).await {
        tracing::error!(error = %e, "recording a scheduled run for alerts failed");
    }
}

async fn observe(state: &AppState, job: &Job) -> Result<(), AlertError> {
    let Some(run_id) = run_of_job(job) else {
        return Ok(());
    };
    let now = state.clock.now();
    let db = state.store.conn();
    let Some(run) = RunRepo.get_for_worker(db, run_id, now).await? else {
        return Ok(());
    };
    let failed = match run.status {
        RunStatus::Succeeded => false,
        RunStatus::Failed | RunStatus::CompletedWithErrors => true,
        RunStatus::Queued | RunStatus::Running => return Ok(()),
    };
    if run.trigger != RunTrigger::Schedule || run.dry_run {
        return Ok(());
    }
    let subject = run_subject(&run);
    let list = ListRepo
        .get(db, run.account_id, run.list_id)
        .await?
        .map(|l| l.name)
        .unwrap_or_default();
    let account = state
        .store
        .accounts()
        .get(run.account_id)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    // Read before the transaction: on SQLite it holds the one writer connection.
    let channels = state.store.alert_channels().list(run.account_id).await?;
    let tx = db.begin().await.map_err(crate::store::StoreError::from)?;
    let streaks = AlertStreakRepo::on(&tx);
    let before = streaks.get(run.account_id, &subject).await?;
    if before.as_ref().and_then(|s| s.last_run_id) == Some(run.id) {
        return Ok(());
    }
    let change = streaks
        .observe(run.account_id, &subject, failed, run.id, now)
        .await?;
    let event = match change {
        StreakChange::Started if run.status == RunStatus::Failed => AlertEvent::RunFailed,
        StreakChange::Started => AlertEvent::RunCompletedWithErrors,
        StreakChange::Recovered => AlertEvent::Recovered,
        StreakChange::Continued | StreakChange::Steady => {
            tx.commit().await.map_err(crate::store::StoreError::from)?;
            return Ok(());
        }
    };
    let failures = before.map_or(0, |s| s.failures);
    let alert = Alert {
        text: text(event, &list, &run, failures),
        event,
        account,
        subject,
        list: Some(AlertList {
            id: run.list_id,
            name: list,
        }),
        run_id: Some(run.id),
        reason: failed.then(|| reason(&run)),
        at: now,
    };
    let queued = queue_alert(state, &tx, &channels, &alert).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    if queued > 0 {
        state.job_signal.notify_one();
    }
    tracing::info!(run = %run.id, ?event, channels = queued, "alert queued");
    Ok(())
}

/// Why the run is a failure, for the marketer.
fn reason(run: &Run) -> String {
    match (&run.error, run.status) {
        (Some(error), _) => error.clone(),
        (None, RunStatus::CompletedWithErrors) => {
            format!("{} records failed; see the run's report", run.counts.failed)
        }
        (None, _) => "no reason was recorded".to_string(),
    }
}

/// The alert's text.
fn text(event: AlertEvent, list: &str, run: &Run, failures: i32) -> String {
    let what = format!("Scheduled sync of list '{list}'");
    let later = "Further failures are not reported until it succeeds again.";
    match event {
        AlertEvent::RunFailed => {
            format!("{what} failed: {}. Run {}. {later}", reason(run), run.id)
        }
        AlertEvent::RunCompletedWithErrors => format!(
            "{what} completed with errors: {}. Run {}. {later}",
            reason(run),
            run.id
        ),
        AlertEvent::Recovered => format!(
            "{what} recovered: run {} succeeded after {failures} failed run(s).",
            run.id
        ),
        AlertEvent::Test => format!("{what}: test."),
    }
}
