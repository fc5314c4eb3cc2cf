//! The shared server state and [`FakeState`], the in-process handle tests use to do what
//! `/_admin` offers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::watch;

use crate::model::{Kind, Record};
use crate::render::JsonDates;
use crate::stats::Stats;
use crate::store::Store;
use fake_kit::Clock;

/// Server settings fixed at start.
#[derive(Clone)]
pub(crate) struct Settings {
    pub username: String,
    pub password: String,
    pub page_cap: usize,
    pub json_dates: JsonDates,
    pub require_if_match: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("page_cap", &self.page_cap)
            .field("json_dates", &self.json_dates)
            .field("require_if_match", &self.require_if_match)
            .finish()
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub store: RwLock<Store>,
    pub settings: Settings,
    pub clock: Clock,
    pub stats: Mutex<Stats>,
    pub faults: Mutex<crate::faults::Engine>,
    /// CRM-side write rules, checked on every `/sdata` POST and PUT.
    pub rules: RwLock<Vec<crate::rules::CompiledRule>>,
    /// Extra users besides the main one.
    pub users: RwLock<Vec<crate::users::FakeUser>>,
    pub shutdown: watch::Receiver<bool>,
    /// Compatibility: feeds carry no `next` links (see [`FakeState::set_omit_next_links`]).
    pub omit_next_links: AtomicBool,
}

/// A cheap-to-clone handle on a running fake CRM's data, clock, faults and statistics.
#[derive(Debug, Clone)]
pub struct FakeState {
    pub(crate) shared: Arc<Shared>,
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
        self.shared
            .stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn faults_mut(&self) -> MutexGuard<'_, crate::faults::Engine> {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn rules(&self) -> RwLockReadGuard<'_, Vec<crate::rules::CompiledRule>> {
        self.shared
            .rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn rules_mut(&self) -> RwLockWriteGuard<'_, Vec<crate::rules::CompiledRule>> {
        self.shared
            .rules
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn users_lock(&self) -> RwLockReadGuard<'_, Vec<crate::users::FakeUser>> {
        self.shared
            .users
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn users_mut(&self) -> RwLockWriteGuard<'_, Vec<crate::users::FakeUser>> {
        self.shared
            .users
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    /// The server clock; pin it to control CreateDate/ModifyDate of writes.
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

    /// A copy of every record of `kind`, in key order.
    pub fn records(&self, kind: Kind) -> Vec<Record> {
        self.read().records(kind).cloned().collect()
    }

    /// A copy of one record.
    pub fn record(&self, kind: Kind, key: &str) -> Option<Record> {
        self.read().get(kind, key).cloned()
    }

    /// The number of records of `kind`.
    pub fn count(&self, kind: Kind) -> usize {
        self.read().len(kind)
    }

    /// The keys the email index lists `email` under for `kind` (compared as the `where`
    /// compares text: case-insensitively, and here trimmed), in key order: the records a
    /// lookup by that email evaluates its `where` on. For tests of the index itself.
    pub fn email_index_keys(&self, kind: Kind, email: &str) -> Vec<String> {
        let store = self.read();
        let probe = [crate::email_index::fold(email)];
        let keys = store.table(kind).emails.lookup(&probe);
        keys.into_iter().map(str::to_string).collect()
    }

    /// Checks that every index (the (ModifyDate, key) one and the email one) holds
    /// exactly what the records give; the error names the first kind whose index does
    /// not. For tests that a write path kept the indexes in step.
    pub fn verify_indexes(&self) -> Result<(), String> {
        self.read().verify_indexes()
    }

    /// Serve feeds without `next` links (JSON `$next`, Atom `<link rel="next">`), as older
    /// SData providers do; clients must then page by `startIndex` arithmetic from
    /// `startIndex`, `itemsPerPage` and `totalResults` (as Sage's older .NET SData
    /// reader does: `startIndex += itemsPerPage`).
    pub fn set_omit_next_links(&self, omit: bool) {
        self.shared.omit_next_links.store(omit, Ordering::Relaxed);
    }

    /// Whether feeds are served without `next` links.
    pub fn omit_next_links(&self) -> bool {
        self.shared.omit_next_links.load(Ordering::Relaxed)
    }
}
