//! A run's report records: what happened to each record a run touched that a marketer
//! should see (a failure, a conflict, a plan), numbered in order, kept with the run.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::{RunId, RunRepo, StoreError, entity::run_record};
use crate::clock::Random;

/// One record in a run report.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunRecord {
    /// Order within the run.
    pub seq: i64,
    /// `failed`, `rejected`, `conflict`, `invalid`, `duplicate`, `parked`, or a dry-run
    /// `planned_create` / `planned_update` / `planned_pull_new` / `planned_pull_update`.
    pub outcome: String,
    /// The member or CRM record email.
    pub email: Option<String>,
    /// `lead` or `contact`.
    pub crm_entity: Option<String>,
    /// The CRM record.
    pub crm_key: Option<String>,
    /// The field involved.
    pub field: Option<String>,
    /// What happened, in the CRM's own words where it gave any.
    pub detail: String,
    /// Structured detail: old/new values, the chosen match, a plan.
    pub data: Option<serde_json::Value>,
}

impl RunRepo {
    /// Appends report records, their ids drawn from `ids`.
    pub async fn add_records<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
        records: &[RunRecord],
        ids: &dyn Random,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let rows = records.iter().map(|r| run_record::ActiveModel {
            id: Set(ids.uuid().to_string()),
            run_id: Set(id.as_db()),
            seq: Set(r.seq),
            outcome: Set(r.outcome.clone()),
            email: Set(r.email.clone()),
            crm_entity: Set(r.crm_entity.clone()),
            crm_key: Set(r.crm_key.clone()),
            field: Set(r.field.clone()),
            detail: Set(r.detail.clone()),
            data: Set(r.data.as_ref().map(|d| d.to_string())),
            created_at: Set(now),
        });
        run_record::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
        Ok(())
    }

    /// Deletes every record of run `id`: an import whose read starts over (a bulk read,
    /// which has no position to resume from) tells its findings afresh.
    pub async fn delete_records<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
    ) -> Result<(), StoreError> {
        run_record::Entity::delete_many()
            .filter(run_record::Column::RunId.eq(id.as_db()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// The `(crm_key, field)` pairs among `keys` that run `id` already has a record of
    /// `outcome` for: a per-record finding (a phone value that is not a number) is
    /// written once per run, however many phases or pages meet the record again.
    pub async fn recorded_fields<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
        outcome: &str,
        keys: &[String],
    ) -> Result<std::collections::HashSet<(String, String)>, StoreError> {
        let mut out = std::collections::HashSet::new();
        for chunk in keys.chunks(500) {
            let rows: Vec<(Option<String>, Option<String>)> = run_record::Entity::find()
                .select_only()
                .column(run_record::Column::CrmKey)
                .column(run_record::Column::Field)
                .filter(run_record::Column::RunId.eq(id.as_db()))
                .filter(run_record::Column::Outcome.eq(outcome))
                .filter(run_record::Column::CrmKey.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(db)
                .await?;
            out.extend(rows.into_iter().filter_map(|(k, f)| Some((k?, f?))));
        }
        Ok(out)
    }

    /// A page of a run's records after `after_seq`, optionally of one outcome.
    pub async fn records<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
        outcome: Option<&str>,
        after_seq: i64,
        limit: u64,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let mut q = run_record::Entity::find()
            .filter(run_record::Column::RunId.eq(id.as_db()))
            .filter(run_record::Column::Seq.gt(after_seq));
        if let Some(outcome) = outcome {
            q = q.filter(run_record::Column::Outcome.eq(outcome));
        }
        Ok(q.order_by_asc(run_record::Column::Seq)
            .limit(limit)
            .all(db)
            .await?
            .into_iter()
            .map(|r| RunRecord {
                seq: r.seq,
                outcome: r.outcome,
                email: r.email,
                crm_entity: r.crm_entity,
                crm_key: r.crm_key,
                field: r.field,
                detail: r.detail,
                data: r.data.and_then(|d| serde_json::from_str(&d).ok()),
            })
            .collect())
    }

    /// How many records run `id`'s report holds of each outcome, by outcome name, for
    /// the report's filter tabs: one grouped read over the run's records.
    pub async fn outcome_counts<C: ConnectionTrait>(
        &self,
        db: &C,
        id: RunId,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(run_record::Entity::find()
            .select_only()
            .column(run_record::Column::Outcome)
            .column_as(Expr::col(run_record::Column::Id).count(), "n")
            .filter(run_record::Column::RunId.eq(id.as_db()))
            .group_by(run_record::Column::Outcome)
            .order_by_asc(run_record::Column::Outcome)
            .into_tuple::<(String, i64)>()
            .all(db)
            .await?)
    }
}
