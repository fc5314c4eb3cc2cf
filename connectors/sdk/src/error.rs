//! Typed connector errors: the engine decides retry, park or fail from the variant alone.

use std::time::Duration;

use crate::model::CrmRecord;

/// Shorthand for connector results.
pub type ConnectorResult<T> = Result<T, ConnectorError>;

/// Why a CRM call failed. Messages carry the CRM's own words where it gave any,
/// and never a credential.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectorError {
    /// The CRM refused the credentials (bad user or password, expired password).
    #[error("the CRM refused the login: {message}")]
    Auth {
        /// The CRM's explanation.
        message: String,
    },
    /// The host could not be reached (DNS, refused connection, TLS).
    #[error("the CRM at {url} could not be reached: {message}")]
    Unreachable {
        /// The base URL tried (no credentials in it).
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The URL answered, but not as the CRM's API (an HTML page, another service).
    #[error("{url} does not answer as an SData endpoint: {message}")]
    NotCrmEndpoint {
        /// The base URL tried.
        url: String,
        /// What was seen instead.
        message: String,
    },
    /// The record does not exist (any more).
    #[error("{entity} {key} was not found in the CRM")]
    NotFound {
        /// Entity name.
        entity: String,
        /// CRM key.
        key: String,
    },
    /// A conditional write found a newer version; `current` is that version when the CRM sent it.
    #[error("{entity} {key} was changed in the CRM since it was read (stale etag)")]
    Conflict {
        /// Entity name.
        entity: String,
        /// CRM key.
        key: String,
        /// The current record, as returned with the 412.
        current: Option<Box<CrmRecord>>,
    },
    /// The CRM asked us to slow down.
    #[error("the CRM is rate limiting requests{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// How long the CRM asked us to wait.
        retry_after: Option<Duration>,
    },
    /// A failure that may pass: 5xx, timeout, dropped connection, malformed body.
    #[error("temporary CRM failure: {message}")]
    Transient {
        /// What happened.
        message: String,
    },
    /// The CRM rejected this record permanently (validation, too long, missing
    /// required field). Reported per record with the CRM's text; not retried.
    #[error("the CRM rejected the record: {message}")]
    Rejected {
        /// The CRM's own message.
        message: String,
    },
    /// The CRM's allowance of API requests (an org's daily limit) is used up: every
    /// request is refused until it frees up, hours later. Not retried by the call or by
    /// a run, which stops with this reason rather than spend retries on a budget that is
    /// gone; work that must not be lost (form and note deliveries) waits for the
    /// allowance instead ([`ConnectorError::is_allowance_used_up`]).
    #[error("the CRM's API request allowance is used up: {message}")]
    AllowanceUsedUp {
        /// What the CRM said, with its usage figures when it sent them.
        message: String,
    },
    /// The outbound guard refused the address before anything was sent: a private,
    /// loopback or link-local host, or a name that does not resolve (one message for
    /// all, so a refusal maps nothing). Not retried, except a name that did not resolve
    /// (`lookup_failed`): a DNS failure may pass, so it is transient like
    /// [`ConnectorError::Unreachable`].
    #[error(transparent)]
    Outbound(#[from] crate::OutboundError),
    /// The request was invalid before it was sent (unknown field, bad value for a type).
    #[error("invalid request: {message}")]
    Invalid {
        /// Names the field and the problem.
        message: String,
    },
    /// The CRM's answer was larger than the most a connector reads of one response, so
    /// a broken or hostile server cannot exhaust the service's memory. Reading stopped
    /// at the cap; asking again would get the same answer, so it is not retried.
    #[error(
        "the CRM's answer is larger than {}, the most listbridge reads of one response (crm_max_response_bytes)",
        byte_size(*limit_bytes)
    )]
    ResponseTooLarge {
        /// The cap in force, in bytes.
        limit_bytes: u64,
    },
    /// A paged read was sent back to a page it had already read: following the links
    /// would read the same pages forever. Not retried: the CRM would send them again.
    #[error("the CRM's {resource} feed pages link back to a page already read")]
    PagingLoop {
        /// The resource read (`leads`, `contacts`).
        resource: String,
    },
}

/// A byte count as a person reads it: whole MiB or KiB when exact, else bytes.
fn byte_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

impl ConnectorError {
    /// The variant as a short fixed word (`rejected`, `rate-limited`…), for logs at info
    /// and above: the messages carry the CRM's own words, which may quote a record
    /// (emails, names), so they are logged at debug only.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectorError::Auth { .. } => "auth",
            ConnectorError::Unreachable { .. } => "unreachable",
            ConnectorError::NotCrmEndpoint { .. } => "not-sdata",
            ConnectorError::NotFound { .. } => "not-found",
            ConnectorError::Conflict { .. } => "conflict",
            ConnectorError::RateLimited { .. } => "rate-limited",
            ConnectorError::Transient { .. } => "transient",
            ConnectorError::Rejected { .. } => "rejected",
            ConnectorError::Invalid { .. } => "invalid",
            ConnectorError::ResponseTooLarge { .. } => "too-large",
            ConnectorError::PagingLoop { .. } => "paging-loop",
            ConnectorError::AllowanceUsedUp { .. } => "allowance-used-up",
            ConnectorError::Outbound(_) => "address-refused",
        }
    }

    /// Whether the CRM refused the call because its API allowance is used up: worth
    /// trying again only once the allowance frees up (hours), not with a run's backoff.
    pub fn is_allowance_used_up(&self) -> bool {
        matches!(self, ConnectorError::AllowanceUsedUp { .. })
    }

    /// Whether work that must not be lost (a form or note delivery) should wait and try
    /// again rather than give up: the failure may pass soon, or the CRM's allowance
    /// frees up later.
    pub fn may_pass(&self) -> bool {
        self.is_transient() || self.is_allowance_used_up()
    }

    /// True for failures worth retrying later (the same call may succeed): a host name
    /// that did not resolve counts, as DNS failures pass; one that resolved to a
    /// refused address does not.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ConnectorError::Transient { .. }
                | ConnectorError::RateLimited { .. }
                | ConnectorError::Unreachable { .. }
                | ConnectorError::Outbound(crate::OutboundError::NotAllowed {
                    lookup_failed: true,
                    ..
                })
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_cap_is_named_with_its_setting_and_not_retried() {
        let err = ConnectorError::ResponseTooLarge {
            limit_bytes: 32 * 1024 * 1024,
        };
        let text = err.to_string();
        assert!(text.contains("32 MiB"), "{text}");
        assert!(text.contains("crm_max_response_bytes"), "{text}");
        assert!(!err.is_transient());
        let odd = ConnectorError::ResponseTooLarge { limit_bytes: 1500 };
        assert!(odd.to_string().contains("1500 bytes"), "{odd}");
        let loops = ConnectorError::PagingLoop {
            resource: "leads".into(),
        };
        assert!(!loops.is_transient());
        assert!(loops.to_string().contains("leads feed"), "{loops}");
    }

    #[test]
    fn a_used_up_allowance_is_not_retried_soon_but_is_told_apart() {
        let err = ConnectorError::AllowanceUsedUp {
            message: "REQUEST_LIMIT_EXCEEDED".into(),
        };
        assert!(!err.is_transient(), "a run stops instead of retrying");
        assert!(err.is_allowance_used_up());
        assert!(err.may_pass(), "deliveries wait for it");
        assert!(!ConnectorError::RateLimited { retry_after: None }.is_allowance_used_up());
        assert_eq!(err.kind(), "allowance-used-up");
        assert!(err.to_string().contains("allowance is used up"), "{err}");
    }

    #[test]
    fn a_name_that_did_not_resolve_is_retried_under_the_same_words() {
        let unresolved = ConnectorError::Outbound(crate::OutboundError::NotAllowed {
            url: "https://crm.example.test/".into(),
            lookup_failed: true,
        });
        let private = ConnectorError::Outbound(crate::OutboundError::NotAllowed {
            url: "https://crm.example.test/".into(),
            lookup_failed: false,
        });
        assert!(unresolved.is_transient(), "a DNS failure may pass");
        assert!(!private.is_transient(), "a private address stays private");
        assert_eq!(unresolved.to_string(), private.to_string(), "one message");
        assert_eq!(unresolved.kind(), private.kind());
    }
}
