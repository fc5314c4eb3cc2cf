//! Bulk writes through `$batch`: one POST per entity and chunk of `batch_size`, with a
//! per-entry outcome read from `http:httpStatus`. When the server has no `$batch`
//! (404/405/501) the connector remembers that and writes one by one. When a batch's
//! outcome is unknown (answer lost, unreadable, or the whole batch refused), each write
//! is redone singly with creates looked up by email first, so nothing is created twice.

use listbridge_connector::{ConnectorError, CrmRecord, EntityKind, WriteOp, WriteOutcome};
use reqwest::Method;

use crate::{
    client::{Failure, Rejection, Reply},
    connector::{Inner, element, resource},
    record,
    response::{self, Context},
    schema::EntitySchema,
    wire::{BatchMethod, OutEntry, WireEntry},
    write,
};

/// What a `$batch` POST came to.
pub(crate) enum BatchAnswer {
    /// One response entry per request entry, in order.
    Entries(Vec<WireEntry>),
    /// The server has no `$batch` for this resource.
    Unsupported,
}

/// Reads a `$batch` reply: per-entry results, or "unsupported".
pub(crate) fn batch_answer(
    reply: &Reply,
    context: &Context,
    expected: usize,
) -> Result<BatchAnswer, Rejection> {
    if matches!(reply.status.as_u16(), 404 | 405 | 501) {
        return Ok(BatchAnswer::Unsupported);
    }
    let feed = response::feed(reply, context)?;
    if feed.entries.len() != expected {
        return Err(Rejection::Malformed(format!(
            "$batch answered {} entries for {expected} writes",
            feed.entries.len()
        )));
    }
    Ok(BatchAnswer::Entries(feed.entries))
}

/// Errors after which the remaining writes would fail the same way.
fn stops_everything(error: &ConnectorError) -> bool {
    matches!(
        error,
        ConnectorError::Auth { .. }
            | ConnectorError::Unreachable { .. }
            | ConnectorError::NotCrmEndpoint { .. }
            | ConnectorError::RateLimited { .. }
    )
}

/// [`listbridge_connector::CrmConnector::write_batch`]: outcomes in the order of `ops`.
pub(crate) async fn write_batch(inner: &Inner, ops: Vec<WriteOp>) -> Vec<WriteOutcome> {
    let mut outcomes: Vec<Option<WriteOutcome>> = vec![None; ops.len()];
    let mut stop: Option<ConnectorError> = None;
    for entity in [EntityKind::Lead, EntityKind::Contact] {
        let indices: Vec<usize> = (0..ops.len())
            .filter(|&i| entity_of(&ops[i]) == entity)
            .collect();
        if indices.is_empty() {
            continue;
        }
        let schema = match inner.schema(entity).await {
            Ok(schema) => schema,
            Err(error) => {
                stop.get_or_insert(error.clone());
                indices
                    .iter()
                    .for_each(|&i| outcomes[i] = Some(Err(error.clone())));
                continue;
            }
        };
        for chunk in indices.chunks(inner.options.batch_size.max(1)) {
            if let Some(error) = &stop {
                chunk
                    .iter()
                    .for_each(|&i| outcomes[i] = Some(Err(error.clone())));
                continue;
            }
            run_chunk(inner, entity, &schema, chunk, &ops, &mut outcomes).await;
            stop = chunk.iter().find_map(|&i| match &outcomes[i] {
                Some(Err(error)) if stops_everything(error) => Some(error.clone()),
                _ => None,
            });
        }
    }
    outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or_else(|| {
                Err(ConnectorError::Transient {
                    message: "the write was not attempted".into(),
                })
            })
        })
        .collect()
}

fn entity_of(op: &WriteOp) -> EntityKind {
    match op {
        WriteOp::Create { entity, .. } | WriteOp::Update { entity, .. } => *entity,
    }
}

async fn run_chunk(
    inner: &Inner,
    entity: EntityKind,
    schema: &EntitySchema,
    chunk: &[usize],
    ops: &[WriteOp],
    outcomes: &mut [Option<WriteOutcome>],
) {
    let mut prepared: Vec<(usize, OutEntry)> = Vec::new();
    for &i in chunk {
        match out_entry(inner, entity, &ops[i], schema) {
            Ok(entry) => prepared.push((i, entry)),
            Err(error) => outcomes[i] = Some(Err(error)),
        }
    }
    if prepared.is_empty() {
        return;
    }
    let indices: Vec<usize> = prepared.iter().map(|(i, _)| *i).collect();
    if !inner.batch_available() || prepared.len() == 1 {
        return singles(inner, &indices, ops, outcomes, false).await;
    }
    let entries: Vec<OutEntry> = prepared.into_iter().map(|(_, e)| e).collect();
    let context = inner.context(entity.as_str(), None);
    let url =
        match inner
            .client
            .endpoint
            .keyword(resource(entity), "$batch", &[inner.format_param()])
        {
            Ok(url) => url,
            Err(error) => {
                return indices
                    .iter()
                    .for_each(|&i| outcomes[i] = Some(Err(error.clone())));
            }
        };
    let request = inner.request(
        Method::POST,
        url,
        resource(entity),
        inner.batch_body(&entries),
        false,
    );
    let answer = inner
        .client
        .execute(&request, |reply| {
            batch_answer(reply, &context, entries.len())
        })
        .await;
    match answer {
        Ok(BatchAnswer::Entries(results)) => {
            for (&i, result) in indices.iter().zip(&results) {
                outcomes[i] = Some(entry_outcome(inner, entity, schema, &ops[i], result).await);
            }
        }
        Ok(BatchAnswer::Unsupported) => {
            tracing::info!(
                resource = resource(entity),
                "the CRM has no $batch; writing one by one"
            );
            inner
                .batch_unsupported
                .store(true, std::sync::atomic::Ordering::Relaxed);
            singles(inner, &indices, ops, outcomes, false).await;
        }
        Err(Failure::Unknown(error))
        | Err(Failure::Final(error @ ConnectorError::Rejected { .. })) => {
            tracing::info!(
                resource = resource(entity),
                "$batch outcome unknown or refused; redoing writes singly"
            );
            tracing::debug!(resource = resource(entity), %error, "$batch failed");
            singles(inner, &indices, ops, outcomes, true).await;
        }
        Err(Failure::Final(error)) => indices
            .iter()
            .for_each(|&i| outcomes[i] = Some(Err(error.clone()))),
    }
}

fn out_entry(
    inner: &Inner,
    entity: EntityKind,
    op: &WriteOp,
    schema: &EntitySchema,
) -> Result<OutEntry, ConnectorError> {
    Ok(match op {
        WriteOp::Create { fields, .. } => OutEntry {
            entity_name: element(entity),
            fields: record::encode_fields(entity, fields, schema)?,
            batch_method: Some(BatchMethod::Post),
            url: None,
            key: None,
            if_match: None,
        },
        WriteOp::Update {
            key, etag, fields, ..
        } => OutEntry {
            entity_name: element(entity),
            fields: record::encode_fields(entity, fields, schema)?,
            batch_method: Some(BatchMethod::Put),
            url: Some(
                inner
                    .client
                    .endpoint
                    .single(resource(entity), key, &[])?
                    .to_string(),
            ),
            key: Some(key.clone()),
            if_match: etag.clone(),
        },
    })
}

/// One entry of a `$batch` answer as an outcome (412 goes through the update rule).
async fn entry_outcome(
    inner: &Inner,
    entity: EntityKind,
    schema: &EntitySchema,
    op: &WriteOp,
    result: &WireEntry,
) -> WriteOutcome {
    let key = match op {
        WriteOp::Update { key, .. } => Some(key.as_str()),
        WriteOp::Create { .. } => None,
    };
    let context = inner.context(entity.as_str(), key);
    match (result.http_status.unwrap_or(200), op) {
        (200..=299, _) => match record::to_record(entity, result, schema) {
            Ok(record) => Ok(record),
            // Applied, but the entry came back without a key: find what was written.
            Err(_) => single(inner, op, true).await,
        },
        (
            412,
            WriteOp::Update {
                key,
                fields,
                expected,
                ..
            },
        ) => {
            let current: Option<CrmRecord> = record::to_record(entity, result, schema).ok();
            write::resolve_stale(inner, entity, key, fields, expected.as_ref(), current).await
        }
        _ => Err(response::entry_error(result, &context)),
    }
}

async fn single(inner: &Inner, op: &WriteOp, lookup_first: bool) -> WriteOutcome {
    match op {
        WriteOp::Create { entity, fields } => {
            write::create(inner, *entity, fields, lookup_first).await
        }
        WriteOp::Update {
            entity,
            key,
            etag,
            fields,
            expected,
        } => {
            write::update(
                inner,
                *entity,
                key,
                etag.as_deref(),
                fields,
                expected.as_ref(),
            )
            .await
        }
    }
}

async fn singles(
    inner: &Inner,
    indices: &[usize],
    ops: &[WriteOp],
    outcomes: &mut [Option<WriteOutcome>],
    lookup_first: bool,
) {
    let results = futures::future::join_all(
        indices
            .iter()
            .map(|&i| single(inner, &ops[i], lookup_first)),
    )
    .await;
    for (&i, result) in indices.iter().zip(results) {
        outcomes[i] = Some(result);
    }
}
