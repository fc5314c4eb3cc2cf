//! Reading the settings: the optional TOML or JSON file, then the environment (which
//! wins), each value checked and named in the error when it is wrong.

use std::{net::SocketAddr, path::Path};

use listbridge_connector::AllowList;
use secrecy::SecretString;
use serde::Deserialize;

use super::*;
use crate::client_address::{ForwardedHeader, TrustedProxies};

/// The settings a config file may hold; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    bind: Option<String>,
    database_url: Option<String>,
    master_key: Option<SecretString>,
    log: Option<String>,
    log_format: Option<String>,
    allow_private_hosts: Option<Vec<String>>,
    workers: Option<usize>,
    job_lease_seconds: Option<u32>,
    scheduler_tick_ms: Option<u32>,
    crm_requests_per_second: Option<u32>,
    crm_burst: Option<u32>,
    crm_concurrency: Option<u32>,
    crm_timeout_seconds: Option<u32>,
    crm_attempts: Option<u32>,
    crm_max_response_bytes: Option<u32>,
    run_max_pages: Option<u32>,
    run_max_seconds: Option<u32>,
    max_running_jobs_per_account: Option<u32>,
    secure_cookies: Option<String>,
    session_idle_minutes: Option<u32>,
    trusted_proxies: Option<Vec<String>>,
    forwarded_header: Option<String>,
    form_client_burst: Option<u32>,
    form_client_per_minute: Option<u32>,
    form_per_form_burst: Option<u32>,
    form_per_form_per_minute: Option<u32>,
    metrics_token: Option<SecretString>,
    metrics_bind: Option<String>,
    alert_form_rejections_per_hour: Option<u32>,
    salesforce_slow_down_percent: Option<u32>,
    salesforce_slowed_interval_ms: Option<u32>,
    salesforce_bulk_threshold: Option<u32>,
}

impl Config {
    /// Loads settings from the process environment and the optional file
    /// (`--config` wins over `LISTBRIDGE_CONFIG`).
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with(config_file, |name| std::env::var(name).ok())
    }

    /// Loads settings with an explicit environment lookup, so tests need not touch
    /// the process environment.
    pub fn load_with(
        config_file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(value) = env(REMOVED_ALLOW_HTTP_HOSTS_ENV) {
            return Err(ConfigError::Invalid {
                setting: REMOVED_ALLOW_HTTP_HOSTS_ENV,
                value,
                reason: format!(
                    "this setting was removed and has no effect; name the CRM hosts or \
                     networks in {ALLOW_PRIVATE_HOSTS_ENV} instead (comma-separated), \
                     and unset {REMOVED_ALLOW_HTTP_HOSTS_ENV}"
                ),
            });
        }
        let file_path = config_file
            .map(Path::to_path_buf)
            .or_else(|| env(CONFIG_FILE_ENV).map(PathBuf::from));
        let file = match &file_path {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };

        let bind_raw = env(BIND_ENV)
            .or(file.bind)
            .unwrap_or_else(|| DEFAULT_BIND.to_string());
        let bind = bind_raw.parse().map_err(|_| ConfigError::Invalid {
            setting: BIND_ENV,
            value: bind_raw.clone(),
            reason: "expected an address and port such as 127.0.0.1:8080".to_string(),
        })?;
        let log_format_raw = env(LOG_FORMAT_ENV).or(file.log_format);
        let log_format = match log_format_raw {
            Some(raw) => raw.parse().map_err(|reason| ConfigError::Invalid {
                setting: LOG_FORMAT_ENV,
                value: raw,
                reason,
            })?,
            None => LogFormat::default(),
        };

        let workers = match env(WORKERS_ENV) {
            Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
                setting: WORKERS_ENV,
                value: raw.clone(),
                reason: "expected a whole number of workers (0 runs the API only)".to_string(),
            })?,
            None => file.workers.unwrap_or(DEFAULT_WORKERS),
        };
        let job_lease_seconds =
            match env(JOB_LEASE_ENV) {
                Some(raw) => raw.trim().parse().ok().filter(|s| *s >= 1).ok_or_else(|| {
                    ConfigError::Invalid {
                        setting: JOB_LEASE_ENV,
                        value: raw.clone(),
                        reason: "expected a whole number of seconds, at least 1".to_string(),
                    }
                })?,
                None => file.job_lease_seconds.unwrap_or(DEFAULT_JOB_LEASE_SECONDS),
            };

        let scheduler_tick_ms = match at_least_one(
            &env,
            SCHEDULER_TICK_ENV,
            file.scheduler_tick_ms,
            "scheduler_tick_ms",
        )? {
            Some(ms) if ms < MIN_SCHEDULER_TICK_MS => {
                return Err(ConfigError::Invalid {
                    setting: SCHEDULER_TICK_ENV,
                    value: ms.to_string(),
                    reason: format!("expected milliseconds, at least {MIN_SCHEDULER_TICK_MS}"),
                });
            }
            Some(ms) => ms,
            None => DEFAULT_SCHEDULER_TICK_MS,
        };

        let defaults = CrmLimits::default();
        let crm = CrmLimits {
            requests_per_second: at_least_one(
                &env,
                CRM_REQUESTS_PER_SECOND_ENV,
                file.crm_requests_per_second,
                "crm_requests_per_second",
            )?
            .unwrap_or(defaults.requests_per_second),
            burst: at_least_one(&env, CRM_BURST_ENV, file.crm_burst, "crm_burst")?,
            concurrency: at_least_one(
                &env,
                CRM_CONCURRENCY_ENV,
                file.crm_concurrency,
                "crm_concurrency",
            )?
            .unwrap_or(defaults.concurrency),
            timeout_seconds: at_least_one(
                &env,
                CRM_TIMEOUT_ENV,
                file.crm_timeout_seconds,
                "crm_timeout_seconds",
            )?
            .unwrap_or(defaults.timeout_seconds),
            attempts: at_least_one(&env, CRM_ATTEMPTS_ENV, file.crm_attempts, "crm_attempts")?
                .unwrap_or(defaults.attempts),
            max_response_bytes: at_least_one(
                &env,
                CRM_MAX_RESPONSE_BYTES_ENV,
                file.crm_max_response_bytes,
                "crm_max_response_bytes",
            )?
            .unwrap_or(defaults.max_response_bytes),
        };
        let work_defaults = WorkLimits::default();
        let work = WorkLimits {
            run_max_pages: at_least_one(
                &env,
                RUN_MAX_PAGES_ENV,
                file.run_max_pages,
                "run_max_pages",
            )?
            .unwrap_or(work_defaults.run_max_pages),
            run_max_seconds: at_least_one(
                &env,
                RUN_MAX_SECONDS_ENV,
                file.run_max_seconds,
                "run_max_seconds",
            )?
            .unwrap_or(work_defaults.run_max_seconds),
            max_running_jobs_per_account: at_least_one(
                &env,
                MAX_RUNNING_JOBS_PER_ACCOUNT_ENV,
                file.max_running_jobs_per_account,
                "max_running_jobs_per_account",
            )?
            .unwrap_or(work_defaults.max_running_jobs_per_account),
        };

        let secure_cookies = match env(SECURE_COOKIES_ENV).or(file.secure_cookies) {
            Some(raw) => raw.parse().map_err(|reason| ConfigError::Invalid {
                setting: SECURE_COOKIES_ENV,
                value: raw,
                reason,
            })?,
            None => SecureCookies::default(),
        };
        let console = ConsoleConfig {
            secure_cookies,
            session_idle_minutes: at_least_one(
                &env,
                SESSION_IDLE_ENV,
                file.session_idle_minutes,
                "session_idle_minutes",
            )?
            .unwrap_or(DEFAULT_SESSION_IDLE_MINUTES),
        };

        let trusted_proxies = match env(TRUSTED_PROXIES_ENV) {
            Some(raw) => {
                TrustedProxies::parse(raw.split(',')).map_err(|e| (TRUSTED_PROXIES_ENV, e))
            }
            None => TrustedProxies::parse(
                file.trusted_proxies
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .map(String::as_str),
            )
            .map_err(|e| ("trusted_proxies", e)),
        }
        .map_err(|(setting, e)| ConfigError::Invalid {
            setting,
            value: e.0.clone(),
            reason: e.to_string(),
        })?;
        let forwarded_header = match env(FORWARDED_HEADER_ENV)
            .map(|raw| (FORWARDED_HEADER_ENV, raw))
            .or_else(|| file.forwarded_header.map(|raw| ("forwarded_header", raw)))
        {
            Some((setting, raw)) => raw.parse().map_err(|reason| ConfigError::Invalid {
                setting,
                value: raw,
                reason,
            })?,
            None => ForwardedHeader::default(),
        };
        let form_limits = FormLimitSettings {
            client_burst: at_least_one(
                &env,
                FORM_CLIENT_BURST_ENV,
                file.form_client_burst,
                "form_client_burst",
            )?,
            client_per_minute: at_least_one(
                &env,
                FORM_CLIENT_PER_MINUTE_ENV,
                file.form_client_per_minute,
                "form_client_per_minute",
            )?,
            per_form_burst: at_least_one(
                &env,
                FORM_PER_FORM_BURST_ENV,
                file.form_per_form_burst,
                "form_per_form_burst",
            )?,
            per_form_per_minute: at_least_one(
                &env,
                FORM_PER_FORM_PER_MINUTE_ENV,
                file.form_per_form_per_minute,
                "form_per_form_per_minute",
            )?,
        };

        let alerts = AlertSettings {
            form_rejections_per_hour: at_least_one(
                &env,
                ALERT_FORM_REJECTIONS_PER_HOUR_ENV,
                file.alert_form_rejections_per_hour,
                "alert_form_rejections_per_hour",
            )?
            .unwrap_or(DEFAULT_ALERT_FORM_REJECTIONS_PER_HOUR),
        };

        let salesforce_defaults = SalesforceSettings::default();
        let salesforce = SalesforceSettings {
            slow_down_percent: match at_least_one(
                &env,
                SALESFORCE_SLOW_DOWN_PERCENT_ENV,
                file.salesforce_slow_down_percent,
                "salesforce_slow_down_percent",
            )? {
                Some(percent) if percent > 100 => {
                    return Err(ConfigError::Invalid {
                        setting: match env(SALESFORCE_SLOW_DOWN_PERCENT_ENV) {
                            Some(_) => SALESFORCE_SLOW_DOWN_PERCENT_ENV,
                            None => "salesforce_slow_down_percent",
                        },
                        value: percent.to_string(),
                        reason: "expected a percentage from 1 to 100".to_string(),
                    });
                }
                Some(percent) => percent,
                None => salesforce_defaults.slow_down_percent,
            },
            slowed_interval_ms: at_least_one(
                &env,
                SALESFORCE_SLOWED_INTERVAL_MS_ENV,
                file.salesforce_slowed_interval_ms,
                "salesforce_slowed_interval_ms",
            )?
            .unwrap_or(salesforce_defaults.slowed_interval_ms),
            bulk_threshold: at_least_one(
                &env,
                SALESFORCE_BULK_THRESHOLD_ENV,
                file.salesforce_bulk_threshold,
                "salesforce_bulk_threshold",
            )?
            .unwrap_or(salesforce_defaults.bulk_threshold),
        };

        let metrics_token = metrics_token(&env, file.metrics_token)?;
        let metrics_bind = match env(METRICS_BIND_ENV)
            .map(|raw| (METRICS_BIND_ENV, raw))
            .or_else(|| file.metrics_bind.map(|raw| ("metrics_bind", raw)))
        {
            Some((setting, raw)) => match raw.trim().parse::<SocketAddr>() {
                Ok(addr) if addr == bind => {
                    return Err(ConfigError::Invalid {
                        setting,
                        value: raw,
                        reason: format!(
                            "expected an address other than bind ({bind}); leave it unset \
                             to serve /metrics on the main port"
                        ),
                    });
                }
                Ok(addr) => Some(addr),
                Err(_) => {
                    return Err(ConfigError::Invalid {
                        setting,
                        value: raw,
                        reason: "expected an address and port such as 127.0.0.1:9090".to_string(),
                    });
                }
            },
            None => None,
        };

        Ok(Config {
            alerts,
            salesforce,
            metrics_token,
            metrics_bind,
            trusted_proxies,
            forwarded_header,
            form_limits,
            console,
            workers,
            job_lease_seconds,
            scheduler_tick_ms,
            crm,
            work,
            bind,
            database_url: env(DATABASE_URL_ENV)
                .or(file.database_url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            master_key: env(MASTER_KEY_ENV)
                .map(SecretString::from)
                .or(file.master_key),
            log: env(LOG_ENV)
                .or(file.log)
                .unwrap_or_else(|| DEFAULT_LOG.to_string()),
            log_format,
            allow_private_hosts: allow_private_hosts(&env, file.allow_private_hosts)?,
        })
    }
}

/// The private hosts and networks outbound requests may reach, from the environment
/// (comma-separated, wins) or the file (an array); nothing when neither sets it.
fn allow_private_hosts(
    env: &dyn Fn(&str) -> Option<String>,
    file_value: Option<Vec<String>>,
) -> Result<AllowList, ConfigError> {
    let (setting, parsed) = match env(ALLOW_PRIVATE_HOSTS_ENV) {
        Some(raw) => (ALLOW_PRIVATE_HOSTS_ENV, AllowList::parse(&raw)),
        None => (
            "allow_private_hosts",
            AllowList::from_entries(file_value.unwrap_or_default()),
        ),
    };
    parsed.map_err(|e| ConfigError::Invalid {
        setting,
        value: e.entry.clone(),
        reason: e.to_string(),
    })
}

/// The `/metrics` bearer token from the environment (wins) or the file: at least
/// [`MIN_METRICS_TOKEN_CHARS`] visible ASCII characters, so it fits an `Authorization`
/// header as it is and is not guessable. The error never shows the token.
fn metrics_token(
    env: &dyn Fn(&str) -> Option<String>,
    file_value: Option<SecretString>,
) -> Result<Option<SecretString>, ConfigError> {
    use secrecy::ExposeSecret;
    let (setting, token) = match env(METRICS_TOKEN_ENV) {
        Some(raw) => (METRICS_TOKEN_ENV, SecretString::from(raw)),
        None => match file_value {
            Some(token) if !token.expose_secret().trim().is_empty() => ("metrics_token", token),
            _ => return Ok(None),
        },
    };
    let text = token.expose_secret();
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::Invalid {
            setting,
            value: "[hidden]".to_string(),
            reason: "expected visible ASCII characters only (no spaces)".to_string(),
        });
    }
    if text.chars().count() < MIN_METRICS_TOKEN_CHARS {
        return Err(ConfigError::Invalid {
            setting,
            value: "[hidden]".to_string(),
            reason: format!("expected at least {MIN_METRICS_TOKEN_CHARS} characters"),
        });
    }
    Ok(Some(token))
}

/// A whole number of at least 1 from the environment (which wins) or the file; `None`
/// when neither sets it.
fn at_least_one(
    env: &dyn Fn(&str) -> Option<String>,
    env_name: &'static str,
    file_value: Option<u32>,
    file_key: &'static str,
) -> Result<Option<u32>, ConfigError> {
    let (setting, value) = match env(env_name) {
        Some(raw) => (env_name, raw.trim().parse::<u32>().map_err(|_| raw)),
        None => match file_value {
            Some(n) => (file_key, Ok(n)),
            None => return Ok(None),
        },
    };
    match value {
        Ok(n) if n >= 1 => Ok(Some(n)),
        Ok(n) => Err(ConfigError::Invalid {
            setting,
            value: n.to_string(),
            reason: "expected a whole number, at least 1".to_string(),
        }),
        Err(raw) => Err(ConfigError::Invalid {
            setting,
            value: raw,
            reason: "expected a whole number, at least 1".to_string(),
        }),
    }
}

/// Reads a TOML file, or a JSON file when its name ends in `.json`.
fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let is_json = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    let parsed = if is_json {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        toml::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|message| ConfigError::Parse {
        path: path.to_path_buf(),
        message,
    })
}
