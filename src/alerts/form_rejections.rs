//! What alerts hear from form deliveries: one rejected submission is normal (a visitor
//! typed something the CRM refuses), many in an hour mean the form is losing leads (a
//! new CRM rule, a field the form stopped mapping). Per form (`form_rejections:<form
//! id>`): after each rejection the form's submissions rejected in the last hour are
//! counted, and when they are more than `alert_form_rejections_per_hour` the rejection
//! is a failure of the streak: the first alerts, later ones only count. After a
//! delivered submission, a failing streak whose last hour counts at most that many
//! ends with "recovered".
//!
//! A delivery is the common case: it costs one primary-key read of the streak and
//! nothing more unless the streak is failing. Alerts never fail a delivery: a problem
//! is logged and the delivery goes on.

use chrono::Duration;

use super::{
    Alert, AlertError, AlertEvent, AlertForm,
    streak::{self, Outcome},
};
use crate::{
    AppState,
    store::{Form, FormId, SubmissionId, SubmissionRepo},
};

/// The alert subject of a form's rejected submissions.
pub fn form_rejections_subject(form: FormId) -> String {
    format!("form_rejections:{form}")
}

/// Called by form delivery once `submission` of `form` is stored as rejected: counts
/// the form's rejections of the last hour and, above the setting, records a failure
/// of the form's streak (alerting once per streak). Never fails the delivery.
pub async fn after_form_rejected(state: &AppState, form: &Form, submission: SubmissionId) {
    if let Err(e) = rejected(state, form, submission).await {
        tracing::error!(error = %e, form = %form.id, "recording a rejected submission for alerts failed");
    }
}

/// Called by form delivery once `submission` of `form` is stored as delivered: ends
/// the form's streak ("recovered") when it is failing and the last hour's rejections
/// are back within the setting. Never fails the delivery.
pub async fn after_form_delivered(state: &AppState, form: &Form, submission: SubmissionId) {
    if let Err(e) = delivered(state, form, submission).await {
        tracing::error!(error = %e, form = %form.id, "recording a delivered submission for alerts failed");
    }
}

/// The setting: more rejections than this in an hour alert.
fn limit(state: &AppState) -> u32 {
    state.alert_settings.form_rejections_per_hour
}

/// The form's submissions rejected in the hour up to the clock's now.
async fn rejected_last_hour(state: &AppState, form: FormId) -> Result<u64, AlertError> {
    let since = state.clock.now() - Duration::hours(1);
    Ok(SubmissionRepo
        .rejected_since(state.store.conn(), form, since)
        .await?)
}

async fn rejected(
    state: &AppState,
    form: &Form,
    submission: SubmissionId,
) -> Result<(), AlertError> {
    let count = rejected_last_hour(state, form.id).await?;
    if count <= u64::from(limit(state)) {
        return Ok(());
    }
    observe(state, form, submission, true, count).await
}

/// A delivery ends a streak only when one is on: otherwise nothing else is read or
/// written.
async fn delivered(
    state: &AppState,
    form: &Form,
    submission: SubmissionId,
) -> Result<(), AlertError> {
    let subject = form_rejections_subject(form.id);
    if !streak::failing(state, form.account_id, &subject).await? {
        return Ok(());
    }
    let count = rejected_last_hour(state, form.id).await?;
    if count > u64::from(limit(state)) {
        return Ok(());
    }
    observe(state, form, submission, false, count).await
}

async fn observe(
    state: &AppState,
    form: &Form,
    submission: SubmissionId,
    failed: bool,
    count: u64,
) -> Result<(), AlertError> {
    let subject = form_rejections_subject(form.id);
    let limit = limit(state);
    let outcome = Outcome {
        account: form.account_id,
        subject: &subject,
        failed,
        observed: submission.as_db(),
    };
    streak::record(state, &outcome, |change| {
        let (event, text) = if change.recovered {
            (
                AlertEvent::Recovered,
                recovered_text(form, submission, count, limit, change.failures_before),
            )
        } else {
            (
                AlertEvent::FormRejections,
                rejected_text(form, count, limit),
            )
        };
        Alert {
            text,
            event,
            account: change.account,
            subject: subject.clone(),
            list: None,
            run_id: None,
            job: None,
            connector: None,
            form: Some(AlertForm {
                id: form.id,
                name: form.settings.name.clone(),
                rejected_last_hour: count,
                limit_per_hour: limit,
            }),
            reason: failed.then(|| {
                format!("{count} submissions rejected in the last hour (more than {limit})")
            }),
            at: state.clock.now(),
        }
    })
    .await?;
    Ok(())
}

/// The text of the alert that starts a streak.
fn rejected_text(form: &Form, count: u64, limit: u32) -> String {
    format!(
        "Form '{}' had {count} submissions rejected in the last hour (more than {limit}). Form {}. They did not reach the CRM: see the form's submissions for the reasons (the CRM's own words, or a field the form does not map) and retry them once the cause is fixed. Further rejections of this form are not reported until fewer are rejected (at most {limit} in an hour) and a submission is delivered.",
        form.settings.name, form.id
    )
}

/// The text of the "recovered" a delivery sends once rejections are back within the
/// limit.
fn recovered_text(
    form: &Form,
    submission: SubmissionId,
    count: u64,
    limit: u32,
    failures: i32,
) -> String {
    format!(
        "Form '{}' recovered: submission {submission} was delivered and {count} submission(s) were rejected in the last hour (at most {limit}), after {failures} rejection(s) over the limit. Form {}.",
        form.settings.name, form.id
    )
}
