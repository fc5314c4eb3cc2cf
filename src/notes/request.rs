//! The sender's "message sent" report and how it becomes one event per recipient.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::NotesError;
use crate::{
    domain::email::MemberEmail,
    store::{AccountId, ConnectorId, NoteEvent, NoteStatus},
};

/// Most recipients in one report; larger campaigns are reported in several requests.
pub const MAX_RECIPIENTS: usize = 5_000;
/// Longest campaign id and recipient id.
const MAX_ID_CHARS: usize = 200;
/// Longest subject.
const MAX_SUBJECT_CHARS: usize = 1_000;
/// Longest preview link.
const MAX_URL_CHARS: usize = 2_000;

fn yes() -> bool {
    true
}

/// One recipient of a sent campaign.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The address the message went to.
    pub email: String,
    /// The sender's id for this recipient (fills `{recipient_id}` in the template).
    #[serde(default)]
    pub recipient_id: Option<String>,
    /// This recipient's preview link; wins over the template.
    #[serde(default)]
    pub preview_url: Option<String>,
}

/// `POST /v1/messages/sent`: a campaign was sent to these recipients.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SentRequest {
    /// The sender's campaign (message) id; with the email it identifies one note.
    pub campaign_id: String,
    /// The message's subject.
    pub subject: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// The preview link with `{email}` and/or `{recipient_id}` placeholders.
    #[serde(default)]
    pub preview_url_template: Option<String>,
    /// Who received it (at most 5,000 per request).
    pub recipients: Vec<Recipient>,
    /// Write CRM notes for this campaign (on by default).
    #[serde(default = "yes")]
    pub write_crm_notes: bool,
    /// The connector to write through; required when the account has several (the
    /// only one when absent).
    #[serde(default)]
    pub connector_id: Option<ConnectorId>,
}

fn invalid(code: &'static str, message: String) -> NotesError {
    NotesError::Invalid { code, message }
}

fn check_url(url: &str, who: &str) -> Result<(), NotesError> {
    let ok = url.chars().count() <= MAX_URL_CHARS
        && url::Url::parse(url)
            .ok()
            .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "invalid_preview_url",
            format!("the preview link for {who} is not an absolute http(s) URL: '{url}'"),
        ))
    }
}

/// Encodes a value for a URL query or path segment.
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

impl SentRequest {
    /// Checks the report and turns it into one event per distinct recipient email
    /// (a repeated email keeps its first entry). `new_id` names each row.
    pub fn into_events(
        self,
        account: AccountId,
        connector: Option<ConnectorId>,
        now: DateTime<Utc>,
        mut new_id: impl FnMut() -> String,
    ) -> Result<Vec<NoteEvent>, NotesError> {
        let campaign = self.campaign_id.trim().to_string();
        if campaign.is_empty() || campaign.chars().count() > MAX_ID_CHARS {
            return Err(invalid(
                "invalid_campaign_id",
                format!("campaign_id must be 1 to {MAX_ID_CHARS} characters"),
            ));
        }
        let subject = self.subject.trim().to_string();
        if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
            return Err(invalid(
                "invalid_subject",
                format!("subject must be 1 to {MAX_SUBJECT_CHARS} characters"),
            ));
        }
        if self.recipients.is_empty() || self.recipients.len() > MAX_RECIPIENTS {
            return Err(invalid(
                "invalid_recipients",
                format!(
                    "a report lists 1 to {MAX_RECIPIENTS} recipients (it has {}); report larger campaigns in several requests with the same campaign_id",
                    self.recipients.len()
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut events = Vec::with_capacity(self.recipients.len());
        for (i, r) in self.recipients.into_iter().enumerate() {
            let email = MemberEmail::parse(&r.email)
                .map_err(|e| invalid("invalid_email", format!("recipients[{i}]: {e}")))?;
            if !seen.insert(email.as_str().to_string()) {
                continue;
            }
            let who = format!("recipients[{i}] ({email})");
            let recipient_id = r.recipient_id.map(|id| id.trim().to_string());
            if recipient_id
                .as_ref()
                .is_some_and(|id| id.is_empty() || id.chars().count() > MAX_ID_CHARS)
            {
                return Err(invalid(
                    "invalid_recipient_id",
                    format!("{who}: recipient_id must be 1 to {MAX_ID_CHARS} characters"),
                ));
            }
            let preview = match (r.preview_url, &self.preview_url_template) {
                (Some(url), _) => Some(url.trim().to_string()),
                (None, Some(template)) => {
                    if template.contains("{recipient_id}") && recipient_id.is_none() {
                        return Err(invalid(
                            "missing_recipient_id",
                            format!(
                                "{who}: the preview_url_template uses {{recipient_id}} but this recipient has none"
                            ),
                        ));
                    }
                    Some(
                        template
                            .replace("{email}", &encode(email.as_str()))
                            .replace(
                                "{recipient_id}",
                                &encode(recipient_id.as_deref().unwrap_or_default()),
                            ),
                    )
                }
                (None, None) => None,
            };
            match &preview {
                Some(url) => check_url(url, &who)?,
                None if self.write_crm_notes => {
                    return Err(invalid(
                        "missing_preview_url",
                        format!(
                            "{who} has no preview link: give a preview_url_template or a preview_url per recipient"
                        ),
                    ));
                }
                None => {}
            }
            let (status, reason) = if self.write_crm_notes {
                (NoteStatus::Pending, None)
            } else {
                (
                    NoteStatus::Skipped,
                    Some("write_crm_notes was off for this campaign".to_string()),
                )
            };
            events.push(NoteEvent {
                id: new_id(),
                account_id: account,
                connector_id: connector,
                campaign_id: campaign.clone(),
                email: email.as_str().to_string(),
                recipient_id,
                subject: subject.clone(),
                sent_at: self.sent_at,
                preview_url: preview,
                write_note: self.write_crm_notes,
                status,
                reason,
                crm: None,
                note_key: None,
                batch_id: None,
                created_at: now,
                updated_at: now,
            });
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(recipients: Vec<Recipient>, template: Option<&str>) -> SentRequest {
        SentRequest {
            campaign_id: "c-1".into(),
            subject: "Hello".into(),
            sent_at: DateTime::UNIX_EPOCH,
            preview_url_template: template.map(String::from),
            recipients,
            write_crm_notes: true,
            connector_id: None,
        }
    }

    fn to(email: &str, id: Option<&str>) -> Recipient {
        Recipient {
            email: email.into(),
            recipient_id: id.map(String::from),
            preview_url: None,
        }
    }

    fn events(req: SentRequest) -> Result<Vec<NoteEvent>, NotesError> {
        let mut n = 0;
        req.into_events(
            AccountId(uuid::Uuid::nil()),
            None,
            DateTime::UNIX_EPOCH,
            || {
                n += 1;
                n.to_string()
            },
        )
    }

    #[test]
    fn template_placeholders_are_filled_and_encoded() {
        let out = events(request(
            vec![
                to("Ann+x@Example.com", Some("r 1")),
                to("ann+x@example.com", None),
            ],
            Some("https://m.example/p?e={email}&r={recipient_id}"),
        ))
        .unwrap();
        assert_eq!(out.len(), 1, "the repeated email is one recipient");
        assert_eq!(
            out[0].preview_url.as_deref(),
            Some("https://m.example/p?e=ann%2Bx%40example.com&r=r+1")
        );
        assert_eq!(out[0].status, NoteStatus::Pending);
    }

    #[test]
    fn refusals_name_the_recipient() {
        let err = events(request(
            vec![to("nope", None)],
            Some("https://m.example/{email}"),
        ))
        .unwrap_err();
        assert!(err.to_string().contains("recipients[0]"), "{err}");
        let err = events(request(vec![to("a@x.com", None)], None)).unwrap_err();
        assert!(err.to_string().contains("no preview link"), "{err}");
        let err = events(request(
            vec![to("a@x.com", None)],
            Some("https://m.example/{recipient_id}"),
        ))
        .unwrap_err();
        assert!(err.to_string().contains("{recipient_id}"), "{err}");
    }

    #[test]
    fn notes_off_records_skipped_events_without_links() {
        let mut req = request(vec![to("a@x.com", None)], None);
        req.write_crm_notes = false;
        let out = events(req).unwrap();
        assert_eq!(out[0].status, NoteStatus::Skipped);
        assert!(
            out[0]
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("write_crm_notes"))
        );
    }
}
