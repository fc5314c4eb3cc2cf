//! `verify`: buy a token (the credentials are right), then `GET /services/data/` and
//! check the pinned API version is served (the URL is a Salesforce org that speaks it).
//!
//! The client-credentials flow runs as the connected app's "Run As" user; its id is the
//! last segment of the token's identity URL. Reading the user's name would take the
//! identity endpoint, one more call per login: the login name reported is the consumer
//! key the connector logs in with.

use listbridge_connector::{ConnectorError, ConnectorResult, CrmUser};
use serde::Deserialize;

use crate::{
    client::{Failure, Request},
    connector::Inner,
};

#[derive(Deserialize)]
struct Version {
    version: String,
}

/// [`listbridge_connector::CrmConnector::verify`].
pub(crate) async fn verify(inner: &Inner) -> ConnectorResult<CrmUser> {
    let token = inner.client.token(None).await?;
    let url = inner.client.url("services/data/")?;
    let reply = inner
        .client
        .execute(&Request::get(url, "versions"))
        .await
        .map_err(Failure::into_error)?;
    let not_salesforce = |message: String| ConnectorError::NotCrmEndpoint {
        url: inner.client.base_url().to_string(),
        message,
    };
    if !reply.status.is_success() {
        return Err(not_salesforce(format!(
            "GET /services/data/ answered HTTP {}",
            reply.status
        )));
    }
    let versions: Vec<Version> = serde_json::from_str(&reply.body)
        .map_err(|_| not_salesforce("GET /services/data/ did not list API versions".into()))?;
    let pinned = inner.client.api_version().trim_start_matches('v');
    if !versions.iter().any(|v| v.version == pinned) {
        let newest = versions
            .last()
            .map(|v| v.version.as_str())
            .unwrap_or("none");
        return Err(ConnectorError::Invalid {
            message: format!(
                "this org does not serve Salesforce API v{pinned} (newest: {newest}); set api_version to one it serves"
            ),
        });
    }
    Ok(CrmUser {
        id: token.user_id().unwrap_or_default(),
        user_name: inner.client_id.clone(),
        display_name: "Salesforce integration user (client credentials)".into(),
    })
}
