//! What the transport tells `/metrics` about each CRM request: attempts by method and
//! status with their duration, and the time spent waiting for the request budget.
//! Recorded through the `metrics` facade under the SDK's shared names
//! ([`listbridge_connector::metric_names`]); without an installed recorder (a library
//! user, a unit test) each call costs next to nothing.

use std::time::Duration;

use listbridge_connector::metric_names as names;
use reqwest::{Method, StatusCode};

use crate::KIND;

/// How one attempt ended, for its [`names::STATUS`] label.
pub(crate) enum AttemptEnd {
    /// The CRM answered with this status.
    Answered(StatusCode),
    /// No answer: the transport failed.
    TransportError,
    /// The answer passed the response size cap.
    TooLarge,
}

/// Records one attempt of `method` that took `elapsed` and ended as `end`.
pub(crate) fn attempt(method: &Method, end: AttemptEnd, elapsed: Duration) {
    let status = match end {
        AttemptEnd::Answered(status) => status.as_str().to_string(),
        AttemptEnd::TransportError => names::STATUS_TRANSPORT_ERROR.to_string(),
        AttemptEnd::TooLarge => names::STATUS_TOO_LARGE.to_string(),
    };
    let labels = [
        (names::CONNECTOR, KIND.to_string()),
        (names::METHOD, method.as_str().to_string()),
        (names::STATUS, status),
    ];
    metrics::counter!(names::CRM_REQUESTS, &labels).increment(1);
    metrics::histogram!(names::CRM_REQUEST_DURATION, &labels).record(elapsed.as_secs_f64());
}

/// Records that a request waited `waited` for the rate limit before it was sent.
pub(crate) fn rate_limit_wait(waited: Duration) {
    metrics::histogram!(names::CRM_RATE_LIMIT_WAIT, names::CONNECTOR => KIND)
        .record(waited.as_secs_f64());
}
