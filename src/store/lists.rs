//! Lists and their columns. (The account's field usages have their own repository,
//! [`super::FieldUsageRepo`].)

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use listbridge_connector::{EntityKind, Watermark};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::{
    AccountId, ConnectorId, ListId, StoreError,
    entity::{list, list_column, member},
};
use crate::{clock::Random, domain::field_usage::SystemUsage};

/// What a list is and where its members come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// Imported from CRM leads; linked to the CRM.
    CrmLead,
    /// Imported from CRM contacts; linked to the CRM.
    CrmContact,
    /// Uploaded from a CSV file; can only push.
    Uploaded,
}

impl ListKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::CrmLead => "crm_lead",
            ListKind::CrmContact => "crm_contact",
            ListKind::Uploaded => "uploaded",
        }
    }
    fn parse(raw: &str) -> Option<Self> {
        [ListKind::CrmLead, ListKind::CrmContact, ListKind::Uploaded]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
    /// The CRM list kind for an entity.
    pub fn for_entity(entity: EntityKind) -> Self {
        match entity {
            EntityKind::Lead => ListKind::CrmLead,
            EntityKind::Contact => ListKind::CrmContact,
        }
    }
}

/// Whether a list can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListStatus {
    /// Its import is running.
    Importing,
    /// Usable.
    Ready,
    /// Its import failed (see the import run).
    Failed,
}

impl ListStatus {
    fn as_str(self) -> &'static str {
        match self {
            ListStatus::Importing => "importing",
            ListStatus::Ready => "ready",
            ListStatus::Failed => "failed",
        }
    }
    fn parse(raw: &str) -> Option<Self> {
        [ListStatus::Importing, ListStatus::Ready, ListStatus::Failed]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
}

/// A list as the engine and the API see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct List {
    /// List id.
    pub id: ListId,
    /// Owning account.
    #[serde(skip)]
    pub account_id: AccountId,
    /// Name, unique in the account.
    pub name: String,
    /// What it is.
    pub kind: ListKind,
    /// The CRM connection of a CRM list.
    pub connector_id: Option<ConnectorId>,
    /// The CRM connection an uploaded list pushes to (chosen in its sync setup).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_connector_id: Option<ConnectorId>,
    /// Lead or contact, for CRM lists.
    #[schema(value_type = Option<String>)]
    pub entity: Option<EntityKind>,
    /// Usable or importing.
    pub status: ListStatus,
    /// Members.
    pub member_count: i64,
    /// The saved sync setup (JSON), if any.
    #[serde(skip)]
    pub sync_setup: Option<String>,
    /// Pull watermark.
    #[serde(skip)]
    pub watermark: Option<Watermark>,
    /// When the last complete read of CRM changes up to the watermark began (this
    /// service's clock); a pull skips its overlap once the watermark is old enough.
    #[serde(skip)]
    pub watermark_read_at: Option<DateTime<Utc>>,
    /// Where the next sweep for CRM records that moved (leads converted into contacts)
    /// starts; `None` until a sweep ended (the list's creation is the start then).
    #[serde(skip)]
    pub moves_since: Option<DateTime<Utc>>,
    /// Where the next read of the other entity's records that members are linked to
    /// starts (a lead list's members that followed converted leads to their contacts);
    /// `None` until a pull ended (the list's creation is the start then).
    #[serde(skip)]
    pub followed_since: Option<DateTime<Utc>>,
    /// When a sync last finished.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

/// A column of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ListColumn {
    /// Column name, unique in the list.
    pub name: String,
    /// The CRM field it mirrors, for CRM lists.
    pub crm_field: Option<String>,
    /// Added but not filled yet: the next sync fills it.
    pub pending: bool,
    /// What the mirrored CRM field means (its Standard Field Name, as the list's
    /// connector names it), if it is the field of one: the phone index and caller
    /// lookups read it, so they never need a CRM's field names.
    pub usage: Option<SystemUsage>,
}

impl ListColumn {
    /// A column of an uploaded list: it holds what the list's people gave, no CRM field.
    pub fn plain(name: impl Into<String>) -> Self {
        ListColumn {
            name: name.into(),
            crm_field: None,
            pending: false,
            usage: None,
        }
    }

    /// A column of a CRM list, named for the CRM field it mirrors; `pending` until a
    /// sync first fills it.
    pub fn mirroring(field: impl Into<String>, pending: bool) -> Self {
        let field = field.into();
        ListColumn {
            name: field.clone(),
            crm_field: Some(field),
            pending,
            usage: None,
        }
    }

    /// The same column, meaning `usage` (the Standard Field Name of its CRM field).
    pub fn meaning(self, usage: Option<SystemUsage>) -> Self {
        ListColumn { usage, ..self }
    }
}

/// A column row as the store holds it.
fn to_column(c: list_column::Model) -> ListColumn {
    ListColumn {
        usage: c.usage.as_deref().and_then(SystemUsage::parse),
        name: c.name,
        crm_field: c.crm_field,
        pending: c.pending,
    }
}

fn to_list(row: list::Model) -> Result<List, StoreError> {
    let corrupt = |m: &str| StoreError::Corrupt {
        table: "lists",
        id: row.id.clone(),
        message: m.into(),
    };
    Ok(List {
        id: ListId::from_db(&row.id).ok_or_else(|| corrupt("id"))?,
        account_id: AccountId::from_db(&row.account_id).ok_or_else(|| corrupt("account_id"))?,
        name: row.name.clone(),
        kind: ListKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
        connector_id: row.connector_id.as_deref().and_then(ConnectorId::from_db),
        push_connector_id: row
            .push_connector_id
            .as_deref()
            .and_then(ConnectorId::from_db),
        entity: row.entity.as_deref().and_then(|e| e.parse().ok()),
        status: ListStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        member_count: row.member_count,
        sync_setup: row.sync_setup.clone(),
        watermark: match (row.watermark_modified, row.watermark_key.clone()) {
            (Some(modified), Some(key)) => Some(Watermark { modified, key }),
            _ => None,
        },
        watermark_read_at: row.watermark_read_at,
        moves_since: row.moves_since,
        followed_since: row.followed_since,
        last_synced_at: row.last_synced_at,
        created_at: row.created_at,
    })
}

/// A list to create.
#[derive(Debug, Clone)]
pub struct NewList {
    /// Owning account.
    pub account_id: AccountId,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: ListKind,
    /// CRM connection for CRM lists.
    pub connector_id: Option<ConnectorId>,
    /// Status to start in.
    pub status: ListStatus,
    /// Its columns, in order.
    pub columns: Vec<ListColumn>,
}

/// Reads and writes `lists` and `list_columns`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ListRepo;

impl ListRepo {
    /// Creates a list with its columns, their ids drawn from `ids`.
    pub async fn create<C: ConnectionTrait>(
        &self,
        db: &C,
        new: NewList,
        ids: &dyn Random,
        now: DateTime<Utc>,
    ) -> Result<List, StoreError> {
        let id = ListId::from(ids.uuid());
        let entity = match new.kind {
            ListKind::CrmLead => Some(EntityKind::Lead),
            ListKind::CrmContact => Some(EntityKind::Contact),
            ListKind::Uploaded => None,
        };
        let row = list::ActiveModel {
            id: Set(id.as_db()),
            account_id: Set(new.account_id.as_db()),
            name: Set(new.name.clone()),
            kind: Set(new.kind.as_str().into()),
            connector_id: Set(new.connector_id.map(|c| c.as_db())),
            push_connector_id: Set(None),
            entity: Set(entity.map(|e| e.as_str().to_string())),
            status: Set(new.status.as_str().into()),
            member_count: Set(0),
            sync_setup: Set(None),
            watermark_modified: Set(None),
            watermark_key: Set(None),
            watermark_read_at: Set(None),
            moves_since: Set(None),
            followed_since: Set(None),
            links_other_entity: Set(false),
            change_seq: Set(0),
            push_seq: Set(0),
            push_basis: Set(None),
            last_synced_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        list::Entity::insert(row)
            .exec_without_returning(db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("a list named '{}'", new.name)))?;
        self.add_columns(db, id, &new.columns, ids, now).await?;
        self.get(db, new.account_id, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                table: "lists",
                id: id.as_db(),
                message: "vanished after insert".into(),
            })
    }

    /// A list of an account.
    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        id: ListId,
    ) -> Result<Option<List>, StoreError> {
        list::Entity::find_by_id(id.as_db())
            .filter(list::Column::AccountId.eq(account.as_db()))
            .one(db)
            .await?
            .map(to_list)
            .transpose()
    }

    /// All lists of an account, newest first.
    pub async fn all<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<Vec<List>, StoreError> {
        list::Entity::find()
            .filter(list::Column::AccountId.eq(account.as_db()))
            .order_by_desc(list::Column::CreatedAt)
            .all(db)
            .await?
            .into_iter()
            .map(to_list)
            .collect()
    }

    /// Renames a list; false when it does not exist.
    pub async fn rename<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        id: ListId,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let res = list::Entity::update_many()
            .col_expr(list::Column::Name, Expr::value(name))
            .col_expr(list::Column::UpdatedAt, Expr::value(now))
            .filter(list::Column::Id.eq(id.as_db()))
            .filter(list::Column::AccountId.eq(account.as_db()))
            .exec(db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("a list named '{name}'")))?;
        Ok(res.rows_affected == 1)
    }

    /// Deletes a list with its members, columns, segments and runs; false when absent.
    pub async fn delete<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        id: ListId,
    ) -> Result<bool, StoreError> {
        let res = list::Entity::delete_many()
            .filter(list::Column::Id.eq(id.as_db()))
            .filter(list::Column::AccountId.eq(account.as_db()))
            .exec(db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Sets status.
    pub async fn set_status<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
        status: ListStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        list::Entity::update_many()
            .col_expr(list::Column::Status, Expr::value(status.as_str()))
            .col_expr(list::Column::UpdatedAt, Expr::value(now))
            .filter(list::Column::Id.eq(id.as_db()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Saves the sync setup JSON.
    pub async fn set_sync_setup<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
        setup: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        list::Entity::update_many()
            .col_expr(list::Column::SyncSetup, Expr::value(setup))
            .col_expr(list::Column::UpdatedAt, Expr::value(now))
            .filter(list::Column::Id.eq(id.as_db()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Records the CRM connection uploaded list `id` pushes to, in the caller's
    /// transaction.
    pub async fn set_push_connector<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
        connector: ConnectorId,
    ) -> Result<(), StoreError> {
        list::Entity::update_many()
            .col_expr(
                list::Column::PushConnectorId,
                Expr::value(connector.as_db()),
            )
            .filter(list::Column::Id.eq(id.as_db()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Moves the pull watermark forward (never back) in the caller's transaction.
    pub async fn advance_watermark<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
        to: &Watermark,
    ) -> Result<(), StoreError> {
        let Some(row) = list::Entity::find_by_id(id.as_db()).one(db).await? else {
            return Ok(());
        };
        let current = match (row.watermark_modified, row.watermark_key) {
            (Some(modified), Some(key)) => Some(Watermark { modified, key }),
            _ => None,
        };
        if current.as_ref().is_some_and(|c| c >= to) {
            return Ok(());
        }
        list::Entity::update_many()
            .col_expr(list::Column::WatermarkModified, Expr::value(to.modified))
            .col_expr(list::Column::WatermarkKey, Expr::value(to.key.as_str()))
            .filter(list::Column::Id.eq(id.as_db()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Records that a read of CRM changes that began at `at` reached the end: everything
    /// up to the watermark was seen by then.
    pub async fn mark_watermark_read<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        set_instant(db, id, list::Column::WatermarkReadAt, at).await
    }

    /// Records that a sweep for moved CRM records read everything up to `to`: the next
    /// one starts there.
    pub async fn mark_moves_read<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
        to: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        set_instant(db, id, list::Column::MovesSince, to).await
    }

    /// Records that a read of the records members followed into the other entity read
    /// everything up to `to`: the next one starts there.
    pub async fn mark_followed_read<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
        to: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        set_instant(db, id, list::Column::FollowedSince, to).await
    }

    /// Records that a member of the list is now linked to a record of the other entity
    /// (see [`Self::links_other_entity`]); a list already marked is not written again.
    pub async fn mark_links_other_entity<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
    ) -> Result<(), StoreError> {
        list::Entity::update_many()
            .col_expr(list::Column::LinksOtherEntity, Expr::value(true))
            .filter(list::Column::Id.eq(id.as_db()))
            .filter(list::Column::LinksOtherEntity.eq(false))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Whether any member of the list was ever linked to a record of the other entity
    /// (a lead list's member that followed its converted lead to the contact, or that a
    /// push matched to a contact), so that a pull reads that entity too. Read afresh, as
    /// a run's own earlier steps may have set it.
    pub async fn links_other_entity<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
    ) -> Result<bool, StoreError> {
        let found = list::Entity::find_by_id(id.as_db())
            .select_only()
            .column(list::Column::LinksOtherEntity)
            .into_tuple::<bool>()
            .one(db)
            .await?;
        Ok(found.unwrap_or(false))
    }

    /// Records that a sync finished, and recounts members.
    pub async fn mark_synced<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        list::Entity::update_many()
            .col_expr(list::Column::LastSyncedAt, Expr::value(now))
            .filter(list::Column::Id.eq(id.as_db()))
            .exec(db)
            .await?;
        self.recount(db, id).await
    }

    /// Recomputes `member_count`.
    pub async fn recount<C: ConnectionTrait>(&self, db: &C, id: ListId) -> Result<(), StoreError> {
        let count = member::Entity::find()
            .filter(member::Column::ListId.eq(id.as_db()))
            .count(db)
            .await?;
        list::Entity::update_many()
            .col_expr(
                list::Column::MemberCount,
                Expr::value(i64::try_from(count).unwrap_or(i64::MAX)),
            )
            .filter(list::Column::Id.eq(id.as_db()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// The columns of a list, in order.
    pub async fn columns<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
    ) -> Result<Vec<ListColumn>, StoreError> {
        Ok(list_column::Entity::find()
            .filter(list_column::Column::ListId.eq(id.as_db()))
            .order_by_asc(list_column::Column::Position)
            .all(db)
            .await?
            .into_iter()
            .map(to_column)
            .collect())
    }

    /// The columns of several lists, each in order, in one statement (a caller lookup
    /// reads the lists holding the matched record at once).
    pub async fn columns_of<C: ConnectionTrait>(
        &self,
        db: &C,
        ids: &[ListId],
    ) -> Result<HashMap<ListId, Vec<ListColumn>>, StoreError> {
        let mut out: HashMap<ListId, Vec<ListColumn>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let rows = list_column::Entity::find()
            .filter(list_column::Column::ListId.is_in(ids.iter().map(ListId::as_db)))
            .order_by_asc(list_column::Column::ListId)
            .order_by_asc(list_column::Column::Position)
            .all(db)
            .await?;
        for c in rows {
            let list = ListId::from_db(&c.list_id).ok_or_else(|| StoreError::Corrupt {
                table: "list_columns",
                id: c.list_id.clone(),
                message: "list_id".into(),
            })?;
            out.entry(list).or_default().push(to_column(c));
        }
        Ok(out)
    }

    /// Appends columns, their ids drawn from `ids` (names already present are refused as
    /// duplicates).
    pub async fn add_columns<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
        columns: &[ListColumn],
        ids: &dyn Random,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if columns.is_empty() {
            return Ok(());
        }
        let start = list_column::Entity::find()
            .filter(list_column::Column::ListId.eq(id.as_db()))
            .count(db)
            .await?;
        let start = i32::try_from(start).unwrap_or(i32::MAX);
        let rows = columns
            .iter()
            .enumerate()
            .map(|(i, c)| list_column::ActiveModel {
                id: Set(ids.uuid().to_string()),
                list_id: Set(id.as_db()),
                name: Set(c.name.clone()),
                crm_field: Set(c.crm_field.clone()),
                position: Set(start.saturating_add(i32::try_from(i).unwrap_or(i32::MAX))),
                pending: Set(c.pending),
                usage: Set(c.usage.map(|u| u.as_str().to_string())),
                created_at: Set(now),
            });
        list_column::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await
            .map_err(|e| {
                StoreError::from_write(e, || {
                    format!(
                        "a column named {}",
                        columns
                            .iter()
                            .map(|c| format!("'{}'", c.name))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )
                })
            })?;
        Ok(())
    }

    /// Marks these pending columns of a list as filled.
    pub async fn clear_pending<C: ConnectionTrait>(
        &self,
        db: &C,
        id: ListId,
        names: &[String],
    ) -> Result<(), StoreError> {
        list_column::Entity::update_many()
            .col_expr(list_column::Column::Pending, Expr::value(false))
            .filter(list_column::Column::ListId.eq(id.as_db()))
            .filter(list_column::Column::Name.is_in(names.iter().cloned()))
            .exec(db)
            .await?;
        Ok(())
    }
}

/// Sets one of a list's marks (`watermark_read_at`, `moves_since`, `followed_since`):
/// each read keeps its own, written the same way.
async fn set_instant<C: ConnectionTrait>(
    db: &C,
    id: ListId,
    column: list::Column,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    list::Entity::update_many()
        .col_expr(column, Expr::value(at))
        .filter(list::Column::Id.eq(id.as_db()))
        .exec(db)
        .await?;
    Ok(())
}
