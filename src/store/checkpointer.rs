//! WAL checkpoints of a SQLite database, taken on a connection of their own.
//!
//! In WAL mode every commit appends the pages it changed to the log, and a checkpoint
//! copies them back into the database file and syncs it. Left to SQLite, the commit
//! that takes the log past `wal_autocheckpoint` does that copy itself, before its
//! connection is free again; with the one writing connection this service keeps, an
//! import's next page, a form submission or a job claim waits behind it. Copying a
//! large list's scattered index pages dominates a big import's commits: measured on the
//! members table alone, checkpoints beside the writer made 100,000 inserts 13% quicker
//! and a million 31% (BENCHMARKS.md).
//!
//! The checkpointer asks for a `PASSIVE` checkpoint every [`BUSY_EVERY`] while commits
//! add pages to the log, and every [`IDLE_EVERY`] while none do. A passive checkpoint takes
//! no lock a writer or reader waits for: it copies what every reader has moved past and
//! leaves the rest for next time. The writer's own `wal_autocheckpoint` (see
//! [`super::Store::connect`]) stays as a backstop should the checkpointer fall behind
//! or stop.

use std::{path::Path, time::Duration};

use sea_orm::sqlx::{
    self, Connection,
    sqlite::{SqliteConnectOptions, SqliteConnection, SqliteSynchronous},
};
use tokio::task::JoinHandle;

/// How often to checkpoint while commits add pages to the log: often enough that the
/// writer's backstop seldom finds a log full of pages nobody has copied yet.
const BUSY_EVERY: Duration = Duration::from_millis(50);
/// How often to look while no commit adds pages (an idle service).
const IDLE_EVERY: Duration = Duration::from_secs(1);

/// Consecutive failures after which a failing checkpointer says so again: the first,
/// then about once a minute (one try a second), not every try.
const TELL_EVERY: u64 = 60;

/// Whether the `failures`-th failure in a row is logged.
fn worth_telling(failures: u64) -> bool {
    failures % TELL_EVERY == 1
}

/// The running checkpointer of one database file; stops when dropped.
#[derive(Debug)]
pub(super) struct Checkpointer {
    task: JoinHandle<()>,
}

impl Checkpointer {
    /// Opens the checkpointer's connection to the SQLite database `file` and starts
    /// checkpointing it. The connection never creates the file and waits as long as
    /// the writer's connections do for a lock.
    pub(super) async fn start(file: &Path, busy_timeout: Duration) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::new()
            .filename(file)
            .create_if_missing(false)
            .busy_timeout(busy_timeout)
            .synchronous(SqliteSynchronous::Normal);
        let mut conn = SqliteConnection::connect_with(&options).await?;
        let file = file.display().to_string();
        let task = tokio::spawn(async move {
            let mut last = Progress::default();
            let mut failures: u64 = 0;
            loop {
                let pause = match checkpoint(&mut conn).await {
                    Ok(now) => {
                        if failures > 0 {
                            tracing::info!(failures, database = %file, "WAL checkpoints work again");
                            failures = 0;
                        }
                        let writing = now.log != last.log || now.copied < now.log;
                        last = now;
                        if writing { BUSY_EVERY } else { IDLE_EVERY }
                    }
                    Err(error) => {
                        // The writer's autocheckpoint still bounds the log; say why
                        // this one could not, and try again later.
                        failures += 1;
                        if worth_telling(failures) {
                            tracing::warn!(%error, failures, database = %file, "WAL checkpoint failed");
                        }
                        IDLE_EVERY
                    }
                };
                tokio::time::sleep(pause).await;
            }
        });
        Ok(Checkpointer { task })
    }
}

impl Checkpointer {
    /// Stops checkpointing (the store is closing); the writer's autocheckpoint and
    /// SQLite's checkpoint when the last connection closes take over.
    pub(super) fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where the log stood after a checkpoint, in pages (frames).
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    /// Pages in the log: more than last time means commits since.
    log: i64,
    /// Pages of those copied into the database file.
    copied: i64,
}

/// One passive checkpoint.
async fn checkpoint(conn: &mut SqliteConnection) -> Result<Progress, sqlx::Error> {
    let (_busy, log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *conn)
        .await?;
    tracing::trace!(log, copied, "WAL checkpoint");
    Ok(Progress { log, copied })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lasting_failure_is_told_at_first_then_about_once_a_minute() {
        let told: Vec<u64> = (1..=200).filter(|&n| worth_telling(n)).collect();
        assert_eq!(told, [1, 61, 121, 181]);
    }
}
