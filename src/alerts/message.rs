//! What an alert says: one value sent as the webhook's JSON body (with a
//! Slack-compatible `text`) and as an email's subject and body.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::{ConnectorId, FormId, JobId, JobKind, ListId, RunId};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertEvent {
    /// A scheduled run failed.
    RunFailed,
    /// A scheduled run finished, with some records failed or rejected.
    RunCompletedWithErrors,
    /// A background job (a form delivery, a note batch…) used up its attempts or
    /// failed for good: what it carried did not reach the CRM.
    JobDead,
    /// The CRM refused a connector's login: its syncs fail until the password is
    /// entered again (*Reconfirm Login*).
    ConnectorLoginRefused,
    /// More of a form's submissions than `alert_form_rejections_per_hour` were
    /// rejected in the last hour: leads are being lost until the cause is fixed.
    FormRejections,
    /// The first success after a streak of failures.
    Recovered,
    /// *Send a test alert*.
    Test,
}

/// The list an alert is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AlertList {
    /// List id.
    pub id: ListId,
    /// List name.
    pub name: String,
}

/// The job a dead-job alert (or its "recovered") is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AlertJobRef {
    /// Job id (`GET /v1/jobs/{id}`).
    pub id: JobId,
    /// What it does, e.g. `form_delivery`.
    pub kind: JobKind,
    /// Attempts it made.
    pub attempts: i32,
}

/// The connector a login alert (or its "recovered") is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AlertConnector {
    /// Connector id.
    pub id: ConnectorId,
    /// Registry kind, e.g. `infor-crm`.
    pub kind: String,
    /// The CRM's base URL.
    pub base_url: String,
}

/// The form a rejections alert (or its "recovered") is about, with the count that
/// decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AlertForm {
    /// Form id.
    pub id: FormId,
    /// Form name.
    pub name: String,
    /// Its submissions rejected in the hour before the alert.
    pub rejected_last_hour: u64,
    /// The setting `alert_form_rejections_per_hour`: more than this many alert.
    pub limit_per_hour: u32,
}

/// One alert, as sent to every channel of its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    /// The whole message in one line or a few (Slack shows this).
    pub text: String,
    /// What happened.
    pub event: AlertEvent,
    /// The account's name.
    pub account: String,
    /// What failed or recovered: `scheduled_sync:list:<id>`,
    /// `scheduled_sync:segment:<id>`, `dead_jobs:<job kind>`, `connector_login:<id>`,
    /// `form_rejections:<form id>`.
    pub subject: String,
    /// The list, for run alerts.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub list: Option<AlertList>,
    /// The run, for run alerts (and the login alerts, the run that met the refusal or
    /// got past the login).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_id: Option<RunId>,
    /// The job, for dead-job alerts: the one that died, or the one that succeeded.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub job: Option<AlertJobRef>,
    /// The connector, for login alerts.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub connector: Option<AlertConnector>,
    /// The form, for rejection alerts.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub form: Option<AlertForm>,
    /// Why it failed, for failures.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// When it was observed (UTC).
    pub at: DateTime<Utc>,
}

impl Alert {
    /// The email subject: the text's first sentence, prefixed. A sentence ends at a
    /// full stop followed by a space (or at a line's end), so the dots of a URL, an
    /// address or a number stay in it.
    pub fn email_subject(&self) -> String {
        let line = self.text.lines().next().unwrap_or_default();
        let first = line.split_once(". ").map_or(line, |(first, _)| first);
        format!("[listbridge] {}", first.trim_end_matches('.'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_email_subject_keeps_the_dots_of_urls_and_numbers() {
        let alert = Alert {
            text: "The CRM at https://crm.example.com refused the login of user 'm.smith': 4.0 is old. Run 1.".into(),
            event: AlertEvent::ConnectorLoginRefused,
            account: "acme".into(),
            subject: "connector_login:x".into(),
            list: None,
            run_id: None,
            job: None,
            connector: None,
            form: None,
            reason: None,
            at: Utc::now(),
        };
        assert_eq!(
            alert.email_subject(),
            "[listbridge] The CRM at https://crm.example.com refused the login of user 'm.smith': 4.0 is old"
        );
        let one = Alert {
            text: "Test alert: channel works.".into(),
            ..alert
        };
        assert_eq!(
            one.email_subject(),
            "[listbridge] Test alert: channel works"
        );
    }
}
