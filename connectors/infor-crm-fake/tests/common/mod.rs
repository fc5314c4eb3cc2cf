//! Shared helpers: start a fake on port 0 and talk to it with reqwest.
#![allow(dead_code)]

pub mod atom;
pub mod fixture;

use infor_crm_fake::{FakeConfig, FakeCrm};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;

pub struct Harness {
    pub crm: FakeCrm,
    pub client: Client,
    pub base: String,
}

pub fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Client::builder().build() {
        Ok(c) => c,
        Err(e) => panic!("building a client: {e}"),
    }
}

pub async fn start(config: FakeConfig) -> Harness {
    let crm = match FakeCrm::start(config).await {
        Ok(c) => c,
        Err(e) => panic!("starting the fake: {e}"),
    };
    let base = crm.base_url();
    Harness {
        crm,
        client: client(),
        base,
    }
}

pub async fn with_leads(leads: usize) -> Harness {
    start(FakeConfig {
        leads,
        contacts: leads / 2,
        accounts: 5,
        ..FakeConfig::default()
    })
    .await
}

impl Harness {
    /// `{base}/sdata/slx/dynamic/-/{rest}`.
    pub fn url(&self, rest: &str) -> String {
        format!("{}/sdata/slx/dynamic/-/{rest}", self.base)
    }

    pub fn get(&self, rest: &str) -> RequestBuilder {
        self.client
            .get(self.url(rest))
            .basic_auth("admin", Some("password"))
    }

    pub fn post(&self, rest: &str) -> RequestBuilder {
        self.client
            .post(self.url(rest))
            .basic_auth("admin", Some("password"))
    }

    pub fn put(&self, rest: &str) -> RequestBuilder {
        self.client
            .put(self.url(rest))
            .basic_auth("admin", Some("password"))
    }

    pub fn delete(&self, rest: &str) -> RequestBuilder {
        self.client
            .delete(self.url(rest))
            .basic_auth("admin", Some("password"))
    }

    pub fn admin(&self, rest: &str) -> String {
        format!("{}/_admin/{rest}", self.base)
    }

    pub async fn json(&self, rest: &str) -> Value {
        let resp = send(self.get(rest)).await;
        assert_eq!(resp.status(), 200, "GET {rest}");
        body_json(resp).await
    }

    pub async fn atom(&self, rest: &str) -> String {
        let resp = send(self.get(rest)).await;
        assert_eq!(resp.status(), 200, "GET {rest}");
        text(resp).await
    }
}

pub async fn send(req: RequestBuilder) -> Response {
    match req.send().await {
        Ok(r) => r,
        Err(e) => panic!("request failed: {e}"),
    }
}

pub async fn text(resp: Response) -> String {
    match resp.text().await {
        Ok(t) => t,
        Err(e) => panic!("reading body: {e}"),
    }
}

pub async fn body_json(resp: Response) -> Value {
    let t = text(resp).await;
    match serde_json::from_str(&t) {
        Ok(v) => v,
        Err(e) => panic!("invalid JSON ({e}): {t}"),
    }
}

/// The `$resources` of a JSON feed.
pub fn resources(feed: &Value) -> Vec<Value> {
    feed["$resources"].as_array().cloned().unwrap_or_default()
}

/// Every `<tag>` text inside an XML string (namespace prefix included in `tag`).
pub fn xml_texts(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|s| s.split_once(&close).map(|(t, _)| t.to_string()))
        .collect()
}
