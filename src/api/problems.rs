//! How every domain failure is answered over HTTP, in one place: each cause a marketer
//! can fix gets its own status and code, with the names involved in `details`, and the
//! CRM's own words are kept in the message. The services below the API return their own
//! errors and know nothing of HTTP; handlers turn them into an [`ApiError`] with `?`
//! through the conversions here (the console shows the same message beside the field
//! it is about).
//!
//! A new service error gets its `From<…> for ApiError` here, not beside its handler.

use axum::http::StatusCode;
use listbridge_connector::{ConnectorError, OutboundError};
use serde_json::json;

use crate::{
    accounts::AccountError,
    alerts::AlertError,
    connectors::{ConnectError, UrlPolicyError},
    conversions::ConversionError,
    domain::field_usage::SystemUsage,
    error::ApiError,
    field_usages::FieldUsageError,
    forms::{FormError, IntakeError},
    lists::{ListError, upload::parse::UploadError},
    notes::NotesError,
    people::PeopleError,
    runs::RunError,
    scheduling::ScheduleError,
    store::{SCHEDULE_LIMIT, StoreError},
    sync::SyncError,
    workers::RetryError,
};

impl From<AlertError> for ApiError {
    fn from(err: AlertError) -> Self {
        let message = err.to_string();
        match err {
            AlertError::NotFound(id) => ApiError::not_found(format!("alert channel {id}")),
            AlertError::Invalid { field, .. } => ApiError::unprocessable("invalid_value", message)
                .with_details(json!({ "field": field })),
            AlertError::Refused(refused) => from_outbound(refused),
            // Like a CRM that cannot be reached: the request was fine, the address is not
            // usable from here (422, as `crm_unreachable`).
            AlertError::Unreachable(_) => ApiError::unprocessable("alert_unreachable", message),
            AlertError::Delivery(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "alert_not_delivered", message)
            }
            AlertError::Secret(secret) => ApiError::internal(&secret),
            AlertError::Store(e) => e.into(),
        }
    }
}

impl From<ConversionError> for ApiError {
    fn from(err: ConversionError) -> Self {
        let message = err.to_string();
        match err {
            ConversionError::NotFound(id) => ApiError::not_found(format!("conversion export {id}")),
            ConversionError::RunNotFound(id) => ApiError::not_found(format!("conversion run {id}")),
            ConversionError::Invalid { field, .. } => {
                ApiError::unprocessable("invalid_value", message)
                    .with_details(json!({ "field": field }))
            }
            ConversionError::Rule(_) => ApiError::unprocessable("invalid_rule", message),
            ConversionError::Connector(e) => e.into(),
            ConversionError::Secret(secret) => ApiError::internal(&secret),
            ConversionError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Duplicate { what } => {
                ApiError::conflict("already_exists", format!("{what} already exists"))
            }
            StoreError::Db(
                e @ (sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_)),
            ) => {
                tracing::error!(error = %e, "the database is unreachable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "the database is not reachable right now; try again shortly",
                )
            }
            other => ApiError::internal(&other),
        }
    }
}

impl From<ConnectError> for ApiError {
    fn from(err: ConnectError) -> Self {
        let message = err.to_string();
        match err {
            // Which kinds exist depends on this build's connector registry, which the
            // document does not list: a refusal of a well-formed request (422).
            ConnectError::UnknownKind { .. } => ApiError::unprocessable("unknown_kind", message),
            // The document asks for a non-blank string; that it must be an absolute
            // http(s) URL without credentials is a rule it cannot state (422).
            ConnectError::Url(UrlPolicyError::Invalid { .. }) => {
                ApiError::unprocessable("invalid_url", message)
            }
            ConnectError::Url(UrlPolicyError::Refused(refused)) => from_outbound(refused),
            ConnectError::TooManyAttempts {
                retry_after_seconds,
            } => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
                .with_details(json!({ "retry_after_seconds": retry_after_seconds })),
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
            ConnectError::InUse { users, .. } => {
                ApiError::conflict("connector_in_use", message).with_details(json!(users))
            }
            ConnectError::NotFound(id) => ApiError::not_found(format!("connector {id}")),
            ConnectError::NotConnected(_) => ApiError::conflict("connector_reset", message),
            ConnectError::Crm(crm) => from_crm(crm),
            ConnectError::Secret(secret) => ApiError::internal(&secret),
            ConnectError::Store(store) => store.into(),
        }
    }
}

/// The outbound guard's refusal, the same whether the URL was checked before any request
/// or a host name was refused on connection: a refused address is one answer (422
/// `address_not_allowed`) whatever was or was not behind it. A URL that is not http(s),
/// and plain http to a host not allowed, are 422 too: the request has the documented
/// shape, and whether the URL may be used depends on rules (and the service's
/// `allow_private_hosts`) the API document cannot state.
fn from_outbound(err: OutboundError) -> ApiError {
    let message = err.to_string();
    match err {
        OutboundError::Invalid { .. } => ApiError::unprocessable("invalid_url", message),
        OutboundError::Insecure { .. } => ApiError::unprocessable("insecure_url", message),
        OutboundError::NotAllowed { .. } => ApiError::unprocessable("address_not_allowed", message),
    }
}

/// A CRM's refusal or outage as it reached a connector operation.
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
        ConnectorError::AllowanceUsedUp { .. } => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "crm_allowance_used_up",
            message,
        ),
        ConnectorError::Invalid { .. } => ApiError::bad_request("invalid_request", message),
        ConnectorError::Outbound(refused) => from_outbound(refused),
        ConnectorError::ResponseTooLarge { .. } => {
            ApiError::unprocessable("crm_response_too_large", message)
        }
        ConnectorError::PagingLoop { .. } => {
            ApiError::new(StatusCode::BAD_GATEWAY, "crm_error", message)
        }
        ConnectorError::NotFound { .. }
        | ConnectorError::Conflict { .. }
        | ConnectorError::Rejected { .. } => {
            ApiError::new(StatusCode::BAD_GATEWAY, "crm_error", message)
        }
    }
}

impl From<ListError> for ApiError {
    fn from(err: ListError) -> Self {
        let message = err.to_string();
        match err {
            ListError::NotFound(id) => ApiError::not_found(format!("list {id}")),
            ListError::MemberNotFound(id) => ApiError::not_found(format!("member {id}")),
            ListError::UnknownColumns { columns, .. } => {
                ApiError::unprocessable("unknown_columns", message)
                    .with_details(json!({ "columns": columns }))
            }
            ListError::SegmentNotFound(id) => ApiError::not_found(format!("segment {id}")),
            ListError::UnknownFields { entity, unknown } => {
                ApiError::unprocessable("unknown_fields", message)
                    .with_details(json!({ "entity": entity.as_str(), "unknown": unknown }))
            }
            ListError::ColumnsExist { columns, .. } => ApiError::conflict("column_exists", message)
                .with_details(json!({ "columns": columns })),
            ListError::FieldUsage(e) => e.into(),
            ListError::Invalid { field, .. } => ApiError::unprocessable("invalid_value", message)
                .with_details(json!({ "field": field })),
            ListError::Filter(_) => ApiError::unprocessable("invalid_filter", message),
            ListError::Upload(UploadError::Io(e)) => ApiError::bad_request(
                "upload_interrupted",
                format!("reading the upload failed: {e}"),
            ),
            ListError::Upload(UploadError::TooManyColumns { limit, found }) => {
                ApiError::unprocessable("too_many_columns", message)
                    .with_details(json!({ "limit": limit, "columns": found }))
            }
            ListError::Upload(_) => ApiError::unprocessable("invalid_csv", message),
            ListError::TooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
            }
            ListError::NotLinked(_) => ApiError::conflict("not_linked", message),
            ListError::Internal(_) => ApiError::internal(&message),
            ListError::Connector(e) => e.into(),
            ListError::Store(e) => e.into(),
        }
    }
}

impl From<FieldUsageError> for ApiError {
    fn from(err: FieldUsageError) -> Self {
        let message = err.to_string();
        match err {
            FieldUsageError::EmptyColumn => ApiError::unprocessable("invalid_value", message)
                .with_details(json!({ "field": "column" })),
            FieldUsageError::UnknownUsage { usage } => {
                ApiError::unprocessable("invalid_usage", message)
                    .with_details(json!({ "usage": usage, "valid": SystemUsage::names() }))
            }
            FieldUsageError::NotFound(column) => {
                ApiError::not_found(format!("a standard field name for column '{column}'"))
            }
            FieldUsageError::Store(e) => e.into(),
        }
    }
}

impl From<FormError> for ApiError {
    fn from(err: FormError) -> Self {
        let message = err.to_string();
        match err {
            FormError::NotFound(what) => ApiError::not_found(what),
            FormError::Refused(r) => {
                ApiError::unprocessable(r.code, message).with_details(json!({ "names": r.names }))
            }
            FormError::NotRetryable { .. } => ApiError::conflict("not_retryable", message),
            FormError::Connector(e) => e.into(),
            FormError::Store(e) => e.into(),
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(err: IntakeError) -> Self {
        let message = err.to_string();
        match err {
            IntakeError::Malformed { .. } => ApiError::bad_request("invalid_body", message),
            IntakeError::NoEmail { field } => ApiError::unprocessable("email_required", message)
                .with_details(json!({ "field": field })),
            IntakeError::Missing { fields } => {
                ApiError::unprocessable("required_fields_missing", message)
                    .with_details(json!({ "fields": fields }))
            }
            IntakeError::InvalidEmail { field, .. } => {
                ApiError::unprocessable("invalid_email", message)
                    .with_details(json!({ "field": field }))
            }
            IntakeError::FieldTooLong { field, max, .. } => {
                ApiError::unprocessable("field_too_long", message)
                    .with_details(json!({ "field": field, "max_bytes": max }))
            }
            IntakeError::TooManyFields { max, .. } => {
                ApiError::unprocessable("too_many_fields", message)
                    .with_details(json!({ "max_fields": max }))
            }
            IntakeError::NotText { field } => ApiError::unprocessable("invalid_value", message)
                .with_details(json!({ "field": field })),
            IntakeError::Store(e) => e.into(),
            IntakeError::ShuttingDown => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", message)
            }
        }
    }
}

impl From<crate::callers::interactions::InteractionError> for ApiError {
    fn from(err: crate::callers::interactions::InteractionError) -> Self {
        use crate::callers::interactions::InteractionError;
        let message = err.to_string();
        match err {
            InteractionError::Invalid { code, .. } => ApiError::unprocessable(code, message),
            InteractionError::NoConnector => ApiError::conflict("no_connector", message),
            InteractionError::Connector(e) => e.into(),
            InteractionError::Store(e) => e.into(),
        }
    }
}

impl From<crate::callers::CallerError> for ApiError {
    fn from(err: crate::callers::CallerError) -> Self {
        use crate::callers::CallerError;
        let message = err.to_string();
        match err {
            CallerError::Key(key) => key.into(),
            CallerError::UnknownRuleSet(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            CallerError::InvalidRegion(_) => ApiError::unprocessable("invalid_region", message),
            CallerError::Routing(routing) => routing.into(),
            CallerError::Store(store) => store.into(),
        }
    }
}

impl From<crate::callers::keys::LookupKeyError> for ApiError {
    fn from(err: crate::callers::keys::LookupKeyError) -> Self {
        use crate::callers::keys::LookupKeyError;
        let message = err.to_string();
        match err {
            LookupKeyError::NotValid
            | LookupKeyError::SecretMissing
            | LookupKeyError::SecretWrong => ApiError::unauthorized(message),
            LookupKeyError::InvalidName(_) => ApiError::unprocessable("invalid_name", message),
            LookupKeyError::InvalidDtmfField { .. } => {
                ApiError::unprocessable("invalid_field", message)
                    .with_details(json!({ "field": "dtmf_field" }))
            }
            LookupKeyError::NotFound(id) => ApiError::not_found(format!("lookup key {id}")),
            LookupKeyError::Store(e) => e.into(),
        }
    }
}

impl From<crate::callers::routing::RoutingError> for ApiError {
    fn from(err: crate::callers::routing::RoutingError) -> Self {
        use crate::callers::routing::RoutingError;
        let message = err.to_string();
        match err {
            RoutingError::Invalid { at, .. } => ApiError::unprocessable("invalid_rule", message)
                .with_details(json!({ "field": at })),
            RoutingError::NameTaken(_) => ApiError::conflict("name_taken", message),
            RoutingError::NotFound(id) => ApiError::not_found(format!("routing rule set {id}")),
            RoutingError::Corrupt { .. } => ApiError::internal(&err),
            RoutingError::Store(e) => e.into(),
        }
    }
}

impl From<NotesError> for ApiError {
    fn from(err: NotesError) -> Self {
        let message = err.to_string();
        match err {
            NotesError::Invalid { code, .. } => ApiError::unprocessable(code, message),
            NotesError::NoConnector => ApiError::conflict("no_connector", message),
            NotesError::Connector(e) => e.into(),
            NotesError::Store(e) => e.into(),
        }
    }
}

impl From<SyncError> for ApiError {
    fn from(err: SyncError) -> Self {
        let message = err.to_string();
        match err {
            SyncError::NotFound(what) => ApiError::not_found(what),
            SyncError::Refused(r) => {
                ApiError::unprocessable(r.code, message).with_details(json!({ "names": r.names }))
            }
            SyncError::NotReady(_) => ApiError::conflict("not_ready", message),
            SyncError::Connector(e) => e.into(),
            SyncError::Store(e) => e.into(),
        }
    }
}

impl From<RunError> for ApiError {
    fn from(err: RunError) -> Self {
        let message = err.to_string();
        match err {
            RunError::NotFound(what) => ApiError::not_found(what),
            RunError::NotReady(_) => ApiError::conflict("not_ready", message),
            RunError::Store(e) => e.into(),
        }
    }
}

impl From<ScheduleError> for ApiError {
    fn from(err: ScheduleError) -> Self {
        match &err {
            ScheduleError::NotFound(what) => ApiError::not_found(what.clone()),
            // A rule the document cannot state (an IANA zone name, the fields a
            // frequency needs, a time of day and ranges it leaves open): a request of
            // the documented shape, refused (422).
            ScheduleError::Invalid(rule) => {
                ApiError::unprocessable("invalid_schedule", err.to_string())
                    .with_details(json!({ "field": rule.field() }))
            }
            ScheduleError::LimitReached { scheduled } => {
                ApiError::conflict("schedule_limit", err.to_string())
                    .with_details(json!({ "limit": SCHEDULE_LIMIT, "scheduled": scheduled }))
            }
            ScheduleError::Busy(_) => ApiError::conflict("schedule_busy", err.to_string()),
            ScheduleError::Store(store) => ApiError::internal(store),
        }
    }
}

impl From<RetryError> for ApiError {
    fn from(err: RetryError) -> Self {
        match &err {
            RetryError::NotFound(id) => ApiError::not_found(format!("job {id}")),
            RetryError::NotDead { .. } => ApiError::conflict("job_not_dead", err.to_string()),
            RetryError::RunActive { .. } => ApiError::conflict("run_active", err.to_string()),
            RetryError::Store(e) => ApiError::internal(e),
        }
    }
}

impl From<PeopleError> for ApiError {
    fn from(err: PeopleError) -> Self {
        let message = err.to_string();
        match err {
            PeopleError::UnknownUser | PeopleError::InvitationUnknown => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            PeopleError::InvitationUsed | PeopleError::InvitationExpired => {
                ApiError::new(StatusCode::GONE, "invitation_closed", message)
            }
            PeopleError::EmailTaken(_) => ApiError::conflict("email_taken", message),
            PeopleError::Refused => ApiError::unauthorized(message),
            PeopleError::InvalidEmail(_) => ApiError::unprocessable("invalid_email", message),
            PeopleError::Password(_) => ApiError::unprocessable("invalid_password", message),
            PeopleError::WrongPassword => ApiError::unprocessable("wrong_password", message),
            PeopleError::OwnRole | PeopleError::OwnRemoval => {
                ApiError::unprocessable("last_admin", message)
            }
            PeopleError::UnknownAccount(_) | PeopleError::Hash(_) | PeopleError::Store(_) => {
                ApiError::internal(&err)
            }
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match &err {
            AccountError::InvalidName { reason, .. } => ApiError::unprocessable(
                "invalid_name",
                format!("the name cannot be used: {reason}"),
            )
            .with_details(json!({ "field": "name" })),
            AccountError::NameTaken(_) => ApiError::conflict("name_taken", err.to_string())
                .with_details(json!({ "field": "name" })),
            AccountError::InvalidTimeZone(_) => {
                ApiError::unprocessable("invalid_time_zone", err.to_string())
                    .with_details(json!({ "field": "time_zone" }))
            }
            AccountError::InvalidRegion(_) => {
                ApiError::unprocessable("invalid_region", err.to_string())
                    .with_details(json!({ "field": "default_region" }))
            }
            AccountError::InvalidLabel(_) => {
                ApiError::unprocessable("invalid_label", err.to_string())
            }
            AccountError::UnknownKey => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "There is no such API key in this account.",
            ),
            AccountError::UnknownAccount(_) | AccountError::Store(_) => ApiError::internal(&err),
        }
    }
}
