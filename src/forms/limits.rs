//! How much a public form endpoint accepts: body and field sizes, and how fast, per
//! client address and per form (`governor` token buckets, in memory per instance).

use std::{hash::Hash, net::IpAddr, num::NonZeroU32, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

/// A sustained rate with a burst allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    /// Requests per minute, sustained.
    pub per_minute: u32,
    /// Requests allowed at once before the rate applies.
    pub burst: u32,
}

/// The public intake's limits; tests and operators choose them through `app::Services`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeLimits {
    /// Largest accepted body; larger gets 413.
    pub max_body_bytes: usize,
    /// Largest accepted value of one field.
    pub max_field_bytes: usize,
    /// Most fields in one submission.
    pub max_fields: usize,
    /// Per client address (all forms).
    pub per_client: RateQuota,
    /// Per form (all clients).
    pub per_form: RateQuota,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        IntakeLimits {
            max_body_bytes: 64 * 1024,
            max_field_bytes: 4 * 1024,
            max_fields: super::settings::MAX_FORM_FIELDS,
            per_client: RateQuota {
                per_minute: 30,
                burst: 10,
            },
            per_form: RateQuota {
                per_minute: 600,
                burst: 120,
            },
        }
    }
}

/// Above this many tracked keys, idle ones are dropped so a flood of addresses cannot
/// grow memory without bound.
const RETAIN_ABOVE: usize = 10_000;

pub(crate) fn quota(q: RateQuota) -> Quota {
    let one = NonZeroU32::MIN;
    Quota::per_minute(NonZeroU32::new(q.per_minute).unwrap_or(one))
        .allow_burst(NonZeroU32::new(q.burst).unwrap_or(one))
}

pub(crate) fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), Duration> {
    if limiter.len() > RETAIN_ABOVE {
        limiter.retain_recent();
    }
    limiter
        .check_key(key)
        .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

/// The live rate limiters of one instance's public form endpoint.
#[derive(Debug)]
pub struct IntakeLimiter {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    per_form: DefaultKeyedRateLimiter<String>,
}

impl IntakeLimiter {
    /// Limiters with the given quotas.
    pub fn new(limits: &IntakeLimits) -> Self {
        IntakeLimiter {
            per_client: RateLimiter::keyed(quota(limits.per_client)),
            per_form: RateLimiter::keyed(quota(limits.per_form)),
        }
    }

    /// Takes one request from the client's bucket; `Err(wait)` when it is empty.
    pub fn check_client(&self, client: IpAddr) -> Result<(), Duration> {
        check(&self.per_client, &client)
    }

    /// Takes one request from the form's bucket; `Err(wait)` when it is empty.
    pub fn check_form(&self, form_key: &str) -> Result<(), Duration> {
        check(&self.per_form, &form_key.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refused_with_a_wait() {
        let limiter = IntakeLimiter::new(&IntakeLimits {
            per_client: RateQuota {
                per_minute: 60,
                burst: 3,
            },
            ..IntakeLimits::default()
        });
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(limiter.check_client(ip).is_ok());
        }
        let wait = limiter.check_client(ip).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(limiter.check_client([10, 0, 0, 2].into()).is_ok());
    }
}
