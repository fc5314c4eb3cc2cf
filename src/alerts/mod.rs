//! Alerts: an account's channels (email over SMTP, signed webhooks) and what they hear.
//!
//! - `channel`: the API's bodies and answers, the stored settings and their checks
//!   (addresses through the outbound guard);
//! - `channels`: the actions (create, change, delete, open, *Send a test alert*), the
//!   secret sealed with the application's cipher like CRM passwords;
//! - `streak`: the one way an outcome reaches its streak (`store::AlertStreakRepo`):
//!   one alert per streak and "recovered" after it, queued in the streak's transaction;
//! - `observe`: a scheduled run's end; `connector_login`: a run or a form delivery
//!   that met the CRM's refusal of the login, or got past it; `dead_jobs`: a dead job,
//!   per job kind; `form_rejections`: a form's rejected submissions piling up (more than
//!   `alert_form_rejections_per_hour` in the last hour), or a delivery after them;
//! - `job`: the `alert` job kind, one per channel, retried with backoff;
//! - `email` (`lettre`, STARTTLS by default) and `webhook` (JSON POST with an
//!   HMAC-SHA256 signature): the two ways out; `message`: what an alert says.

mod channel;
mod channels;
mod connector_login;
mod dead_jobs;
mod email;
mod error;
mod form_rejections;
mod job;
mod message;
mod observe;
mod streak;
pub mod webhook;

pub use channel::{
    AlertChannel, ChannelInput, ChannelPatch, EmailInput, EmailPatch, EmailSettings, EmailView,
    MAX_RECIPIENTS, SmtpTls, WebhookInput, WebhookPatch, WebhookSettings, WebhookView,
};
pub use channels::{AlertChannels, OpenChannel, TEST_TIMEOUT};
pub use connector_login::{after_form_delivery_login, connector_login_subject};
pub use dead_jobs::{after_job, dead_jobs_subject};
pub use error::AlertError;
pub use form_rejections::{after_form_delivered, after_form_rejected, form_rejections_subject};
pub use job::{ALERT_MAX_ATTEMPTS, queue_alert, run_delivery_job};
pub use message::{Alert, AlertConnector, AlertEvent, AlertForm, AlertJobRef, AlertList};
pub use observe::{after_run_job, run_subject};
