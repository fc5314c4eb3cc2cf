//! The names and labels of the series every connector records about its CRM requests,
//! shared so that connector crates (which record them through the `metrics` facade) and
//! the service (which describes and serves them on `/metrics`) agree without one
//! depending on the other. Labels hold fixed words only: never a URL, an account or a
//! record.

/// Counter: CRM request attempts, by [`CONNECTOR`], [`METHOD`] and [`STATUS`].
pub const CRM_REQUESTS: &str = "listbridge_crm_requests_total";
/// Histogram (seconds): how long each CRM request attempt took, sending to the last byte
/// of the answer, by [`CONNECTOR`], [`METHOD`] and [`STATUS`].
pub const CRM_REQUEST_DURATION: &str = "listbridge_crm_request_duration_seconds";
/// Histogram (seconds): how long each request waited for the connector's rate limit
/// (its request budget) before it could be sent, by [`CONNECTOR`].
pub const CRM_RATE_LIMIT_WAIT: &str = "listbridge_crm_rate_limit_wait_seconds";

/// Label: the connector kind (`infor-crm`).
pub const CONNECTOR: &str = "connector";
/// Label: the HTTP method sent (`GET`, `POST`, …).
pub const METHOD: &str = "method";
/// Label: the HTTP status answered (`200`, `503`, …), or [`STATUS_TRANSPORT_ERROR`] /
/// [`STATUS_TOO_LARGE`] when no whole answer came.
pub const STATUS: &str = "status";
/// [`STATUS`] of an attempt that got no answer (no connection, a timeout, a dropped
/// connection, a host the outbound guard refused).
pub const STATUS_TRANSPORT_ERROR: &str = "transport_error";
/// [`STATUS`] of an attempt whose answer passed the response size cap.
pub const STATUS_TOO_LARGE: &str = "too_large";
