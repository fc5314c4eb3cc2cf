//! Fault injection: latency, error statuses (500, 503, 429 with `Retry-After`), hangs
//! past a client's timeout, dropped connections, and "apply, then answer an error" (the
//! write happened but the client cannot know: a retry would create twice).
//!
//! Rules fire on "the next N matching requests" or always, or at a rate drawn from an
//! RNG seeded by [`FaultConfig::seed`], so runs are reproducible.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

/// The fault settings of a server; set at start or at run time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Seed for rate-based rules.
    pub seed: u64,
    /// Latency added to every request under `/services`.
    pub latency_ms: u64,
    /// Rules checked in order for each request; the first that fires wins (latency
    /// rules add up and let later rules fire too).
    pub rules: Vec<FaultRule>,
}

/// One fault and the requests it applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// What happens.
    pub fault: Fault,
    /// Probability per matching request (0..=1); absent = every matching request.
    #[serde(default)]
    pub rate: Option<f64>,
    /// Fire on the next N matching requests only, then retire the rule.
    #[serde(default)]
    pub next: Option<u32>,
    /// Only requests with this method.
    #[serde(default)]
    pub method: Option<String>,
    /// Only requests whose path contains this text (`/composite/sobjects`, `/query`,
    /// `/services/oauth2/token`).
    #[serde(default)]
    pub path_contains: Option<String>,
    /// Only requests concerning this sObject (`Lead`; for a query, its `FROM`).
    #[serde(default)]
    pub sobject: Option<String>,
}

impl FaultRule {
    /// A rule that fires on every matching request.
    pub fn always(fault: Fault) -> FaultRule {
        FaultRule {
            fault,
            rate: None,
            next: None,
            method: None,
            path_contains: None,
            sobject: None,
        }
    }

    /// A rule that fires on the next `n` matching requests.
    pub fn next(n: u32, fault: Fault) -> FaultRule {
        FaultRule {
            next: Some(n),
            ..FaultRule::always(fault)
        }
    }

    /// Restricts the rule to one method.
    pub fn with_method(mut self, method: &str) -> FaultRule {
        self.method = Some(method.to_string());
        self
    }

    /// Restricts the rule to paths containing `text`.
    pub fn with_path(mut self, text: &str) -> FaultRule {
        self.path_contains = Some(text.to_string());
        self
    }

    /// Restricts the rule to one sObject.
    pub fn with_sobject(mut self, sobject: &str) -> FaultRule {
        self.sobject = Some(sobject.to_string());
        self
    }

    fn applies(&self, method: &str, path: &str, sobject: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
            && self
                .sobject
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(sobject))
            && self.next != Some(0)
    }
}

fn default_hang_ms() -> u64 {
    300_000
}

fn yes() -> bool {
    true
}

/// A kind of fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Delay the request.
    Latency {
        /// How long.
        ms: u64,
    },
    /// Answer with an error status and a Salesforce error body, without processing.
    Status {
        /// 500, 503, 429, …
        status: u16,
        /// Seconds for a `Retry-After` header.
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Process the request (a write takes effect), then answer an error status instead
    /// of its result.
    ApplyThenStatus {
        /// The status answered, 500 by default.
        #[serde(default = "default_500")]
        status: u16,
    },
    /// Hold the response (past the client's timeout), then answer normally.
    Hang {
        /// How long to hold; default five minutes. Shutdown ends it early.
        #[serde(default = "default_hang_ms")]
        ms: u64,
        /// Process the request first (a write takes effect, its answer comes late).
        #[serde(default = "yes")]
        apply: bool,
    },
    /// Close the connection without any response.
    Drop {
        /// Process the request first (a write takes effect, its answer is lost).
        #[serde(default = "yes")]
        apply: bool,
    },
}

fn default_500() -> u16 {
    500
}

/// What to do with one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    pub delay: Duration,
    pub fault: Option<Fault>,
}

/// The live fault state: configuration and RNG.
#[derive(Debug)]
pub(crate) struct Engine {
    config: FaultConfig,
    rng: StdRng,
}

impl Engine {
    pub(crate) fn new(config: FaultConfig) -> Engine {
        let rng = StdRng::seed_from_u64(config.seed);
        Engine { config, rng }
    }

    pub(crate) fn config(&self) -> &FaultConfig {
        &self.config
    }

    /// Decides the faults for one request and counts down `next` rules.
    pub(crate) fn decide(&mut self, method: &str, path: &str, sobject: &str) -> Decision {
        let mut d = Decision {
            delay: Duration::from_millis(self.config.latency_ms),
            fault: None,
        };
        for rule in &mut self.config.rules {
            if !rule.applies(method, path, sobject) {
                continue;
            }
            if let Some(rate) = rule.rate
                && !self.rng.random_bool(rate.clamp(0.0, 1.0))
            {
                continue;
            }
            if let Some(n) = rule.next.as_mut() {
                *n -= 1;
            }
            match &rule.fault {
                Fault::Latency { ms } => d.delay += Duration::from_millis(*ms),
                other => {
                    d.fault = Some(other.clone());
                    break;
                }
            }
        }
        self.config.rules.retain(|r| r.next != Some(0));
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_n_rules_fire_n_times_on_matching_requests_only() {
        let rule = FaultRule::next(
            2,
            Fault::Status {
                status: 503,
                retry_after: Some(1),
            },
        )
        .with_method("POST")
        .with_path("/composite/sobjects");
        let mut e = Engine::new(FaultConfig {
            rules: vec![rule],
            ..FaultConfig::default()
        });
        let p = "/services/data/v62.0/composite/sobjects";
        assert!(e.decide("GET", p, "Lead").fault.is_none());
        assert!(
            e.decide("POST", "/services/data/v62.0/sobjects/Lead", "Lead")
                .fault
                .is_none()
        );
        assert!(e.decide("POST", p, "Lead").fault.is_some());
        assert!(e.decide("post", p, "Contact").fault.is_some());
        assert!(e.decide("POST", p, "Lead").fault.is_none());
        assert!(e.config().rules.is_empty());
    }

    #[test]
    fn configs_read_from_json() {
        let text = r#"{"latency_ms":5,"rules":[{"fault":{"type":"drop"},"next":1,"method":"POST"},
            {"fault":{"type":"apply_then_status"},"sobject":"Lead"},
            {"fault":{"type":"status","status":429,"retry_after":2},"rate":0.1}]}"#;
        let parsed: Result<FaultConfig, _> = serde_json::from_str(text);
        let Ok(config) = parsed else {
            panic!("valid JSON: {parsed:?}");
        };
        assert_eq!(config.rules[0].fault, Fault::Drop { apply: true });
        assert_eq!(
            config.rules[1].fault,
            Fault::ApplyThenStatus { status: 500 }
        );
        assert_eq!(config.rules[2].rate, Some(0.1));
    }
}
