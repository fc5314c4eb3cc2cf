//! Loading settings from defaults, a TOML or JSON file and the environment, and the
//! errors that name the bad setting.

use std::{collections::HashMap, path::Path};

use secrecy::ExposeSecret;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// A config file in a directory of its own, removed with it when the test ends
/// (a test run leaves nothing behind in the temporary directory).
struct TempFile {
    dir: PathBuf,
    path: PathBuf,
}

impl std::ops::Deref for TempFile {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn temp_file(name: &str, contents: &str) -> TempFile {
    let dir = std::env::temp_dir().join(format!("lb-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    TempFile { dir, path }
}

#[test]
fn defaults_need_no_setup() {
    let config = Config::load_with(None, env_of(&[])).unwrap();
    assert_eq!(config.bind.to_string(), DEFAULT_BIND);
    assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
    assert!(config.master_key.is_none());
    assert_eq!(config.log, "info");
    assert_eq!(config.log_format, LogFormat::Text);
    assert!(config.allow_private_hosts.is_empty());
}

#[test]
fn private_hosts_from_env_list_or_file_array_and_bad_entries_named() {
    let path = temp_file(
        "hosts.toml",
        "allow_private_hosts = [\"crm-a\", \"10.0.0.0/8\"]\n",
    );
    let config = Config::load_with(Some(&path), env_of(&[])).unwrap();
    assert!(config.allow_private_hosts.allows_host("crm-a"));
    assert!(
        config
            .allow_private_hosts
            .allows_address([10, 1, 2, 3].into())
    );
    let config = Config::load_with(
        Some(&path),
        env_of(&[(ALLOW_PRIVATE_HOSTS_ENV, "x, 127.0.0.1/8,::1,")]),
    )
    .unwrap();
    assert!(config.allow_private_hosts.allows_host("x"));
    assert!(!config.allow_private_hosts.allows_host("crm-a"), "env wins");
    assert!(
        config
            .allow_private_hosts
            .allows_address([127, 0, 0, 9].into())
    );
    assert!(
        !config
            .allow_private_hosts
            .allows_address([10, 1, 2, 3].into())
    );

    let err =
        Config::load_with(None, env_of(&[(ALLOW_PRIVATE_HOSTS_ENV, "x,10.0.0.0/40")])).unwrap_err();
    assert!(err.to_string().contains(ALLOW_PRIVATE_HOSTS_ENV), "{err}");
    assert!(err.to_string().contains("10.0.0.0/40"), "{err}");
    let path = temp_file("bad-hosts.toml", "allow_private_hosts = [\"http://crm\"]\n");
    let err = Config::load_with(Some(&path), env_of(&[])).unwrap_err();
    assert!(err.to_string().contains("allow_private_hosts"), "{err}");
}

#[test]
fn env_overrides_toml_file() {
    let path = temp_file(
        "listbridge.toml",
        "bind = \"127.0.0.1:9000\"\nlog = \"debug\"\nlog_format = \"json\"\nmaster_key = \"k\"\n",
    );
    let config = Config::load_with(Some(&path), env_of(&[(BIND_ENV, "0.0.0.0:7000")])).unwrap();
    assert_eq!(config.bind.to_string(), "0.0.0.0:7000");
    assert_eq!(config.log, "debug");
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.master_key.unwrap().expose_secret(), "k");
}

#[test]
fn json_file_and_config_env() {
    let path = temp_file("settings.json", r#"{"database_url": "postgres://h/db"}"#);
    let config =
        Config::load_with(None, env_of(&[(CONFIG_FILE_ENV, path.to_str().unwrap())])).unwrap();
    assert_eq!(config.database_url, "postgres://h/db");
}

#[test]
fn unknown_file_key_is_named() {
    let path = temp_file("bad.toml", "bnd = \"x\"\n");
    let err = Config::load_with(Some(&path), env_of(&[])).unwrap_err();
    assert!(err.to_string().contains("bnd"), "{err}");
}

#[test]
fn bad_values_name_the_setting() {
    let err = Config::load_with(None, env_of(&[(BIND_ENV, "nowhere")])).unwrap_err();
    assert!(err.to_string().contains(BIND_ENV), "{err}");
    let err = Config::load_with(None, env_of(&[(LOG_FORMAT_ENV, "xml")])).unwrap_err();
    assert!(err.to_string().contains(LOG_FORMAT_ENV), "{err}");
}

#[test]
fn crm_limits_default_then_file_then_env() {
    let config = Config::load_with(None, env_of(&[])).unwrap();
    assert_eq!(config.crm, CrmLimits::default());
    let path = temp_file(
        "crm.toml",
        "crm_requests_per_second = 5\ncrm_burst = 2\ncrm_concurrency = 3\n\
             crm_timeout_seconds = 12\ncrm_attempts = 2\ncrm_max_response_bytes = 4096\n",
    );
    let from_file = Config::load_with(Some(&path), env_of(&[])).unwrap();
    assert_eq!(
        from_file.crm,
        CrmLimits {
            requests_per_second: 5,
            burst: Some(2),
            concurrency: 3,
            timeout_seconds: 12,
            attempts: 2,
            max_response_bytes: 4096,
        }
    );
    let from_env = Config::load_with(
        Some(&path),
        env_of(&[
            (CRM_REQUESTS_PER_SECOND_ENV, "50"),
            (CRM_BURST_ENV, " 7 "),
            (CRM_CONCURRENCY_ENV, "9"),
            (CRM_TIMEOUT_ENV, "45"),
            (CRM_ATTEMPTS_ENV, "1"),
            (CRM_MAX_RESPONSE_BYTES_ENV, "65536"),
        ]),
    )
    .unwrap();
    assert_eq!(
        from_env.crm,
        CrmLimits {
            requests_per_second: 50,
            burst: Some(7),
            concurrency: 9,
            timeout_seconds: 45,
            attempts: 1,
            max_response_bytes: 65536,
        }
    );
}

#[test]
fn work_limits_default_then_file_then_env_and_bad_values_named() {
    let config = Config::load_with(None, env_of(&[])).unwrap();
    assert_eq!(config.work, WorkLimits::default());
    assert_eq!(config.crm.max_response_bytes, 32 * 1024 * 1024);
    assert_eq!(config.work.run_max_pages, 100_000);
    assert_eq!(config.work.run_max_seconds, 6 * 3600);
    assert_eq!(config.work.max_running_jobs_per_account, 2);
    let path = temp_file(
        "work.toml",
        "run_max_pages = 10\nrun_max_seconds = 60\nmax_running_jobs_per_account = 3\n",
    );
    let from_file = Config::load_with(Some(&path), env_of(&[])).unwrap();
    assert_eq!(
        from_file.work,
        WorkLimits {
            run_max_pages: 10,
            run_max_seconds: 60,
            max_running_jobs_per_account: 3,
        }
    );
    let from_env = Config::load_with(
        Some(&path),
        env_of(&[
            (RUN_MAX_PAGES_ENV, "20"),
            (RUN_MAX_SECONDS_ENV, "120"),
            (MAX_RUNNING_JOBS_PER_ACCOUNT_ENV, "1"),
        ]),
    )
    .unwrap();
    assert_eq!(
        from_env.work,
        WorkLimits {
            run_max_pages: 20,
            run_max_seconds: 120,
            max_running_jobs_per_account: 1,
        }
    );
    for name in [
        RUN_MAX_PAGES_ENV,
        RUN_MAX_SECONDS_ENV,
        MAX_RUNNING_JOBS_PER_ACCOUNT_ENV,
        CRM_MAX_RESPONSE_BYTES_ENV,
    ] {
        let err = Config::load_with(None, env_of(&[(name, "0")])).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
    }
    let path = temp_file("zero-work.toml", "run_max_seconds = 0\n");
    let err = Config::load_with(Some(&path), env_of(&[])).unwrap_err();
    assert!(err.to_string().contains("run_max_seconds"), "{err}");
}

#[test]
fn crm_limits_below_one_or_not_numbers_name_the_setting() {
    for (name, value) in [
        (CRM_REQUESTS_PER_SECOND_ENV, "0"),
        (CRM_BURST_ENV, "-1"),
        (CRM_CONCURRENCY_ENV, "many"),
        (CRM_TIMEOUT_ENV, "1.5"),
        (CRM_ATTEMPTS_ENV, "0"),
    ] {
        let err = Config::load_with(None, env_of(&[(name, value)])).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
        assert!(err.to_string().contains(value), "{err}");
    }
    let path = temp_file("zero.toml", "crm_concurrency = 0\n");
    let err = Config::load_with(Some(&path), env_of(&[])).unwrap_err();
    assert!(err.to_string().contains("crm_concurrency"), "{err}");
}

#[test]
fn scheduler_tick_defaults_and_refuses_sub_second() {
    let config = Config::load_with(None, env_of(&[])).unwrap();
    assert_eq!(config.scheduler_tick_ms, DEFAULT_SCHEDULER_TICK_MS);
    let config = Config::load_with(None, env_of(&[(SCHEDULER_TICK_ENV, "1000")])).unwrap();
    assert_eq!(config.scheduler_tick_ms, 1000);
    let err = Config::load_with(None, env_of(&[(SCHEDULER_TICK_ENV, "200")])).unwrap_err();
    assert!(err.to_string().contains(SCHEDULER_TICK_ENV), "{err}");
    assert!(err.to_string().contains("1000"), "{err}");
}

#[test]
fn trusted_proxies_from_env_list_or_file_array_and_bad_entries_named() {
    let config = Config::load_with(None, env_of(&[])).unwrap();
    assert!(config.trusted_proxies.is_empty());
    let path = temp_file("proxies.toml", "trusted_proxies = [\"10.0.0.0/8\"]\n");
    let config = Config::load_with(Some(&path), env_of(&[])).unwrap();
    assert!(config.trusted_proxies.contains([10, 1, 2, 3].into()));
    let config = Config::load_with(
        Some(&path),
        env_of(&[(TRUSTED_PROXIES_ENV, "127.0.0.1, ::1,")]),
    )
    .unwrap();
    assert!(config.trusted_proxies.contains([127, 0, 0, 1].into()));
    assert!(
        !config.trusted_proxies.contains([10, 1, 2, 3].into()),
        "env wins"
    );
    let err =
        Config::load_with(None, env_of(&[(TRUSTED_PROXIES_ENV, "10.0.0.1,proxy")])).unwrap_err();
    assert!(err.to_string().contains(TRUSTED_PROXIES_ENV), "{err}");
    assert!(err.to_string().contains("'proxy'"), "{err}");
    let path = temp_file("bad-proxies.toml", "trusted_proxies = [\"10.0.0.0/40\"]\n");
    let err = Config::load_with(Some(&path), env_of(&[])).unwrap_err();
    assert!(err.to_string().contains("trusted_proxies"), "{err}");
}

#[test]
fn forwarded_header_defaults_to_x_forwarded_for_then_file_then_env() {
    let config = Config::load_with(None, env_of(&[])).unwrap();
    assert_eq!(config.forwarded_header, ForwardedHeader::XForwardedFor);
    let path = temp_file("header.toml", "forwarded_header = \"forwarded\"\n");
    let config = Config::load_with(Some(&path), env_of(&[])).unwrap();
    assert_eq!(config.forwarded_header, ForwardedHeader::Forwarded);
    let config = Config::load_with(
        Some(&path),
        env_of(&[(FORWARDED_HEADER_ENV, "X-Forwarded-For")]),
    )
    .unwrap();
    assert_eq!(
        config.forwarded_header,
        ForwardedHeader::XForwardedFor,
        "env wins"
    );
    let err = Config::load_with(None, env_of(&[(FORWARDED_HEADER_ENV, "x-real-ip")])).unwrap_err();
    assert!(err.to_string().contains(FORWARDED_HEADER_ENV), "{err}");
    assert!(err.to_string().contains("x-real-ip"), "{err}");
    let path = temp_file("bad-header.toml", "forwarded_header = \"both\"\n");
    let err = Config::load_with(Some(&path), env_of(&[])).unwrap_err();
    assert!(err.to_string().contains("forwarded_header"), "{err}");
}

#[test]
fn the_removed_allow_http_hosts_is_refused_naming_its_replacement() {
    let err = Config::load_with(
        None,
        env_of(&[(REMOVED_ALLOW_HTTP_HOSTS_ENV, "crm.internal")]),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("LISTBRIDGE_ALLOW_HTTP_HOSTS"), "{text}");
    assert!(text.contains("LISTBRIDGE_ALLOW_PRIVATE_HOSTS"), "{text}");
    assert!(text.contains("removed"), "{text}");
    assert!(
        Config::load_with(None, env_of(&[(REMOVED_ALLOW_HTTP_HOSTS_ENV, " ")])).is_ok(),
        "an empty value is as good as unset"
    );
}

#[test]
fn form_limits_from_file_then_env_at_least_one() {
    let config = Config::load_with(None, env_of(&[])).unwrap();
    assert_eq!(config.form_limits, FormLimitSettings::default());
    let path = temp_file(
        "forms.toml",
        "form_client_burst = 3\nform_client_per_minute = 4\n\
             form_per_form_burst = 5\nform_per_form_per_minute = 6\n",
    );
    let config =
        Config::load_with(Some(&path), env_of(&[(FORM_PER_FORM_PER_MINUTE_ENV, "60")])).unwrap();
    assert_eq!(
        config.form_limits,
        FormLimitSettings {
            client_burst: Some(3),
            client_per_minute: Some(4),
            per_form_burst: Some(5),
            per_form_per_minute: Some(60),
        }
    );
    for name in [
        FORM_CLIENT_BURST_ENV,
        FORM_CLIENT_PER_MINUTE_ENV,
        FORM_PER_FORM_BURST_ENV,
        FORM_PER_FORM_PER_MINUTE_ENV,
    ] {
        let err = Config::load_with(None, env_of(&[(name, "0")])).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn alert_form_rejections_per_hour_from_file_then_env_at_least_one() {
    let config = Config::load_with(None, env_of(&[])).unwrap();
    assert_eq!(config.alerts.form_rejections_per_hour, 20);
    let path = temp_file("alerts.toml", "alert_form_rejections_per_hour = 5\n");
    let config = Config::load_with(Some(&path), env_of(&[])).unwrap();
    assert_eq!(config.alerts.form_rejections_per_hour, 5);
    let config = Config::load_with(
        Some(&path),
        env_of(&[(ALERT_FORM_REJECTIONS_PER_HOUR_ENV, "7")]),
    )
    .unwrap();
    assert_eq!(config.alerts.form_rejections_per_hour, 7);
    let err =
        Config::load_with(None, env_of(&[(ALERT_FORM_REJECTIONS_PER_HOUR_ENV, "0")])).unwrap_err();
    assert!(
        err.to_string().contains(ALERT_FORM_REJECTIONS_PER_HOUR_ENV),
        "{err}"
    );
    let path = temp_file("alerts-zero.toml", "alert_form_rejections_per_hour = 0\n");
    let err = Config::load_with(Some(&path), env_of(&[])).unwrap_err();
    assert!(
        err.to_string().contains("alert_form_rejections_per_hour"),
        "{err}"
    );
}

#[test]
fn salesforce_pacing_from_file_then_env_as_a_percentage() {
    let config = Config::load_with(None, env_of(&[])).unwrap();
    assert_eq!(config.salesforce, SalesforceSettings::default());
    let path = temp_file(
        "salesforce.toml",
        "salesforce_slow_down_percent = 80\nsalesforce_slowed_interval_ms = 250\nsalesforce_bulk_threshold = 20000\n",
    );
    let config = Config::load_with(Some(&path), env_of(&[])).unwrap();
    assert_eq!(
        config.salesforce,
        SalesforceSettings {
            slow_down_percent: 80,
            slowed_interval_ms: 250,
            bulk_threshold: 20_000,
        }
    );
    let config = Config::load_with(
        Some(&path),
        env_of(&[
            (SALESFORCE_SLOW_DOWN_PERCENT_ENV, "95"),
            (SALESFORCE_BULK_THRESHOLD_ENV, "1000000"),
        ]),
    )
    .unwrap();
    assert_eq!(config.salesforce.slow_down_percent, 95);
    assert_eq!(config.salesforce.bulk_threshold, 1_000_000);
    let err = Config::load_with(None, env_of(&[(SALESFORCE_BULK_THRESHOLD_ENV, "0")])).unwrap_err();
    assert!(
        err.to_string().contains(SALESFORCE_BULK_THRESHOLD_ENV),
        "{err}"
    );
    for bad in ["0", "101"] {
        let err = Config::load_with(None, env_of(&[(SALESFORCE_SLOW_DOWN_PERCENT_ENV, bad)]))
            .unwrap_err();
        assert!(
            err.to_string().contains(SALESFORCE_SLOW_DOWN_PERCENT_ENV),
            "{err}"
        );
    }
    let path = temp_file(
        "salesforce-over.toml",
        "salesforce_slow_down_percent = 120\n",
    );
    let err = Config::load_with(Some(&path), env_of(&[])).unwrap_err();
    assert!(
        err.to_string().contains("salesforce_slow_down_percent"),
        "{err}"
    );
    assert!(err.to_string().contains("1 to 100"), "{err}");
}

#[test]
fn metrics_settings_from_file_then_env_validated_and_never_shown() {
    let config = Config::load_with(None, env_of(&[])).unwrap();
    assert!(config.metrics_token.is_none());
    assert!(config.metrics_bind.is_none());
    let path = temp_file(
        "metrics.toml",
        "metrics_token = \"file-token-0123456789\"\nmetrics_bind = \"127.0.0.1:9090\"\n",
    );
    let config = Config::load_with(Some(&path), env_of(&[])).unwrap();
    assert_eq!(
        config.metrics_token.as_ref().unwrap().expose_secret(),
        "file-token-0123456789"
    );
    assert_eq!(config.metrics_bind.unwrap().to_string(), "127.0.0.1:9090");
    let config = Config::load_with(
        Some(&path),
        env_of(&[
            (METRICS_TOKEN_ENV, "env-token-abcdefghijkl"),
            (METRICS_BIND_ENV, "127.0.0.1:9191"),
        ]),
    )
    .unwrap();
    assert_eq!(
        config.metrics_token.as_ref().unwrap().expose_secret(),
        "env-token-abcdefghijkl",
        "env wins"
    );
    assert_eq!(config.metrics_bind.unwrap().to_string(), "127.0.0.1:9191");
    assert!(!format!("{config:?}").contains("env-token"));

    for (name, value) in [
        (METRICS_TOKEN_ENV, "short-secret"),
        (METRICS_TOKEN_ENV, "has a space in it, long enough"),
        (METRICS_BIND_ENV, "nowhere"),
        (METRICS_BIND_ENV, DEFAULT_BIND),
    ] {
        let err = Config::load_with(None, env_of(&[(name, value)])).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
        if name == METRICS_TOKEN_ENV {
            assert!(
                !err.to_string().contains(value),
                "the token is shown: {err}"
            );
        }
    }
    let path = temp_file("bad-metrics.toml", "metrics_bind = \"9090\"\n");
    let err = Config::load_with(Some(&path), env_of(&[])).unwrap_err();
    assert!(err.to_string().contains("metrics_bind"), "{err}");
}

#[test]
fn debug_output_hides_the_master_key() {
    assert!(
        !format!(
            "{:?}",
            Config::load_with(None, env_of(&[(MASTER_KEY_ENV, "topsecret")])).unwrap()
        )
        .contains("topsecret")
    );
}
