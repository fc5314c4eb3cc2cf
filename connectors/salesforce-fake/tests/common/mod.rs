//! Shared helpers: start a fake on a loopback port, log in, and talk to it with reqwest.
#![allow(dead_code)]

use reqwest::{Client, RequestBuilder, Response};
use salesforce_fake::{FakeConfig, FakeSalesforce};
use serde_json::{Value, json};

pub const V: &str = "v62.0";

pub struct Harness {
    pub sf: FakeSalesforce,
    pub client: Client,
    pub base: String,
    pub token: String,
}

pub fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Client::builder().build() {
        Ok(c) => c,
        Err(e) => panic!("building a client: {e}"),
    }
}

/// Starts a fake and logs in with the client credentials flow.
pub async fn start(config: FakeConfig) -> Harness {
    let sf = match FakeSalesforce::start(config).await {
        Ok(s) => s,
        Err(e) => panic!("starting the fake: {e}"),
    };
    let base = sf.base_url();
    let client = client();
    let mut h = Harness {
        sf,
        client,
        base,
        token: String::new(),
    };
    h.token = h.login().await;
    h
}

pub async fn with_people(leads: usize, contacts: usize) -> Harness {
    start(FakeConfig {
        leads,
        contacts,
        ..FakeConfig::default()
    })
    .await
}

impl Harness {
    /// A fresh token from `demo-client` / `demo-secret`.
    pub async fn login(&self) -> String {
        let resp = send(
            self.client
                .post(format!("{}/services/oauth2/token", self.base))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", "demo-client"),
                    ("client_secret", "demo-secret"),
                ]),
        )
        .await;
        assert_eq!(resp.status(), 200, "login");
        let body = body_json(resp).await;
        match body["access_token"].as_str() {
            Some(t) => t.to_string(),
            None => panic!("no token in {body}"),
        }
    }

    /// `{base}/services/data/v62.0/{rest}`.
    pub fn url(&self, rest: &str) -> String {
        format!("{}/services/data/{V}/{rest}", self.base)
    }

    pub fn get(&self, rest: &str) -> RequestBuilder {
        self.client.get(self.url(rest)).bearer_auth(&self.token)
    }

    pub fn post(&self, rest: &str) -> RequestBuilder {
        self.client.post(self.url(rest)).bearer_auth(&self.token)
    }

    pub fn patch(&self, rest: &str) -> RequestBuilder {
        self.client.patch(self.url(rest)).bearer_auth(&self.token)
    }

    pub fn delete(&self, rest: &str) -> RequestBuilder {
        self.client.delete(self.url(rest)).bearer_auth(&self.token)
    }

    pub fn admin(&self, rest: &str) -> String {
        format!("{}/_admin/{rest}", self.base)
    }

    /// GET that must answer 200 with JSON.
    pub async fn json(&self, rest: &str) -> Value {
        let resp = send(self.get(rest)).await;
        assert_eq!(resp.status(), 200, "GET {rest}");
        body_json(resp).await
    }

    /// Runs a SOQL query; answers the status and body.
    pub async fn query(&self, soql: &str) -> (u16, Value) {
        let resp = send(self.get("query").query(&[("q", soql)])).await;
        let status = resp.status().as_u16();
        (status, body_json(resp).await)
    }

    /// Runs a query that must succeed and follows `nextRecordsUrl` to the end; answers
    /// every record and the number of pages.
    pub async fn query_all_pages(&self, soql: &str) -> (Vec<Value>, usize) {
        let (status, mut page) = self.query(soql).await;
        assert_eq!(status, 200, "{soql}: {page}");
        let mut records = Vec::new();
        let mut pages = 1;
        loop {
            records.extend(page["records"].as_array().cloned().unwrap_or_default());
            let Some(next) = page["nextRecordsUrl"].as_str() else {
                assert_eq!(page["done"], json!(true));
                break;
            };
            assert_eq!(page["done"], json!(false));
            let resp = send(
                self.client
                    .get(format!("{}{next}", self.base))
                    .bearer_auth(&self.token),
            )
            .await;
            assert_eq!(resp.status(), 200, "GET {next}");
            page = body_json(resp).await;
            pages += 1;
        }
        (records, pages)
    }

    /// POST to `/_admin/{rest}` with a JSON body; answers status and body.
    pub async fn admin_post(&self, rest: &str, body: Value) -> (u16, Value) {
        let resp = send(self.client.post(self.admin(rest)).json(&body)).await;
        let status = resp.status().as_u16();
        (status, body_json(resp).await)
    }

    /// Creates a record through the admin API (any fields, read-only ones included).
    pub async fn insert(&self, sobject: &str, fields: Value) -> String {
        let (status, body) = self.admin_post(&format!("records/{sobject}"), fields).await;
        assert_eq!(status, 201, "insert {sobject}: {body}");
        body["id"].as_str().map(str::to_string).unwrap_or_default()
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
    if t.is_empty() {
        return Value::Null;
    }
    match serde_json::from_str(&t) {
        Ok(v) => v,
        Err(e) => panic!("invalid JSON ({e}): {t}"),
    }
}

/// The `errorCode` of a Salesforce error array.
pub fn error_code(body: &Value) -> String {
    body[0]["errorCode"].as_str().unwrap_or("").to_string()
}

/// The `Id`s of query records.
pub fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["Id"].as_str().unwrap_or("").to_string())
        .collect()
}
