//! The app's services as tests choose them: fast workers and high intake limits for
//! bulk tests, no workers for tests that only look at what is queued, and workers that
//! take a dead instance's jobs over quickly for tests that kill one.

use std::time::Duration;

use listbridge::{
    app::Services,
    forms::{IntakeLimits, RateQuota},
    jobs::WorkerConfig,
};

/// Services with workers that poll every 20 ms and intake limits high enough for bulk
/// tests (rate-limit tests lower them).
pub fn fast_services() -> Services {
    Services {
        workers: WorkerConfig {
            workers: 4,
            poll: Duration::from_millis(20),
            ..WorkerConfig::default()
        },
        form_intake: IntakeLimits {
            per_client: RateQuota {
                per_minute: 100_000,
                burst: 10_000,
            },
            per_form: RateQuota {
                per_minute: 100_000,
                burst: 10_000,
            },
            ..IntakeLimits::default()
        },
        ..Services::default()
    }
}

/// No job workers: what is queued stays queued until the test runs it.
pub fn no_workers() -> WorkerConfig {
    WorkerConfig {
        workers: 0,
        ..WorkerConfig::default()
    }
}

/// An app that answers the API and runs no jobs.
pub fn api_only() -> Services {
    Services {
        workers: no_workers(),
        ..Services::default()
    }
}

/// Two workers named `name` whose jobs another instance takes over two seconds after
/// they die.
pub fn takeover_workers(name: &str) -> WorkerConfig {
    WorkerConfig {
        workers: 2,
        lease: chrono::Duration::seconds(2),
        poll: Duration::from_millis(50),
        worker_id: name.into(),
        ..WorkerConfig::default()
    }
}
