//! Settings: defaults that need no set-up, an optional TOML or JSON file, then
//! environment variables (which win over the file).
//!
//! | setting | env | default |
//! |---|---|---|
//! | `bind` | `LISTBRIDGE_BIND` | `127.0.0.1:8080` |
//! | `database_url` | `DATABASE_URL` | `sqlite://listbridge.db?mode=rwc` |
//! | `master_key` | `LISTBRIDGE_MASTER_KEY` | generated beside a SQLite database |
//! | `log` | `LISTBRIDGE_LOG` | `info` |
//! | `log_format` | `LISTBRIDGE_LOG_FORMAT` | `text` |
//! | `allow_private_hosts` | `LISTBRIDGE_ALLOW_PRIVATE_HOSTS` (comma-separated host names, addresses or CIDRs) | none |
//! | `workers` | `LISTBRIDGE_WORKERS` | `4` (jobs run at once; `0`: API only) |
//! | `job_lease_seconds` | `LISTBRIDGE_JOB_LEASE_SECONDS` | `30` |
//! | `scheduler_tick_ms` | `LISTBRIDGE_SCHEDULER_TICK_MS` | `5000` |
//! | `crm_requests_per_second` | `LISTBRIDGE_CRM_REQUESTS_PER_SECOND` | `20` |
//! | `crm_burst` | `LISTBRIDGE_CRM_BURST` | the connector's requests per second |
//! | `crm_concurrency` | `LISTBRIDGE_CRM_CONCURRENCY` | `4` |
//! | `crm_timeout_seconds` | `LISTBRIDGE_CRM_TIMEOUT_SECONDS` | `30` |
//! | `crm_attempts` | `LISTBRIDGE_CRM_ATTEMPTS` | `6` |
//! | `crm_max_response_bytes` | `LISTBRIDGE_CRM_MAX_RESPONSE_BYTES` | `33554432` (32 MiB) |
//! | `run_max_pages` | `LISTBRIDGE_RUN_MAX_PAGES` | `100000` |
//! | `run_max_seconds` | `LISTBRIDGE_RUN_MAX_SECONDS` | `21600` (6 h) |
//! | `max_running_jobs_per_account` | `LISTBRIDGE_MAX_RUNNING_JOBS_PER_ACCOUNT` | `2` |
//! | `secure_cookies` | `LISTBRIDGE_SECURE_COOKIES` | `auto` (`always`, `never`) |
//! | `session_idle_minutes` | `LISTBRIDGE_SESSION_IDLE_MINUTES` | `720` (12 h) |
//! | `trusted_proxies` | `LISTBRIDGE_TRUSTED_PROXIES` (comma-separated addresses or CIDRs) | none |
//! | `forwarded_header` | `LISTBRIDGE_FORWARDED_HEADER` (`x-forwarded-for` or `forwarded`: the one the trusted proxies write) | `x-forwarded-for` |
//! | `form_client_burst` | `LISTBRIDGE_FORM_CLIENT_BURST` | `10` |
//! | `form_client_per_minute` | `LISTBRIDGE_FORM_CLIENT_PER_MINUTE` | `30` |
//! | `form_per_form_burst` | `LISTBRIDGE_FORM_PER_FORM_BURST` | `120` |
//! | `form_per_form_per_minute` | `LISTBRIDGE_FORM_PER_FORM_PER_MINUTE` | `600` |
//! | `metrics_token` | `LISTBRIDGE_METRICS_TOKEN` (at least 16 visible characters; `/metrics` then wants `Authorization: Bearer <token>`) | none: `/metrics` is open |
//! | `metrics_bind` | `LISTBRIDGE_METRICS_BIND` (`/metrics` served there, not on `bind`) | none: on `bind` |
//! | `alert_form_rejections_per_hour` | `LISTBRIDGE_ALERT_FORM_REJECTIONS_PER_HOUR` (a form's rejected submissions in an hour above this alert) | `20` |
//! | `salesforce_slow_down_percent` | `LISTBRIDGE_SALESFORCE_SLOW_DOWN_PERCENT` (share of a Salesforce org's daily API allowance past which its connector slows down, 1–100) | `90` |
//! | `salesforce_slowed_interval_ms` | `LISTBRIDGE_SALESFORCE_SLOWED_INTERVAL_MS` (the least time between two requests once slowed) | `1000` |
//! | `salesforce_bulk_threshold` | `LISTBRIDGE_SALESFORCE_BULK_THRESHOLD` (the fewest records an import reads through a Bulk API 2.0 query job) | `50000` |
//!
//! A removed setting still present in the environment stops loading with a message
//! naming its replacement, so a deployment does not silently lose what it configured.

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr};

use listbridge_connector::AllowList;
use secrecy::SecretString;
use serde::Deserialize;

use crate::{
    client_address::{ForwardedHeader, TrustedProxies},
    domain::redact::redact_url,
};

/// Environment variable naming the config file when `--config` is not given.
pub const CONFIG_FILE_ENV: &str = "LISTBRIDGE_CONFIG";
/// Environment variable for the listen address.
pub const BIND_ENV: &str = "LISTBRIDGE_BIND";
/// Environment variable for the database URL.
pub const DATABASE_URL_ENV: &str = "DATABASE_URL";
/// Environment variable for the base64 master key.
pub const MASTER_KEY_ENV: &str = "LISTBRIDGE_MASTER_KEY";
/// Environment variable for the log filter.
pub const LOG_ENV: &str = "LISTBRIDGE_LOG";
/// Environment variable for the log format.
pub const LOG_FORMAT_ENV: &str = "LISTBRIDGE_LOG_FORMAT";
/// Environment variable for how many background jobs run at once.
pub const WORKERS_ENV: &str = "LISTBRIDGE_WORKERS";
/// Environment variable for how long a job claim holds without a heartbeat.
pub const JOB_LEASE_ENV: &str = "LISTBRIDGE_JOB_LEASE_SECONDS";
/// The default job lease.
pub const DEFAULT_JOB_LEASE_SECONDS: u32 = 30;
/// Environment variable for how often each instance looks for due schedule slots.
pub const SCHEDULER_TICK_ENV: &str = "LISTBRIDGE_SCHEDULER_TICK_MS";
/// The default scheduler tick: schedule slots are minute-aligned, so a run starts at
/// most this long after its time.
pub const DEFAULT_SCHEDULER_TICK_MS: u32 = 5_000;
/// The shortest scheduler tick accepted: tokio-cron-scheduler counts in whole seconds.
const MIN_SCHEDULER_TICK_MS: u32 = 1_000;
/// The default number of background jobs run at once.
pub const DEFAULT_WORKERS: usize = 4;
/// Environment variable naming the private hosts and networks outbound requests may
/// reach (and reach over plain http).
pub const ALLOW_PRIVATE_HOSTS_ENV: &str = "LISTBRIDGE_ALLOW_PRIVATE_HOSTS";
/// Environment variable for the sustained CRM requests per second of each connector.
pub const CRM_REQUESTS_PER_SECOND_ENV: &str = "LISTBRIDGE_CRM_REQUESTS_PER_SECOND";
/// Environment variable for the CRM requests a connector may start at once after a pause.
pub const CRM_BURST_ENV: &str = "LISTBRIDGE_CRM_BURST";
/// Environment variable for the CRM requests each connector has in flight at once.
pub const CRM_CONCURRENCY_ENV: &str = "LISTBRIDGE_CRM_CONCURRENCY";
/// Environment variable for how long one CRM request may take.
pub const CRM_TIMEOUT_ENV: &str = "LISTBRIDGE_CRM_TIMEOUT_SECONDS";
/// Environment variable for how many attempts a failing CRM request gets.
pub const CRM_ATTEMPTS_ENV: &str = "LISTBRIDGE_CRM_ATTEMPTS";
/// Environment variable for the most bytes of one CRM response a connector reads.
pub const CRM_MAX_RESPONSE_BYTES_ENV: &str = "LISTBRIDGE_CRM_MAX_RESPONSE_BYTES";
/// Environment variable for the most pages one run works through.
pub const RUN_MAX_PAGES_ENV: &str = "LISTBRIDGE_RUN_MAX_PAGES";
/// Environment variable for the longest a run may take, in seconds.
pub const RUN_MAX_SECONDS_ENV: &str = "LISTBRIDGE_RUN_MAX_SECONDS";
/// Environment variable for the most sync and import runs of one account running at once.
pub const MAX_RUNNING_JOBS_PER_ACCOUNT_ENV: &str = "LISTBRIDGE_MAX_RUNNING_JOBS_PER_ACCOUNT";

/// Environment variable for when console cookies are marked `Secure`.
pub const SECURE_COOKIES_ENV: &str = "LISTBRIDGE_SECURE_COOKIES";
/// Environment variable for how long an unused console session lasts.
pub const SESSION_IDLE_ENV: &str = "LISTBRIDGE_SESSION_IDLE_MINUTES";
/// Environment variable naming the proxies whose `Forwarded` / `X-Forwarded-For` is
/// believed (comma-separated addresses or CIDRs).
pub const TRUSTED_PROXIES_ENV: &str = "LISTBRIDGE_TRUSTED_PROXIES";
/// Environment variable naming the header the trusted proxies write the client's
/// address to (`x-forwarded-for` or `forwarded`); the other is not read.
pub const FORWARDED_HEADER_ENV: &str = "LISTBRIDGE_FORWARDED_HEADER";
/// The removed setting `allow_private_hosts` replaced (it allowed plain http only, and
/// no private address): refused when set, so a deployment learns it has no effect.
pub const REMOVED_ALLOW_HTTP_HOSTS_ENV: &str = "LISTBRIDGE_ALLOW_HTTP_HOSTS";
/// Environment variable for the form posts one client may send at once.
pub const FORM_CLIENT_BURST_ENV: &str = "LISTBRIDGE_FORM_CLIENT_BURST";
/// Environment variable for the form posts per minute one client may send, sustained.
pub const FORM_CLIENT_PER_MINUTE_ENV: &str = "LISTBRIDGE_FORM_CLIENT_PER_MINUTE";
/// Environment variable for the posts one form takes at once, from all clients.
pub const FORM_PER_FORM_BURST_ENV: &str = "LISTBRIDGE_FORM_PER_FORM_BURST";
/// Environment variable for the posts per minute one form takes, sustained.
pub const FORM_PER_FORM_PER_MINUTE_ENV: &str = "LISTBRIDGE_FORM_PER_FORM_PER_MINUTE";

/// Environment variable for the bearer token `/metrics` asks for.
pub const METRICS_TOKEN_ENV: &str = "LISTBRIDGE_METRICS_TOKEN";
/// Environment variable for a separate listen address of `/metrics`.
pub const METRICS_BIND_ENV: &str = "LISTBRIDGE_METRICS_BIND";
/// The shortest `metrics_token` accepted, so a scrape token is not guessable.
pub const MIN_METRICS_TOKEN_CHARS: usize = 16;
/// Environment variable for how many of a form's submissions may be rejected in an
/// hour before its account's channels hear of it.
pub const ALERT_FORM_REJECTIONS_PER_HOUR_ENV: &str = "LISTBRIDGE_ALERT_FORM_REJECTIONS_PER_HOUR";
/// Environment variable for the share (percent) of a Salesforce org's daily API allowance
/// past which its connector spaces its requests out.
pub const SALESFORCE_SLOW_DOWN_PERCENT_ENV: &str = "LISTBRIDGE_SALESFORCE_SLOW_DOWN_PERCENT";
/// Environment variable for the least time between two Salesforce requests once slowed.
pub const SALESFORCE_SLOWED_INTERVAL_MS_ENV: &str = "LISTBRIDGE_SALESFORCE_SLOWED_INTERVAL_MS";
/// Environment variable for the fewest records a Salesforce import reads through a Bulk
/// API 2.0 query job instead of REST query pages.
pub const SALESFORCE_BULK_THRESHOLD_ENV: &str = "LISTBRIDGE_SALESFORCE_BULK_THRESHOLD";

/// The default listen address: loopback only, so a first start exposes nothing.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// The default database: a SQLite file in the working directory, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://listbridge.db?mode=rwc";
/// The default log filter.
pub const DEFAULT_LOG: &str = "info";

/// Why the settings could not be loaded. Each variant names the file or setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML/JSON for these settings.
    #[error("config file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's explanation.
        message: String,
    },
    /// A setting has a value that cannot be used.
    #[error("setting {setting} has an invalid value '{value}': {reason}")]
    Invalid {
        /// The setting (env var or file key).
        setting: &'static str,
        /// The offending value (never a secret).
        value: String,
        /// What is expected.
        reason: String,
    },
}

/// How hard every connector may drive its CRM, unless a connector sets its own rate
/// (`POST /v1/connectors` `rate_limit`). Exists so an operator can slow listbridge down
/// for a CRM that throttles (or speed it up for one that does not) without a rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrmLimits {
    /// Sustained requests per second of each connector.
    pub requests_per_second: u32,
    /// Requests a connector may start at once after a quiet spell; `None` is one
    /// second's worth of its requests per second.
    pub burst: Option<u32>,
    /// Requests each connector has in flight at once.
    pub concurrency: u32,
    /// How long one request may take before it counts as failed (and is retried).
    pub timeout_seconds: u32,
    /// Attempts a request gets (the first included) before its failure is reported.
    pub attempts: u32,
    /// The most bytes of one CRM response a connector reads; a larger answer fails the
    /// request, so a broken or hostile CRM cannot exhaust the service's memory.
    pub max_response_bytes: u32,
}

impl Default for CrmLimits {
    fn default() -> Self {
        CrmLimits {
            requests_per_second: 20,
            burst: None,
            concurrency: 4,
            timeout_seconds: 30,
            attempts: 6,
            max_response_bytes: DEFAULT_CRM_MAX_RESPONSE_BYTES,
        }
    }
}

/// The default [`CrmLimits::max_response_bytes`]: 32 MiB.
pub const DEFAULT_CRM_MAX_RESPONSE_BYTES: u32 = 32 * 1024 * 1024;

/// How much work one run, and one account's runs, may take of the service. Exists so
/// that a CRM that never stops sending pages, or one account's many runs, cannot hold
/// the workers every other account shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkLimits {
    /// The most pages (CRM pages read, list pages pushed) one run works through; a run
    /// that reaches it fails with that reason.
    pub run_max_pages: u32,
    /// The longest a run may take from its first start, in seconds (waits between
    /// retries included); a run that reaches it fails with that reason.
    pub run_max_seconds: u32,
    /// The most run jobs (sync and import runs) of one account running at once; the
    /// account's other runs wait while other accounts' runs go on. Form and note
    /// deliveries are not counted nor held back, so they never wait behind the
    /// account's own long imports.
    pub max_running_jobs_per_account: u32,
}

/// The default [`WorkLimits::run_max_pages`]: ten million records in pages of 100.
pub const DEFAULT_RUN_MAX_PAGES: u32 = 100_000;
/// The default [`WorkLimits::run_max_seconds`]: six hours.
pub const DEFAULT_RUN_MAX_SECONDS: u32 = 6 * 60 * 60;
/// The default [`WorkLimits::max_running_jobs_per_account`].
pub const DEFAULT_MAX_RUNNING_JOBS_PER_ACCOUNT: u32 = 2;

impl Default for WorkLimits {
    fn default() -> Self {
        WorkLimits {
            run_max_pages: DEFAULT_RUN_MAX_PAGES,
            run_max_seconds: DEFAULT_RUN_MAX_SECONDS,
            max_running_jobs_per_account: DEFAULT_MAX_RUNNING_JOBS_PER_ACCOUNT,
        }
    }
}

/// When the console's cookies carry the `Secure` attribute (sent back over https only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecureCookies {
    /// When the request came over https: the service itself speaks plain HTTP, so
    /// that is a proxy in front saying `X-Forwarded-Proto: https` (or `Forwarded:
    /// proto=https`).
    #[default]
    Auto,
    /// Always (the service is only ever reached over https).
    Always,
    /// Never (plain-HTTP set-ups, such as the demo on loopback).
    Never,
}

impl FromStr for SecureCookies {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(SecureCookies::Auto),
            "always" => Ok(SecureCookies::Always),
            "never" => Ok(SecureCookies::Never),
            _ => Err("expected 'auto', 'always' or 'never'".to_string()),
        }
    }
}

/// Settings of the web console's sign-in sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// When cookies are marked `Secure`.
    pub secure_cookies: SecureCookies,
    /// Minutes a session may go unused before it must sign in again.
    pub session_idle_minutes: u32,
}

/// The default idle time of a console session: a working day and a half.
pub const DEFAULT_SESSION_IDLE_MINUTES: u32 = 12 * 60;

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            secure_cookies: SecureCookies::Auto,
            session_idle_minutes: DEFAULT_SESSION_IDLE_MINUTES,
        }
    }
}

/// The public form endpoint's rate limits an operator set (`form_*`); each one not set
/// keeps the service's default (`forms::IntakeLimits::default`). Exists so a busy site
/// behind one proxy, or a form on a high-traffic page, can be given room without a
/// rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FormLimitSettings {
    /// Posts one client (address, or IPv6 /64) may send at once, all forms together.
    pub client_burst: Option<u32>,
    /// Posts per minute one client may send, sustained.
    pub client_per_minute: Option<u32>,
    /// Posts one form takes at once, all clients together.
    pub per_form_burst: Option<u32>,
    /// Posts per minute one form takes, sustained.
    pub per_form_per_minute: Option<u32>,
}

/// When alerts speak up about things that fail one at a time (so a single failure is
/// normal). Exists so an operator can tune how many rejected form submissions are
/// noise for their forms without a rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertSettings {
    /// A form's submissions rejected in the last hour above which the account's
    /// channels are alerted (once per streak); at least 1.
    pub form_rejections_per_hour: u32,
}

/// The default [`AlertSettings::form_rejections_per_hour`].
pub const DEFAULT_ALERT_FORM_REJECTIONS_PER_HOUR: u32 = 20;

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            form_rejections_per_hour: DEFAULT_ALERT_FORM_REJECTIONS_PER_HOUR,
        }
    }
}

/// How Salesforce connectors spend an org's daily API allowance once it runs low: the
/// org shares it with its other tools, so an operator decides how much listbridge may
/// take at full speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalesforceSettings {
    /// The share of the allowance, in percent (1 to 100), past which requests slow down.
    pub slow_down_percent: u32,
    /// The least time between two requests past that share, in milliseconds.
    pub slowed_interval_ms: u32,
    /// The fewest records an import reads through a Bulk API 2.0 query job: about one
    /// request per 10,000 records instead of one per 2,000.
    pub bulk_threshold: u32,
}

impl Default for SalesforceSettings {
    fn default() -> Self {
        SalesforceSettings {
            slow_down_percent: 90,
            slowed_interval_ms: 1_000,
            bulk_threshold: 50_000,
        }
    }
}

/// Human-readable or machine-readable logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err("expected 'text' or 'json'".to_string()),
        }
    }
}

/// The service's settings after defaults, file and environment were combined.
#[derive(Clone)]
pub struct Config {
    /// Where the HTTP API listens.
    pub bind: SocketAddr,
    /// SQLite (`sqlite://…`) or PostgreSQL (`postgres://…`) connection URL.
    pub database_url: String,
    /// Base64 of 32 bytes; encrypts CRM passwords at rest.
    pub master_key: Option<SecretString>,
    /// `tracing` filter directives, e.g. `info,listbridge=debug`.
    pub log: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// Host names and networks outbound requests (CRM connectors) may reach although
    /// they are private, loopback or link-local, and reach over plain `http://` (e.g. a
    /// CRM on the company network, a fake CRM container). Empty by default: only public
    /// addresses, over `https://`.
    pub allow_private_hosts: AllowList,
    /// Background jobs (runs, deliveries) this instance executes at once; 0 serves
    /// the API only and leaves the work to other instances.
    pub workers: usize,
    /// How long a job claim holds without a heartbeat before another instance may take
    /// the job over (the time a crashed instance's work waits to resume).
    pub job_lease_seconds: u32,
    /// How often (milliseconds) this instance looks for due schedule slots.
    pub scheduler_tick_ms: u32,
    /// Default request budget, timeout and attempts of CRM connectors.
    pub crm: CrmLimits,
    /// Page and time caps of a run, and how many jobs of one account run at once.
    pub work: WorkLimits,
    /// The web console's cookies and sessions.
    pub console: ConsoleConfig,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` names the client, for the limits
    /// counted per client (form posts, sign-in attempts); none by default.
    pub trusted_proxies: TrustedProxies,
    /// The header those proxies write the client's address to; the other one is
    /// ignored, as a proxy passes it through from the client unchecked.
    pub forwarded_header: ForwardedHeader,
    /// Rate limits of the public form endpoint set here (others keep their default).
    pub form_limits: FormLimitSettings,
    /// The bearer token a scrape of `/metrics` must carry; `None` leaves it open (for a
    /// `metrics_bind` only a monitoring network reaches, or a trusted loopback).
    pub metrics_token: Option<SecretString>,
    /// Where `/metrics` is served instead of on [`Config::bind`]; `None` serves it on
    /// the main port.
    pub metrics_bind: Option<SocketAddr>,
    /// When alerts about failures that come one at a time speak up.
    pub alerts: AlertSettings,
    /// How Salesforce connectors pace themselves near an org's daily API limit.
    pub salesforce: SalesforceSettings,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "[redacted]"),
            )
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("allow_private_hosts", &self.allow_private_hosts)
            .field("workers", &self.workers)
            .field("job_lease_seconds", &self.job_lease_seconds)
            .field("scheduler_tick_ms", &self.scheduler_tick_ms)
            .field("crm", &self.crm)
            .field("work", &self.work)
            .field("console", &self.console)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("forwarded_header", &self.forwarded_header)
            .field("form_limits", &self.form_limits)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "[redacted]"),
            )
            .field("metrics_bind", &self.metrics_bind)
            .field("alerts", &self.alerts)
            .field("salesforce", &self.salesforce)
            .finish()
    }
}

mod load;

#[cfg(test)]
mod tests;
