//! Queuing runs: the one way the API (Run Now, imports) and the scheduler start work.
//! The run row and its job are written in one transaction, so a run is never queued
//! without the job that executes it.

use sea_orm::TransactionTrait;

use crate::{
    AppState,
    store::{JobKind, JobRepo, NewJob, NewRun, Queued, RunRepo, StoreError},
};

/// Attempts a run's job gets for transient failures before the run is marked failed.
pub const RUN_MAX_ATTEMPTS: i32 = 8;

/// Queues a run unless one is already active for the same list or segment; then the
/// active run is returned instead.
pub async fn queue_run(state: &AppState, new: NewRun) -> Result<Queued, StoreError> {
    let now = state.clock.now();
    let account = new.account_id;
    let tx = state.store.conn().begin().await?;
    let queued = RunRepo.queue(&tx, new, now).await?;
    if let Queued::New(run) = &queued {
        let job = NewJob {
            id: state.random.uuid().into(),
            account_id: account,
            kind: JobKind::Run,
            payload: serde_json::json!({ "run_id": run.id }),
            max_attempts: RUN_MAX_ATTEMPTS,
            run_at: now,
            dedupe_key: Some(format!("run:{}", run.id)),
        };
        JobRepo::on(&tx).enqueue(job, now).await?;
    }
    tx.commit().await?;
    state.job_signal.notify_one();
    Ok(queued)
}

/// The time a run still needs at the rate it has kept so far: `done` of `total` records
/// processed in `elapsed`. `None` while it cannot be told (total unknown, nothing done
/// yet, no time passed); zero once everything is done. Shown beside a run's progress bar.
pub fn estimate_remaining(
    done: i64,
    total: Option<i64>,
    elapsed: chrono::Duration,
) -> Option<chrono::Duration> {
    let total = total?;
    let elapsed_ms = elapsed.num_milliseconds();
    if done <= 0 || elapsed_ms <= 0 {
        return None;
    }
    if done >= total {
        return Some(chrono::Duration::zero());
    }
    let left = i128::from(total - done) * i128::from(elapsed_ms) / i128::from(done);
    let left = i64::try_from(left).unwrap_or(i64::MAX);
    Some(chrono::Duration::try_milliseconds(left).unwrap_or(chrono::Duration::MAX))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::estimate_remaining;

    #[test]
    fn the_rate_so_far_gives_the_time_left() {
        // 250 of 1,000 in 30 s: 750 more at the same rate take 90 s.
        assert_eq!(
            estimate_remaining(250, Some(1_000), Duration::seconds(30)),
            Some(Duration::seconds(90))
        );
        assert_eq!(
            estimate_remaining(1_000, Some(1_000), Duration::seconds(30)),
            Some(Duration::zero())
        );
        assert_eq!(
            estimate_remaining(1_200, Some(1_000), Duration::seconds(30)),
            Some(Duration::zero()),
            "more than expected (records added meanwhile) is done, not negative"
        );
    }

    #[test]
    fn no_estimate_without_a_rate_or_a_total() {
        assert_eq!(
            estimate_remaining(0, Some(1_000), Duration::seconds(30)),
            None
        );
        assert_eq!(estimate_remaining(10, None, Duration::seconds(30)), None);
        assert_eq!(estimate_remaining(10, Some(100), Duration::zero()), None);
        assert!(estimate_remaining(1, Some(i64::MAX), Duration::days(365)).is_some());
    }
}
