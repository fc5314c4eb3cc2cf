//! What an alert says: one value sent as the webhook's JSON body (with a
//! Slack-compatible `text`) and as an email's subject and body.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::{ListId, RunId};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertEvent {
    /// A scheduled run failed.
    RunFailed,
    /// A scheduled run finished, with some records failed or rejected.
    RunCompletedWithErrors,
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

/// One alert, as sent to every channel of its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    /// The whole message in one line or a few (Slack shows this).
    pub text: String,
    /// What happened.
    pub event: AlertEvent,
    /// The account's name.
    pub account: String,
    /// What failed or recovered, e.g. `scheduled_sync:list:<id>`.
    pub subject: String,
    /// The list, for run alerts.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub list: Option<AlertList>,
    /// The run, for run alerts.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_id: Option<RunId>,
    /// Why it failed, for failures.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// When it was observed (UTC).
    pub at: DateTime<Utc>,
}

impl Alert {
    /// The email subject: the text's first sentence, prefixed.
    pub fn email_subject(&self) -> String {
        let first = self.text.split(['.', '\n']).next().unwrap_or_default();
        format!("[listbridge] {first}")
    }
}
