//! Storage: the database connection, migrations and one repository per
//! aggregate. This is the only code that writes SQL (through sea-orm).
//!
//! Invariant: every repository method that reads or writes an account's data
//! takes that [`AccountId`] and filters by it, so one tenant can never reach
//! another's rows by guessing an id.

use std::{path::PathBuf, sync::Arc, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, SqlErr,
    Statement,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::domain::redact::redact_url;

mod accounts;
mod alert_channels;
mod alert_streaks;
mod api_keys;
mod checkpointer;
mod connector_users;
mod connectors;
mod conversion_exports;
mod conversion_rows;
mod crm_links;
mod email_locks;
pub mod entity;
mod field_usages;
mod form_submissions;
mod forms;
mod ids;
mod interactions;
mod invitations;
mod jobs;
mod list_connector;
mod lists;
mod lookup_keys;
mod member_writes;
mod members;
mod note_events;
mod phone_numbers;
mod push_scope;
mod routing_rules;
mod run_records;
mod run_scratch;
mod runs;
mod schedule_firing;
mod schedules;
mod segments;
mod sessions;
mod upload_reports;
mod users;

pub use accounts::{Account, AccountRepo, AccountSettings, DEFAULT_TIME_ZONE};
pub use alert_channels::{AlertChannelRepo, StoredAlertChannel};
pub use alert_streaks::{AlertStreak, AlertStreakRepo, StreakChange};
pub use api_keys::{ApiKeyRecord, ApiKeyRepo, NewApiKey};
pub use connector_users::ConnectorUsers;
pub use connectors::{
    ConnectorCredentials, ConnectorRateLimit, ConnectorRecord, ConnectorRepo, ConnectorStatus,
    VerifiedUser,
};
pub use conversion_exports::{ConversionExportRepo, RunTally, StoredExport};
pub use conversion_rows::{ConversionRowRepo, LedgerFilter, LedgerRow};
pub use crm_links::CrmLinkRepo;
pub use email_locks::EmailLockRepo;
pub use field_usages::FieldUsageRepo;
pub use form_submissions::{
    Submission, SubmissionAction, SubmissionRepo, SubmissionStatus, SubmissionTarget,
};
pub use forms::{Form, FormField, FormFieldKind, FormPage, FormRepo, FormSettings};
pub use ids::{
    AccountId, ApiKeyId, ConnectorId, FormId, JobId, ListId, MemberId, RunId, ScheduleId,
    SegmentId, SubmissionId, UserId,
};
pub use ids::{AlertChannelId, ConversionExportId, ConversionRunId, LookupKeyId, RuleSetId};
pub use interactions::{CallDirection, Interaction, InteractionRepo, InteractionStatus};
pub use invitations::{Invitation, InvitationRepo};
pub use jobs::{Job, JobKind, JobRepo, JobStatus, JobSubject, NewJob, WaitingJobs};
pub use list_connector::ListConnector;
pub use lists::{List, ListColumn, ListKind, ListRepo, ListStatus, NewList};
pub use lookup_keys::{ActiveLookupKey, LookupKeyRecord, LookupKeyRepo, NewLookupKey};
pub use member_writes::MemberWrites;
pub use members::{CrmLink, Member, MemberRepo, Parked};
pub use note_events::{CampaignSummary, NoteEvent, NoteEventRepo, NoteStatus, NoteTally};
pub use phone_numbers::{PhoneIndexRepo, PhoneMatch, PhoneProblem};
pub use push_scope::{PushPosition, PushScopeRepo};
pub use routing_rules::{RoutingRuleRepo, StoredRuleSet};
pub use run_records::RunRecord;
pub use run_scratch::ScratchRepo;
pub use runs::{NewRun, Progress, Queued, Run, RunCounts, RunKind, RunRepo, RunStatus, RunTrigger};
pub use schedules::{
    SCHEDULE_LIMIT, Schedule, ScheduleRepo, ScheduleTarget, ScheduleWrite, ScheduledTarget, Upsert,
};
pub use segments::{NewSegment, Segment, SegmentRepo};
pub use sessions::{SessionRecord, SessionRepo};
pub use upload_reports::{UploadRejection, UploadReportRepo, UploadSummary};
pub use users::{NewUser, Role, User, UserRepo};

/// The SQLite page cache per connection, in KiB (as `PRAGMA cache_size` takes it,
/// negative); SQLite's default of 2 MiB makes a 100,000-member import read its index
/// pages back from the file over and over.
const SQLITE_CACHE_KIB: &str = "-16384";

/// Read-only SQLite connections beside the writing one (see [`Store::reads`]): enough
/// for a few lookups at once on a small machine.
const SQLITE_READ_CONNECTIONS: u32 = 4;

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a database server to accept a connection at start-up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a storage operation failed. Messages name the database (password masked)
/// or the record involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened.
    #[error("cannot open database {url}: {message}")]
    Connect {
        /// The URL with any password masked.
        url: String,
        /// The driver's explanation (password masked).
        message: String,
    },
    /// Migrations failed.
    #[error("migrating database {url} failed: {message}")]
    Migrate {
        /// The URL with any password masked.
        url: String,
        /// The driver's explanation.
        message: String,
    },
    /// A unique constraint refused the write.
    #[error("{what} already exists")]
    Duplicate {
        /// Names the record, e.g. `account 'acme'`.
        what: String,
    },
    /// A stored row does not hold what the code expects.
    #[error("stored {table} row {id} is invalid: {message}")]
    Corrupt {
        /// Table name.
        table: &'static str,
        /// Row id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// Any other database failure.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Duplicate`] naming `what`.
    pub(crate) fn from_write(err: DbErr, what: impl FnOnce() -> String) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Duplicate { what: what() },
            _ => StoreError::Db(err),
        }
    }
}

/// The database: a pooled connection plus the repositories over it. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// See [`Store::reads`].
    reads: DatabaseConnection,
    /// The WAL checkpointer of a SQLite file (see `checkpointer`); stops with the
    /// last clone.
    checkpoints: Option<Arc<checkpointer::Checkpointer>>,
    url: String,
}

impl Store {
    /// Opens the database at `url` (`sqlite://…` or `postgres://…`). SQLite gets
    /// WAL journaling, a busy timeout and enforced foreign keys.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let redacted = redact_url(url);
        let connect_error = |message: String| StoreError::Connect {
            url: redacted.clone(),
            message: mask_password(url, &message),
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            preflight_postgres(url).await.map_err(connect_error)?;
        }
        let mut options = ConnectOptions::new(url.to_string());
        options
            .connect_timeout(CONNECT_TIMEOUT)
            .acquire_timeout(CONNECT_TIMEOUT)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
                    // Statement journals (a rollback point per statement inside a
                    // transaction) in memory rather than temp files.
                    .pragma("temp_store", "memory")
                    // A page cache that holds a large list's hot index pages.
                    .pragma("cache_size", SQLITE_CACHE_KIB)
                    // The checkpointer copies the WAL back beside the writer (see
                    // `checkpointer`); a commit does it only once the log passes
                    // 256 MiB, should the checkpointer fall behind.
                    .pragma("wal_autocheckpoint", "64000")
                    // A log grown that far shrinks back to 64 MiB once reset.
                    .pragma("journal_size_limit", "67108864")
            })
            .map_sqlx_postgres_opts(|opts| {
                // Plan every statement for its own parameters and the tables' present
                // size. A prepared statement otherwise settles on a generic plan after
                // five runs: on a new database's first import that plan was made for an
                // empty members table (a sequential scan) and stayed until autovacuum
                // analysed the table, so each 500-email lookup read the whole list and
                // a 100,000-lead import took 13–50 s instead of 10.
                opts.options([("plan_cache_mode", "force_custom_plan")])
            });
        let db = Database::connect(options)
            .await
            .map_err(|e| connect_error(e.to_string()))?;
        let (reads, checkpoints) = match sqlite_file(&db)
            .await
            .map_err(|e| connect_error(e.to_string()))?
        {
            Some(file) => {
                let checkpoints = checkpointer::Checkpointer::start(&file, SQLITE_BUSY_TIMEOUT)
                    .await
                    .map_err(|e| connect_error(e.to_string()))?;
                let reads = open_sqlite_readers(url, file)
                    .await
                    .map_err(|e| connect_error(e.to_string()))?;
                (reads, Some(Arc::new(checkpoints)))
            }
            None => (db.clone(), None),
        };
        Ok(Store {
            db,
            reads,
            checkpoints,
            url: redacted,
        })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None)
            .await
            .map_err(|e| StoreError::Migrate {
                url: self.url.clone(),
                message: e.to_string(),
            })
    }

    /// Checks the database answers; used by `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await?)
    }

    /// The URL this store was opened with, password masked.
    pub fn redacted_url(&self) -> &str {
        &self.url
    }

    /// Accounts.
    pub fn accounts(&self) -> AccountRepo<'_> {
        AccountRepo::new(&self.db)
    }

    /// API keys.
    pub fn api_keys(&self) -> ApiKeyRepo<'_> {
        ApiKeyRepo::new(&self.db)
    }

    /// People who sign in to the console.
    pub fn users(&self) -> UserRepo<'_> {
        UserRepo::new(&self.db)
    }

    /// Signed-in console sessions.
    pub fn sessions(&self) -> SessionRepo<'_> {
        SessionRepo::new(&self.db)
    }

    /// One-time sign-in links of invited people.
    pub fn invitations(&self) -> InvitationRepo<'_> {
        InvitationRepo::new(&self.db)
    }

    /// CRM connectors.
    pub fn connectors(&self) -> ConnectorRepo<'_> {
        ConnectorRepo::new(&self.db)
    }

    /// CRM connectors for reads that any committed state answers (see [`Store::reads`]):
    /// every form delivery and run opens its connector by reading the row, and on SQLite
    /// the one writing connection is better left to the writes, the form intake's
    /// among them.
    pub fn connectors_read(&self) -> ConnectorRepo<'_> {
        ConnectorRepo::new(&self.reads)
    }

    /// The durable job queue.
    pub fn jobs(&self) -> JobRepo<'_> {
        JobRepo::on(&self.db)
    }

    /// The connection, for repositories whose methods take any connection or
    /// transaction (lists, members, runs, segments) so callers can group writes.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Connections for reads that any committed state answers correctly and that must
    /// not wait behind writes: a phone system's caller lookup. SQLite has one writing
    /// connection (sea-orm's default, which keeps writers from refusing each other), so
    /// a lookup would queue behind every statement of a running import; these are a
    /// few read-only connections beside it, which WAL lets read while it writes. On
    /// PostgreSQL, and for an in-memory SQLite database that a second pool could not
    /// see, they are the same pool as [`Store::conn`].
    pub fn reads(&self) -> &DatabaseConnection {
        &self.reads
    }

    /// Stops the checkpointer and closes the pools (the read-only one first), waiting
    /// for connections to be returned. Closing a pool twice (where `reads` is `conn`)
    /// does nothing more.
    pub async fn close(self) -> Result<(), StoreError> {
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.stop();
        }
        self.reads.close().await?;
        Ok(self.db.close().await?)
    }
}

/// The file of a SQLite database; `None` for PostgreSQL and for an in-memory or
/// temporary SQLite database (SQLite names no file for those).
async fn sqlite_file(db: &DatabaseConnection) -> Result<Option<PathBuf>, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(None);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
        ))
        .await?;
    let file: Option<String> = match row {
        Some(row) => row.try_get("", "file")?,
        None => None,
    };
    Ok(file.filter(|f| !f.is_empty()).map(PathBuf::from))
}

/// The read-only pool of [`Store::reads`] over the SQLite database `file` (opened by
/// `url`, whose options it keeps): it never creates the file, never takes the write
/// lock, and shares the writer's cache size and busy timeout.
async fn open_sqlite_readers(url: &str, file: PathBuf) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(SQLITE_READ_CONNECTIONS)
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts| {
            opts.filename(&file)
                .read_only(true)
                .create_if_missing(false)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .pragma("temp_store", "memory")
                .pragma("cache_size", SQLITE_CACHE_KIB)
        });
    Database::connect(options).await
}

/// Opens one PostgreSQL connection directly, because a pool that cannot connect
/// only reports "timed out" and hides the cause (refused, unknown host, bad password).
async fn preflight_postgres(url: &str) -> Result<(), String> {
    use sea_orm::sqlx::{Connection, PgConnection};
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(url)).await {
        Ok(Ok(conn)) => conn.close().await.map_err(|e| e.to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())),
    }
}

/// Removes the URL's password from a driver message that may echo the URL.
/// Only URL-shaped occurrences are replaced, so ordinary words stay intact.
fn mask_password(url: &str, message: &str) -> String {
    let mut masked = message.replace(url, &redact_url(url));
    if let Ok(parsed) = url::Url::parse(url)
        && let Some(password) = parsed.password().filter(|p| !p.is_empty())
    {
        masked = masked.replace(&format!(":{password}@"), ":***@");
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_replaces_only_url_shaped_passwords() {
        let url = "postgres://u:p@host/db";
        assert_eq!(
            mask_password(url, "failed to lookup address for postgres://u:p@host/db"),
            "failed to lookup address for postgres://u:***@host/db"
        );
        assert_eq!(
            mask_password(url, "user u:p@host refused"),
            "user u:***@host refused"
        );
    }
}
