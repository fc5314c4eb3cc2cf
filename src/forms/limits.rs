//! How much a public form endpoint accepts: body and field sizes, and how fast, per
//! client and per form (`governor` token buckets, in memory per instance). A client is
//! a [`ClientKey`]: its address as [`crate::client_address`] finds it behind trusted
//! proxies, an IPv6 one by its /64. The rates are settings (`form_*`, see
//! [`FormLimitSettings`]).

use std::{hash::Hash, num::NonZeroU32, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::{client_address::ClientKey, config::FormLimitSettings};

/// A sustained rate with a burst allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    /// Requests per minute, sustained.
    pub per_minute: u32,
    /// Requests allowed at once before the rate applies.
    pub burst: u32,
}

/// The public intake's limits; tests choose them through `app::Services`, operators
/// the rates through the `form_*` settings ([`IntakeLimits::with_settings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeLimits {
    /// Largest accepted body; larger gets 413.
    pub max_body_bytes: usize,
    /// Largest accepted value of one field.
    pub max_field_bytes: usize,
    /// Most fields in one submission.
    pub max_fields: usize,
    /// Per client (all forms): an address, or an IPv6 /64.
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

impl IntakeLimits {
    /// These limits with the rates the operator set in place of their own.
    pub fn with_settings(self, settings: &FormLimitSettings) -> Self {
        IntakeLimits {
            per_client: RateQuota {
                per_minute: settings
                    .client_per_minute
                    .unwrap_or(self.per_client.per_minute),
                burst: settings.client_burst.unwrap_or(self.per_client.burst),
            },
            per_form: RateQuota {
                per_minute: settings
                    .per_form_per_minute
                    .unwrap_or(self.per_form.per_minute),
                burst: settings.per_form_burst.unwrap_or(self.per_form.burst),
            },
            ..self
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
    per_client: DefaultKeyedRateLimiter<ClientKey>,
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
    pub fn check_client(&self, client: ClientKey) -> Result<(), Duration> {
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
        let ip = ClientKey::of([10, 0, 0, 1].into());
        for _ in 0..3 {
            assert!(limiter.check_client(ip).is_ok());
        }
        let wait = limiter.check_client(ip).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(
            limiter
                .check_client(ClientKey::of([10, 0, 0, 2].into()))
                .is_ok()
        );
    }

    #[test]
    fn settings_replace_only_the_rates_they_name() {
        let defaults = IntakeLimits::default();
        assert_eq!(
            defaults
                .clone()
                .with_settings(&FormLimitSettings::default()),
            defaults
        );
        let set = defaults.clone().with_settings(&FormLimitSettings {
            client_burst: Some(2),
            per_form_per_minute: Some(9),
            ..FormLimitSettings::default()
        });
        assert_eq!(
            set.per_client,
            RateQuota {
                per_minute: defaults.per_client.per_minute,
                burst: 2
            }
        );
        assert_eq!(
            set.per_form,
            RateQuota {
                per_minute: 9,
                burst: defaults.per_form.burst
            }
        );
        assert_eq!(set.max_body_bytes, defaults.max_body_bytes);
    }
}
