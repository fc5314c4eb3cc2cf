//! Form definitions (create, read, update, delete), their submissions, and retrying a
//! rejected or failed submission after the marketer fixed the cause.

use listbridge_connector::EntityKind;
use sea_orm::TransactionTrait;

use super::{FormError, check_form, intake::delivery_job};
use crate::{
    AppState,
    store::{
        AccountId, ConnectorId, FieldUsageRepo, Form, FormId, FormRepo, FormSettings, JobRepo,
        NewJob, StoreError, Submission, SubmissionId, SubmissionRepo, SubmissionStatus,
    },
};

/// Bytes of randomness in a public form key (hex-encoded: 32 characters).
const FORM_KEY_BYTES: usize = 16;

fn new_form_key(state: &AppState) -> String {
    let mut bytes = [0u8; FORM_KEY_BYTES];
    state.random.fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The connector a form uses: the one named, else the account's first.
async fn resolve_connector(
    state: &AppState,
    account: AccountId,
    named: Option<ConnectorId>,
) -> Result<ConnectorId, FormError> {
    if let Some(id) = named {
        return Ok(id);
    }
    state
        .connectors()
        .list(account)
        .await?
        .first()
        .map(|c| c.id)
        .ok_or_else(|| {
            FormError::Refused(super::FormRefusal {
                code: "no_connector",
                message: "connect a CRM before creating a form".into(),
                names: vec![],
            })
        })
}

/// Normalises the settings (the thank-you URL as it will be redirected to), then checks
/// them against the account's Standard Field Names and the CRM's fields.
async fn checked(
    state: &AppState,
    account: AccountId,
    settings: &mut FormSettings,
) -> Result<(), FormError> {
    settings.thank_you_url = settings
        .thank_you_url
        .as_deref()
        .map(super::settings::thank_you_url)
        .transpose()?;
    let usages = FieldUsageRepo.all(state.store.conn(), account).await?;
    let connectors = state.connectors();
    let lead = connectors
        .fields(account, settings.connector_id, EntityKind::Lead)
        .await?;
    let contact = connectors
        .fields(account, settings.connector_id, EntityKind::Contact)
        .await?;
    let vocab = connectors
        .vocabulary(account, settings.connector_id)
        .await?;
    check_form(settings, &usages, vocab, &lead, &contact)?;
    Ok(())
}

/// Checks and saves a new form with a fresh public key. `connector` absent: the
/// account's first connector.
pub async fn create_form(
    state: &AppState,
    account: AccountId,
    connector: Option<ConnectorId>,
    mut settings: FormSettings,
) -> Result<Form, FormError> {
    settings.connector_id = resolve_connector(state, account, connector).await?;
    checked(state, account, &mut settings).await?;
    let id = FormId::from(state.random.uuid());
    Ok(FormRepo
        .create(
            state.store.conn(),
            id,
            account,
            &new_form_key(state),
            &settings,
            state.clock.now(),
        )
        .await?)
}

/// Checks and replaces a form's settings; its id and public key stay.
pub async fn update_form(
    state: &AppState,
    account: AccountId,
    id: FormId,
    connector: Option<ConnectorId>,
    mut settings: FormSettings,
) -> Result<Form, FormError> {
    let existing = get_form(state, account, id).await?;
    settings.connector_id = connector.unwrap_or(existing.settings.connector_id);
    checked(state, account, &mut settings).await?;
    let updated = FormRepo
        .update(
            state.store.conn(),
            account,
            id,
            &settings,
            state.clock.now(),
        )
        .await?;
    state.intake_cache.forget_form(id);
    updated.ok_or_else(|| FormError::NotFound(format!("form {id}")))
}

/// One of the account's forms.
pub async fn get_form(state: &AppState, account: AccountId, id: FormId) -> Result<Form, FormError> {
    FormRepo
        .get(state.store.conn(), account, id)
        .await?
        .ok_or_else(|| FormError::NotFound(format!("form {id}")))
}

/// The longest form key the public endpoints look up; longer ones cannot exist
/// (keys are 32 hex characters), so they are answered "not found" without a query.
const MAX_PUBLIC_KEY_LEN: usize = 64;

/// The form a public key names (the hosted page and the intake, for any visitor:
/// no account scope); `None` when no form has it.
pub async fn form_by_public_key(
    state: &AppState,
    form_key: &str,
) -> Result<Option<Form>, FormError> {
    if form_key.len() > MAX_PUBLIC_KEY_LEN {
        return Ok(None);
    }
    Ok(FormRepo.by_key(state.store.conn(), form_key).await?)
}

/// The form a public key names with its account's field usages, as the intake uses
/// them: from the [`IntakeCache`](super::IntakeCache) when read a moment ago, else from
/// the database (and remembered); `None` when no form has the key (not remembered, so
/// made-up keys take no memory).
pub async fn intake_form(
    state: &AppState,
    form_key: &str,
) -> Result<Option<super::IntakeForm>, FormError> {
    if let Some(cached) = state.intake_cache.get(form_key) {
        return Ok(Some(cached));
    }
    let Some(form) = form_by_public_key(state, form_key).await? else {
        return Ok(None);
    };
    let usages = FieldUsageRepo
        .all(state.store.conn(), form.account_id)
        .await?;
    let vocab = state
        .connectors()
        .vocabulary(form.account_id, form.settings.connector_id)
        .await?;
    let intake = super::IntakeForm {
        form: std::sync::Arc::new(form),
        usages: usages.into(),
        vocab,
    };
    state.intake_cache.put(intake.clone());
    Ok(Some(intake))
}

/// The account's forms.
pub async fn list_forms(state: &AppState, account: AccountId) -> Result<Vec<Form>, FormError> {
    Ok(FormRepo.all(state.store.conn(), account).await?)
}

/// How many submissions each of the account's forms has (absent: none).
pub async fn submission_counts(
    state: &AppState,
    account: AccountId,
) -> Result<std::collections::HashMap<FormId, i64>, FormError> {
    Ok(SubmissionRepo
        .counts_by_form(state.store.conn(), account)
        .await?
        .into_iter()
        .collect())
}

/// Deletes a form with its submissions.
pub async fn delete_form(
    state: &AppState,
    account: AccountId,
    id: FormId,
) -> Result<(), FormError> {
    let deleted = FormRepo.delete(state.store.conn(), account, id).await?;
    state.intake_cache.forget_form(id);
    if deleted {
        Ok(())
    } else {
        Err(FormError::NotFound(format!("form {id}")))
    }
}

/// A page of a form's submissions, newest first, after the submission `before`.
pub async fn list_submissions(
    state: &AppState,
    account: AccountId,
    form: FormId,
    status: Option<SubmissionStatus>,
    before: Option<SubmissionId>,
    limit: u64,
) -> Result<Vec<Submission>, FormError> {
    let db = state.store.conn();
    get_form(state, account, form).await?;
    let cursor = match before {
        Some(id) => Some(
            SubmissionRepo
                .get(db, account, form, id)
                .await?
                .ok_or_else(|| FormError::NotFound(format!("submission {id}")))?,
        ),
        None => None,
    };
    Ok(SubmissionRepo
        .page(db, account, form, status, cursor.as_ref(), limit)
        .await?)
}

/// Puts a rejected or failed submission back in the queue with a new delivery job.
pub async fn retry_submission(
    state: &AppState,
    account: AccountId,
    form: FormId,
    id: SubmissionId,
) -> Result<Submission, FormError> {
    let db = state.store.conn();
    let submission = SubmissionRepo
        .get(db, account, form, id)
        .await?
        .ok_or_else(|| FormError::NotFound(format!("submission {id}")))?;
    let now = state.clock.now();
    let tx = db.begin().await.map_err(StoreError::from)?;
    if !SubmissionRepo.requeue(&tx, account, id, now).await? {
        return Err(FormError::NotRetryable {
            id: id.to_string(),
            status: submission.status,
        });
    }
    // A job of its own, without the submission's dedupe key: the job that rejected it
    // may still be finishing (it holds the key until it ends), and must not absorb this
    // one. Two deliveries never overlap: each takes the email's lock and skips a
    // submission no longer queued, and a second retry finds it queued and is refused.
    let job = NewJob {
        dedupe_key: None,
        ..delivery_job(state, &submission)
    };
    JobRepo::on(&tx).enqueue(job, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    state.job_signal.notify_one();
    tracing::info!(submission = %id, "form submission queued again");
    SubmissionRepo
        .get(db, account, form, id)
        .await?
        .ok_or_else(|| FormError::NotFound(format!("submission {id}")))
}
