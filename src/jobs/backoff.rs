//! How long a failed job waits before its next attempt.

use chrono::Duration;

/// The first retry waits this long; each later one twice as long as the one before.
const BASE_SECONDS: i64 = 5;
/// No retry waits longer than this.
const MAX_SECONDS: i64 = 300;

/// The delay before attempt `attempts + 1`, after `attempts` failed ones (exponential,
/// capped). Deterministic so tests with an injected clock know when a retry is due.
pub fn retry_delay(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    Duration::seconds(BASE_SECONDS.saturating_mul(1_i64 << exp).min(MAX_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_caps() {
        let secs: Vec<i64> = (1..=8).map(|a| retry_delay(a).num_seconds()).collect();
        assert_eq!(secs, [5, 10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(retry_delay(0).num_seconds(), 5);
        assert_eq!(retry_delay(i32::MAX).num_seconds(), 300);
    }
}
