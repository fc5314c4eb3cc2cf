//! Group commit for the public form endpoint. Every accepted submission must be stored
//! with its delivery job before the visitor gets an answer; one transaction per
//! submission makes concurrent requests queue for the database's write lock (SQLite has
//! one writer) and spend their time waiting rather than writing. Instead, requests hand
//! their rows to one writer task, which stores whatever has queued up meanwhile in a
//! single transaction and then answers each request. Under load a commit carries many
//! submissions; alone, a submission is written at once. Nothing is answered before its
//! rows are committed.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use sea_orm::TransactionTrait;
use tokio::sync::{mpsc, oneshot};

use crate::{
    clock::Clock,
    store::{JobRepo, NewJob, Store, StoreError, Submission, SubmissionRepo},
};

/// Submissions stored in one transaction at most.
const MAX_BATCH: usize = 256;
/// Submissions waiting for the writer at most; beyond it requests wait to hand theirs over.
const QUEUE: usize = 4_096;

/// One submission waiting to be stored, and who to tell.
struct Pending {
    submission: Submission,
    job: NewJob,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// Hands submissions to the writer task; cheap to clone.
#[derive(Clone, Debug)]
pub struct IntakeWriter {
    queue: mpsc::Sender<Pending>,
    commits: Arc<AtomicU64>,
}

/// Why a submission could not be handed over.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The database refused the rows.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The writer task has stopped (the service is shutting down).
    #[error("the service is shutting down; the submission was not stored")]
    Stopped,
}

impl IntakeWriter {
    /// Starts the writer task on the current runtime; it ends when every handle is gone.
    pub fn spawn(store: Store, clock: Arc<dyn Clock>) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        let commits = Arc::new(AtomicU64::new(0));
        tokio::spawn(write_loop(store, clock, rx, commits.clone()));
        IntakeWriter { queue, commits }
    }

    /// Transactions committed so far (each holds one or more submissions).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Stores a submission with its delivery job; returns once both are committed.
    pub async fn store(&self, submission: Submission, job: NewJob) -> Result<(), WriteError> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Pending {
                submission,
                job,
                done,
            })
            .await
            .map_err(|_| WriteError::Stopped)?;
        answer
            .await
            .map_err(|_| WriteError::Stopped)?
            .map_err(WriteError::from)
    }
}

async fn write_loop(
    store: Store,
    clock: Arc<dyn Clock>,
    mut rx: mpsc::Receiver<Pending>,
    commits: Arc<AtomicU64>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let now = clock.now();
        let stored = write(&store, &batch, now).await;
        commits.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            submissions = batch.len(),
            ok = stored.is_ok(),
            "form submissions committed"
        );
        match stored {
            Ok(()) => {
                for pending in batch {
                    let _ = pending.done.send(Ok(()));
                }
            }
            // One bad row must not fail the others: store them one by one.
            Err(_) if batch.len() > 1 => {
                for pending in batch {
                    let result = write(&store, std::slice::from_ref(&pending), now).await;
                    let _ = pending.done.send(result);
                }
            }
            Err(e) => {
                if let Some(pending) = batch.pop() {
                    let _ = pending.done.send(Err(e));
                }
            }
        }
    }
}

async fn write(
    store: &Store,
    batch: &[Pending],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let tx = store.conn().begin().await?;
    let submissions: Vec<&Submission> = batch.iter().map(|p| &p.submission).collect();
    SubmissionRepo.insert_many(&tx, &submissions).await?;
    let jobs = JobRepo::on(&tx);
    if let [pending] = batch {
        // Alone, a job keeps the usual rule for a key already held (queue nothing).
        jobs.enqueue(pending.job.clone(), now).await?;
    } else {
        // Each submission is new, so are its job's dedupe keys: one statement for all.
        let new: Vec<NewJob> = batch.iter().map(|p| p.job.clone()).collect();
        jobs.enqueue_new(&new, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
