//! What alerts hear from background jobs: a job that is dead (it used up its attempts,
//! or failed for good) means what it carried — a form submission, a batch of notes —
//! did not reach the CRM. Per account and job kind (`dead_jobs:<kind>`), the first dead
//! job alerts, later ones only count, and the next job of that kind that succeeds sends
//! "recovered". Run jobs are left out (a run alerts through its own streaks, and a run
//! job ends well even when its run failed), and so are alert jobs (an alert about a
//! failed alert would go out through the channels that failed).
//!
//! A success is the common case: it costs one primary-key read of the streak and
//! writes only when the streak was failing.

use super::{
    Alert, AlertError, AlertEvent, AlertJobRef,
    streak::{self, Outcome},
};
use crate::{
    AppState,
    store::{Job, JobKind, JobStatus},
};

/// The alert subject of an account's dead jobs of `kind`.
pub fn dead_jobs_subject(kind: JobKind) -> String {
    format!("dead_jobs:{}", kind.as_str())
}

/// Called by the dispatcher once a job's outcome is recorded (`status`; `error`, its
/// failure's words, when it failed): a dead job or a success goes into its kind's
/// streak. Never fails the job: a problem is logged.
pub async fn after_job(state: &AppState, job: &Job, status: JobStatus, error: Option<&str>) {
    if matches!(job.kind, JobKind::Run | JobKind::Alert) {
        return;
    }
    let result = match status {
        JobStatus::Dead => observe(state, job, true, error).await,
        JobStatus::Succeeded => succeeded(state, job).await,
        JobStatus::Queued | JobStatus::Running | JobStatus::Failed => Ok(()),
    };
    if let Err(e) = result {
        tracing::error!(error = %e, kind = job.kind.as_str(), "recording a job's outcome for alerts failed");
    }
}

/// A success ends a streak only when one is on: otherwise nothing is written.
async fn succeeded(state: &AppState, job: &Job) -> Result<(), AlertError> {
    if !streak::failing(state, job.account_id, &dead_jobs_subject(job.kind)).await? {
        return Ok(());
    }
    observe(state, job, false, None).await
}

async fn observe(
    state: &AppState,
    job: &Job,
    failed: bool,
    error: Option<&str>,
) -> Result<(), AlertError> {
    let subject = dead_jobs_subject(job.kind);
    let outcome = Outcome {
        account: job.account_id,
        subject: &subject,
        failed,
        observed: job.id.as_db(),
    };
    let reason = error
        .map(str::to_string)
        .or_else(|| job.last_error.clone())
        .unwrap_or_else(|| "no reason was recorded".to_string());
    streak::record(state, &outcome, |change| {
        let (event, text) = if change.recovered {
            (
                AlertEvent::Recovered,
                recovered_text(job, change.failures_before),
            )
        } else {
            (AlertEvent::JobDead, dead_text(job, &reason))
        };
        Alert {
            text,
            event,
            account: change.account,
            subject: subject.clone(),
            list: None,
            run_id: None,
            job: Some(AlertJobRef {
                id: job.id,
                kind: job.kind,
                attempts: job.attempts,
            }),
            connector: None,
            form: None,
            reason: failed.then(|| reason.clone()),
            at: state.clock.now(),
        }
    })
    .await?;
    Ok(())
}

/// A job kind in the marketer's words: one, and several.
fn words(kind: JobKind) -> (&'static str, &'static str) {
    match kind {
        JobKind::FormDelivery => ("form delivery", "form deliveries"),
        JobKind::NoteDelivery => (
            "batch of \"message sent\" notes",
            "batches of \"message sent\" notes",
        ),
        JobKind::InteractionDelivery => ("batch of call notes", "batches of call notes"),
        JobKind::Run => ("sync run", "sync runs"),
        JobKind::Alert => ("alert", "alerts"),
        JobKind::ConversionRun => ("conversion export run", "conversion export runs"),
    }
}

/// The text of a dead job's alert.
fn dead_text(job: &Job, reason: &str) -> String {
    let (one, several) = words(job.kind);
    let what = match job.kind {
        JobKind::FormDelivery => " The submission did not reach the CRM; it is kept.",
        JobKind::NoteDelivery | JobKind::InteractionDelivery => {
            " The notes did not reach the CRM; they are kept."
        }
        JobKind::ConversionRun => {
            " Its conversions are kept in the ledger and sent by the next run."
        }
        JobKind::Run | JobKind::Alert => "",
    };
    format!(
        "A {one} gave up after {} attempt(s): {}. Job {}.{what} Retry it on the Jobs page once the cause is fixed. Further dead {several} are not reported until one succeeds again.",
        job.attempts,
        reason.trim_end_matches('.'),
        job.id
    )
}

/// The text of the "recovered" that the next success of the kind sends.
fn recovered_text(job: &Job, failures: i32) -> String {
    let (one, several) = words(job.kind);
    format!(
        "{} recovered: a {one} succeeded again (job {}) after {failures} dead {several}.",
        capitalised(several),
        job.id
    )
}

/// `text` with its first letter upper-case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::store::{AccountId, JobId};

    fn job(kind: JobKind) -> Job {
        let nil = uuid::Uuid::nil();
        Job {
            id: JobId(nil),
            account_id: AccountId(nil),
            kind,
            payload: serde_json::Value::Null,
            status: JobStatus::Dead,
            attempts: 3,
            max_attempts: 3,
            run_at: Utc::now(),
            last_error: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn dead_job_texts_name_the_kind_in_marketer_words() {
        let dead = dead_text(&job(JobKind::FormDelivery), "the CRM is down");
        assert!(
            dead.starts_with("A form delivery gave up after 3 attempt(s): the CRM is down."),
            "{dead}"
        );
        assert!(dead.contains("Further dead form deliveries"), "{dead}");
        let back = recovered_text(&job(JobKind::InteractionDelivery), 2);
        assert!(
            back.starts_with("Batches of call notes recovered: a batch of call notes succeeded"),
            "{back}"
        );
        assert!(back.contains("after 2 dead batches"), "{back}");
    }
}
