//! Delivering a submission to the CRM (the `form_delivery` job).
//!
//! Under the (account, email) lock, the email's queued submissions up to this one are
//! delivered oldest first, so later values win and only one delivery at a time asks the
//! CRM "who has this email?" and then creates. Each submission: match by email (contact
//! preferred over lead, then most recent) → update the mapped fields the form allows; no
//! match → create a lead. A CRM outage is a retryable error (the job retries with
//! backoff); a CRM rejection is kept on the submission with the CRM's words. Each
//! rejection and each delivery is told to `alerts` (rejections piling up on a form).
//!
//! The lock is a lease: a heartbeat renews it while the backlog is delivered, and it is
//! confirmed before each submission and right before each CRM write (renewed, unless
//! renewed within the last third of a lease, which cannot have lapsed since). A holder
//! that finds it lost stops at once without writing, so however slow the CRM, a second
//! delivery that took over a lapsed lock is the only one writing for the email.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Duration as StdDuration,
};

use chrono::{DateTime, Duration, Utc};
use listbridge_connector::{ConnectorError, CrmConnector, CrmRecord, EntityKind, FieldValues};

use super::mapping::FieldResolver;
use crate::{
    AppState, alerts,
    connectors::ConnectError,
    engine::{
        matching,
        validate::{ValueError, check_write, find_def},
    },
    jobs::JobError,
    store::{
        AccountId, EmailLockRepo, FieldUsageRepo, Form, FormId, FormRepo, Job, StoreError,
        Submission, SubmissionAction, SubmissionId, SubmissionRepo, SubmissionStatus,
        SubmissionTarget,
    },
};

/// Attempts a delivery job gets (backoff 5 s doubling to 5 min: about an hour and a
/// half of CRM outage) before the submission is marked failed for a manual retry.
pub const FORM_MAX_ATTEMPTS: i32 = 24;

/// How long a delivery waits for another delivery of the same email before retrying later.
const LOCK_WAIT: StdDuration = StdDuration::from_secs(30);
/// How often a waiting delivery tries the lock.
const LOCK_POLL: StdDuration = StdDuration::from_millis(25);
/// Most submissions one delivery handles for its email.
const EMAIL_BACKLOG: u64 = 100;

/// Why a delivery stopped before it was done.
#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    /// The CRM is unreachable or overloaded: try again later.
    #[error("{0}")]
    Crm(ConnectorError),
    /// Another delivery of this email held the lock for too long.
    #[error("another delivery for {0} is still running")]
    Busy(String),
    /// This delivery's lock on the email lapsed and another delivery took it over.
    #[error("lost the delivery lock for {0} to another delivery; stopped before writing")]
    LockLost(String),
    /// The connector cannot be opened (reset, missing): try again later.
    #[error("{0}")]
    Connector(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DeliveryError> for JobError {
    fn from(err: DeliveryError) -> Self {
        match err {
            DeliveryError::Crm(e) => JobError::Crm(e),
            DeliveryError::Store(e) => JobError::Store(e),
            // Waiting for another delivery of the same email is not a failure: the job
            // waits its turn without spending an attempt.
            busy @ DeliveryError::Busy(_) => JobError::Busy(busy.to_string()),
            // These pass with time: report them as a transient CRM-side condition so the
            // job queue retries with backoff.
            other @ (DeliveryError::LockLost(_) | DeliveryError::Connector(_)) => {
                JobError::transient(other.to_string())
            }
        }
    }
}

/// Executes a `form_delivery` job.
pub async fn run_delivery_job(state: &AppState, job: &Job) -> Result<(), JobError> {
    let id = job
        .payload
        .get("submission_id")
        .and_then(|v| v.as_str())
        .and_then(SubmissionId::from_db)
        .ok_or_else(|| JobError::Fatal(format!("job {} has no submission id", job.id)))?;
    let db = state.store.conn();
    // Reads that any committed state answers go to the read connections: on SQLite
    // the one writing connection is shared with the form intake's commits.
    let Some(submission) = SubmissionRepo.for_worker(state.store.reads(), id).await? else {
        return Ok(()); // its form was deleted
    };
    match submission.status {
        SubmissionStatus::Queued => {}
        // Its job died and is being retried by hand (`POST /v1/jobs/{id}/retry`).
        SubmissionStatus::Failed => {
            SubmissionRepo
                .requeue(db, submission.account_id, submission.id, state.clock.now())
                .await?;
        }
        SubmissionStatus::Delivered | SubmissionStatus::Rejected => return Ok(()),
    }
    // One holder name per claim: if this job's lease lapsed and another worker claimed
    // it again, the two runs must not share the email lock.
    let holder = format!("{}#{}", job.id, job.attempts);
    match deliver_locked(state, &submission, &holder).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let message = e.to_string();
            let now = state.clock.now();
            if job.attempts >= job.max_attempts {
                SubmissionRepo
                    .mark_stopped(
                        db,
                        submission.id,
                        SubmissionStatus::Failed,
                        &format!("gave up after {} attempts: {message}", job.attempts),
                        None,
                        now,
                    )
                    .await?;
            }
            Err(e.into())
        }
    }
}

/// How a lease starts: by taking the lock (free, lapsed or already the holder's) or by
/// renewing the holder's.
#[derive(Clone, Copy)]
enum LeaseStart {
    Take,
    Renew,
}

/// A delivery's hold on an (account, email) lock.
struct EmailLock<'a> {
    state: &'a AppState,
    account: AccountId,
    email: &'a str,
    holder: &'a str,
    lease: Duration,
    /// When the lease last started (taken or renewed), on the clock leases expire by.
    leased_at: Mutex<Option<DateTime<Utc>>>,
}

impl EmailLock<'_> {
    /// Renews the lease; false when the lock is no longer this delivery's.
    async fn renew(&self) -> Result<bool, StoreError> {
        self.lease_from_now(LeaseStart::Renew).await
    }

    /// Takes the lock when it is free, lapsed or already this holder's.
    async fn try_take(&self) -> Result<bool, StoreError> {
        self.lease_from_now(LeaseStart::Take).await
    }

    /// Starts a lease now, as `how` says; remembers when.
    async fn lease_from_now(&self, how: LeaseStart) -> Result<bool, StoreError> {
        let (db, now) = (self.state.store.conn(), self.state.clock.now());
        let (account, email, holder) = (self.account, self.email, self.holder);
        let held = match how {
            LeaseStart::Take => {
                EmailLockRepo
                    .try_acquire(db, account, email, holder, self.lease, now)
                    .await?
            }
            LeaseStart::Renew => {
                EmailLockRepo
                    .renew(db, account, email, holder, self.lease, now)
                    .await?
            }
        };
        if held {
            *self
                .leased_at
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(now);
        }
        Ok(held)
    }

    /// Makes sure the lock is still this delivery's, failing with
    /// [`DeliveryError::LockLost`] when it was lost. Another delivery takes a lock over
    /// only once its lease has expired, so a lease that started less than a third of it
    /// ago (the heartbeat's period) is still ours without asking; an older one is
    /// renewed. Each delivery thus writes the lock twice rather than four times, on the
    /// connection the form intake commits through.
    async fn confirm(&self) -> Result<(), DeliveryError> {
        let leased_at = *self
            .leased_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let fresh = leased_at.is_some_and(|at| self.state.clock.now() - at < self.lease / 3);
        if fresh || self.renew().await? {
            Ok(())
        } else {
            Err(DeliveryError::LockLost(self.email.to_string()))
        }
    }

    /// Renews the lease every third of it; returns when a renewal finds it lost.
    async fn heartbeat(&self) {
        let every = (self.lease / 3)
            .to_std()
            .unwrap_or(StdDuration::from_secs(10))
            .max(StdDuration::from_millis(10));
        loop {
            tokio::time::sleep(every).await;
            match self.renew().await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!(error = %e, "renewing a form delivery lock failed"),
            }
        }
    }
}

async fn deliver_locked(
    state: &AppState,
    submission: &Submission,
    holder: &str,
) -> Result<(), DeliveryError> {
    let db = state.store.conn();
    let lock = EmailLock {
        state,
        account: submission.account_id,
        email: submission.email.as_str(),
        holder,
        lease: state.workers.email_lock_lease,
        leased_at: Mutex::new(None),
    };
    let deadline = tokio::time::Instant::now() + LOCK_WAIT;
    while !lock.try_take().await? {
        if tokio::time::Instant::now() >= deadline {
            return Err(DeliveryError::Busy(lock.email.to_string()));
        }
        tokio::time::sleep(LOCK_POLL).await;
    }
    let result = tokio::select! {
        r = deliver_backlog(state, submission, &lock) => r,
        () = lock.heartbeat() => Err(DeliveryError::LockLost(lock.email.to_string())),
    };
    if matches!(result, Err(DeliveryError::LockLost(_))) {
        tracing::warn!(
            holder,
            "a form delivery lost its email lock; another delivery has it"
        );
    }
    // Only deletes the row while it is still this holder's.
    let released = EmailLockRepo
        .release(db, lock.account, lock.email, holder)
        .await;
    result?;
    released?;
    Ok(())
}

/// Delivers the email's queued submissions up to `upto`, oldest first.
async fn deliver_backlog(
    state: &AppState,
    upto: &Submission,
    lock: &EmailLock<'_>,
) -> Result<(), DeliveryError> {
    let db = state.store.conn();
    // The backlog, usages and forms are committed rows: read beside the writer.
    let reads = state.store.reads();
    let backlog = SubmissionRepo
        .queued_for_email(reads, upto.account_id, &upto.email, upto, EMAIL_BACKLOG)
        .await?;
    let usages = FieldUsageRepo.all(reads, upto.account_id).await?;
    let mut forms: HashMap<FormId, Form> = HashMap::new();
    for submission in backlog {
        // Each submission starts with a fresh lease, and only while the lock is ours.
        lock.confirm().await?;
        let form = match forms.get(&submission.form_id) {
            Some(f) => f.clone(),
            None => match FormRepo.for_worker(reads, submission.form_id).await? {
                Some(f) => {
                    forms.insert(f.id, f.clone());
                    f
                }
                None => continue,
            },
        };
        let connector = state
            .connectors()
            .open(form.account_id, form.settings.connector_id)
            .await
            .map_err(|e| match e {
                ConnectError::Crm(crm) if crm.may_pass() => DeliveryError::Crm(crm),
                ConnectError::Store(s) => DeliveryError::Store(s),
                other => DeliveryError::Connector(other.to_string()),
            })?;
        let resolver = FieldResolver::for_form(&form, &usages, connector.vocabulary());
        let outcome = deliver_one(connector, &form, &resolver, &submission, lock).await;
        let now = state.clock.now();
        match outcome {
            Ok((action, target)) => {
                SubmissionRepo
                    .mark_delivered(db, submission.id, action, target.as_ref(), now)
                    .await?;
                tracing::info!(submission = %submission.id, action = action.as_str(), "form submission delivered");
                alerts::after_form_delivered(state, &form, submission.id).await;
                alerts::after_form_delivery_login(state, &form, submission.id, None).await;
            }
            Err(Outcome::Rejected {
                reason,
                kind,
                target,
            }) => {
                // The reason may quote the CRM's words or the submitted values: debug only.
                tracing::info!(submission = %submission.id, kind, "form submission rejected");
                tracing::debug!(submission = %submission.id, %reason, "form submission rejected");
                SubmissionRepo
                    .mark_stopped(
                        db,
                        submission.id,
                        SubmissionStatus::Rejected,
                        &reason,
                        target.as_ref(),
                        now,
                    )
                    .await?;
                alerts::after_form_rejected(state, &form, submission.id).await;
                // Refused for its values, the submission still got past the login: the
                // CRM answered the lookup by email first. Unmapped address fields are
                // refused before the CRM is asked anything.
                let refused = is_login_refusal(kind).then_some(reason.as_str());
                if refused.is_some() || kind != UNMAPPED_ADDRESS {
                    alerts::after_form_delivery_login(state, &form, submission.id, refused).await;
                }
            }
            Err(Outcome::Stopped(e)) => return Err(e),
            Err(Outcome::Retry(e)) => {
                SubmissionRepo
                    .note_retry(db, submission.id, &e.to_string(), now)
                    .await?;
                return Err(DeliveryError::Crm(e));
            }
        }
    }
    Ok(())
}

/// The kind of a rejection for address fields the form does not map (found before the
/// CRM is asked anything).
const UNMAPPED_ADDRESS: &str = "unmapped-address";

/// Whether a rejection of this kind is the CRM refusing the connector's login.
fn is_login_refusal(kind: &str) -> bool {
    kind == ConnectorError::Auth {
        message: String::new(),
    }
    .kind()
}

/// Why one submission was not delivered.
enum Outcome {
    /// Kept as rejected with this reason (the CRM's words where it gave any).
    Rejected {
        reason: String,
        /// What refused it, as a fixed word for logs (`unmapped-address`,
        /// `invalid-value`, or the connector error's kind such as `rejected`).
        kind: &'static str,
        target: Option<SubmissionTarget>,
    },
    /// A transient CRM failure: retry the job.
    Retry(ConnectorError),
    /// The delivery must stop without recording anything on the submission: the email
    /// lock was lost before a write (the delivery that holds it now goes on) or the
    /// database failed.
    Stopped(DeliveryError),
}

/// Confirms the lock right before a CRM write (a fence): nothing is written once
/// another delivery may be writing for the same email.
async fn fence(lock: &EmailLock<'_>) -> Result<(), Outcome> {
    lock.confirm().await.map_err(Outcome::Stopped)
}

fn crm_error(e: ConnectorError, target: Option<SubmissionTarget>) -> Outcome {
    if e.may_pass() {
        Outcome::Retry(e)
    } else {
        Outcome::Rejected {
            reason: e.to_string(),
            kind: e.kind(),
            target,
        }
    }
}

fn target_of(record: &CrmRecord) -> SubmissionTarget {
    SubmissionTarget {
        entity: record.entity,
        key: record.key.clone(),
    }
}

async fn deliver_one(
    connector: Arc<dyn CrmConnector>,
    form: &Form,
    resolver: &FieldResolver<'_>,
    submission: &Submission,
    lock: &EmailLock<'_>,
) -> Result<(SubmissionAction, Option<SubmissionTarget>), Outcome> {
    let vocab = connector.vocabulary();
    let mapped = resolver.map(&submission.fields);
    if !mapped.unmapped_address.is_empty() {
        return Err(Outcome::Rejected {
            reason: format!(
                "the address fields {} are not mapped to a system usage or CRM field; map them in the form or in Standard Field Names, then retry the submission",
                mapped
                    .unmapped_address
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            kind: UNMAPPED_ADDRESS,
            target: None,
        });
    }
    let lead_defs = connector
        .describe(EntityKind::Lead)
        .await
        .map_err(|e| crm_error(e, None))?;
    let contact_defs = connector
        .describe(EntityKind::Contact)
        .await
        .map_err(|e| crm_error(e, None))?;
    let defs = |entity| match entity {
        EntityKind::Lead => &lead_defs,
        EntityKind::Contact => &contact_defs,
    };
    // Re-checked right before any create, under this email's lock.
    let mut candidates = Vec::new();
    for entity in [EntityKind::Contact, EntityKind::Lead] {
        let fields: Vec<String> = mapped
            .values
            .keys()
            .filter(|f| find_def(defs(entity), f).is_some())
            .cloned()
            .collect();
        let found = connector
            .find_by_email(entity, std::slice::from_ref(&submission.email), &fields)
            .await
            .map_err(|e| crm_error(e, None))?;
        candidates.extend(found.into_iter().filter(|r| {
            vocab
                .email_of(r)
                .is_some_and(|e| e.trim().eq_ignore_ascii_case(&submission.email))
        }));
    }

    if let Some((record, _why)) = matching::choose(&candidates) {
        let target = target_of(record);
        let entity_defs = defs(record.entity);
        let changes: FieldValues = mapped
            .values
            .iter()
            .filter(|(field, value)| {
                form.settings
                    .update_fields
                    .iter()
                    .any(|u| u.eq_ignore_ascii_case(field))
                    && find_def(entity_defs, field).is_some()
                    && record.fields.get(*field).cloned().flatten() != **value
            })
            .map(|(f, v)| (f.clone(), v.clone()))
            .collect();
        if changes.is_empty() {
            return Ok((SubmissionAction::Unchanged, Some(target)));
        }
        if let Err(e) = check_write(entity_defs, &changes, false) {
            return Err(Outcome::Rejected {
                reason: format!("{} {} was not updated: {e}", record.entity, record.key),
                kind: "invalid-value",
                target: Some(target),
            });
        }
        fence(lock).await?;
        return match connector
            .update(record.entity, &record.key, None, &changes)
            .await
        {
            Ok(updated) => Ok((SubmissionAction::Updated, Some(target_of(&updated)))),
            Err(e) => Err(crm_error(e, Some(target))),
        };
    }

    if !form.settings.create_new_leads {
        return Ok((SubmissionAction::NotCreated, None));
    }
    let mut fields: FieldValues = mapped
        .values
        .into_iter()
        .filter(|(f, _)| find_def(&lead_defs, f).is_some())
        .collect();
    fields.insert(
        vocab.email_field(EntityKind::Lead).into(),
        Some(submission.email.clone()),
    );
    if let Err(e) = check_write(&lead_defs, &fields, true) {
        let hint = match &e {
            ValueError::MissingRequired { .. } => {
                "; map a form field to it (or fill it in), then retry the submission"
            }
            _ => "",
        };
        return Err(Outcome::Rejected {
            reason: format!("no lead was created: {e}{hint}"),
            kind: "invalid-value",
            target: None,
        });
    }
    fence(lock).await?;
    match connector.create(EntityKind::Lead, &fields).await {
        Ok(created) => Ok((SubmissionAction::Created, Some(target_of(&created)))),
        Err(e) => Err(crm_error(e, None)),
    }
}
