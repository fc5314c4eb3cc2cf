//! Loading, checking and saving sync setups.

use listbridge_connector::EntityKind;
use sea_orm::TransactionTrait;

use super::{
    setup_check::{SetupRefusal, check_setup},
    target::{SyncTarget, TargetError, TargetRows, resolve_target},
};
use crate::{
    AppState,
    connectors::ConnectError,
    engine::{SyncSetup, field_map::FieldMap},
    store::{
        AccountId, ConnectorId, FieldUsageRepo, List, ListConnector, ListKind, ListRepo,
        SegmentRepo, StoreError,
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
    let mut setup: SyncSetup = rows
        .saved_setup()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    setup.connector_id = rows.list.push_connector_id;
    Ok(setup)
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
    let connector = connector_of(state, account, &rows.list, None, Choice::FirstIfUnchosen).await?;
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

/// Whether a setup being read may show an uploaded list's connector before it chose one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    /// Reading: an uploaded list that has yet to choose among several shows the
    /// account's first (what a setup form shows before the choice).
    FirstIfUnchosen,
    /// Saving: such a list must name its connector.
    Required,
}

/// The connector a list's setup is checked against: `chosen` (an uploaded list's
/// choice, which must be one of the account's; a list imported from a CRM has no
/// choice), else the one it syncs through, else as `choice` says.
async fn connector_of(
    state: &AppState,
    account: AccountId,
    list: &List,
    chosen: Option<ConnectorId>,
    choice: Choice,
) -> Result<ConnectorId, SyncError> {
    let connectors = state.store.connectors();
    let refused = |code, message, field: &str| {
        Err(SyncError::from(SetupRefusal {
            code,
            message,
            names: vec![field.to_string()],
        }))
    };
    match (list.connector_id, chosen) {
        (Some(own), Some(other)) if own != other => refused(
            "connector_not_allowed",
            format!(
                "list '{}' was imported from a CRM and syncs with it: it cannot push to \
                 another (leave connector_id out)",
                list.name
            ),
            "connector_id",
        ),
        (Some(own), _) => Ok(own),
        (None, Some(id)) => match connectors.get(account, id).await? {
            Some(record) => Ok(record.id),
            None => refused(
                "unknown_connector",
                format!("connector_id: this account has no connector {id}"),
                "connector_id",
            ),
        },
        (None, None) => match connectors.of_list(account, list).await? {
            ListConnector::Found(record) => Ok(record.id),
            ListConnector::NoneConnected => Err(SyncError::NotReady(
                "connect a CRM before setting up a sync".into(),
            )),
            ListConnector::NotChosen { first } => match choice {
                Choice::FirstIfUnchosen => Ok(first.id),
                Choice::Required => refused(
                    "connector_required",
                    format!(
                        "list '{}' was uploaded and this account has several CRMs: say which \
                         one it pushes to (connector_id)",
                        list.name
                    ),
                    "connector_id",
                ),
            },
        },
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
    let connector = connector_of(
        state,
        account,
        &r.list,
        setup.connector_id,
        Choice::Required,
    )
    .await?;
    let map = map_of(state, account, &r, connector).await?;
    let entity = r.list.entity.unwrap_or(EntityKind::Lead);
    let defs = state
        .connectors()
        .fields(account, connector, entity)
        .await?;
    let can_pull = r.segment.is_none() && r.list.kind != ListKind::Uploaded;
    check_setup(&setup, can_pull, r.name(), &map, &defs)?;
    // The connector is the list's, kept with it (an uploaded list's choice is pinned, so
    // a CRM connected later does not move its pushes).
    let stored = SyncSetup {
        connector_id: None,
        ..setup.clone()
    };
    let json = serde_json::to_string(&stored).map_err(|e| SyncError::NotReady(e.to_string()))?;
    let now = state.clock.now();
    let tx = db.begin().await.map_err(StoreError::from)?;
    match target {
        SyncTarget::List(id) => ListRepo.set_sync_setup(&tx, id, &json, now).await?,
        SyncTarget::Segment(id) => SegmentRepo.set_sync_setup(&tx, id, &json, now).await?,
    }
    let pushes_to = match r.list.connector_id {
        Some(_) => None,
        None => {
            ListRepo
                .set_push_connector(&tx, r.list.id, connector)
                .await?;
            Some(connector)
        }
    };
    tx.commit().await.map_err(StoreError::from)?;
    Ok(SyncSetup {
        connector_id: pushes_to,
        ..setup
    })
}
