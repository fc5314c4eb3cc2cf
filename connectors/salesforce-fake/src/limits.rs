//! The org's daily API request allowance: every REST request counts, every answer says
//! `Sforce-Limit-Info: api-usage=used/max`, and past the maximum the answer is 403
//! `REQUEST_LIMIT_EXCEEDED`.

use serde_json::{Value as Json, json};

/// Salesforce's default for a small org, used when no other maximum is set.
pub const DEFAULT_DAILY_MAX: u64 = 15_000;

/// Used and allowed API requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Limits {
    pub used: u64,
    pub max: u64,
}

impl Limits {
    pub(crate) fn new(max: u64) -> Limits {
        Limits { used: 0, max }
    }

    /// Counts one request; `false` when the allowance is used up (the request is
    /// refused and not counted).
    pub(crate) fn take(&mut self) -> bool {
        if self.used >= self.max {
            return false;
        }
        self.used += 1;
        true
    }

    /// The `Sforce-Limit-Info` header value.
    pub(crate) fn header(&self) -> String {
        format!("api-usage={}/{}", self.used, self.max)
    }

    /// The `/limits` resource's `DailyApiRequests` entry.
    pub(crate) fn resource(&self) -> Json {
        json!({
            "DailyApiRequests": {
                "Max": self.max,
                "Remaining": self.max.saturating_sub(self.used),
            }
        })
    }
}
