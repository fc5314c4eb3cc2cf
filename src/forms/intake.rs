//! Public intake: reads a submission (form data or JSON) within the limits, finds and
//! validates its email, and stores it with its delivery job in one transaction (shared
//! with the submissions arriving at the same time, see [`super::IntakeWriter`]).

use std::collections::BTreeMap;

use super::{
    FORM_MAX_ATTEMPTS, IntakeError, IntakeForm, IntakeLimits, intake_writer::WriteError,
    mapping::FieldResolver, settings::HONEYPOT_FIELD,
};
use crate::{
    AppState,
    domain::email::MemberEmail,
    store::{Form, JobKind, NewJob, Submission, SubmissionId},
};

/// The content types the endpoint reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/x-www-form-urlencoded`: a plain HTML form.
    FormData,
    /// `application/json`.
    Json,
}

impl BodyKind {
    /// The kind for a `Content-Type` header value, if it is one the endpoint reads.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let mime = value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/x-www-form-urlencoded" => Some(BodyKind::FormData),
            "application/json" => Some(BodyKind::Json),
            _ => None,
        }
    }
}

/// The longest field name kept.
const MAX_NAME_BYTES: usize = 200;

fn short(name: &str) -> String {
    name.chars().take(64).collect()
}

/// Reads a body into `(field, value)` pairs; repeated fields (checkbox groups) are joined
/// with `, `. Checks field count and sizes.
pub fn parse_body(
    kind: BodyKind,
    body: &[u8],
    limits: &IntakeLimits,
) -> Result<BTreeMap<String, String>, IntakeError> {
    let pairs: Vec<(String, String)> = match kind {
        BodyKind::FormData => url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        BodyKind::Json => {
            let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)
                .map_err(|e| IntakeError::Malformed {
                    kind: "a JSON object",
                    message: e.to_string(),
                })?;
            let mut pairs = Vec::with_capacity(map.len());
            for (name, value) in map {
                if let Some(text) = json_text(&name, &value)? {
                    pairs.push((name, text));
                }
            }
            pairs
        }
    };
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in pairs {
        if name.len() > MAX_NAME_BYTES {
            return Err(IntakeError::FieldTooLong {
                field: short(&name),
                len: name.len(),
                max: MAX_NAME_BYTES,
            });
        }
        let joined = match fields.remove(&name) {
            Some(previous) => format!("{previous}, {value}"),
            None => value,
        };
        if joined.len() > limits.max_field_bytes {
            return Err(IntakeError::FieldTooLong {
                field: short(&name),
                len: joined.len(),
                max: limits.max_field_bytes,
            });
        }
        fields.insert(name, joined);
        if fields.len() > limits.max_fields {
            return Err(IntakeError::TooManyFields {
                count: fields.len(),
                max: limits.max_fields,
            });
        }
    }
    Ok(fields)
}

fn json_text(name: &str, value: &serde_json::Value) -> Result<Option<String>, IntakeError> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::Array(_) | Value::Object(_) => {
                        return Err(IntakeError::NotText { field: short(name) });
                    }
                    other => parts.extend(json_text(name, other)?),
                }
            }
            Some(parts.join(", "))
        }
        Value::Object(_) => return Err(IntakeError::NotText { field: short(name) }),
    })
}

/// An accepted submission and where to send the visitor.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The stored submission.
    pub submission: Submission,
    /// The form's thank-you URL, if it has one.
    pub thank_you_url: Option<String>,
    /// False when the honeypot was filled in: answered like any other, never stored.
    pub stored: bool,
}

/// Whether a submission filled in the honeypot field (only bots see it).
fn is_bot(submitted: &BTreeMap<String, String>) -> bool {
    submitted.iter().any(|(name, value)| {
        name.trim().eq_ignore_ascii_case(HONEYPOT_FIELD) && !value.trim().is_empty()
    })
}

/// The declared required fields a submission leaves empty.
fn missing_required(form: &Form, submitted: &BTreeMap<String, String>) -> Vec<String> {
    form.settings
        .fields
        .iter()
        .filter(|f| f.required)
        .filter(|f| {
            !submitted.iter().any(|(name, value)| {
                name.trim().eq_ignore_ascii_case(f.name.trim()) && !value.trim().is_empty()
            })
        })
        .map(|f| f.name.clone())
        .collect()
}

/// Validates a parsed submission and stores it with its delivery job (one transaction).
/// Only what the form declares is kept, plus unknown fields when the form keeps them.
pub async fn accept_submission(
    state: &AppState,
    intake: &IntakeForm,
    submitted: BTreeMap<String, String>,
) -> Result<Accepted, IntakeError> {
    let form = intake.form.as_ref();
    if is_bot(&submitted) {
        tracing::info!(form = %form.id, "honeypot filled in: submission answered, not stored");
        return Ok(Accepted {
            submission: Submission::new(
                SubmissionId::from(state.random.uuid()),
                form.account_id,
                form.id,
                String::new(),
                BTreeMap::new(),
                state.clock.now(),
            ),
            thank_you_url: form.settings.thank_you_url.clone(),
            stored: false,
        });
    }
    let missing = missing_required(form, &submitted);
    if !missing.is_empty() {
        return Err(IntakeError::Missing { fields: missing });
    }
    let resolver = FieldResolver::for_form(form, &intake.usages, intake.vocab);
    let email_field = resolver.email_field();
    let raw_email = submitted
        .iter()
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(&email_field))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| IntakeError::NoEmail {
            field: email_field.clone(),
        })?;
    let email = MemberEmail::parse(raw_email).map_err(|source| IntakeError::InvalidEmail {
        field: email_field.clone(),
        source,
    })?;

    let mut kept = BTreeMap::new();
    for (name, value) in submitted {
        if name.trim().eq_ignore_ascii_case(HONEYPOT_FIELD) {
            continue;
        }
        match resolver.declared(&name) {
            Some(declared) => {
                kept.insert(declared.name.clone(), value);
            }
            None if form.settings.keep_unknown_fields => {
                kept.insert(name, value);
            }
            None => {}
        }
    }

    let now = state.clock.now();
    let submission = Submission::new(
        SubmissionId::from(state.random.uuid()),
        form.account_id,
        form.id,
        email.as_str().to_string(),
        kept,
        now,
    );
    let job = delivery_job(state, &submission);
    state
        .intake_writer
        .store(submission.clone(), job)
        .await
        .map_err(|e| match e {
            WriteError::Store(e) => IntakeError::Store(e),
            WriteError::Stopped => IntakeError::ShuttingDown,
        })?;
    state.job_signal.notify_one();
    Ok(Accepted {
        submission,
        thank_you_url: form.settings.thank_you_url.clone(),
        stored: true,
    })
}

/// The job that delivers a submission (one live job per submission).
pub(super) fn delivery_job(state: &AppState, submission: &Submission) -> NewJob {
    NewJob {
        id: state.random.uuid().into(),
        account_id: submission.account_id,
        kind: JobKind::FormDelivery,
        payload: serde_json::json!({ "submission_id": submission.id }),
        max_attempts: FORM_MAX_ATTEMPTS,
        run_at: state.clock.now(),
        dedupe_key: Some(format!("form:{}", submission.id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> IntakeLimits {
        IntakeLimits {
            max_field_bytes: 10,
            max_fields: 3,
            ..IntakeLimits::default()
        }
    }

    #[test]
    fn form_data_joins_repeated_fields() {
        let f = parse_body(BodyKind::FormData, b"a=1&b=x+y&a=2", &limits()).unwrap();
        assert_eq!(f["a"], "1, 2");
        assert_eq!(f["b"], "x y");
    }

    #[test]
    fn json_scalars_become_text_and_objects_are_refused() {
        let f = parse_body(BodyKind::Json, br#"{"n":5,"b":true,"z":null}"#, &limits()).unwrap();
        assert_eq!((f["n"].as_str(), f["b"].as_str()), ("5", "true"));
        assert!(!f.contains_key("z"));
        assert!(matches!(
            parse_body(BodyKind::Json, br#"{"o":{"x":1}}"#, &limits()),
            Err(IntakeError::NotText { .. })
        ));
        assert!(matches!(
            parse_body(BodyKind::Json, b"[1]", &limits()),
            Err(IntakeError::Malformed { .. })
        ));
    }

    #[test]
    fn sizes_and_counts_are_bounded() {
        assert!(matches!(
            parse_body(BodyKind::FormData, b"a=12345678901", &limits()),
            Err(IntakeError::FieldTooLong { max: 10, .. })
        ));
        assert!(matches!(
            parse_body(BodyKind::FormData, b"a=1&b=2&c=3&d=4", &limits()),
            Err(IntakeError::TooManyFields { max: 3, .. })
        ));
    }

    #[test]
    fn content_types() {
        assert_eq!(
            BodyKind::from_content_type("application/x-www-form-urlencoded; charset=UTF-8"),
            Some(BodyKind::FormData)
        );
        assert_eq!(
            BodyKind::from_content_type("Application/JSON"),
            Some(BodyKind::Json)
        );
        assert_eq!(BodyKind::from_content_type("text/plain"), None);
        assert_eq!(
            BodyKind::from_content_type("multipart/form-data; boundary=x"),
            None
        );
    }
}
