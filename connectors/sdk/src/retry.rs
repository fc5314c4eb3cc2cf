//! When and how long to wait before trying a failed request again: bounded attempts,
//! exponential backoff with jitter, and the server's own `Retry-After` when it sends one.
//! Shared by every plugin that talks HTTP (CRM connectors, conversion destinations), so
//! they all back off alike.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// How transient failures are retried: an attempt limit (from the plugin's
/// configuration) plus [`Backoff`] settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all (the first try included); at least 1.
    pub max_attempts: u32,
    /// See [`Backoff::base_delay`].
    pub base_delay: Duration,
    /// See [`Backoff::max_delay`].
    pub max_delay: Duration,
    /// See [`Backoff::max_retry_after`].
    pub max_retry_after: Duration,
}

/// Backoff settings: how long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The first backoff delay; each further retry doubles it.
    pub base_delay: Duration,
    /// The longest backoff delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` the plugin waits out itself; a longer one is handed to
    /// the caller (a connector's [`crate::ConnectorError::RateLimited`]).
    pub max_retry_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Combines an attempt limit with backoff settings.
    pub fn new(max_attempts: u32, backoff: Backoff) -> RetryPolicy {
        RetryPolicy {
            max_attempts: max_attempts.max(1),
            base_delay: backoff.base_delay,
            max_delay: backoff.max_delay,
            max_retry_after: backoff.max_retry_after,
        }
    }

    /// The wait before attempt `next_attempt` (2 for the first retry).
    ///
    /// Without `Retry-After`: "equal jitter" — half the exponential delay fixed, half
    /// random (`jitter` is a sample in `[0, 1)`), so retries of many clients spread out
    /// yet never come back immediately. With `Retry-After`: exactly what the server asked.
    /// `None` means the server asked for longer than `max_retry_after`.
    pub fn delay(
        &self,
        next_attempt: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if let Some(asked) = retry_after {
            return (asked <= self.max_retry_after).then_some(asked);
        }
        let exponent = next_attempt.saturating_sub(2).min(30);
        let full = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let half = full / 2;
        Some(half + half.mul_f64(jitter.clamp(0.0, 1.0)))
    }
}

/// Reads a `Retry-After` header: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// A jitter sample in `[0, 1)`.
pub fn jitter_sample() -> f64 {
    use rand::RngExt;
    rand::rng().random_range(0.0..1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(30),
        }
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let p = policy();
        assert_eq!(p.delay(2, None, 0.0), Some(Duration::from_millis(50)));
        assert_eq!(p.delay(2, None, 0.999_999).map(|d| d.as_millis()), Some(99));
        assert_eq!(p.delay(3, None, 0.0), Some(Duration::from_millis(100)));
        assert_eq!(p.delay(4, None, 0.5), Some(Duration::from_millis(300)));
        // Capped at max_delay, however many attempts.
        assert_eq!(p.delay(40, None, 1.0), Some(Duration::from_millis(1000)));
    }

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let p = policy();
        assert_eq!(
            p.delay(2, Some(Duration::from_secs(3)), 0.7),
            Some(Duration::from_secs(3))
        );
        assert_eq!(p.delay(2, Some(Duration::from_secs(31)), 0.7), None);
    }

    #[test]
    fn retry_after_header_forms() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .map(|d| d.to_utc())
            .unwrap_or_default();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn jitter_is_in_range() {
        for _ in 0..100 {
            let j = jitter_sample();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
