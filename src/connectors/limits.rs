//! The request budget, timeout and attempts a live connector gets: the service's
//! defaults ([`CrmLimits`], from the settings) with the connector's own rate on top.

use std::time::Duration;

use listbridge_connector::{ConnectorConfig, RateLimit};
use secrecy::SecretString;

use super::ConnectError;
use crate::{config::CrmLimits, store::ConnectorRateLimit};

/// The most requests per second a connector may ask for itself.
pub const MAX_REQUESTS_PER_SECOND: u32 = 1_000;
/// The most requests in flight a connector may ask for itself.
pub const MAX_CONCURRENCY: u32 = 64;

/// Refuses a connector's own budget outside `1..=MAX`, naming the field.
pub fn check_own(own: &ConnectorRateLimit) -> Result<(), ConnectError> {
    let within = |value: Option<u32>, field: &'static str, max: u32| match value {
        Some(n) if !(1..=max).contains(&n) => Err(ConnectError::InvalidRateLimit {
            field,
            value: n,
            max,
        }),
        _ => Ok(()),
    };
    within(
        own.requests_per_second,
        "requests_per_second",
        MAX_REQUESTS_PER_SECOND,
    )?;
    within(own.concurrency, "concurrency", MAX_CONCURRENCY)
}

/// The budget in force: the connector's own values where it has them, else the
/// service's. The burst is the service's (or one second's worth); a connector with its
/// own requests per second never bursts above them.
pub fn rate_limit(limits: &CrmLimits, own: &ConnectorRateLimit) -> RateLimit {
    let requests_per_second = own
        .requests_per_second
        .unwrap_or(limits.requests_per_second)
        .max(1);
    let burst = limits.burst.unwrap_or(requests_per_second);
    let burst = match own.requests_per_second {
        Some(_) => burst.min(requests_per_second),
        None => burst,
    };
    RateLimit {
        requests_per_second,
        burst: burst.max(1),
        concurrency: own.concurrency.unwrap_or(limits.concurrency).max(1) as usize,
    }
}

/// Everything to open a connector for this login under these limits.
pub fn connector_config(
    base_url: String,
    username: String,
    password: SecretString,
    limits: &CrmLimits,
    own: &ConnectorRateLimit,
) -> ConnectorConfig {
    let mut config = ConnectorConfig::new(base_url, username, password);
    config.rate_limit = rate_limit(limits, own);
    config.request_timeout = Duration::from_secs(u64::from(limits.timeout_seconds.max(1)));
    config.max_attempts = limits.attempts.max(1);
    config.max_response_bytes = u64::from(limits.max_response_bytes.max(1));
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(requests_per_second: Option<u32>, concurrency: Option<u32>) -> ConnectorRateLimit {
        ConnectorRateLimit {
            requests_per_second,
            concurrency,
        }
    }

    #[test]
    fn the_connectors_own_values_win_and_cap_the_burst() {
        let limits = CrmLimits {
            requests_per_second: 20,
            burst: Some(40),
            concurrency: 4,
            timeout_seconds: 9,
            attempts: 2,
            max_response_bytes: 4096,
        };
        assert_eq!(
            rate_limit(&limits, &own(None, None)),
            RateLimit {
                requests_per_second: 20,
                burst: 40,
                concurrency: 4
            }
        );
        assert_eq!(
            rate_limit(&limits, &own(Some(5), Some(2))),
            RateLimit {
                requests_per_second: 5,
                burst: 5,
                concurrency: 2
            }
        );
        assert_eq!(rate_limit(&limits, &own(Some(100), None)).burst, 40);
        let default_burst = CrmLimits {
            burst: None,
            ..limits
        };
        assert_eq!(rate_limit(&default_burst, &own(None, None)).burst, 20);
        assert_eq!(rate_limit(&default_burst, &own(Some(3), None)).burst, 3);

        let config = connector_config(
            "https://crm.example".into(),
            "u".into(),
            SecretString::from("p"),
            &limits,
            &own(None, Some(1)),
        );
        assert_eq!(config.request_timeout, Duration::from_secs(9));
        assert_eq!(config.max_attempts, 2);
        assert_eq!(config.max_response_bytes, 4096);
        assert_eq!(config.rate_limit.concurrency, 1);
    }

    #[test]
    fn own_values_outside_the_range_are_refused_by_name() {
        assert!(check_own(&own(Some(1), Some(1))).is_ok());
        assert!(check_own(&own(Some(MAX_REQUESTS_PER_SECOND), Some(MAX_CONCURRENCY))).is_ok());
        assert!(check_own(&own(None, None)).is_ok());
        for (bad, field) in [
            (own(Some(0), None), "requests_per_second"),
            (
                own(Some(MAX_REQUESTS_PER_SECOND + 1), None),
                "requests_per_second",
            ),
            (own(None, Some(0)), "concurrency"),
            (own(None, Some(MAX_CONCURRENCY + 1)), "concurrency"),
        ] {
            let message = check_own(&bad).map_err(|e| e.to_string()).err();
            assert!(
                message.as_deref().is_some_and(|m| m.contains(field)),
                "{bad:?}: {message:?}"
            );
        }
    }
}
