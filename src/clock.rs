//! Time and randomness as injectable services, so tests can pin "now" and make
//! generated ids and keys reproducible.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// The source of "now" for every timestamp the service records.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant in UTC, to the microsecond.
    fn now(&self) -> DateTime<Utc>;
}

/// Drops sub-microsecond digits. PostgreSQL keeps timestamps to the microsecond, so an
/// instant with nanoseconds would read back different from what an API answer said it was
/// when created; every clock answers at the precision every store keeps.
fn to_stored_precision(instant: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = instant.timestamp_subsec_nanos();
    instant - Duration::nanoseconds(i64::from(nanos % 1_000))
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        to_stored_precision(Utc::now())
    }
}

/// A clock that only moves when told to; for tests of time-dependent behaviour.
#[derive(Debug, Clone)]
pub struct TestClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl TestClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        TestClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    /// Jumps to an instant.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        to_stored_precision(*self.now.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The source of random bytes for ids, API keys and encryption nonces.
pub trait Random: Send + Sync + std::fmt::Debug {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);

    /// A fresh id: a time-ordered UUID (version 7), so rows created one after another
    /// sit together in every index on their id instead of landing all over it.
    fn uuid(&self) -> uuid::Uuid;
}

/// Cryptographically secure randomness from the operating system (via the
/// thread-local generator, which is seeded from and reseeded by the OS).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        rand::rng().fill_bytes(buf);
    }

    /// The `uuid` crate's process-wide version-7 generator: the wall clock's
    /// milliseconds, a counter that keeps ids of the same millisecond in creation
    /// order, and OS randomness.
    fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::now_v7()
    }
}

/// Reproducible randomness from a seed; for tests only (never for real keys).
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: Arc<Mutex<Seeded>>,
}

/// The generator and the timestamp of the next id, locked together so ids stay in
/// the order they were made.
#[derive(Debug)]
struct Seeded {
    rng: StdRng,
    next_id_millis: u64,
}

/// The timestamp of a seeded generator's first id (2023-11-14T22:13:20Z); each later
/// id is one millisecond on, so ids do not depend on when a test runs.
const SEEDED_FIRST_ID_MILLIS: u64 = 1_700_000_000_000;

impl SeededRandom {
    /// A generator that yields the same bytes and ids for the same seed.
    pub fn new(seed: u64) -> Self {
        SeededRandom {
            state: Arc::new(Mutex::new(Seeded {
                rng: StdRng::seed_from_u64(seed),
                next_id_millis: SEEDED_FIRST_ID_MILLIS,
            })),
        }
    }
}

impl Random for SeededRandom {
    fn fill(&self, buf: &mut [u8]) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .rng
            .fill_bytes(buf);
    }

    /// A version-7 id on a clock of its own that ticks one millisecond per id, with
    /// seeded random bits: reproducible, and in creation order like real ids.
    fn uuid(&self) -> uuid::Uuid {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let millis = state.next_id_millis;
        state.next_id_millis += 1;
        let mut bits = [0u8; 10];
        state.rng.fill_bytes(&mut bits);
        uuid::Builder::from_unix_timestamp_millis(millis, &bits).into_uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_moves_only_when_told() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let clock = TestClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::seconds(5));
        assert_eq!(clock.now(), start + Duration::seconds(5));
    }

    #[test]
    fn clocks_answer_to_the_microsecond_every_store_keeps() {
        let start = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        let clock = TestClock::new(start);
        assert_eq!(clock.now().timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(SystemClock.now().timestamp_subsec_nanos() % 1_000, 0);
    }

    #[test]
    fn seeded_random_is_reproducible_and_uuids_are_v7_in_creation_order() {
        let (a, b) = (SeededRandom::new(7), SeededRandom::new(7));
        assert_eq!(a.uuid(), b.uuid());
        let (first, second) = (a.uuid(), a.uuid());
        assert_eq!(first.get_version_num(), 7);
        assert!(first < second);
    }

    #[test]
    fn os_random_uuids_are_v7_in_creation_order() {
        let (first, second) = (OsRandom.uuid(), OsRandom.uuid());
        assert_eq!(first.get_version_num(), 7);
        assert!(first < second);
    }
}
