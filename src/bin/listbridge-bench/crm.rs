//! The fake CRM's `/_admin/` endpoints: request counters and record changes.

use anyhow::{Context, bail};
use serde_json::{Value, json};

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
}

impl CrmAdmin {
    /// The admin side of the fake CRM at `url`.
    pub fn new(url: &str) -> Self {
        CrmAdmin {
            http: reqwest::Client::new(),
            url: url.to_string(),
        }
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

    /// Changes `Title` of the first `count` leads (one bulk ModifyDate: now), as a CRM
    /// user's mass update would.
    pub async fn change_leads(&self, count: usize, title: &str) -> anyhow::Result<usize> {
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
