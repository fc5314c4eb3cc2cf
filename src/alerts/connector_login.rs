//! What alerts hear about a connector's CRM login: a run (of any trigger; dry runs
//! aside) that failed because the CRM refused the login starts the connector's streak
//! (`connector_login:<connector id>`) and alerts once; later refusals only count; the
//! next run through that connector that got past the login sends "recovered".
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
    store::{ConnectorId, ConnectorRecord, Run, RunStatus},
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
    let subject = connector_login_subject(connector);
    if !refused && !streak::failing(state, run.account_id, &subject).await? {
        return Ok(());
    }
    let Some(record) = state
        .store
        .connectors()
        .get(run.account_id, connector)
        .await?
    else {
        return Ok(());
    };
    let outcome = Outcome {
        account: run.account_id,
        subject: &subject,
        failed: refused,
        observed: run.id.as_db(),
    };
    let reason = run
        .error
        .clone()
        .unwrap_or_else(|| "the CRM refused the login".to_string());
    streak::record(state, &outcome, |change| {
        let (event, text) = if change.recovered {
            (
                AlertEvent::Recovered,
                recovered_text(&record, run, change.failures_before),
            )
        } else {
            (
                AlertEvent::ConnectorLoginRefused,
                refused_text(&record, run, &reason),
            )
        };
        Alert {
            text,
            event,
            account: change.account,
            subject: subject.clone(),
            list: None,
            run_id: Some(run.id),
            job: None,
            connector: Some(AlertConnector {
                id: record.id,
                kind: record.kind.clone(),
                base_url: record.base_url.clone(),
            }),
            form: None,
            reason: refused.then(|| reason.clone()),
            at: state.clock.now(),
        }
    })
    .await?;
    Ok(())
}

/// The text of a refused login's alert.
fn refused_text(record: &ConnectorRecord, run: &Run, reason: &str) -> String {
    format!(
        "The CRM at {} refused the login of user '{}': {}. Connector {} ({}), run {}. Syncs through this connector fail until its password is entered again: Reconfirm Login on the Connectors page with the CRM's current password. Further refusals are not reported until a run gets past the login again.",
        record.base_url,
        record.username,
        reason.trim_end_matches('.'),
        record.id,
        record.kind,
        run.id
    )
}

/// The text of the "recovered" the next run past the login sends.
fn recovered_text(record: &ConnectorRecord, run: &Run, failures: i32) -> String {
    format!(
        "The CRM at {} accepted the login of user '{}' again: run {} got past the login after {failures} refused run(s). Connector {} ({}).",
        record.base_url, record.username, run.id, record.id, record.kind
    )
}
