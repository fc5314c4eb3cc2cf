//! The names and label values of the service's own series, in one place so the
//! recording sites, the descriptions and the sample Grafana dashboard
//! (`ops/grafana/listbridge.json`) agree. The CRM request series are named by the SDK
//! ([`listbridge_connector::metric_names`]), as connector crates record them.

/// Counter: runs that started executing (a resumed run is not counted again), by `kind`
/// (`import`, `sync`) and `trigger` (`manual`, `schedule`).
pub const RUNS_STARTED: &str = "listbridge_runs_started_total";
/// Counter: runs that ended, by `kind`, `trigger` and `outcome` (`succeeded`,
/// `completed_with_errors`, `failed`).
pub const RUNS_FINISHED: &str = "listbridge_runs_finished_total";
/// Counter: records of ended runs, by `kind` and `outcome`: the run report's counts
/// (`read`, `pulled_new`, `pulled_updated`, `pushed_new`, `pushed_updated`, `unchanged`,
/// `conflicts`, `failed`, `invalid`, `duplicates`, `parked`, `skipped`, `filled`,
/// `followed`).
pub const RUN_RECORDS: &str = "listbridge_run_records_total";
/// Counter: form submissions stored for delivery.
pub const FORM_ACCEPTED: &str = "listbridge_form_submissions_accepted_total";
/// Counter: form submissions refused, by `reason` (see [`crate::metrics::record::FormRefusal`]).
pub const FORM_REFUSED: &str = "listbridge_form_submissions_refused_total";
/// Counter: CRM notes ("message sent" events and call notes), by `outcome` (`written`,
/// `failed`).
pub const NOTES: &str = "listbridge_notes_total";
/// Gauge: jobs waiting for a worker (queued, or failed and waiting to retry), by `kind`.
pub const JOBS_WAITING: &str = "listbridge_jobs_waiting";
/// Gauge (seconds): how long the oldest due waiting job has been due, by `kind`; 0 when
/// none is due.
pub const JOBS_OLDEST_WAITING_AGE: &str = "listbridge_jobs_oldest_waiting_age_seconds";

/// Gauge (seconds): user and system CPU time the process has used.
pub const PROCESS_CPU: &str = "process_cpu_seconds_total";
/// Gauge (bytes): resident memory.
pub const PROCESS_RESIDENT_MEMORY: &str = "process_resident_memory_bytes";
/// Gauge (bytes): virtual memory.
pub const PROCESS_VIRTUAL_MEMORY: &str = "process_virtual_memory_bytes";
/// Gauge: open file descriptors (sockets included).
pub const PROCESS_OPEN_FDS: &str = "process_open_fds";
/// Gauge: operating-system threads.
pub const PROCESS_THREADS: &str = "process_threads";
/// Gauge (seconds since the Unix epoch): when the metrics recorder was installed, at
/// start-up.
pub const PROCESS_START_TIME: &str = "process_start_time_seconds";
