//! Call interactions: one row per (account, interaction id) the phone system reported,
//! unique, so however often it reports a call, the call gets one CRM note.
//!
//! Life of a row: `pending` (waiting for its batch job) → `sending` (marked just before
//! the CRM write, so a crash leaves it "in doubt" and the next attempt looks the note up
//! before writing again) → `delivered` with the History key; or `unmatched` (no CRM
//! record has the number) or `failed` (the CRM refused it), each with the reason.

use chrono::{DateTime, Utc};
use listbridge_connector::{EntityKind, NoteTarget};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};

use super::{AccountId, ConnectorId, StoreError, entity::interaction};

/// Rows per multi-row statement (well under both databases' bind limits).
const CHUNK: usize = 500;

/// Which way a call went: it decides whose number identifies the CRM record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    /// The CRM's person called in: the caller's number is theirs.
    Inbound,
    /// An agent called the person: the callee's number is theirs.
    Outbound,
}

impl CallDirection {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CallDirection::Inbound => "inbound",
            CallDirection::Outbound => "outbound",
        }
    }

    /// Parses a stored or API name.
    pub fn parse(raw: &str) -> Option<Self> {
        [CallDirection::Inbound, CallDirection::Outbound]
            .into_iter()
            .find(|d| d.as_str() == raw)
    }
}

/// Where an interaction's note is (also what the API's listing filters by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InteractionStatus {
    /// Waiting for its batch's job.
    Pending,
    /// Being written; after a crash the note may or may not exist in the CRM.
    Sending,
    /// Written; `note_key` is the History record.
    Delivered,
    /// Not written: no lead or contact has the person's number; `reason` says which.
    Unmatched,
    /// Not written: the CRM refused it (or cannot be asked); `reason` says why.
    Failed,
}

impl InteractionStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            InteractionStatus::Pending => "pending",
            InteractionStatus::Sending => "sending",
            InteractionStatus::Delivered => "delivered",
            InteractionStatus::Unmatched => "unmatched",
            InteractionStatus::Failed => "failed",
        }
    }

    /// Every status, in the order of a call's life.
    pub const ALL: [InteractionStatus; 5] = [
        InteractionStatus::Pending,
        InteractionStatus::Sending,
        InteractionStatus::Delivered,
        InteractionStatus::Unmatched,
        InteractionStatus::Failed,
    ];

    /// Parses a stored or API name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// One call as the phone system reported it, and where its note is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    /// Row id (UUID text).
    pub id: String,
    /// Owning account.
    pub account_id: AccountId,
    /// The connector the note goes through.
    pub connector_id: Option<ConnectorId>,
    /// The phone system's id of the call.
    pub interaction_id: String,
    /// Which way it went.
    pub direction: CallDirection,
    /// The calling number as reported.
    pub caller: String,
    /// The called number as reported.
    pub callee: String,
    /// The agent who took or made the call.
    pub agent: Option<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it lasted.
    pub duration_seconds: i64,
    /// The phone system's outcome.
    pub outcome: Option<String>,
    /// The agent's notes.
    pub notes: Option<String>,
    /// Link to the recording.
    pub recording_url: Option<String>,
    /// Where its note is.
    pub status: InteractionStatus,
    /// Why it is unmatched or failed.
    pub reason: Option<String>,
    /// The lead or contact the note went to.
    pub crm: Option<NoteTarget>,
    /// The History record's key.
    pub note_key: Option<String>,
    /// Its delivery batch.
    pub batch_id: Option<String>,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Interaction {
    /// The number of the CRM's person: the caller of an inbound call, the callee of an
    /// outbound one.
    pub fn party_number(&self) -> &str {
        match self.direction {
            CallDirection::Inbound => &self.caller,
            CallDirection::Outbound => &self.callee,
        }
    }
}

fn to_interaction(row: interaction::Model) -> Result<Interaction, StoreError> {
    let corrupt = |m: &str| StoreError::Corrupt {
        table: "interactions",
        id: row.id.clone(),
        message: m.into(),
    };
    let crm = match (row.crm_entity.as_deref(), row.crm_key.clone()) {
        (Some(entity), Some(key)) => Some(NoteTarget {
            entity: entity
                .parse::<EntityKind>()
                .map_err(|_| corrupt("crm_entity"))?,
            key,
        }),
        _ => None,
    };
    Ok(Interaction {
        account_id: AccountId::from_db(&row.account_id).ok_or_else(|| corrupt("account_id"))?,
        connector_id: row.connector_id.as_deref().and_then(ConnectorId::from_db),
        direction: CallDirection::parse(&row.direction).ok_or_else(|| corrupt("direction"))?,
        status: InteractionStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        crm,
        id: row.id,
        interaction_id: row.interaction_id,
        caller: row.caller,
        callee: row.callee,
        agent: row.agent,
        started_at: row.started_at,
        duration_seconds: row.duration_seconds,
        outcome: row.outcome,
        notes: row.notes,
        recording_url: row.recording_url,
        reason: row.reason,
        note_key: row.note_key,
        batch_id: row.batch_id,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn to_active(i: &Interaction) -> interaction::ActiveModel {
    interaction::ActiveModel {
        id: Set(i.id.clone()),
        account_id: Set(i.account_id.as_db()),
        connector_id: Set(i.connector_id.map(|c| c.as_db())),
        interaction_id: Set(i.interaction_id.clone()),
        direction: Set(i.direction.as_str().into()),
        caller: Set(i.caller.clone()),
        callee: Set(i.callee.clone()),
        agent: Set(i.agent.clone()),
        started_at: Set(i.started_at),
        duration_seconds: Set(i.duration_seconds),
        outcome: Set(i.outcome.clone()),
        notes: Set(i.notes.clone()),
        recording_url: Set(i.recording_url.clone()),
        status: Set(i.status.as_str().into()),
        reason: Set(i.reason.clone()),
        crm_entity: Set(i.crm.as_ref().map(|c| c.entity.as_str().to_string())),
        crm_key: Set(i.crm.as_ref().map(|c| c.key.clone())),
        note_key: Set(i.note_key.clone()),
        batch_id: Set(i.batch_id.clone()),
        created_at: Set(i.created_at),
        updated_at: Set(i.updated_at),
    }
}

/// Reads and writes `interactions`.
#[derive(Debug, Default, Clone, Copy)]
pub struct InteractionRepo;

impl InteractionRepo {
    /// Inserts the interactions whose (account, interaction id) is new; existing ones are
    /// left exactly as they are. Returns how many were inserted.
    pub async fn insert_new<C: ConnectionTrait>(
        &self,
        db: &C,
        rows: &[Interaction],
    ) -> Result<u64, StoreError> {
        let mut inserted = 0;
        for chunk in rows.chunks(CHUNK) {
            let res = interaction::Entity::insert_many(chunk.iter().map(to_active))
                .on_conflict(
                    OnConflict::columns([
                        interaction::Column::AccountId,
                        interaction::Column::InteractionId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await;
            match res {
                Ok(n) => inserted += n,
                Err(sea_orm::DbErr::RecordNotInserted) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(inserted)
    }

    /// `(interaction id, row id)` of the account's rows with these interaction ids: a
    /// caller that just inserted compares the row ids with its own to tell new from old.
    pub async fn row_ids<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        interaction_ids: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::with_capacity(interaction_ids.len());
        for chunk in interaction_ids.chunks(CHUNK) {
            let rows: Vec<(String, String)> = interaction::Entity::find()
                .select_only()
                .column(interaction::Column::InteractionId)
                .column(interaction::Column::Id)
                .filter(interaction::Column::AccountId.eq(account.as_db()))
                .filter(interaction::Column::InteractionId.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(db)
                .await?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Ids of the account's pending rows that no batch has taken yet, by interaction id.
    pub async fn unbatched<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<Vec<String>, StoreError> {
        Ok(interaction::Entity::find()
            .select_only()
            .column(interaction::Column::Id)
            .filter(interaction::Column::AccountId.eq(account.as_db()))
            .filter(interaction::Column::Status.eq(InteractionStatus::Pending.as_str()))
            .filter(interaction::Column::BatchId.is_null())
            .order_by_asc(interaction::Column::InteractionId)
            .into_tuple::<String>()
            .all(db)
            .await?)
    }

    /// Puts rows into a delivery batch.
    pub async fn assign_batch<C: ConnectionTrait>(
        &self,
        db: &C,
        ids: &[String],
        batch: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for chunk in ids.chunks(CHUNK) {
            interaction::Entity::update_many()
                .col_expr(interaction::Column::BatchId, Expr::value(batch))
                .col_expr(interaction::Column::UpdatedAt, Expr::value(now))
                .filter(interaction::Column::Id.is_in(chunk.iter().cloned()))
                .exec(db)
                .await?;
        }
        Ok(())
    }

    /// A batch's rows that still need work (pending or in doubt), by interaction id.
    pub async fn open_in_batch<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        batch: &str,
    ) -> Result<Vec<Interaction>, StoreError> {
        interaction::Entity::find()
            .filter(interaction::Column::AccountId.eq(account.as_db()))
            .filter(interaction::Column::BatchId.eq(batch))
            .filter(interaction::Column::Status.is_in([
                InteractionStatus::Pending.as_str(),
                InteractionStatus::Sending.as_str(),
            ]))
            .order_by_asc(interaction::Column::InteractionId)
            .all(db)
            .await?
            .into_iter()
            .map(to_interaction)
            .collect()
    }

    /// Marks rows `sending` with the record each note goes to, just before the write.
    pub async fn mark_sending<C: ConnectionTrait>(
        &self,
        db: &C,
        targets: &[(String, NoteTarget)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for (id, target) in targets {
            interaction::Entity::update_many()
                .col_expr(
                    interaction::Column::Status,
                    Expr::value(InteractionStatus::Sending.as_str()),
                )
                .col_expr(
                    interaction::Column::CrmEntity,
                    Expr::value(target.entity.as_str()),
                )
                .col_expr(interaction::Column::CrmKey, Expr::value(target.key.clone()))
                .col_expr(interaction::Column::UpdatedAt, Expr::value(now))
                .filter(interaction::Column::Id.eq(id.as_str()))
                .exec(db)
                .await?;
        }
        Ok(())
    }

    /// Records a written note.
    pub async fn mark_delivered<C: ConnectionTrait>(
        &self,
        db: &C,
        id: &str,
        note_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        interaction::Entity::update_many()
            .col_expr(
                interaction::Column::Status,
                Expr::value(InteractionStatus::Delivered.as_str()),
            )
            .col_expr(interaction::Column::NoteKey, Expr::value(note_key))
            .col_expr(
                interaction::Column::Reason,
                Expr::value(Option::<String>::None),
            )
            .col_expr(interaction::Column::UpdatedAt, Expr::value(now))
            .filter(interaction::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Ends a row as `unmatched` or `failed` with the reason.
    pub async fn mark_closed<C: ConnectionTrait>(
        &self,
        db: &C,
        id: &str,
        status: InteractionStatus,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        interaction::Entity::update_many()
            .col_expr(interaction::Column::Status, Expr::value(status.as_str()))
            .col_expr(interaction::Column::Reason, Expr::value(reason))
            .col_expr(interaction::Column::UpdatedAt, Expr::value(now))
            .filter(interaction::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Puts an in-doubt row back to `pending` (its note was not found in the CRM).
    pub async fn mark_pending<C: ConnectionTrait>(
        &self,
        db: &C,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        interaction::Entity::update_many()
            .col_expr(
                interaction::Column::Status,
                Expr::value(InteractionStatus::Pending.as_str()),
            )
            .col_expr(interaction::Column::UpdatedAt, Expr::value(now))
            .filter(interaction::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// The account's interactions by interaction id after `after`, optionally of one
    /// status.
    pub async fn page<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        status: Option<InteractionStatus>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Interaction>, StoreError> {
        let mut q =
            interaction::Entity::find().filter(interaction::Column::AccountId.eq(account.as_db()));
        if let Some(status) = status {
            q = q.filter(interaction::Column::Status.eq(status.as_str()));
        }
        if let Some(after) = after {
            q = q.filter(interaction::Column::InteractionId.gt(after));
        }
        q.order_by_asc(interaction::Column::InteractionId)
            .limit(limit)
            .all(db)
            .await?
            .into_iter()
            .map(to_interaction)
            .collect()
    }

    /// How many of the account's interactions are in each status.
    pub async fn counts<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<Vec<(InteractionStatus, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = interaction::Entity::find()
            .select_only()
            .column(interaction::Column::Status)
            .column_as(interaction::Column::Id.count(), "n")
            .filter(interaction::Column::AccountId.eq(account.as_db()))
            .group_by(interaction::Column::Status)
            .into_tuple()
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| InteractionStatus::parse(&s).map(|s| (s, n)))
            .collect())
    }
}
