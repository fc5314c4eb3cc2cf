//! What alerts hear from a scheduled run's end. A failure (or a finish with errors) of
//! a list's scheduled sync starts a streak and alerts once; later failures only count;
//! the first success sends "recovered" (through [`super::streak`]). The same run's end
//! is also what the connector's login streak hears ([`super::connector_login`]).

use super::{
    Alert, AlertError, AlertEvent, AlertList, connector_login,
    streak::{self, Outcome},
};
use crate::{
    AppState,
    runs::run_of_job,
    store::{Job, ListRepo, Run, RunRepo, RunStatus, RunTrigger},
};

/// The alert subject of a run's scheduled syncs: its segment's, else its list's.
pub fn run_subject(run: &Run) -> String {
    match run.segment_id {
        Some(segment) => format!("scheduled_sync:segment:{segment}"),
        None => format!("scheduled_sync:list:{}", run.list_id),
    }
}

/// Called by the dispatcher once a run job has finished (however it ended): records an
/// ended run's outcome in its streaks (a scheduled run's, the connector's login) and
/// queues the alerts their changes call for. Never fails the job: a problem is logged.
pub async fn after_run_job(state: &AppState, job: &Job) {
    let run = match ended_run(state, job).await {
        Ok(Some(run)) => run,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "reading an ended run for alerts failed");
            return;
        }
    };
    if let Err(e) = observe(state, &run).await {
        tracing::error!(error = %e, "recording a scheduled run for alerts failed");
    }
    if let Err(e) = connector_login::observe_run(state, &run).await {
        tracing::error!(error = %e, "recording a run's CRM login for alerts failed");
    }
}

/// The run of a run job, once it has ended.
async fn ended_run(state: &AppState, job: &Job) -> Result<Option<Run>, AlertError> {
    let Some(run_id) = run_of_job(job) else {
        return Ok(None);
    };
    let run = RunRepo
        .get_for_worker(state.store.conn(), run_id, state.clock.now())
        .await?;
    Ok(run.filter(|r| !r.status.is_active()))
}

async fn observe(state: &AppState, run: &Run) -> Result<(), AlertError> {
    let failed = match run.status {
        RunStatus::Succeeded => false,
        RunStatus::Failed | RunStatus::CompletedWithErrors => true,
        RunStatus::Queued | RunStatus::Running => return Ok(()),
    };
    if run.trigger != RunTrigger::Schedule || run.dry_run {
        return Ok(());
    }
    let subject = run_subject(run);
    let list = ListRepo
        .get(state.store.conn(), run.account_id, run.list_id)
        .await?
        .map(|l| l.name)
        .unwrap_or_default();
    let outcome = Outcome {
        account: run.account_id,
        subject: &subject,
        failed,
        observed: run.id.as_db(),
    };
    streak::record(state, &outcome, |change| {
        let event = match (change.recovered, run.status) {
            (true, _) => AlertEvent::Recovered,
            (false, RunStatus::Failed) => AlertEvent::RunFailed,
            (false, _) => AlertEvent::RunCompletedWithErrors,
        };
        Alert {
            text: text(event, &list, run, change.failures_before),
            event,
            account: change.account,
            subject: subject.clone(),
            list: Some(AlertList {
                id: run.list_id,
                name: list.clone(),
            }),
            run_id: Some(run.id),
            job: None,
            connector: None,
            form: None,
            reason: failed.then(|| reason(run)),
            at: state.clock.now(),
        }
    })
    .await?;
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
        AlertEvent::JobDead
        | AlertEvent::ConnectorLoginRefused
        | AlertEvent::FormRejections
        | AlertEvent::Test => {
            format!("{what}: {event:?}.")
        }
    }
}
