//! Alerts: an account's channels (email over SMTP, signed webhooks) and what they hear.
//!
//! - `channel`: the API's bodies and answers, the stored settings and their checks
//!   (addresses through the outbound guard);
//! - `channels`: the actions (create, change, delete, open, *Send a test alert*), the
//!   secret sealed with the application's cipher like CRM passwords;
//! - `observe`: a scheduled run's end, one alert per streak and "recovered" after it,
//!   the streak in the database (`store::AlertStreakRepo`);
//! - `job`: the `alert` job kind, one per channel, retried with backoff;
//! - `email` (`lettre`, STARTTLS by default) and `webhook` (JSON POST with an
//!   HMAC-SHA256 signature): the two ways out; `message`: what an alert says.

mod channel;
mod channels;
mod email;
mod error;
mod job;
mod message;
mod observe;
pub mod webhook;

pub use channel::{
    AlertChannel, ChannelInput, ChannelPatch, EmailInput, EmailPatch, EmailSettings, EmailView,
    MAX_RECIPIENTS, SmtpTls, WebhookInput, WebhookPatch, WebhookSettings, WebhookView,
};
pub use channels::{AlertChannels, OpenChannel, TEST_TIMEOUT};
pub use error::AlertError;
pub use job::{ALERT_MAX_ATTEMPTS, queue_alert, run_delivery_job};
pub use message::{Alert, AlertEvent, AlertList};
pub use observe::{after_run_job, run_subject};
