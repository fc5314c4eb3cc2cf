//! The field browser: the CRM's fields of leads or contacts, as the connector
//! describes them (the same [`ConnectorService::fields`] as the API): name, label,
//! standard or custom, read-only, required, type and length, in one table.
//!
//! [`ConnectorService::fields`]: crate::connectors::ConnectorService::fields

use std::str::FromStr;

use listbridge_connector::{EntityKind, FieldDef};
use serde::Deserialize;

use super::{owned, view::ConnectorRow};
use crate::console::prelude::*;
use crate::{console::field_picker::kind_name, error::ApiError};

/// One row of the table.
#[derive(Debug)]
struct FieldRow {
    name: String,
    label: String,
    custom: bool,
    read_only: bool,
    required: bool,
    kind: &'static str,
    max_length: Option<u32>,
}

impl From<FieldDef> for FieldRow {
    fn from(f: FieldDef) -> Self {
        FieldRow {
            kind: kind_name(f.field_type),
            name: f.name,
            label: f.label,
            custom: f.custom,
            read_only: f.read_only,
            required: f.required,
            max_length: f.max_length,
        }
    }
}

/// The field browser page.
#[derive(Template)]
#[template(path = "console/connectors_fields.html")]
struct FieldsPage {
    layout: Layout,
    connector: ConnectorRow,
    /// `lead` or `contact`, for the tabs.
    entity: &'static str,
    fields: Vec<FieldRow>,
    custom_count: usize,
    /// Why the fields cannot be shown (a reset connector, an unreachable CRM), or "".
    problem: String,
}

/// `?entity=lead|contact` (leads when absent).
#[derive(Debug, Deserialize)]
pub struct EntityQuery {
    entity: Option<String>,
}

/// `GET /connectors/{id}/fields?entity=lead|contact`.
pub async fn show(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
    Query(query): Query<EntityQuery>,
) -> Result<Response, ConsoleError> {
    let entity = match query.entity.as_deref() {
        None | Some("") => EntityKind::Lead,
        Some(raw) => EntityKind::from_str(raw)
            .map_err(|message| ConsoleError::from(ApiError::bad_request("bad_request", message)))?,
    };
    let record = owned(&state, viewer.account_id(), &id).await?;
    let (fields, problem, status) = match state
        .connectors()
        .fields(viewer.account_id(), record.id, entity)
        .await
    {
        Ok(defs) => (
            defs.into_iter().map(FieldRow::from).collect(),
            String::new(),
            StatusCode::OK,
        ),
        Err(err) => {
            let api: ApiError = err.into();
            let status = api.status();
            if status == StatusCode::NOT_FOUND || status == StatusCode::INTERNAL_SERVER_ERROR {
                return Err(api.into());
            }
            (Vec::new(), api.message().to_string(), status)
        }
    };
    FieldsPage {
        layout: Layout::new(&viewer, Section::Connectors),
        connector: ConnectorRow::of(&state, &record),
        entity: entity.as_str(),
        custom_count: fields.iter().filter(|f: &&FieldRow| f.custom).count(),
        fields,
        problem,
    }
    .respond(status)
}
