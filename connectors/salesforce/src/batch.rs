//! `write_batch` over sObject Collections: creates as `POST composite/sobjects`, updates
//! as `PATCH composite/sobjects`, `allOrNone: false`, up to `batch_size` (at most 200)
//! records a request, each record's own outcome in the order of the ops.
//!
//! Updates with `expected` are checked first, with one query per entity for the current
//! versions: when the record moved on since its etag and one of the expected fields now
//! holds neither the expected value nor the value being written, the op is not sent and
//! its outcome is [`ConnectorError::Conflict`] with the current record.
//!
//! A Collections create whose answer was lost is recovered record by record: each is
//! looked up by email and only posted again (singly, see `write`) when not found.

use std::collections::{BTreeSet, HashMap};

use listbridge_connector::{
    ConnectorError, ConnectorResult, CrmRecord, EntityKind, FieldValues, WriteOp, WriteOutcome,
};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use crate::{
    client::{Failure, Request},
    connector::Inner,
    describe::sobject,
    errors::{self, ApiError},
    lookup, record, write,
};

/// One save result of a Collections request.
#[derive(Debug, Deserialize)]
pub(crate) struct SaveResult {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub success: bool,
    #[serde(default)]
    pub errors: Vec<ApiError>,
}

impl SaveResult {
    /// The record's own error.
    pub fn error(&self, entity: &str) -> ConnectorError {
        if self
            .errors
            .iter()
            .any(|e| e.error_code == "ENTITY_IS_DELETED")
            && let Some(id) = &self.id
        {
            return ConnectorError::NotFound {
                entity: entity.to_string(),
                key: id.clone(),
            };
        }
        let message = self
            .errors
            .iter()
            .map(ApiError::describe)
            .collect::<Vec<_>>()
            .join("; ");
        ConnectorError::Rejected {
            message: if message.is_empty() {
                "Salesforce refused the record without saying why".into()
            } else {
                message
            },
        }
    }
}

/// Sends one Collections request of `records` (each with its `attributes`), answering
/// one save result per record.
pub(crate) async fn collection(
    inner: &Inner,
    method: Method,
    sobject_name: &'static str,
    records: Vec<Json>,
) -> Result<Vec<SaveResult>, Failure> {
    let count = records.len();
    let url = inner
        .client
        .data_url("composite/sobjects")
        .map_err(Failure::Final)?;
    let body = json!({"allOrNone": false, "records": records});
    let request = Request::json(method, url, sobject_name, &body);
    let reply = inner.client.execute(&request).await?;
    if !reply.status.is_success() {
        return Err(Failure::Final(errors::answer_error(
            reply.status,
            &reply.body,
            sobject_name,
            "",
        )));
    }
    match serde_json::from_str::<Vec<SaveResult>>(&reply.body) {
        Ok(results) if results.len() == count => Ok(results),
        _ => Err(Failure::Unknown(ConnectorError::Transient {
            message: "an unreadable sObject Collections answer".into(),
        })),
    }
}

/// A record body with its type, for Collections.
fn typed(entity: EntityKind, mut body: Map<String, Json>, id: Option<&str>) -> Json {
    body.insert("attributes".into(), json!({"type": sobject(entity)}));
    if let Some(id) = id {
        body.insert("Id".into(), Json::String(id.to_string()));
    }
    Json::Object(body)
}

/// Whether two canonical values are the same (empty and null alike; text as written).
fn same(a: Option<&str>, b: Option<&str>) -> bool {
    a.unwrap_or("") == b.unwrap_or("")
}

/// Whether `current` moved on from what the caller expected, in a field being written.
fn changed_in_crm(
    current: &CrmRecord,
    etag: Option<&str>,
    fields: &FieldValues,
    expected: &FieldValues,
) -> bool {
    if etag.is_some() && current.etag.as_deref() == etag {
        return false;
    }
    expected.iter().any(|(name, was)| {
        let now = current
            .fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref());
        let ours = fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref());
        !same(now, was.as_deref()) && !same(now, ours)
    })
}

/// One op waiting for its request.
struct Pending {
    index: usize,
    entity: EntityKind,
    body: Json,
    fields: FieldValues,
}

/// [`listbridge_connector::CrmConnector::write_batch`].
pub(crate) async fn write_batch(
    inner: &Inner,
    ops: Vec<WriteOp>,
) -> ConnectorResult<Vec<WriteOutcome>> {
    let mut outcomes: Vec<Option<WriteOutcome>> = (0..ops.len()).map(|_| None).collect();
    let current = current_versions(inner, &ops).await?;
    let mut creates: Vec<Pending> = Vec::new();
    let mut updates: Vec<Pending> = Vec::new();
    for (index, op) in ops.into_iter().enumerate() {
        match op {
            WriteOp::Create { entity, fields } => {
                let schema = inner.schema(entity).await?;
                match record::to_json(&schema, &fields) {
                    Ok(body) => creates.push(Pending {
                        index,
                        entity,
                        body: typed(entity, body, None),
                        fields,
                    }),
                    Err(e) => outcomes[index] = Some(Err(e)),
                }
            }
            WriteOp::Update {
                entity,
                key,
                etag,
                fields,
                expected,
            } => {
                let Some(id) = crate::id::to_18(&key) else {
                    outcomes[index] = Some(Err(ConnectorError::Invalid {
                        message: format!("'{key}' is not a Salesforce Id"),
                    }));
                    continue;
                };
                if let Some(expected) = &expected {
                    match current.get(&(entity, id.clone())) {
                        None => {
                            outcomes[index] = Some(Err(ConnectorError::NotFound {
                                entity: entity.to_string(),
                                key: id,
                            }));
                            continue;
                        }
                        Some(now) if changed_in_crm(now, etag.as_deref(), &fields, expected) => {
                            outcomes[index] = Some(Err(ConnectorError::Conflict {
                                entity: entity.to_string(),
                                key: id,
                                current: Some(Box::new(now.clone())),
                            }));
                            continue;
                        }
                        Some(_) => {}
                    }
                }
                let schema = inner.schema(entity).await?;
                match record::to_json(&schema, &fields) {
                    Ok(body) => updates.push(Pending {
                        index,
                        entity,
                        body: typed(entity, body, Some(&id)),
                        fields,
                    }),
                    Err(e) => outcomes[index] = Some(Err(e)),
                }
            }
        }
    }
    let mut written: Vec<(usize, EntityKind, String, FieldValues)> = Vec::new();
    for (method, pending) in [(Method::POST, creates), (Method::PATCH, updates)] {
        for entity in [EntityKind::Lead, EntityKind::Contact] {
            let mine: Vec<Pending> = pending
                .iter()
                .filter(|p| p.entity == entity)
                .map(|p| Pending {
                    index: p.index,
                    entity,
                    body: p.body.clone(),
                    fields: p.fields.clone(),
                })
                .collect();
            for chunk in mine.chunks(inner.options.batch_size.clamp(1, 200)) {
                let records: Vec<Json> = chunk.iter().map(|p| p.body.clone()).collect();
                match collection(inner, method.clone(), sobject(entity), records).await {
                    Ok(results) => {
                        for (p, result) in chunk.iter().zip(results) {
                            match result.id.as_deref().and_then(crate::id::to_18) {
                                Some(id) if result.success => {
                                    written.push((p.index, entity, id, p.fields.clone()))
                                }
                                _ => outcomes[p.index] = Some(Err(result.error(entity.as_str()))),
                            }
                        }
                    }
                    Err(Failure::Unknown(_)) if method == Method::POST => {
                        // Whether any of them was made is not known: one by one, each
                        // looked up by email before it is posted again.
                        for p in chunk {
                            outcomes[p.index] =
                                Some(recover_create(inner, entity, &p.fields).await);
                        }
                    }
                    Err(failure) => {
                        let error = failure.into_error();
                        // Nothing more would be taken today: the whole batch fails (the
                        // run stops) instead of sending the other chunks to be refused.
                        if error.is_allowance_used_up() {
                            return Err(error);
                        }
                        for p in chunk {
                            outcomes[p.index] = Some(Err(error.clone()));
                        }
                    }
                }
            }
        }
    }
    read_written(inner, written, &mut outcomes).await?;
    Ok(outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or_else(|| {
                Err(ConnectorError::Transient {
                    message: "the write was not sent".into(),
                })
            })
        })
        .collect())
}

/// A create of a batch whose answer was lost: found by email, else created singly.
async fn recover_create(inner: &Inner, entity: EntityKind, fields: &FieldValues) -> WriteOutcome {
    let names: Vec<String> = fields.keys().cloned().collect();
    let Some(email) = write::email_of(fields) else {
        return Err(ConnectorError::Transient {
            message: "Salesforce's answer to a batch create was lost and the record has no email to look it up by; it is not sent again".into(),
        });
    };
    if let Some(found) = write::find_created(inner, entity, &email, &names).await? {
        return Ok(found);
    }
    write::create(inner, entity, fields).await
}

/// The current version of every record an op with `expected` updates, one query per
/// entity.
async fn current_versions(
    inner: &Inner,
    ops: &[WriteOp],
) -> ConnectorResult<HashMap<(EntityKind, String), CrmRecord>> {
    let mut wanted: HashMap<EntityKind, (Vec<String>, BTreeSet<String>)> = HashMap::new();
    for op in ops {
        if let WriteOp::Update {
            entity,
            key,
            fields,
            expected: Some(expected),
            ..
        } = op
            && let Some(id) = crate::id::to_18(key)
        {
            let (ids, names) = wanted.entry(*entity).or_default();
            ids.push(id);
            names.extend(fields.keys().cloned());
            names.extend(expected.keys().cloned());
        }
    }
    let mut out = HashMap::new();
    for (entity, (ids, names)) in wanted {
        let names: Vec<String> = names.into_iter().collect();
        for record in lookup::get_by_keys(inner, entity, &ids, &names).await? {
            out.insert((entity, record.key.clone()), record);
        }
    }
    Ok(out)
}

/// Reads back what was written (its new version), one query per entity.
async fn read_written(
    inner: &Inner,
    written: Vec<(usize, EntityKind, String, FieldValues)>,
    outcomes: &mut [Option<WriteOutcome>],
) -> ConnectorResult<()> {
    for entity in [EntityKind::Lead, EntityKind::Contact] {
        let mine: Vec<_> = written.iter().filter(|w| w.1 == entity).collect();
        if mine.is_empty() {
            continue;
        }
        let ids: Vec<String> = mine.iter().map(|w| w.2.clone()).collect();
        let names: BTreeSet<String> = mine.iter().flat_map(|w| w.3.keys().cloned()).collect();
        let names: Vec<String> = names.into_iter().collect();
        let records = lookup::get_by_keys(inner, entity, &ids, &names).await?;
        for (index, _, id, _) in mine {
            outcomes[*index] = Some(records.iter().find(|r| &r.key == id).cloned().ok_or_else(
                || ConnectorError::NotFound {
                    entity: entity.to_string(),
                    key: id.clone(),
                },
            ));
        }
    }
    Ok(())
}
