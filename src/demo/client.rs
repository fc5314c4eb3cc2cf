//! A small client of listbridge's own HTTP API, so the demo sets everything up the way a
//! user would (and shows that the API works), rather than behind the API's back.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::DemoError;

/// How long one API call may take before the demo gives up on it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Calls `/v1` routes with one account's API key.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    key: String,
}

impl ApiClient {
    /// A client of the service at `base_url` (`http://127.0.0.1:8080`) with `key`.
    pub fn new(base_url: &str, key: &str) -> Result<Self, DemoError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|source| DemoError::Http {
                step: "building the HTTP client",
                source,
            })?;
        Ok(ApiClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            key: key.to_string(),
        })
    }

    /// `GET path` → JSON.
    pub async fn get(&self, step: &'static str, path: &str) -> Result<Value, DemoError> {
        self.send(step, Method::GET, path, None).await
    }

    /// `POST path` with a JSON body → JSON.
    pub async fn post(
        &self,
        step: &'static str,
        path: &str,
        body: &Value,
    ) -> Result<Value, DemoError> {
        self.send(step, Method::POST, path, Some(body)).await
    }

    /// `PUT path` with a JSON body → JSON.
    pub async fn put(
        &self,
        step: &'static str,
        path: &str,
        body: &Value,
    ) -> Result<Value, DemoError> {
        self.send(step, Method::PUT, path, Some(body)).await
    }

    /// `DELETE path`; a 404 counts as done.
    pub async fn delete(&self, step: &'static str, path: &str) -> Result<(), DemoError> {
        let response = self
            .http
            .delete(self.url(path))
            .bearer_auth(&self.key)
            .send()
            .await
            .map_err(|source| DemoError::Http { step, source })?;
        let status = response.status();
        if status.is_success() || status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        Err(DemoError::Api {
            step,
            status: status.as_u16(),
            body,
        })
    }

    /// `POST path` with a CSV body (list upload) → JSON.
    pub async fn post_csv(
        &self,
        step: &'static str,
        path: &str,
        csv: String,
    ) -> Result<Value, DemoError> {
        let request = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .header(reqwest::header::CONTENT_TYPE, "text/csv")
            .body(csv);
        Self::read(step, request).await
    }

    async fn send(
        &self,
        step: &'static str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, DemoError> {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(body);
        }
        Self::read(step, request).await
    }

    async fn read(
        step: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, DemoError> {
        let response = request
            .send()
            .await
            .map_err(|source| DemoError::Http { step, source })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|source| DemoError::Http { step, source })?;
        if !status.is_success() {
            return Err(DemoError::Api {
                step,
                status: status.as_u16(),
                body: text,
            });
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| DemoError::Api {
            step,
            status: status.as_u16(),
            body: format!("not JSON ({e}): {text}"),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}
