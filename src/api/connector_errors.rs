//! How connector failures are answered: each cause a marketer can fix gets its
//! own code, and the CRM's own words are kept in the message.

use axum::http::StatusCode;
use listbridge_connector::ConnectorError;
use serde_json::json;

use crate::{
    connectors::{ConnectError, UrlPolicyError},
    error::ApiError,
};

impl From<ConnectError> for ApiError {
    fn from(err: ConnectError) -> Self {
        let message = err.to_string();
        match err {
            ConnectError::UnknownKind { .. } => ApiError::bad_request("unknown_kind", message),
            ConnectError::Url(UrlPolicyError::Invalid { .. }) => {
                ApiError::bad_request("invalid_url", message)
            }
            ConnectError::Url(UrlPolicyError::Insecure { .. }) => {
                ApiError::bad_request("insecure_url", message)
            }
            ConnectError::Missing { field } => ApiError::bad_request("missing_field", message)
                .with_details(json!({ "field": field })),
            ConnectError::InvalidRateLimit { field, .. } => {
                ApiError::bad_request("invalid_rate_limit", message)
                    .with_details(json!({ "field": format!("rate_limit.{field}") }))
            }
            ConnectError::AlreadyConnected { existing, .. } => {
                ApiError::conflict("already_connected", message)
                    .with_details(json!({ "connector_id": existing }))
            }
            ConnectError::NotFound(id) => ApiError::not_found(format!("connector {id}")),
            ConnectError::NotConnected(_) => ApiError::conflict("connector_reset", message),
            ConnectError::Crm(crm) => from_crm(crm),
            ConnectError::Secret(secret) => ApiError::internal(&secret),
            ConnectError::Store(store) => store.into(),
        }
    }
}

fn from_crm(err: ConnectorError) -> ApiError {
    let message = err.to_string();
    match err {
        ConnectorError::Auth { .. } => ApiError::unprocessable("crm_login_failed", message),
        ConnectorError::Unreachable { .. } => ApiError::unprocessable("crm_unreachable", message),
        ConnectorError::NotCrmEndpoint { .. } => {
            ApiError::unprocessable("not_crm_endpoint", message)
        }
        ConnectorError::RateLimited { .. } | ConnectorError::Transient { .. } => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "crm_unavailable", message)
        }
        ConnectorError::Invalid { .. } => ApiError::bad_request("invalid_request", message),
        ConnectorError::NotFound { .. }
        | ConnectorError::Conflict { .. }
        | ConnectorError::Rejected { .. } => {
            ApiError::new(StatusCode::BAD_GATEWAY, "crm_error", message)
        }
    }
}
