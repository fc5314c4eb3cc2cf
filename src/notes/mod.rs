//! "Message sent" notes: the email sender reports each sent campaign
//! (`POST /v1/messages/sent`) and every recipient with a CRM lead or contact gets one
//! History record (type `atEMail`) saying the message was sent, with its subject, send
//! time and the link to the personalised preview.
//!
//! Each (campaign, recipient) is one `note_events` row, unique, so re-posting an event
//! adds nothing. Rows are delivered by `note_delivery` jobs in batches: recipients are
//! resolved from CRM-linked list members first, the rest by batched email lookups, and
//! notes are written through the connector's batch endpoint. An event is marked
//! `sending` before its write and `delivered` with the History key after it; a crash in
//! between leaves it in doubt, and the next attempt looks the note up before writing it
//! again, so each (campaign, recipient) gets exactly one note. That protocol lives in
//! [`exactly_once`] and is shared with call notes (`callers::interactions`).

mod delivery;
mod error;
pub mod exactly_once;
pub mod overview;
mod record;
mod request;
mod text;

pub use delivery::{NOTE_MAX_ATTEMPTS, run_delivery_job};
pub use error::NotesError;
pub use record::{NOTE_BATCH, Recorded, campaign_notes, record_sent};
pub use request::{MAX_RECIPIENTS, Recipient, SentRequest};
pub use text::{fit_subject, note_regarding, note_text};
