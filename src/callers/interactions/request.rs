//! The phone system's call report (`POST /v1/interactions`) and how it becomes one row
//! per interaction.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::InteractionError;
use crate::store::{AccountId, CallDirection, ConnectorId, Interaction, InteractionStatus};

/// Most interactions in one report; a phone system with more sends several reports.
pub const MAX_INTERACTIONS: usize = 1_000;
/// Longest interaction id, agent and outcome.
const MAX_ID_CHARS: usize = 200;
/// Longest caller or callee text (numbers, extensions, `anonymous`).
const MAX_NUMBER_CHARS: usize = 64;
/// Longest notes.
const MAX_NOTES_CHARS: usize = 20_000;
/// Longest recording link.
const MAX_URL_CHARS: usize = 2_000;
/// Longest call: a week.
const MAX_DURATION_SECONDS: i64 = 7 * 24 * 3600;

/// One call, inbound or outbound.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionInput {
    /// The phone system's id of the call; a repeat of an id already recorded is
    /// accepted and changes nothing.
    #[schema(min_length = 1, max_length = 200)]
    pub interaction_id: String,
    /// `inbound` (matched by the caller's number) or `outbound` (by the callee's).
    pub direction: CallDirection,
    /// The calling number (or extension, or `anonymous`).
    #[schema(min_length = 1, max_length = 64)]
    pub caller: String,
    /// The called number (or extension).
    #[schema(min_length = 1, max_length = 64)]
    pub callee: String,
    /// The agent who took or made the call.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub agent: Option<String>,
    /// When the call started.
    pub started_at: DateTime<Utc>,
    /// How long it lasted, in seconds.
    #[schema(minimum = 0, maximum = 604800)]
    pub duration_seconds: i64,
    /// The phone system's outcome (`answered`, `missed`, `voicemail`…).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub outcome: Option<String>,
    /// The agent's notes.
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub notes: Option<String>,
    /// An absolute http(s) link to the recording.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub recording_url: Option<String>,
}

/// `POST /v1/interactions`: one or more calls (a single call is a list of one).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionsRequest {
    /// The calls, 1 to 1,000.
    #[schema(min_items = 1, max_items = 1000)]
    pub interactions: Vec<InteractionInput>,
}

fn invalid(code: &'static str, message: String) -> InteractionError {
    InteractionError::Invalid { code, message }
}

/// A trimmed optional text: blank is absent; longer than `max` is refused.
fn optional(
    value: Option<String>,
    max: usize,
    who: &str,
    field: &str,
) -> Result<Option<String>, InteractionError> {
    let Some(v) = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(invalid(
            "invalid_interaction",
            format!("{who}: {field} is longer than {max} characters"),
        ));
    }
    Ok(Some(v))
}

fn required(value: &str, max: usize, who: &str, field: &str) -> Result<String, InteractionError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(invalid(
            "invalid_interaction",
            format!("{who}: {field} must be 1 to {max} characters"),
        ));
    }
    Ok(v.to_string())
}

impl InteractionsRequest {
    /// Checks the report and turns it into one pending row per distinct interaction id
    /// (a repeated id keeps its first entry). `new_id` names each row.
    pub fn into_rows(
        self,
        account: AccountId,
        connector: ConnectorId,
        now: DateTime<Utc>,
        mut new_id: impl FnMut() -> String,
    ) -> Result<Vec<Interaction>, InteractionError> {
        if self.interactions.is_empty() || self.interactions.len() > MAX_INTERACTIONS {
            return Err(invalid(
                "invalid_interactions",
                format!(
                    "a report lists 1 to {MAX_INTERACTIONS} interactions (it has {}); send more in several reports",
                    self.interactions.len()
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut rows = Vec::with_capacity(self.interactions.len());
        for (i, input) in self.interactions.into_iter().enumerate() {
            let who = format!("interactions[{i}]");
            let interaction_id =
                required(&input.interaction_id, MAX_ID_CHARS, &who, "interaction_id")?;
            if !seen.insert(interaction_id.clone()) {
                continue;
            }
            let who = format!("{who} ({interaction_id})");
            let caller = required(&input.caller, MAX_NUMBER_CHARS, &who, "caller")?;
            let callee = required(&input.callee, MAX_NUMBER_CHARS, &who, "callee")?;
            if !(0..=MAX_DURATION_SECONDS).contains(&input.duration_seconds) {
                return Err(invalid(
                    "invalid_interaction",
                    format!(
                        "{who}: duration_seconds must be 0 to {MAX_DURATION_SECONDS}, got {}",
                        input.duration_seconds
                    ),
                ));
            }
            let recording_url =
                optional(input.recording_url, MAX_URL_CHARS, &who, "recording_url")?;
            if let Some(url) = &recording_url {
                let ok = url::Url::parse(url)
                    .ok()
                    .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
                if !ok {
                    return Err(invalid(
                        "invalid_recording_url",
                        format!("{who}: recording_url is not an absolute http(s) URL: '{url}'"),
                    ));
                }
            }
            rows.push(Interaction {
                id: new_id(),
                account_id: account,
                connector_id: Some(connector),
                interaction_id,
                direction: input.direction,
                caller,
                callee,
                agent: optional(input.agent, MAX_ID_CHARS, &who, "agent")?,
                started_at: input.started_at,
                duration_seconds: input.duration_seconds,
                outcome: optional(input.outcome, MAX_ID_CHARS, &who, "outcome")?,
                notes: optional(input.notes, MAX_NOTES_CHARS, &who, "notes")?,
                recording_url,
                status: InteractionStatus::Pending,
                reason: None,
                crm: None,
                note_key: None,
                batch_id: None,
                created_at: now,
                updated_at: now,
            });
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(id: &str) -> InteractionInput {
        InteractionInput {
            interaction_id: id.into(),
            direction: CallDirection::Inbound,
            caller: "020 7946 0018".into(),
            callee: "200".into(),
            agent: Some("  ".into()),
            started_at: DateTime::UNIX_EPOCH,
            duration_seconds: 60,
            outcome: Some("answered".into()),
            notes: None,
            recording_url: None,
        }
    }

    fn rows(inputs: Vec<InteractionInput>) -> Result<Vec<Interaction>, InteractionError> {
        let mut n = 0;
        InteractionsRequest {
            interactions: inputs,
        }
        .into_rows(
            AccountId(uuid::Uuid::nil()),
            ConnectorId(uuid::Uuid::nil()),
            DateTime::UNIX_EPOCH,
            || {
                n += 1;
                n.to_string()
            },
        )
    }

    #[test]
    fn a_repeated_id_is_one_interaction_and_blanks_are_absent() {
        let out = rows(vec![input(" c1 "), input("c1"), input("c2")]).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].interaction_id, "c1");
        assert_eq!(out[0].agent, None);
        assert_eq!(out[0].status, InteractionStatus::Pending);
    }

    #[test]
    fn refusals_name_the_interaction_and_field() {
        let mut bad = input("c9");
        bad.duration_seconds = -1;
        let err = rows(vec![input("c1"), bad]).unwrap_err();
        assert!(err.to_string().contains("interactions[1] (c9)"), "{err}");
        assert!(err.to_string().contains("duration_seconds"), "{err}");
        let mut bad = input("c3");
        bad.recording_url = Some("ftp://x/y".into());
        let err = rows(vec![bad]).unwrap_err();
        assert!(err.to_string().contains("recording_url"), "{err}");
        assert!(rows(vec![]).is_err());
    }
}
