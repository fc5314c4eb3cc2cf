//! Web forms: definitions with a field mapping, public intake at `/f/{form_key}`, and
//! delivery of each submission to the CRM by a durable job.
//!
//! A submission is stored with its delivery job in one transaction before the visitor
//! gets an answer, so neither a crash nor a CRM outage loses it. Delivery matches by
//! email (contact preferred over lead), updates the fields the form allows, or creates a
//! lead. Deliveries for one (account, email) are serialised by a lock row and re-check
//! the CRM by email right before creating, so two quick submissions never make two leads.

mod delivery;
mod error;
mod intake;
mod intake_cache;
mod intake_writer;
mod limits;
mod mapping;
mod service;
mod settings;

pub use delivery::{FORM_MAX_ATTEMPTS, run_delivery_job};
pub use error::{FormError, IntakeError};
pub use intake::{Accepted, BodyKind, accept_submission, parse_body};
pub use intake_cache::{IntakeCache, IntakeForm};
pub use intake_writer::{IntakeWriter, WriteError};
pub use limits::{IntakeLimiter, IntakeLimits, RateQuota};
pub(crate) use limits::{check as check_keyed_rate, quota as rate_quota};
pub use mapping::FieldResolver;
pub use service::{
    create_form, delete_form, form_by_public_key, get_form, intake_form, list_forms,
    list_submissions, retry_submission, submission_counts, update_form,
};
pub use settings::{FormRefusal, HONEYPOT_FIELD, check_form, thank_you_url};
