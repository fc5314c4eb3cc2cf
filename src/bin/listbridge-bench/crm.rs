//! The CRM the bench runs against ([`CrmKind`]: its fake, how the service connects, how
//! a connector reads it raw, the size of its pages and write batches) and the fake's
//! `/_admin/` endpoints: request counters and record changes.

use std::sync::Arc;

use anyhow::{Context, bail};
use clap::ValueEnum;
use listbridge_connector::{
    AllowList, ConnectorConfig, CrmConnector, EntityKind, OutboundGuard, RateLimit, SystemUsage,
};
use secrecy::SecretString;
use serde_json::{Value, json};

/// Which CRM (and which fake of it) the bench measures listbridge against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CrmKind {
    /// Infor CRM over SData (`fake-infor-crm`, pages of 100, `$batch` writes of 25).
    Infor,
    /// Salesforce over its REST API (`fake-salesforce`, query pages of 2,000, sObject
    /// Collections of 200).
    Salesforce,
}

impl CrmKind {
    /// The connector kind the service registers it under.
    pub fn connector_kind(self) -> &'static str {
        match self {
            CrmKind::Infor => "infor-crm",
            CrmKind::Salesforce => "salesforce",
        }
    }

    /// Its name in the report.
    pub fn label(self) -> &'static str {
        match self {
            CrmKind::Infor => "Infor CRM",
            CrmKind::Salesforce => "Salesforce",
        }
    }

    /// The fake's binary, beside the bench's.
    pub fn fake_binary(self) -> &'static str {
        match self {
            CrmKind::Infor => "fake-infor-crm",
            CrmKind::Salesforce => "fake-salesforce",
        }
    }

    /// The fake's flags besides `--port`, `--leads` and `--contacts`: a fixed seed and
    /// the CRM's own page cap.
    pub fn fake_args(self) -> Vec<String> {
        let mut args = vec!["--seed".to_string(), "1".to_string()];
        args.extend(["--page-cap".to_string(), self.page_size().to_string()]);
        if self == CrmKind::Infor {
            args.extend(["--accounts".to_string(), "100".to_string()]);
        }
        args
    }

    /// Reads the fake's base URL from the line it prints once bound.
    pub fn base_url_finder(self) -> fn(&str) -> Option<String> {
        match self {
            CrmKind::Infor => |line| {
                let (_, rest) = line.split_once("fake Infor CRM at ")?;
                let (base, _) = rest.split_once("/sdata")?;
                Some(base.to_string())
            },
            CrmKind::Salesforce => |line| {
                let (_, rest) = line.split_once("fake Salesforce at ")?;
                let base = rest.split_whitespace().next()?;
                Some(base.to_string())
            },
        }
    }

    /// `POST /v1/connectors` for the fake at `url` (its default credentials).
    pub fn connect_body(self, url: &str) -> Value {
        match self {
            CrmKind::Infor => json!({ "kind": "infor-crm", "base_url": url,
                                      "username": "admin", "password": "password" }),
            CrmKind::Salesforce => json!({ "kind": "salesforce", "base_url": url,
                                           "client_id": "demo-client", "client_secret": "demo-secret" }),
        }
    }

    /// A connector to the fake at `url` with `crm_rps` requests a second, for the raw
    /// read (built by the service's own registry).
    pub fn connector(self, url: &str, crm_rps: u32) -> anyhow::Result<Arc<dyn CrmConnector>> {
        let (user, secret) = match self {
            CrmKind::Infor => ("admin", "password"),
            CrmKind::Salesforce => ("demo-client", "demo-secret"),
        };
        let mut config = ConnectorConfig::new(url, user, SecretString::from(secret.to_string()));
        config.rate_limit = RateLimit::per_second(crm_rps, RateLimit::default().concurrency);
        // The fake CRM listens on loopback, which the default guard refuses.
        config.outbound = OutboundGuard::new(AllowList::loopback());
        let factory = listbridge::app::default_registry()
            .get(self.connector_kind())
            .with_context(|| format!("no {} connector registered", self.label()))?;
        factory
            .build(config)
            .with_context(|| format!("opening the {} connector", self.label()))
    }

    /// What an import of a bench list reads: the email, the names and the opt-out field
    /// (as the connector's vocabulary names them) and the list's `fields`.
    pub fn read_fields(self, fields: &[&str]) -> anyhow::Result<Vec<String>> {
        let vocab = listbridge::app::default_registry()
            .vocabulary(self.connector_kind())
            .with_context(|| format!("no {} connector registered", self.label()))?;
        let lead = EntityKind::Lead;
        let mut read = vec![
            vocab.email_field(lead).to_string(),
            vocab.opt_out_field(lead).to_string(),
        ];
        for usage in [SystemUsage::FirstName, SystemUsage::LastName] {
            read.extend(vocab.usage_field(lead, usage).map(String::from));
        }
        read.extend(fields.iter().map(|f| f.to_string()));
        Ok(read)
    }

    /// Records per read page (the fake's cap, as the real CRM's default).
    pub fn page_size(self) -> u64 {
        match self {
            CrmKind::Infor => 100,
            CrmKind::Salesforce => 2_000,
        }
    }

    /// Records a push may write per CRM request at the least (the lookups by email and
    /// the batched writes together): Infor's `$batch` of 25 allows records / 25;
    /// Salesforce's Collections of 200 records / 150.
    pub fn records_per_push_request(self) -> u64 {
        match self {
            CrmKind::Infor => 25,
            CrmKind::Salesforce => 150,
        }
    }
}

/// What the CRM saw since the counters were last reset.
#[derive(Debug, Clone, Copy, Default)]
pub struct CrmCounts {
    /// Every `/sdata` request.
    pub requests: u64,
    /// Records created, updated or deleted (inside `$batch` too).
    pub writes: u64,
}

/// Talks to one fake CRM's admin endpoints.
#[derive(Debug, Clone)]
pub struct CrmAdmin {
    http: reqwest::Client,
    url: String,
    /// Which CRM the fake is.
    pub kind: CrmKind,
}

impl CrmAdmin {
    /// The admin side of the fake `kind` CRM at `url`.
    pub fn new(url: &str, kind: CrmKind) -> Self {
        CrmAdmin {
            http: reqwest::Client::new(),
            url: url.to_string(),
            kind,
        }
    }

    /// The fake CRM's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Zeroes the request counters.
    pub async fn reset_stats(&self) -> anyhow::Result<()> {
        self.post("/_admin/stats/reset", &json!({})).await.map(drop)
    }

    /// The counters since the last reset.
    pub async fn counts(&self) -> anyhow::Result<CrmCounts> {
        let stats: Value = self
            .http
            .get(format!("{}/_admin/stats", self.url))
            .send()
            .await
            .context("reading the fake CRM's stats")?
            .json()
            .await
            .context("reading the fake CRM's stats")?;
        Ok(CrmCounts {
            requests: stats["total"].as_u64().context("stats without total")?,
            writes: stats["record_writes"]
                .as_u64()
                .context("stats without record_writes")?,
        })
    }

    /// Changes `Title` of `count` leads (one bulk modify date: now), as a CRM user's mass
    /// update would.
    pub async fn change_leads(&self, count: usize, title: &str) -> anyhow::Result<usize> {
        if self.kind == CrmKind::Salesforce {
            return self.change_salesforce_leads(count, title).await;
        }
        let answer = self
            .post(
                "/_admin/update",
                &json!({ "kind": "leads", "count": count, "set": { "Title": title } }),
            )
            .await?;
        Ok(answer["updated"]
            .as_array()
            .or_else(|| answer.as_array())
            .map_or(count, Vec::len))
    }

    /// [`CrmAdmin::change_leads`] on the fake Salesforce: the first `count` leads not
    /// converted (converted leads are out of lead reads), updated together.
    async fn change_salesforce_leads(&self, count: usize, title: &str) -> anyhow::Result<usize> {
        let path = format!("/_admin/records/Lead?limit={}", count * 2 + 100);
        let leads: Vec<Value> = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .with_context(|| format!("GET {path} on the fake Salesforce"))?
            .json()
            .await
            .with_context(|| format!("reading GET {path} on the fake Salesforce"))?;
        let updates: Vec<Value> = leads
            .iter()
            .filter(|l| l["IsConverted"] != json!(true))
            .filter_map(|l| l["Id"].as_str())
            .take(count)
            .map(|id| json!({ "type": "Lead", "id": id, "fields": { "Title": title } }))
            .collect();
        let answer = self
            .post("/_admin/update", &json!({ "updates": updates }))
            .await?;
        Ok(answer
            .as_array()
            .or_else(|| answer["updated"].as_array())
            .map_or(updates.len(), Vec::len))
    }

    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .with_context(|| format!("POST {path} on the fake CRM"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("POST {path} on the fake CRM answered {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}
