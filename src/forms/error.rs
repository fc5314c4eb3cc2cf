//! Why a form action or a submission failed, in words a marketer or a visitor can act on.

use crate::{
    connectors::ConnectError,
    domain::email::EmailError,
    store::{StoreError, SubmissionStatus},
};

use super::settings::FormRefusal;

/// A failed form action (`/v1/forms…`).
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// No such form or submission in the account.
    #[error("{0} was not found")]
    NotFound(String),
    /// The form definition cannot work; names the fields at fault.
    #[error(transparent)]
    Refused(#[from] FormRefusal),
    /// Only rejected or failed submissions are retried by hand.
    #[error("submission {id} is {}; only rejected or failed submissions can be retried", status.as_str())]
    NotRetryable {
        /// The submission.
        id: String,
        /// Its status.
        status: SubmissionStatus,
    },
    /// The connector could not be used or the CRM could not describe its fields.
    #[error(transparent)]
    Connector(#[from] ConnectError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a public submission was refused. Nothing is stored and nothing reaches the CRM.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The body is not valid for its content type.
    #[error("the body cannot be read as {kind}: {message}")]
    Malformed {
        /// `JSON` or `form data`.
        kind: &'static str,
        /// What is wrong.
        message: String,
    },
    /// No field holds an email.
    #[error("an email is required: fill in the form's email field ('{field}')")]
    NoEmail {
        /// The field expected to hold it.
        field: String,
    },
    /// Required fields were left empty.
    #[error("please fill in {}", crate::refusal::quoted(.fields))]
    Missing {
        /// The declared names of the empty required fields.
        fields: Vec<String>,
    },
    /// The email field holds something that is not an email address.
    #[error("field '{field}': {source}")]
    InvalidEmail {
        /// The field.
        field: String,
        /// What is wrong with the value.
        source: EmailError,
    },
    /// One value is longer than allowed.
    #[error("field '{field}' is {len} bytes long; at most {max} bytes are accepted per field")]
    FieldTooLong {
        /// The field (its name cut to 64 characters).
        field: String,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More fields than allowed.
    #[error("the submission has {count} fields; at most {max} are accepted")]
    TooManyFields {
        /// Fields sent.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A JSON value that is not text, a number or a boolean.
    #[error("field '{field}' must be text, a number or a boolean")]
    NotText {
        /// The field.
        field: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The service is stopping and stores no more submissions.
    #[error("the service is shutting down; send the form again in a moment")]
    ShuttingDown,
}
