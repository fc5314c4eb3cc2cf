//! Loading, checking and saving sync setups; Run Now.

use listbridge_connector::EntityKind;

use super::setup_check::{SetupRefusal, check_setup};
use crate::{
    AppState,
    connectors::ConnectError,
    engine::{SyncSetup, field_map::FieldMap},
    runs::queue_run,
    store::{
        AccountId, List, ListId, ListKind, ListRepo, NewRun, Queued, RunKind, RunTrigger,
        SegmentId, SegmentRepo, StoreError,
    },
};

/// What a setup or a run belongs to.
#[derive(Debug, Clone, Copy)]
pub enum SyncTarget {
    /// A list.
    List(ListId),
    /// A segment of a list.
    Segment(SegmentId),
}

/// Why a setup could not be saved or a run not started.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The list or segment is not in the account.
    #[error("{0} was not found")]
    NotFound(String),
    /// The setup cannot work.
    #[error(transparent)]
    Refused(#[from] SetupRefusal),
    /// The list is still importing or has no setup.
    #[error("{0}")]
    NotReady(String),
    /// The CRM connection could not be used.
    #[error(transparent)]
    Connector(#[from] ConnectError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A Run Now request.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunRequest {
    /// Plan only.
    pub dry_run: bool,
}

struct Resolved {
    list: List,
    segment: Option<crate::store::Segment>,
}

async fn resolve(
    state: &AppState,
    account: AccountId,
    target: SyncTarget,
) -> Result<Resolved, SyncError> {
    let db = state.store.conn();
    match target {
        SyncTarget::List(id) => {
            let list = ListRepo
                .get(db, account, id)
                .await?
                .ok_or_else(|| SyncError::NotFound(format!("list {id}")))?;
            Ok(Resolved {
                list,
                segment: None,
            })
        }
        SyncTarget::Segment(id) => {
            let segment = SegmentRepo
                .get(db, account, id)
                .await?
                .ok_or_else(|| SyncError::NotFound(format!("segment {id}")))?;
            let list = ListRepo
                .get(db, account, segment.list_id)
                .await?
                .ok_or_else(|| SyncError::NotFound(format!("list {}", segment.list_id)))?;
            Ok(Resolved {
                list,
                segment: Some(segment),
            })
        }
    }
}

/// The saved setup of a list or segment (defaults when none was saved).
pub async fn load_setup(
    state: &AppState,
    account: AccountId,
    target: SyncTarget,
) -> Result<SyncSetup, SyncError> {
    let r = resolve(state, account, target).await?;
    let raw = r
        .segment
        .as_ref()
        .map_or(r.list.sync_setup.clone(), |s| s.sync_setup.clone());
    Ok(raw
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

/// Checks and saves a setup.
pub async fn save_setup(
    state: &AppState,
    account: AccountId,
    target: SyncTarget,
    setup: SyncSetup,
) -> Result<SyncSetup, SyncError> {
    let r = resolve(state, account, target).await?;
    let db = state.store.conn();
    let columns = ListRepo.columns(db, r.list.id).await?;
    let usages = ListRepo.usages(db, account).await?;
    let map = FieldMap::build(&columns, &usages);
    let connector = match r.list.connector_id {
        Some(id) => id,
        None => state
            .connectors()
            .list(account)
            .await?
            .first()
            .map(|c| c.id)
            .ok_or_else(|| SyncError::NotReady("connect a CRM before setting up a sync".into()))?,
    };
    let entity = r.list.entity.unwrap_or(EntityKind::Lead);
    let defs = state
        .connectors()
        .fields(account, connector, entity)
        .await?;
    let can_pull = r.segment.is_none() && r.list.kind != ListKind::Uploaded;
    let name = r
        .segment
        .as_ref()
        .map_or(r.list.name.as_str(), |s| s.name.as_str());
    check_setup(&setup, can_pull, name, &map, &defs)?;
    let json = serde_json::to_string(&setup).map_err(|e| SyncError::NotReady(e.to_string()))?;
    let now = state.clock.now();
    match target {
        SyncTarget::List(id) => ListRepo.set_sync_setup(db, id, &json, now).await?,
        SyncTarget::Segment(id) => SegmentRepo.set_sync_setup(db, id, &json, now).await?,
    }
    Ok(setup)
}

/// *Run Now*: queues a sync run, or returns the run already active for the target.
pub async fn run_now(
    state: &AppState,
    account: AccountId,
    target: SyncTarget,
    request: RunRequest,
) -> Result<Queued, SyncError> {
    let r = resolve(state, account, target).await?;
    if r.list.status != crate::store::ListStatus::Ready {
        return Err(SyncError::NotReady(format!(
            "list '{}' is still importing; run it when the import has finished",
            r.list.name
        )));
    }
    let has_setup = r
        .segment
        .as_ref()
        .map_or(r.list.sync_setup.is_some(), |s| s.sync_setup.is_some());
    if !has_setup {
        return Err(SyncError::NotReady(
            "save a sync setup (PUT …/sync) before running".into(),
        ));
    }
    let new = NewRun {
        account_id: account,
        list_id: r.list.id,
        segment_id: r.segment.map(|s| s.id),
        kind: RunKind::Sync,
        trigger: RunTrigger::Manual,
        dry_run: request.dry_run,
    };
    Ok(queue_run(state, new).await?)
}
