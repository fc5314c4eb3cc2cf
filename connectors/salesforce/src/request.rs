//! What the transport sends and answers: a [`Request`] reusable across attempts, the
//! [`Reply`] of a status that is not retried, and the [`Failure`] of one that produced
//! none (telling a definite error from a create whose outcome is unknown).

use listbridge_connector::ConnectorError;
use reqwest::{Method, StatusCode};
use url::Url;

/// One request, reusable across attempts.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: Method,
    pub url: Url,
    /// `(content type, body)`.
    pub body: Option<(&'static str, String)>,
    /// The sObject (or resource) for logs: `Lead`, `Task`, `versions`.
    pub sobject: &'static str,
    /// Safe to repeat when its outcome is unknown (GET, PATCH); false for creates.
    pub idempotent: bool,
    /// `Sforce-Query-Options: batchSize=N`.
    pub batch_size: Option<u32>,
}

impl Request {
    /// A GET of `url`.
    pub fn get(url: Url, sobject: &'static str) -> Request {
        Request {
            method: Method::GET,
            url,
            body: None,
            sobject,
            idempotent: true,
            batch_size: None,
        }
    }

    /// A request with a JSON body.
    pub fn json(
        method: Method,
        url: Url,
        sobject: &'static str,
        body: &serde_json::Value,
    ) -> Request {
        Request {
            idempotent: method != Method::POST,
            method,
            url,
            body: Some(("application/json", body.to_string())),
            sobject,
            batch_size: None,
        }
    }
}

/// A response that reached us whole with a status that is not retried.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: String,
    /// `Sforce-Locator`: where a Bulk API 2.0 job's next results page starts (`null`
    /// after the last).
    pub locator: Option<String>,
}

/// Why a request did not produce a reply.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A definite error (not retryable, or retries exhausted).
    Final(ConnectorError),
    /// A create failed in a way that leaves open whether Salesforce applied it.
    Unknown(ConnectorError),
}

impl Failure {
    /// The error, whichever kind of failure it was.
    pub fn into_error(self) -> ConnectorError {
        match self {
            Failure::Final(e) | Failure::Unknown(e) => e,
        }
    }
}
