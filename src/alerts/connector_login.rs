//! What alerts hear about a connector's CRM login: a run (of any trigger; dry runs
//! aside) that failed because the CRM refused the login, or a form delivery the CRM
//! refused the login of, starts the connector's streak (`connector_login:<connector
//! id>`) and alerts once; later refusals only count; the next run or delivery through
//! that connector that got past the login sends "recovered".
//!
//! What the run stored decides, never its error's text: its failure kind
//! (`Run::failure_kind`, the error's fixed word) tells a refusal (`auth`) apart, and
//! `Run::crm_answered` says the CRM answered a logged-in request of it (a page, a
//! record, a rejection of a record), however the run ended. A run that never got an
//! answer (nothing to read or write, an unreachable CRM, a setup problem) says nothing
//! about the login and leaves the streak alone. The connector is the one the run used
//! (`Run::crm_connector_id`: an uploaded list pushes through the account's).

use listbridge_connector::ConnectorError;

use super::{
    Alert, AlertConnector, AlertError, AlertEvent,
    streak::{self, Outcome},
};
use crate::{
    AppState,
    store::{AccountId, ConnectorId, ConnectorRecord, Form, Run, RunStatus, SubmissionId},
};

/// The alert subject of a connector's CRM login.
pub fn connector_login_subject(connector: ConnectorId) -> String {
    format!("connector_login:{connector}")
}

/// What an ended run says about its connector's login: refused (`Some(true)`),
/// accepted (`Some(false)`), or nothing.
fn login_refused(run: &Run) -> Option<bool> {
    let refused = ConnectorError::Auth {
        message: String::new(),
    }
    .kind();
    if run.status == RunStatus::Failed && run.failure_kind.as_deref() == Some(refused) {
        Some(true)
    } else if run.crm_answered {
        Some(false)
    } else {
        None
    }
}

/// Records what the ended `run` says about its connector's login, and queues the
/// alert a change calls for. A run that got past the login while no streak is on (the
/// usual case) costs one primary-key read of the streak.
pub(super) async fn observe_run(state: &AppState, run: &Run) -> Result<(), AlertError> {
    if run.dry_run {
        return Ok(());
    }
    let Some(refused) = login_refused(run) else {
        return Ok(());
    };
    let Some(connector) = run.crm_connector_id else {
        return Ok(());
    };
    let refusal = refused.then(|| {
        run.error
            .clone()
            .unwrap_or_else(|| "the CRM refused the login".to_string())
    });
    let seen = Seen {
        account: run.account_id,
        connector,
        refusal,
        source: Source::Run(run),
    };
    observe(state, &seen).await
}

/// Called by form delivery once the CRM answered a submission's delivery past the
/// login (`refused` is `None`) or refused the login of the form's connector (`Some`,
/// the CRM's words): the connector's login streak hears it as it hears runs, so a
/// password changed in the CRM is reported even when only forms use the connector.
/// Never fails the delivery.
pub async fn after_form_delivery_login(
    state: &AppState,
    form: &Form,
    submission: SubmissionId,
    refused: Option<&str>,
) {
    let seen = Seen {
        account: form.account_id,
        connector: form.settings.connector_id,
        refusal: refused.map(str::to_string),
        source: Source::Delivery { form, submission },
    };
    if let Err(e) = observe(state, &seen).await {
        tracing::error!(error = %e, form = %form.id, "recording a form delivery's CRM login for alerts failed");
    }
}

/// What met the CRM's login.
enum Source<'a> {
    /// An ended run.
    Run(&'a Run),
    /// The delivery of one form submission.
    Delivery {
        form: &'a Form,
        submission: SubmissionId,
    },
}

impl Source<'_> {
    /// Its stored id: one observation counts once however often it is reported.
    fn observed(&self) -> String {
        match self {
            Source::Run(run) => run.id.as_db(),
            Source::Delivery { submission, .. } => submission.as_db(),
        }
    }

    /// It, in the alert's words.
    fn spoken(&self) -> String {
        match self {
            Source::Run(run) => format!("run {}", run.id),
            Source::Delivery { form, submission } => {
                format!(
                    "the delivery of submission {submission} of form '{}'",
                    form.settings.name
                )
            }
        }
    }
}

/// One observation of a connector's login.
struct Seen<'a> {
    account: AccountId,
    connector: ConnectorId,
    /// The refusal in the CRM's words; `None` when the login was accepted.
    refusal: Option<String>,
    source: Source<'a>,
}

/// Records `seen` in its connector's login streak and queues the alert a change calls
/// for.
async fn observe(state: &AppState, seen: &Seen<'_>) -> Result<(), AlertError> {
    let subject = connector_login_subject(seen.connector);
    if seen.refusal.is_none() && !streak::failing(state, seen.account, &subject).await? {
        return Ok(());
    }
    let Some(record) = state
        .store
        .connectors()
        .get(seen.account, seen.connector)
        .await?
    else {
        return Ok(());
    };
    let outcome = Outcome {
        account: seen.account,
        subject: &subject,
        failed: seen.refusal.is_some(),
        observed: seen.source.observed(),
    };
    streak::record(state, &outcome, |change| {
        let (event, text) = match &seen.refusal {
            Some(reason) if !change.recovered => (
                AlertEvent::ConnectorLoginRefused,
                refused_text(&record, &seen.source, reason),
            ),
            _ => (
                AlertEvent::Recovered,
                recovered_text(&record, &seen.source, change.failures_before),
            ),
        };
        Alert {
            text,
            event,
            account: change.account,
            subject: subject.clone(),
            list: None,
            run_id: match seen.source {
                Source::Run(run) => Some(run.id),
                Source::Delivery { .. } => None,
            },
            job: None,
            connector: Some(AlertConnector {
                id: record.id,
                kind: record.kind.clone(),
                base_url: record.base_url.clone(),
            }),
            form: None,
            reason: seen.refusal.clone(),
            at: state.clock.now(),
        }
    })
    .await?;
    Ok(())
}

/// The text of a refused login's alert.
fn refused_text(record: &ConnectorRecord, source: &Source<'_>, reason: &str) -> String {
    format!(
        "The CRM at {} refused the login of user '{}': {}. Connector {} ({}), {}. Syncs and form deliveries through this connector fail until its password is entered again: Reconfirm Login on the Connectors page with the CRM's current password. Further refusals are not reported until a run or a delivery gets past the login again.",
        record.base_url,
        record.username,
        reason.trim_end_matches('.'),
        record.id,
        record.kind,
        source.spoken()
    )
}

/// The text of the "recovered" the next run or delivery past the login sends.
fn recovered_text(record: &ConnectorRecord, source: &Source<'_>, failures: i32) -> String {
    format!(
        "The CRM at {} accepted the login of user '{}' again: {} got past the login after {failures} refusal(s). Connector {} ({}).",
        record.base_url,
        record.username,
        source.spoken(),
        record.id,
        record.kind
    )
}
