//! The process-wide Prometheus recorder, installed once: every app built in the same
//! process (the library's tests build many) shares it and renders the same series.

use std::{
    sync::OnceLock,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use listbridge_connector::metric_names as crm;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::names;

/// Histogram buckets (seconds) of the `_seconds` histograms: CRM requests take from a
/// few milliseconds to the 30 s timeout; rate limit waits from nothing to seconds.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often histogram samples are folded into their buckets between scrapes, so they
/// never pile up in memory while nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The handle of the process's recorder, installing it (with the series' descriptions
/// and an upkeep thread) on the first call. Should another recorder already be
/// installed globally, the handle still renders (nothing recorded) and a warning says so.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            // Fails only for empty buckets; then histograms are rendered as summaries.
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_string()), SECONDS_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if ::metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics stays empty");
            }
            describe();
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".to_string())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        upkeep.run_upkeep();
                    }
                });
            if spawned.is_err() {
                tracing::warn!("no metrics upkeep thread; histograms are folded at scrapes");
            }
            handle
        })
        .clone()
}

/// Help texts and units of every series, and the start time.
fn describe() {
    describe_counter!(names::RUNS_STARTED, "Runs that started executing");
    describe_counter!(names::RUNS_FINISHED, "Runs that ended, by outcome");
    describe_counter!(names::RUN_RECORDS, "Records of ended runs, by outcome");
    describe_counter!(names::FORM_ACCEPTED, "Form submissions stored for delivery");
    describe_counter!(names::FORM_REFUSED, "Form submissions refused, by reason");
    describe_counter!(names::NOTES, "CRM notes written or failed");
    describe_gauge!(names::JOBS_WAITING, "Jobs waiting for a worker");
    describe_gauge!(
        names::JOBS_OLDEST_WAITING_AGE,
        Unit::Seconds,
        "How long the oldest due waiting job has been due"
    );
    describe_counter!(crm::CRM_REQUESTS, "CRM request attempts");
    describe_histogram!(
        crm::CRM_REQUEST_DURATION,
        Unit::Seconds,
        "Duration of CRM request attempts"
    );
    describe_histogram!(
        crm::CRM_RATE_LIMIT_WAIT,
        Unit::Seconds,
        "Time CRM requests waited for the connector's rate limit"
    );
    describe_gauge!(
        names::PROCESS_CPU,
        Unit::Seconds,
        "User and system CPU time"
    );
    describe_gauge!(
        names::PROCESS_RESIDENT_MEMORY,
        Unit::Bytes,
        "Resident memory"
    );
    describe_gauge!(names::PROCESS_VIRTUAL_MEMORY, Unit::Bytes, "Virtual memory");
    describe_gauge!(names::PROCESS_OPEN_FDS, "Open file descriptors");
    describe_gauge!(names::PROCESS_THREADS, "Operating-system threads");
    describe_gauge!(
        names::PROCESS_START_TIME,
        Unit::Seconds,
        "Start time of the process since the Unix epoch"
    );
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    ::metrics::gauge!(names::PROCESS_START_TIME).set(started);
}
