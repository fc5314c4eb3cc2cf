//! Segments: saved filters over a list, with an optional push-only sync setup.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use serde::Serialize;

use super::{AccountId, ListId, SegmentId, StoreError, entity::segment};

/// A segment as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    /// Segment id.
    pub id: SegmentId,
    /// The list it filters.
    pub list_id: ListId,
    /// Name, unique within the list.
    pub name: String,
    /// The filter as JSON (see `crate::domain::segment_filter`).
    pub filter: String,
    /// Push-only sync setup as JSON.
    pub sync_setup: Option<String>,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

/// A segment to create; its id is drawn by the caller like every other id.
#[derive(Debug, Clone)]
pub struct NewSegment {
    /// Segment id.
    pub id: SegmentId,
    /// Owning account.
    pub account_id: AccountId,
    /// The list it filters.
    pub list_id: ListId,
    /// Name, unique within the list.
    pub name: String,
    /// The filter as JSON (see `crate::domain::segment_filter`).
    pub filter: String,
}

fn to_segment(row: segment::Model) -> Result<Segment, StoreError> {
    let corrupt = |m: &str| StoreError::Corrupt {
        table: "segments",
        id: row.id.clone(),
        message: m.into(),
    };
    Ok(Segment {
        id: SegmentId::from_db(&row.id).ok_or_else(|| corrupt("id"))?,
        list_id: ListId::from_db(&row.list_id).ok_or_else(|| corrupt("list_id"))?,
        name: row.name.clone(),
        filter: row.filter.clone(),
        sync_setup: row.sync_setup.clone(),
        created_at: row.created_at,
    })
}

/// Reads and writes `segments`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SegmentRepo;

impl SegmentRepo {
    /// Creates a segment.
    pub async fn create<C: ConnectionTrait>(
        &self,
        db: &C,
        new: NewSegment,
        now: DateTime<Utc>,
    ) -> Result<Segment, StoreError> {
        let NewSegment {
            id,
            account_id: account,
            list_id,
            name,
            filter,
        } = new;
        let row = segment::ActiveModel {
            id: Set(id.as_db()),
            account_id: Set(account.as_db()),
            list_id: Set(list_id.as_db()),
            name: Set(name.clone()),
            filter: Set(filter),
            sync_setup: Set(None),
            push_seq: Set(0),
            push_basis: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        segment::Entity::insert(row)
            .exec_without_returning(db)
            .await
            .map_err(|e| {
                StoreError::from_write(e, || format!("a segment named '{name}' in this list"))
            })?;
        self.get(db, account, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                table: "segments",
                id: id.as_db(),
                message: "vanished".into(),
            })
    }

    /// A segment of an account.
    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        id: SegmentId,
    ) -> Result<Option<Segment>, StoreError> {
        segment::Entity::find_by_id(id.as_db())
            .filter(segment::Column::AccountId.eq(account.as_db()))
            .one(db)
            .await?
            .map(to_segment)
            .transpose()
    }

    /// The segments of a list.
    pub async fn for_list<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        list: ListId,
    ) -> Result<Vec<Segment>, StoreError> {
        segment::Entity::find()
            .filter(segment::Column::AccountId.eq(account.as_db()))
            .filter(segment::Column::ListId.eq(list.as_db()))
            .order_by_asc(segment::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(to_segment)
            .collect()
    }

    /// Replaces name and filter; false when absent.
    pub async fn update<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        id: SegmentId,
        name: &str,
        filter: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let res = segment::Entity::update_many()
            .col_expr(segment::Column::Name, Expr::value(name))
            .col_expr(segment::Column::Filter, Expr::value(filter))
            .col_expr(segment::Column::UpdatedAt, Expr::value(now))
            .filter(segment::Column::Id.eq(id.as_db()))
            .filter(segment::Column::AccountId.eq(account.as_db()))
            .exec(db)
            .await
            .map_err(|e| {
                StoreError::from_write(e, || format!("a segment named '{name}' in this list"))
            })?;
        Ok(res.rows_affected == 1)
    }

    /// Saves the push-only sync setup.
    pub async fn set_sync_setup<C: ConnectionTrait>(
        &self,
        db: &C,
        id: SegmentId,
        setup: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        segment::Entity::update_many()
            .col_expr(segment::Column::SyncSetup, Expr::value(setup))
            .col_expr(segment::Column::UpdatedAt, Expr::value(now))
            .filter(segment::Column::Id.eq(id.as_db()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Deletes a segment; false when absent.
    pub async fn delete<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        id: SegmentId,
    ) -> Result<bool, StoreError> {
        let res = segment::Entity::delete_many()
            .filter(segment::Column::Id.eq(id.as_db()))
            .filter(segment::Column::AccountId.eq(account.as_db()))
            .exec(db)
            .await?;
        Ok(res.rows_affected == 1)
    }
}
