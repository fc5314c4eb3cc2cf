//! A dry run's would-be member states. A dry run writes nothing to the list, yet its
//! push must plan against what its pull would have left (a CRM value taken in, a base
//! moved), or it would plan writes the real run never makes. The pull parks each member
//! it would have changed here, the push overlays them on what it reads, and the run
//! removes its rows when it ends. Rows live in the database, not in memory, so a dry run
//! over a large list stays flat in memory.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};

use super::{
    Member, MemberId, RunId, StoreError,
    entity::run_scratch,
    members::{to_member, to_row},
};

/// Rows per `IN (…)` lookup or insert.
const CHUNK: usize = 200;

/// Reads and writes `run_scratch`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ScratchRepo;

impl ScratchRepo {
    /// Keeps (or replaces) the would-be state of these members for a dry run.
    pub async fn put<C: ConnectionTrait>(
        &self,
        db: &C,
        run: RunId,
        members: &[Member],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for chunk in members.chunks(CHUNK) {
            let rows = chunk.iter().map(|m| run_scratch::ActiveModel {
                run_id: Set(run.as_db()),
                member_id: Set(m.id.as_db()),
                body: Set(serde_json::to_string(&to_row(m, now)).unwrap_or_default()),
            });
            run_scratch::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        run_scratch::Column::RunId,
                        run_scratch::Column::MemberId,
                    ])
                    .update_column(run_scratch::Column::Body)
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }

    /// The would-be states a dry run holds for any of these members.
    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        run: RunId,
        ids: &[MemberId],
    ) -> Result<HashMap<MemberId, Member>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let rows = run_scratch::Entity::find()
                .filter(run_scratch::Column::RunId.eq(run.as_db()))
                .filter(run_scratch::Column::MemberId.is_in(chunk.iter().map(|id| id.as_db())))
                .all(db)
                .await?;
            for row in rows {
                let parsed = serde_json::from_str(&row.body).map_err(|e| StoreError::Corrupt {
                    table: "run_scratch",
                    id: row.member_id.clone(),
                    message: e.to_string(),
                })?;
                let member = to_member(parsed)?;
                out.insert(member.id, member);
            }
        }
        Ok(out)
    }

    /// Removes a run's rows.
    pub async fn clear<C: ConnectionTrait>(&self, db: &C, run: RunId) -> Result<(), StoreError> {
        run_scratch::Entity::delete_many()
            .filter(run_scratch::Column::RunId.eq(run.as_db()))
            .exec(db)
            .await?;
        Ok(())
    }
}
