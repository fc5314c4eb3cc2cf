//! Loading, checking and saving sync setups.

use listbridge_connector::EntityKind;

use super::{
    setup_check::{SetupRefusal, check_setup},
    target::{SyncTarget, TargetError, TargetRows, resolve_target},
};
use crate::{
    AppState,
    connectors::ConnectError,
    engine::{SyncSetup, field_map::FieldMap},
    store::{
        AccountId, ConnectorId, FieldUsageRepo, List, ListKind, ListRepo, SegmentRepo, StoreError,
    },
};

/// Why a setup could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The list or segment is not in the account.
    #[error("{0} was not found")]
    NotFound(String),
    /// The setup cannot work.
    #[error(transparent)]
    Refused(#[from] SetupRefusal),
    /// The setup cannot be kept yet: no CRM is connected to sync with.
    #[error("{0}")]
    NotReady(String),
    /// The CRM connection could not be used.
    #[error(transparent)]
    Connector(#[from] ConnectError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TargetError> for SyncError {
    fn from(err: TargetError) -> Self {
        match err {
            TargetError::NotFound(what) => SyncError::NotFound(what),
            TargetError::Store(e) => SyncError::Store(e),
        }
    }
}

/// The saved setup of a list or segment (defaults when none was saved).
pub async fn load_setup(
    state: &AppState,
    account: AccountId,
    target: SyncTarget,
) -> Result<SyncSetup, SyncError> {
    let rows = resolve_target(state, account, target).await?;
    Ok(rows
        .saved_setup()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default())
}

/// The columns of a target's list that reach a CRM field (each with its field), and
/// the address columns without a Standard Field Name: the fields a setup may name, as
/// [`save_setup`] checks them, so a form can offer exactly those.
pub async fn field_map(
    state: &AppState,
    account: AccountId,
    target: SyncTarget,
) -> Result<FieldMap, SyncError> {
    let rows = resolve_target(state, account, target).await?;
    let connector = connector_of(state, account, &rows.list).await?;
    map_of(state, account, &rows, connector).await
}

/// The field map of a resolved target's list, in the field names of `connector`'s CRM.
async fn map_of(
    state: &AppState,
    account: AccountId,
    rows: &TargetRows,
    connector: ConnectorId,
) -> Result<FieldMap, SyncError> {
    let db = state.store.conn();
    let columns = ListRepo.columns(db, rows.list.id).await?;
    let usages = FieldUsageRepo.all(db, account).await?;
    let vocab = state.connectors().vocabulary(account, connector).await?;
    let entity = rows.list.entity.unwrap_or(EntityKind::Lead);
    Ok(FieldMap::build(&columns, &usages, vocab, entity))
}

/// The connector a list syncs with: its own, else (an uploaded list) the account's first.
async fn connector_of(
    state: &AppState,
    account: AccountId,
    list: &List,
) -> Result<ConnectorId, SyncError> {
    match list.connector_id {
        Some(id) => Ok(id),
        None => state
            .connectors()
            .list(account)
            .await?
            .first()
            .map(|c| c.id)
            .ok_or_else(|| SyncError::NotReady("connect a CRM before setting up a sync".into())),
    }
}

/// Checks and saves a setup.
pub async fn save_setup(
    state: &AppState,
    account: AccountId,
    target: SyncTarget,
    setup: SyncSetup,
) -> Result<SyncSetup, SyncError> {
    let r = resolve_target(state, account, target).await?;
    let db = state.store.conn();
    let connector = connector_of(state, account, &r.list).await?;
    let map = map_of(state, account, &r, connector).await?;
    let entity = r.list.entity.unwrap_or(EntityKind::Lead);
    let defs = state
        .connectors()
        .fields(account, connector, entity)
        .await?;
    let can_pull = r.segment.is_none() && r.list.kind != ListKind::Uploaded;
    check_setup(&setup, can_pull, r.name(), &map, &defs)?;
    let json = serde_json::to_string(&setup).map_err(|e| SyncError::NotReady(e.to_string()))?;
    let now = state.clock.now();
    match target {
        SyncTarget::List(id) => ListRepo.set_sync_setup(db, id, &json, now).await?,
        SyncTarget::Segment(id) => SegmentRepo.set_sync_setup(db, id, &json, now).await?,
    }
    Ok(setup)
}
