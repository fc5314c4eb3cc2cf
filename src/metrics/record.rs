//! Recording what happened, for the series of [`super::names`]: one function per event,
//! called where the event happens (the engine, the public form endpoint, the note
//! writer). Labels are fixed words taken from enums, never data.

use crate::store::{Run, RunKind, RunStatus, RunTrigger};

use super::names;

/// Why a form submission was refused: the label values of
/// [`names::FORM_REFUSED`]'s `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormRefusal {
    /// Too many posts from the client or to the form (429).
    RateLimited,
    /// No form has the key (404).
    UnknownForm,
    /// The body is larger than allowed (413).
    TooLarge,
    /// Neither form data nor JSON (415).
    UnsupportedMediaType,
    /// The body cannot be read (400).
    InvalidBody,
    /// A field is missing, too long or not valid, or the email is (422).
    InvalidFields,
    /// The honeypot field was filled in: answered as a success, stored nowhere.
    Honeypot,
    /// The service could not store it (a database failure, shutting down).
    Unavailable,
    /// Any other answer.
    Other,
}

impl FormRefusal {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            FormRefusal::RateLimited => "rate_limited",
            FormRefusal::UnknownForm => "unknown_form",
            FormRefusal::TooLarge => "too_large",
            FormRefusal::UnsupportedMediaType => "unsupported_media_type",
            FormRefusal::InvalidBody => "invalid_body",
            FormRefusal::InvalidFields => "invalid_fields",
            FormRefusal::Honeypot => "honeypot",
            FormRefusal::Unavailable => "unavailable",
            FormRefusal::Other => "other",
        }
    }

    /// The reason an error answer of the form endpoint stands for, by its status.
    pub fn of_status(status: u16) -> FormRefusal {
        match status {
            429 => FormRefusal::RateLimited,
            404 => FormRefusal::UnknownForm,
            413 => FormRefusal::TooLarge,
            415 => FormRefusal::UnsupportedMediaType,
            400 => FormRefusal::InvalidBody,
            422 => FormRefusal::InvalidFields,
            500..=599 => FormRefusal::Unavailable,
            _ => FormRefusal::Other,
        }
    }
}

fn kind(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Import => "import",
        RunKind::Sync => "sync",
    }
}

fn trigger(trigger: RunTrigger) -> &'static str {
    match trigger {
        RunTrigger::Manual => "manual",
        RunTrigger::Schedule => "schedule",
    }
}

/// The `outcome` of an ended run; `None` while it is active.
fn outcome(status: RunStatus) -> Option<&'static str> {
    match status {
        RunStatus::Queued | RunStatus::Running => None,
        RunStatus::Succeeded => Some("succeeded"),
        RunStatus::CompletedWithErrors => Some("completed_with_errors"),
        RunStatus::Failed => Some("failed"),
    }
}

/// A run started executing for the first time.
pub fn run_started(run: &Run) {
    ::metrics::counter!(
        names::RUNS_STARTED,
        "kind" => kind(run.kind),
        "trigger" => trigger(run.trigger),
    )
    .increment(1);
}

/// A run ended (as `run.status` says) with `run.counts`: counted once per run, with its
/// report's counts added to [`names::RUN_RECORDS`]. Nothing for a run still active.
pub fn run_finished(run: &Run) {
    let Some(outcome) = outcome(run.status) else {
        return;
    };
    let kind = kind(run.kind);
    ::metrics::counter!(
        names::RUNS_FINISHED,
        "kind" => kind,
        "trigger" => trigger(run.trigger),
        "outcome" => outcome,
    )
    .increment(1);
    // Every count the report keeps, by its own name, so a new count shows up here too.
    if let Ok(serde_json::Value::Object(counts)) = serde_json::to_value(&run.counts) {
        for (name, value) in counts {
            if let Some(n) = value.as_u64().filter(|n| *n > 0) {
                ::metrics::counter!(names::RUN_RECORDS, "kind" => kind, "outcome" => name)
                    .increment(n);
            }
        }
    }
}

/// A form submission was stored for delivery.
pub fn form_accepted() {
    ::metrics::counter!(names::FORM_ACCEPTED).increment(1);
}

/// A form submission was refused for `reason`.
pub fn form_refused(reason: FormRefusal) {
    ::metrics::counter!(names::FORM_REFUSED, "reason" => reason.as_str()).increment(1);
}

/// A round of CRM notes ended: `written` notes written (or found written), `failed`
/// refused for good.
pub fn notes(written: usize, failed: usize) {
    if written > 0 {
        ::metrics::counter!(names::NOTES, "outcome" => "written").increment(written as u64);
    }
    if failed > 0 {
        ::metrics::counter!(names::NOTES, "outcome" => "failed").increment(failed as u64);
    }
}
