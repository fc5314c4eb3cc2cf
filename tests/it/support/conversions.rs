//! What conversion export tests share: the fake call-tracking platform, closed-won
//! opportunities in the fake CRM, an export from the one to the other, and waiting for
//! its runs.

use call_tracking_fake::{FakePlatform, FakePlatformConfig, call_reference};
use infor_crm_fake::Kind;
use serde_json::{Map, Value, json};

use crate::support::{wait::until, world::World};

/// The platform's API token.
pub const TOKEN: &str = "ct-token-hunter4";

/// The fake platform, knowing `known` generated call references (`CR-000001`…).
pub async fn platform(known: usize) -> FakePlatform {
    FakePlatform::start(FakePlatformConfig {
        generated: known,
        token: TOKEN.into(),
        ..FakePlatformConfig::default()
    })
    .await
    .expect("the fake platform starts")
}

/// An opportunity's fields: won, 1500.50 GBP, closed at 10:15:30 New York time.
pub fn won(n: usize, reference: &str) -> Map<String, Value> {
    let fields = json!({
        "Description": format!("Deal {n}"),
        "Status": "Closed - Won",
        "ActualAmount": "1500.50",
        "ExchangeRateCode": "GBP",
        "ActualClose": "2026-12-04T10:15:30-05:00",
        "CallReference": reference,
    });
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Adds opportunities to the fake CRM; answers their keys in order.
pub fn add_opportunities(w: &World, records: &[Map<String, Value>]) -> Vec<String> {
    w.crm
        .state()
        .insert_records(Kind::Opportunity, records)
        .expect("opportunities inserted")
        .into_iter()
        .map(|r| r.key.to_string())
        .collect()
}

/// `known` won opportunities with the platform's references 1…`known`, then `unknown`
/// with references the platform does not know; answers their keys.
pub fn add_won(w: &World, known: usize, unknown: usize) -> Vec<String> {
    let records: Vec<_> = (1..=known + unknown)
        .map(|n| {
            let reference = if n <= known {
                call_reference(n)
            } else {
                format!("CR-UNKNOWN-{n}")
            };
            won(n, &reference)
        })
        .collect();
    add_opportunities(w, &records)
}

/// The rule of won opportunities: a sale, titled by the description, on the close date,
/// of the actual amount in the opportunity's currency, credited to its call reference.
pub fn won_rule() -> Value {
    json!({
        "trigger": { "conditions": [{ "column": "Status", "op": "equals", "value": "Closed - Won" }] },
        "call_reference_field": "CallReference",
        "action_name": { "text": "sale" },
        "title": { "field": "Description" },
        "date_field": "ActualClose",
        "amount_field": "ActualAmount",
        "currency": { "field": "ExchangeRateCode" }
    })
}

/// The body of an export of won opportunities to `platform`, writing the marketing
/// source back to `MarketingSource`.
pub fn export_body(w: &World, platform: &FakePlatform) -> Value {
    json!({
        "name": "Won deals",
        "connector_id": w.connector,
        "source": "opportunity",
        "rule": won_rule(),
        "destination": { "kind": "call_tracking_api", "base_url": platform.base_url(), "token": TOKEN },
        "enrich_field": "MarketingSource"
    })
}

impl World {
    /// Creates an export from `body`; answers its id.
    pub async fn create_export(&self, body: &Value) -> String {
        let (status, export) = self.post("/v1/conversion-exports", body).await;
        assert_eq!(status, 201, "{export}");
        export["id"].as_str().expect("an export id").to_string()
    }

    /// *Run Now* on the export, then waits for the run to end; answers the run.
    pub async fn run_export(&self, export: &str) -> Value {
        let (status, queued) = self
            .post(&format!("/v1/conversion-exports/{export}/runs"), &json!({}))
            .await;
        assert_eq!(status, 202, "{queued}");
        let run = queued["run"]["id"].as_str().expect("a run id").to_string();
        self.wait_export_run(export, &run).await
    }

    /// Waits for the export's run to end; answers it.
    pub async fn wait_export_run(&self, export: &str, run: &str) -> Value {
        until("the conversion run to end", async || {
            let (status, body) = self
                .get(&format!("/v1/conversion-exports/{export}/runs/{run}"))
                .await;
            match body["status"].as_str() {
                Some("queued" | "running") | None => Err(format!("{status} {body}")),
                Some(_) => Ok(body),
            }
        })
        .await
    }

    /// The export's conversions matching `query` (`status=rejected`, …), all pages.
    pub async fn conversions(&self, export: &str, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = String::new();
        loop {
            let path =
                format!("/v1/conversion-exports/{export}/conversions?limit=1000&{query}{after}");
            let (status, page) = self.get(&path).await;
            assert_eq!(status, 200, "{page}");
            out.extend(page["conversions"].as_array().cloned().unwrap_or_default());
            match page["next_after"].as_str() {
                Some(next) => after = format!("&after={next}"),
                None => return out,
            }
        }
    }
}
