//! A fake server's clock, injectable so tests can pin "now" and make many records share
//! one modified-at (Infor CRM's ModifyDate, Salesforce's SystemModstamp).

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// The time source for created and modified dates. Cheap to clone; clones share the
/// setting.
///
/// Both CRMs keep these dates to the second (Salesforce writes a millisecond field that is
/// always `.000`), so [`Clock::now`] truncates to whole seconds: writes a second apart or
/// less share one modified-at, as they do in the CRMs.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl Clock {
    /// A clock that follows the system time.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock pinned at `at` until changed.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        let clock = Clock::default();
        clock.set(Some(at));
        clock
    }

    /// The current time, truncated to whole seconds.
    pub fn now(&self) -> DateTime<Utc> {
        let fixed = *self.fixed.lock().unwrap_or_else(PoisonError::into_inner);
        fixed.unwrap_or_else(Utc::now).trunc_subsecs(0)
    }

    /// Pins the clock at `at`, or returns it to system time with `None`.
    pub fn set(&self, at: Option<DateTime<Utc>>) {
        *self.fixed.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }

    /// Moves a pinned clock forward (a system clock is pinned at now + `by`).
    pub fn advance(&self, by: TimeDelta) {
        let mut fixed = self.fixed.lock().unwrap_or_else(PoisonError::into_inner);
        let base = fixed.unwrap_or_else(Utc::now);
        *fixed = Some(base + by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_fixed_clock_truncates_and_advances() {
        let at = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).single();
        let Some(at) = at else {
            panic!("valid date");
        };
        let clock = Clock::fixed(at + TimeDelta::milliseconds(700));
        assert_eq!(clock.now(), at);
        clock.advance(TimeDelta::seconds(5));
        assert_eq!(clock.now(), at + TimeDelta::seconds(5));
        clock.set(None);
        assert!(clock.now() > at);
    }
}
