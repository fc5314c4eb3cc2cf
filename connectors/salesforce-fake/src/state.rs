//! The shared server state and [`FakeState`], the in-process handle tests use to do what
//! `/_admin` offers.

use std::sync::{
    Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};

use tokio::sync::watch;

use crate::auth::Tokens;
use crate::bulk::Jobs;
use crate::cursor::Cursors;
use crate::faults::{Engine, FaultConfig};
use crate::id::SfId;
use crate::limits::Limits;
use crate::record::Record;
use crate::schema::SObject;
use crate::stats::Stats;
use crate::store::Store;
use fake_kit::Clock;

/// Server settings fixed at start.
#[derive(Clone)]
pub(crate) struct Settings {
    pub client_id: String,
    pub client_secret: String,
    pub username: String,
    pub page_cap: usize,
    pub token_ttl_secs: i64,
    pub bulk_polls: u32,
    pub org_id: SfId,
    pub user_id: SfId,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("username", &self.username)
            .field("page_cap", &self.page_cap)
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("bulk_polls", &self.bulk_polls)
            .finish()
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub store: RwLock<Store>,
    pub settings: Settings,
    pub clock: Clock,
    pub stats: Mutex<Stats>,
    pub faults: Mutex<Engine>,
    pub tokens: Mutex<Tokens>,
    pub limits: Mutex<Limits>,
    pub cursors: Mutex<Cursors>,
    pub jobs: Mutex<Jobs>,
    pub shutdown: watch::Receiver<bool>,
    /// `http://127.0.0.1:PORT`, known once bound: the token's `instance_url`.
    pub base_url: OnceLock<String>,
}

/// A cheap-to-clone handle on a running fake's data, clock, faults, limits and
/// statistics.
#[derive(Debug, Clone)]
pub struct FakeState {
    pub(crate) shared: Arc<Shared>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeState {
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.shared
            .store
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.shared
            .store
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn stats_mut(&self) -> MutexGuard<'_, Stats> {
        lock(&self.shared.stats)
    }

    pub(crate) fn faults_mut(&self) -> MutexGuard<'_, Engine> {
        lock(&self.shared.faults)
    }

    pub(crate) fn tokens(&self) -> MutexGuard<'_, Tokens> {
        lock(&self.shared.tokens)
    }

    pub(crate) fn limits_mut(&self) -> MutexGuard<'_, Limits> {
        lock(&self.shared.limits)
    }

    pub(crate) fn cursors(&self) -> MutexGuard<'_, Cursors> {
        lock(&self.shared.cursors)
    }

    pub(crate) fn jobs(&self) -> MutexGuard<'_, Jobs> {
        lock(&self.shared.jobs)
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    /// The base URL clients reach the server at (the token's `instance_url`).
    pub fn base_url(&self) -> String {
        self.shared.base_url.get().cloned().unwrap_or_default()
    }

    /// The server clock; pin it to control CreatedDate, LastModifiedDate and
    /// SystemModstamp of writes, and token expiry.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Request counts since start or the last reset.
    pub fn stats(&self) -> Stats {
        self.stats_mut().clone()
    }

    /// Zeroes the request counts.
    pub fn reset_stats(&self) {
        *self.stats_mut() = Stats::default();
    }

    /// The active fault settings.
    pub fn faults(&self) -> FaultConfig {
        self.faults_mut().config().clone()
    }

    /// Replaces the fault settings.
    pub fn set_faults(&self, config: FaultConfig) {
        *self.faults_mut() = Engine::new(config);
    }

    /// Turns every fault off.
    pub fn clear_faults(&self) {
        self.set_faults(FaultConfig::default());
    }

    /// Invalidates every access token issued so far (clients then get 401
    /// `INVALID_SESSION_ID` and must log in again).
    pub fn expire_tokens(&self) {
        self.tokens().expire_all();
    }

    /// The API usage counter: (used, daily maximum).
    pub fn api_usage(&self) -> (u64, u64) {
        let l = self.limits_mut();
        (l.used, l.max)
    }

    /// Sets the API usage counter and, when given, the daily maximum.
    pub fn set_api_usage(&self, used: u64, max: Option<u64>) {
        let mut l = self.limits_mut();
        l.used = used;
        if let Some(max) = max {
            l.max = max;
        }
    }

    /// A copy of every record of `object` (deleted ones included), in
    /// (SystemModstamp, Id) order.
    pub fn records(&self, object: SObject) -> Vec<Record> {
        self.read().table(object).iter().cloned().collect()
    }

    /// A copy of one record, by its 15- or 18-character Id.
    pub fn record(&self, id: &str) -> Option<Record> {
        let id = SfId::parse(id)?;
        self.read().get(id).cloned()
    }

    /// The number of records of `object`, deleted ones included.
    pub fn count(&self, object: SObject) -> usize {
        self.read().table(object).len()
    }

    /// Checks that every index holds exactly what the records give.
    pub fn verify_indexes(&self) -> Result<(), String> {
        self.read().verify_indexes()
    }
}
