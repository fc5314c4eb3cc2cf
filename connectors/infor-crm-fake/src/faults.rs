//! Fault injection: latency, error statuses (500/503/429 + Retry-After), hangs past a
//! client's timeout, dropped connections, truncated or malformed bodies, oversized
//! bodies, feed pages that link back to each other, and a requests-per-second cap.
//!
//! Faults are deterministic when needed: rules fire on "the next N matching requests"
//! or always, and rates draw from an RNG seeded by [`FaultConfig::seed`].

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

/// The fault settings of a server; set at start or at run time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Seed for rate-based rules and latency jitter.
    pub seed: u64,
    /// Latency added to every `/sdata` request.
    pub latency_ms: u64,
    /// Extra random latency, uniform in `0..=latency_jitter_ms`.
    pub latency_jitter_ms: u64,
    /// At most this many `/sdata` requests per second; the excess gets 429 +
    /// `Retry-After: 1` (or [`FaultConfig::rps_cap_status`]).
    pub rps_cap: Option<u32>,
    /// The status for requests over the cap (429 or 503); default 429.
    pub rps_cap_status: Option<u16>,
    /// Rules checked in order for each `/sdata` request; the first that fires wins
    /// (latency rules add up and let later rules fire too).
    pub rules: Vec<FaultRule>,
}

/// One fault and when it applies.
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
    /// Only requests with this method (`GET`, `POST`, `PUT`, `DELETE`).
    #[serde(default)]
    pub method: Option<String>,
    /// Only requests to this resource kind (`leads`, `$service/getCurrentUser`).
    #[serde(default)]
    pub kind: Option<String>,
    /// Only requests whose decoded `where` contains this text (case-insensitively), e.g.
    /// `Id gt` for the pages a keyset read asks for after its first: a server that
    /// refuses a clause, without refusing every read.
    #[serde(default)]
    pub where_contains: Option<String>,
}

impl FaultRule {
    /// A rule that fires on every matching request.
    pub fn always(fault: Fault) -> FaultRule {
        FaultRule {
            fault,
            rate: None,
            next: None,
            method: None,
            kind: None,
            where_contains: None,
        }
    }

    /// A rule that fires on the next `n` matching requests.
    pub fn next(n: u32, fault: Fault) -> FaultRule {
        FaultRule {
            next: Some(n),
            ..FaultRule::always(fault)
        }
    }

    /// A rule that fires with probability `rate`.
    pub fn rate(rate: f64, fault: Fault) -> FaultRule {
        FaultRule {
            rate: Some(rate),
            ..FaultRule::always(fault)
        }
    }

    /// Restricts the rule to one method.
    pub fn with_method(mut self, method: &str) -> FaultRule {
        self.method = Some(method.to_string());
        self
    }

    /// Restricts the rule to one resource kind.
    pub fn with_kind(mut self, kind: &str) -> FaultRule {
        self.kind = Some(kind.to_string());
        self
    }

    /// Restricts the rule to requests whose `where` contains `text`.
    pub fn with_where_containing(mut self, text: &str) -> FaultRule {
        self.where_contains = Some(text.to_string());
        self
    }

    fn applies(&self, method: &str, kind: &str, where_clause: Option<&str>) -> bool {
        let wanted = |text: &str| {
            where_clause.is_some_and(|w| w.to_lowercase().contains(&text.to_lowercase()))
        };
        self.where_contains.as_deref().is_none_or(wanted)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .kind
                .as_deref()
                .is_none_or(|k| k.eq_ignore_ascii_case(kind))
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
    /// Answer with an error status and an SData diagnosis, without processing.
    Status {
        /// 500, 503, 429, …
        status: u16,
        /// Seconds for a `Retry-After` header.
        #[serde(default)]
        retry_after: Option<u64>,
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
    /// Send the headers and half the body, then close the connection.
    Truncate,
    /// Answer 200 with a syntactically broken body of the right length.
    Malformed,
    /// Answer 200 with `bytes` bytes of whitespace, streamed as the client reads, to
    /// test a client's response size cap. With `announce` the length is sent first as
    /// `Content-Length`; without, the body is chunked and only its size tells.
    Oversized {
        /// How many bytes the body has.
        bytes: u64,
        /// Send `Content-Length` up front.
        #[serde(default)]
        announce: bool,
    },
    /// Answer normally, except that a feed page after the first links `next` back to the
    /// first page: two pages that link to each other, read for ever by a client that
    /// does not remember the pages it read.
    NextLoop,
}

/// What to do with one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    pub delay: Duration,
    pub over_cap: Option<u16>,
    pub fault: Option<Fault>,
}

/// The live fault state: configuration, RNG and the rate window.
#[derive(Debug)]
pub(crate) struct Engine {
    config: FaultConfig,
    rng: StdRng,
    window: Option<(Instant, u32)>,
}

impl Engine {
    pub(crate) fn new(config: FaultConfig) -> Engine {
        let rng = StdRng::seed_from_u64(config.seed);
        Engine {
            config,
            rng,
            window: None,
        }
    }

    pub(crate) fn config(&self) -> &FaultConfig {
        &self.config
    }

    /// Decides the faults for one request and updates counters.
    pub(crate) fn decide(
        &mut self,
        method: &str,
        kind: &str,
        where_clause: Option<&str>,
        now: Instant,
    ) -> Decision {
        let mut d = Decision {
            delay: Duration::from_millis(self.config.latency_ms),
            ..Decision::default()
        };
        if self.config.latency_jitter_ms > 0 {
            d.delay +=
                Duration::from_millis(self.rng.random_range(0..=self.config.latency_jitter_ms));
        }
        if let Some(cap) = self.config.rps_cap {
            let (start, count) = match self.window {
                Some((start, count)) if now.duration_since(start) < Duration::from_secs(1) => {
                    (start, count)
                }
                _ => (now, 0),
            };
            self.window = Some((start, count + 1));
            if count >= cap {
                d.over_cap = Some(self.config.rps_cap_status.unwrap_or(429));
                return d;
            }
        }
        for rule in &mut self.config.rules {
            if !rule.applies(method, kind, where_clause) {
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
        .with_method("GET")
        .with_kind("leads");
        let mut e = Engine::new(FaultConfig {
            rules: vec![rule],
            ..FaultConfig::default()
        });
        let now = Instant::now();
        assert!(e.decide("POST", "leads", None, now).fault.is_none());
        assert!(e.decide("GET", "contacts", None, now).fault.is_none());
        assert!(e.decide("GET", "leads", None, now).fault.is_some());
        assert!(e.decide("get", "Leads", None, now).fault.is_some());
        assert!(e.decide("GET", "leads", None, now).fault.is_none());
        assert!(e.config().rules.is_empty());
    }

    #[test]
    fn where_rules_fire_only_on_reads_whose_where_contains_the_text() {
        let rule = FaultRule::always(Fault::Status {
            status: 400,
            retry_after: None,
        })
        .with_where_containing("Id gt");
        let mut e = Engine::new(FaultConfig {
            rules: vec![rule],
            ..FaultConfig::default()
        });
        let now = Instant::now();
        let keyset = "(ModifyDate gt @2024-01-01T00:00:00Z@ or (ModifyDate eq @2024-01-01T00:00:00Z@ and ID GT 'Q1'))";
        assert!(e.decide("GET", "leads", None, now).fault.is_none());
        let first = Some("ModifyDate gt @2024-01-01T00:00:00Z@");
        assert!(e.decide("GET", "leads", first, now).fault.is_none());
        assert!(e.decide("GET", "leads", Some(keyset), now).fault.is_some());
    }

    #[test]
    fn rates_are_reproducible_from_the_seed() {
        let config = FaultConfig {
            seed: 9,
            rules: vec![FaultRule::rate(
                0.5,
                Fault::Status {
                    status: 500,
                    retry_after: None,
                },
            )],
            ..FaultConfig::default()
        };
        let run = || {
            let mut e = Engine::new(config.clone());
            (0..64)
                .map(|_| {
                    e.decide("GET", "leads", None, Instant::now())
                        .fault
                        .is_some()
                })
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let hits = a.iter().filter(|x| **x).count();
        assert!((16..48).contains(&hits), "{hits} of 64");
    }

    #[test]
    fn the_rate_cap_refuses_the_excess_within_a_second() {
        let mut e = Engine::new(FaultConfig {
            rps_cap: Some(2),
            ..FaultConfig::default()
        });
        let t = Instant::now();
        assert_eq!(e.decide("GET", "leads", None, t).over_cap, None);
        assert_eq!(e.decide("GET", "leads", None, t).over_cap, None);
        assert_eq!(e.decide("GET", "leads", None, t).over_cap, Some(429));
        let later = t + Duration::from_millis(1_100);
        assert_eq!(e.decide("GET", "leads", None, later).over_cap, None);
    }

    #[test]
    fn configs_read_from_json() {
        let text = r#"{"latency_ms":5,"rules":[{"fault":{"type":"drop"},"next":1,"method":"POST"},
            {"fault":{"type":"status","status":429,"retry_after":2},"rate":0.1}]}"#;
        let parsed: Result<FaultConfig, _> = serde_json::from_str(text);
        let Ok(config) = parsed else {
            panic!("valid JSON: {parsed:?}");
        };
        assert_eq!(config.rules[0].fault, Fault::Drop { apply: true });
        assert_eq!(config.rules[1].rate, Some(0.1));
    }

    #[test]
    fn oversized_and_next_loop_faults_read_from_json() {
        let text = r#"{"rules":[{"fault":{"type":"oversized","bytes":1024},"kind":"leads"},
            {"fault":{"type":"oversized","bytes":9,"announce":true}},
            {"fault":{"type":"next_loop"}}]}"#;
        let parsed: Result<FaultConfig, _> = serde_json::from_str(text);
        let Ok(config) = parsed else {
            panic!("valid JSON: {parsed:?}");
        };
        assert_eq!(
            config.rules[0].fault,
            Fault::Oversized {
                bytes: 1024,
                announce: false
            }
        );
        assert_eq!(
            config.rules[1].fault,
            Fault::Oversized {
                bytes: 9,
                announce: true
            }
        );
        assert_eq!(config.rules[2].fault, Fault::NextLoop);
    }
}
