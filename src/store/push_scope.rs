//! How far a list's pushes have come: list-side change numbers handed out to members,
//! and, per pusher (the list's own sync or a segment's), the change number and the
//! setup its last complete push covered. A push then looks only at members changed
//! after that number (plus unlinked ones), so an idle push of a large list reads
//! nothing; a changed setup or mapping sends it over every changed member again.
//!
//! Change numbers come from `lists.change_seq`, raised in the transaction that writes
//! the changed members. The raise locks the list row until that transaction ends, so
//! numbers become visible in order: a push that reads the current number at its start
//! sees every member change numbered up to it.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect, sea_query::Expr,
};

use super::{
    ListId, SegmentId, StoreError,
    entity::{list, segment},
};

/// Where a pusher's last complete push left off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushPosition {
    /// The list change number it covered.
    pub seq: i64,
    /// Fingerprint of the setup, mapping (and segment filter) it ran under.
    pub basis: Option<String>,
}

/// Reads and writes the push scope columns of `lists` and `segments`.
#[derive(Debug, Default, Clone, Copy)]
pub struct PushScopeRepo;

impl PushScopeRepo {
    /// Hands out the next change number of a list, for the members a transaction changes
    /// on the list side. Call it inside that transaction.
    pub async fn next_change_seq<C: ConnectionTrait>(
        &self,
        db: &C,
        list_id: ListId,
    ) -> Result<i64, StoreError> {
        list::Entity::update_many()
            .col_expr(
                list::Column::ChangeSeq,
                Expr::col(list::Column::ChangeSeq).add(Expr::value(1)),
            )
            .filter(list::Column::Id.eq(list_id.as_db()))
            .exec(db)
            .await?;
        self.change_seq(db, list_id).await
    }

    /// The last change number handed out for a list.
    pub async fn change_seq<C: ConnectionTrait>(
        &self,
        db: &C,
        list_id: ListId,
    ) -> Result<i64, StoreError> {
        let seq: Option<i64> = list::Entity::find_by_id(list_id.as_db())
            .select_only()
            .column(list::Column::ChangeSeq)
            .into_tuple()
            .one(db)
            .await?;
        seq.ok_or_else(|| StoreError::Corrupt {
            table: "lists",
            id: list_id.as_db(),
            message: "the list is gone".into(),
        })
    }

    /// Where the last complete push of a list's own sync (no segment) or of a segment
    /// left off.
    pub async fn position<C: ConnectionTrait>(
        &self,
        db: &C,
        list_id: ListId,
        segment_id: Option<SegmentId>,
    ) -> Result<PushPosition, StoreError> {
        let row: Option<(i64, Option<String>)> = match segment_id {
            None => {
                list::Entity::find_by_id(list_id.as_db())
                    .select_only()
                    .column(list::Column::PushSeq)
                    .column(list::Column::PushBasis)
                    .into_tuple()
                    .one(db)
                    .await?
            }
            Some(s) => {
                segment::Entity::find_by_id(s.as_db())
                    .select_only()
                    .column(segment::Column::PushSeq)
                    .column(segment::Column::PushBasis)
                    .into_tuple()
                    .one(db)
                    .await?
            }
        };
        Ok(row
            .map(|(seq, basis)| PushPosition { seq, basis })
            .unwrap_or_default())
    }

    /// Records that a push covered every member change up to `position.seq`.
    pub async fn save_position<C: ConnectionTrait>(
        &self,
        db: &C,
        list_id: ListId,
        segment_id: Option<SegmentId>,
        position: &PushPosition,
    ) -> Result<(), StoreError> {
        match segment_id {
            None => {
                list::Entity::update_many()
                    .col_expr(list::Column::PushSeq, Expr::value(position.seq))
                    .col_expr(list::Column::PushBasis, Expr::value(position.basis.clone()))
                    .filter(list::Column::Id.eq(list_id.as_db()))
                    .exec(db)
                    .await?;
            }
            Some(s) => {
                segment::Entity::update_many()
                    .col_expr(segment::Column::PushSeq, Expr::value(position.seq))
                    .col_expr(
                        segment::Column::PushBasis,
                        Expr::value(position.basis.clone()),
                    )
                    .filter(segment::Column::Id.eq(s.as_db()))
                    .exec(db)
                    .await?;
            }
        }
        Ok(())
    }
}
