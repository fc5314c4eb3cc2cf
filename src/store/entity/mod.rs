//! sea-orm entities: one module per table, mirroring `migrations/` exactly.
//! Only the repositories in `store` use them; the rest of the service sees the
//! domain types the repositories return.

pub mod account;
pub mod alert_channel;
pub mod alert_streak;
pub mod api_key;
pub mod connector;
pub mod conversion_export;
pub mod conversion_row;
pub mod conversion_run;
pub mod field_usage;
pub mod form;
pub mod form_email_lock;
pub mod form_submission;
pub mod interaction;
pub mod invitation;
pub mod job;
pub mod list;
pub mod list_column;
pub mod lookup_key;
pub mod member;
pub mod note_event;
pub mod phone_number;
pub mod routing_rule_set;
pub mod run;
pub mod run_record;
pub mod run_scratch;
pub mod schedule;
pub mod segment;
pub mod session;
pub mod upload_rejection;
pub mod upload_report;
pub mod user;
