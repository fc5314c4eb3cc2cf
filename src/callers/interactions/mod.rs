//! Call notes: the phone system reports each call (`POST /v1/interactions`) and the
//! person's CRM lead or contact gets one note (Infor CRM: History `atPhoneCall`) with
//! direction, numbers, agent, duration, outcome, the agent's notes and the recording
//! link.
//!
//! Each (account, interaction id) is one `interactions` row, unique, so re-posting a call
//! adds nothing. Rows are delivered by `interaction_delivery` jobs in batches, matched by
//! number through the account's phone index (never by asking the CRM), and written
//! through the same exactly-once protocol as "message sent" notes
//! ([`crate::notes::exactly_once`]): marked `sending` before the write, `delivered` with
//! the History key after it, and looked up in the CRM before any rewrite after a crash.
//! A call whose number no record has stays `unmatched`, with the reason.

mod delivery;
mod error;
mod listing;
mod record;
mod request;
mod text;

pub use delivery::{INTERACTION_MAX_ATTEMPTS, call_note, run_delivery_job};
pub use error::InteractionError;
pub use listing::{InteractionCounts, InteractionListing, list_interactions};
pub use record::{
    INTERACTION_BATCH, InteractionReceipt, Receipt, RecordedInteractions, record_interactions,
};
pub use request::{InteractionInput, InteractionsRequest, MAX_INTERACTIONS};
pub use text::{call_regarding, call_text, duration_text};
