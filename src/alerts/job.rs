//! Sending is background work: one `alert` job per channel, so a slow or failing SMTP
//! server or webhook never holds a run, and a failed send is retried with backoff.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Alert, AlertChannels, AlertError};
use crate::{
    AppState,
    jobs::JobError,
    store::{AlertChannelId, Job, JobId, JobKind, JobRepo, NewJob, StoredAlertChannel},
};

/// Attempts of an alert send before its job is dead.
pub const ALERT_MAX_ATTEMPTS: i32 = 8;
/// How long one send waits for the server.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The payload of an `alert` job.
#[derive(Debug, Serialize, Deserialize)]
struct AlertJob {
    channel_id: AlertChannelId,
    alert: Alert,
}

/// Queues `alert` to each of `channels` (an account's) on `db` (the caller's
/// transaction); answers how many.
pub async fn queue_alert<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    channels: &[StoredAlertChannel],
    alert: &Alert,
) -> Result<usize, AlertError> {
    let now = state.clock.now();
    for channel in channels {
        JobRepo::on(db)
            .enqueue(
                NewJob {
                    id: JobId(state.random.uuid()),
                    account_id: channel.account_id,
                    kind: JobKind::Alert,
                    payload: json!({ "channel_id": channel.id, "alert": alert }),
                    max_attempts: ALERT_MAX_ATTEMPTS,
                    run_at: now,
                    dedupe_key: None,
                },
                now,
            )
            .await?;
    }
    Ok(channels.len())
}

/// Executes an `alert` job: sends its alert over its channel. A channel deleted since
/// has nothing to do; a server that did not take it is retried.
pub async fn run_delivery_job(state: &AppState, job: &Job) -> Result<(), JobError> {
    let payload: AlertJob = serde_json::from_value(job.payload.clone())
        .map_err(|e| JobError::Fatal(format!("alert job {} has a bad payload: {e}", job.id)))?;
    let channels = AlertChannels::from_state(state);
    let stored = match channels.stored(job.account_id, payload.channel_id).await {
        Ok(stored) => stored,
        Err(AlertError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(job_error(e)),
    };
    channels
        .deliver(&stored, &payload.alert, SEND_TIMEOUT)
        .await
        .map(|_| ())
        .map_err(job_error)
}

/// An alert failure in the job queue's terms.
fn job_error(err: AlertError) -> JobError {
    match err {
        AlertError::Store(e) => JobError::Store(e),
        e @ (AlertError::Delivery(_) | AlertError::Unreachable(_) | AlertError::Refused(_)) => {
            JobError::transient(e.to_string())
        }
        e => JobError::Fatal(e.to_string()),
    }
}
