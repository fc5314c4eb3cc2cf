//! Runs in progress as the console shows them: the run holding a list's active slot (of
//! one list, or of every list for the lists table), and the time a run still needs at
//! the rate it has kept so far.

use crate::{
    AppState,
    store::{AccountId, ListId, Run, RunRepo, StoreError},
};

/// The queued or running whole-list run of `list`, if any (one indexed lookup), for the
/// list page's header, which embeds its progress.
pub async fn active_run_of_list(
    state: &AppState,
    account: AccountId,
    list: ListId,
) -> Result<Option<Run>, StoreError> {
    RunRepo
        .active_for_list(state.store.conn(), account, list, state.clock.now())
        .await
}

/// The queued or running whole-list run of each of the account's lists, in one
/// statement, for the lists table.
pub async fn active_per_list(state: &AppState, account: AccountId) -> Result<Vec<Run>, StoreError> {
    RunRepo
        .active_per_list(state.store.conn(), account, state.clock.now())
        .await
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
