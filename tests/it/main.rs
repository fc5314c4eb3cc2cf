//! listbridge's integration tests, one binary: the service is started for real (HTTP on
//! loopback, SQLite or PostgreSQL) and driven the way a client, a browser or an operator
//! would. One binary links once, and one `support` module holds every shared helper.
//! It passes under `cargo test` (every test a thread of one process) and under nextest
//! (each test its own process): what is process-wide (the log capture, the metrics
//! recorder) is installed once, and tests that read it look for their own values.

mod support;

mod account_settings_api;
mod accounts;
mod alerts_api;
mod alerts_forms;
mod alerts_jobs;
mod alerts_streak;
mod bounded_work;
mod callers_dtmf;
mod callers_interactions;
mod callers_interactions_crash;
mod callers_keys;
mod callers_lookup;
mod callers_lookup_contract;
mod callers_phones;
mod callers_routing;
mod connectors_api;
mod connectors_delete;
mod connectors_limits;
mod connectors_logs;
mod connectors_two_crms;
mod console_auth;
mod console_browser;
mod console_browser_callers;
mod console_browser_forms_invites;
mod console_browser_sync;
mod console_callers;
mod console_campaigns;
mod console_connectors;
mod console_forms;
mod console_jobs;
mod console_list_page;
mod console_list_settings;
mod console_lists;
mod console_people;
mod console_runs;
mod console_schedules;
mod console_segments;
mod console_sync;
mod console_upload;
mod conversions_api;
mod conversions_flow;
mod conversions_kill;
mod conversions_sftp;
mod crm_neutral;
#[cfg(feature = "demo")]
mod demo;
mod forms_bad_inputs;
mod forms_flow;
mod forms_outage;
mod forms_proxy;
mod jobs_queue;
mod lists_api;
mod lists_import;
mod lists_resume;
mod lists_segments;
mod lists_upload;
mod log_hygiene;
mod logging;
mod metrics;
mod notes_flow;
mod notes_resume;
mod openapi_contract;
mod openapi_routes;
mod outbound_guard;
mod props_csv_upload;
mod props_recurrence;
mod runs_exclusive;
mod salesforce_allowance;
mod salesforce_flow;
mod salesforce_sync;
mod schedules_firing;
mod schedules_instances;
mod schedules_limit;
mod schedules_processes;
mod service_kill;
mod startup;
mod store;
mod sync_conflicts;
mod sync_dry_run;
mod sync_faults;
mod sync_flow;
mod sync_matching;
mod sync_pull;
mod sync_push;
mod sync_rejections;
mod sync_resume;
mod sync_setup_api;
mod sync_toggles;
mod upload_limits;
