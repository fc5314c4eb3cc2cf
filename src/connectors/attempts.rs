//! How often one account may try a login (*Connect*, *Reconfirm Login*) or ask an SFTP
//! server for its host key: each attempt sends requests to an address the account chose,
//! so without a limit an account could use the service to probe hosts or guess CRM
//! passwords at the service's speed.
//! In memory per instance (`governor` token buckets keyed by account).

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock as _, clock::DefaultClock,
};

use super::ConnectError;
use crate::store::AccountId;

/// Login attempts one account may make per minute, sustained.
pub const ATTEMPTS_PER_MINUTE: u32 = 10;
/// Login attempts one account may make at once after a quiet spell.
pub const ATTEMPTS_BURST: u32 = 10;

/// The per-account budget of *Connect*, *Reconfirm Login* and SFTP host-key attempts
/// (together).
/// Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct ConnectAttempts {
    limiter: Arc<DefaultKeyedRateLimiter<AccountId>>,
}

impl Default for ConnectAttempts {
    /// [`ATTEMPTS_PER_MINUTE`] with a burst of [`ATTEMPTS_BURST`].
    fn default() -> Self {
        ConnectAttempts::new(ATTEMPTS_PER_MINUTE, ATTEMPTS_BURST)
    }
}

impl ConnectAttempts {
    /// `per_minute` attempts a minute sustained, `burst` at once (each at least 1).
    pub fn new(per_minute: u32, burst: u32) -> ConnectAttempts {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        ConnectAttempts {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
        }
    }

    /// Takes one attempt of `account`'s budget, or says how long until the next one.
    pub fn take(&self, account: AccountId) -> Result<(), ConnectError> {
        self.limiter.check_key(&account).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ConnectError::TooManyAttempts {
                retry_after_seconds: whole_seconds(wait),
            }
        })?;
        // Keys of accounts whose buckets are full again take no memory.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        Ok(())
    }
}

/// A wait rounded up to whole seconds (at least 1).
fn whole_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn each_account_has_its_own_budget() {
        let attempts = ConnectAttempts::new(10, 3);
        let (acme, globex) = (AccountId(Uuid::from_u128(1)), AccountId(Uuid::from_u128(2)));
        for _ in 0..3 {
            assert!(attempts.take(acme).is_ok());
        }
        let refused = attempts.take(acme).err();
        assert!(
            matches!(
                refused,
                Some(ConnectError::TooManyAttempts { retry_after_seconds }) if (1..=6).contains(&retry_after_seconds)
            ),
            "{refused:?}"
        );
        assert!(
            attempts.take(globex).is_ok(),
            "another account is unaffected"
        );
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(5_001)), 6);
        assert_eq!(whole_seconds(Duration::from_secs(6)), 6);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
    }
}
