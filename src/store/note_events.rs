//! "Message sent" note events: one row per (account, campaign, recipient email), unique,
//! so however often the sender reports a campaign, each recipient gets one note.
//!
//! Life of an event: `pending` (waiting for its batch job) → `sending` (marked just before
//! the CRM write, so a crash leaves it "in doubt" and the next attempt looks the note up
//! before writing again) → `delivered` with the History key; or `skipped` (notes off, no
//! CRM record) or `failed` (the CRM refused it), each with the reason.

use chrono::{DateTime, Utc};
use listbridge_connector::{EntityKind, NoteTarget};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};

use super::{AccountId, ConnectorId, StoreError, entity::note_event};

/// Rows per multi-row insert (well under both databases' bind limits).
const INSERT_CHUNK: usize = 500;

/// Where a note event is (also what the API's listing filters by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteStatus {
    /// Waiting for its batch's job.
    Pending,
    /// Being written; after a crash the note may or may not exist in the CRM.
    Sending,
    /// Written; `note_key` is the History record.
    Delivered,
    /// Not written, on purpose (notes off, no CRM record); `reason` says why.
    Skipped,
    /// Not written: the CRM refused it; `reason` has its words.
    Failed,
}

impl NoteStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoteStatus::Pending => "pending",
            NoteStatus::Sending => "sending",
            NoteStatus::Delivered => "delivered",
            NoteStatus::Skipped => "skipped",
            NoteStatus::Failed => "failed",
        }
    }

    /// Parses a stored or API name.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            NoteStatus::Pending,
            NoteStatus::Sending,
            NoteStatus::Delivered,
            NoteStatus::Skipped,
            NoteStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// One recipient of one campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteEvent {
    /// Row id (UUID text).
    pub id: String,
    /// Owning account.
    pub account_id: AccountId,
    /// The connector the note goes through.
    pub connector_id: Option<ConnectorId>,
    /// The sender's campaign id.
    pub campaign_id: String,
    /// Normalised recipient email.
    pub email: String,
    /// The sender's recipient id.
    pub recipient_id: Option<String>,
    /// The message's subject.
    pub subject: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// The personalised preview link.
    pub preview_url: Option<String>,
    /// Whether a CRM note is wanted.
    pub write_note: bool,
    /// Where it is.
    pub status: NoteStatus,
    /// Why it was skipped or failed.
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

fn to_event(row: note_event::Model) -> Result<NoteEvent, StoreError> {
    let corrupt = |m: &str| StoreError::Corrupt {
        table: "note_events",
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
    Ok(NoteEvent {
        id: row.id.clone(),
        account_id: AccountId::from_db(&row.account_id).ok_or_else(|| corrupt("account_id"))?,
        connector_id: row.connector_id.as_deref().and_then(ConnectorId::from_db),
        campaign_id: row.campaign_id.clone(),
        email: row.email.clone(),
        recipient_id: row.recipient_id.clone(),
        subject: row.subject.clone(),
        sent_at: row.sent_at,
        preview_url: row.preview_url.clone(),
        write_note: row.write_note,
        status: NoteStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        reason: row.reason.clone(),
        crm,
        note_key: row.note_key.clone(),
        batch_id: row.batch_id.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn to_active(e: &NoteEvent) -> note_event::ActiveModel {
    note_event::ActiveModel {
        id: Set(e.id.clone()),
        account_id: Set(e.account_id.as_db()),
        connector_id: Set(e.connector_id.map(|c| c.as_db())),
        campaign_id: Set(e.campaign_id.clone()),
        email: Set(e.email.clone()),
        recipient_id: Set(e.recipient_id.clone()),
        subject: Set(e.subject.clone()),
        sent_at: Set(e.sent_at),
        preview_url: Set(e.preview_url.clone()),
        write_note: Set(e.write_note),
        status: Set(e.status.as_str().into()),
        reason: Set(e.reason.clone()),
        crm_entity: Set(e.crm.as_ref().map(|c| c.entity.as_str().to_string())),
        crm_key: Set(e.crm.as_ref().map(|c| c.key.clone())),
        note_key: Set(e.note_key.clone()),
        batch_id: Set(e.batch_id.clone()),
        created_at: Set(e.created_at),
        updated_at: Set(e.updated_at),
    }
}

/// Reads and writes `note_events`.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoteEventRepo;

impl NoteEventRepo {
    /// Inserts the events whose (account, campaign, email) is new; existing ones are left
    /// exactly as they are. Returns how many were inserted.
    pub async fn insert_new<C: ConnectionTrait>(
        &self,
        db: &C,
        events: &[NoteEvent],
    ) -> Result<u64, StoreError> {
        let mut inserted = 0;
        for chunk in events.chunks(INSERT_CHUNK) {
            let res = note_event::Entity::insert_many(chunk.iter().map(to_active))
                .on_conflict(
                    OnConflict::columns([
                        note_event::Column::AccountId,
                        note_event::Column::CampaignId,
                        note_event::Column::Email,
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

    /// Ids of a campaign's pending events that no batch has taken yet, by email.
    pub async fn unbatched<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        campaign: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(note_event::Entity::find()
            .select_only()
            .column(note_event::Column::Id)
            .filter(note_event::Column::AccountId.eq(account.as_db()))
            .filter(note_event::Column::CampaignId.eq(campaign))
            .filter(note_event::Column::Status.eq(NoteStatus::Pending.as_str()))
            .filter(note_event::Column::BatchId.is_null())
            .order_by_asc(note_event::Column::Email)
            .into_tuple::<String>()
            .all(db)
            .await?)
    }

    /// Puts events into a delivery batch.
    pub async fn assign_batch<C: ConnectionTrait>(
        &self,
        db: &C,
        ids: &[String],
        batch: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for chunk in ids.chunks(INSERT_CHUNK) {
            note_event::Entity::update_many()
                .col_expr(note_event::Column::BatchId, Expr::value(batch))
                .col_expr(note_event::Column::UpdatedAt, Expr::value(now))
                .filter(note_event::Column::Id.is_in(chunk.iter().cloned()))
                .exec(db)
                .await?;
        }
        Ok(())
    }

    /// A batch's events that still need work (pending or in doubt), by email.
    pub async fn open_in_batch<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        batch: &str,
    ) -> Result<Vec<NoteEvent>, StoreError> {
        note_event::Entity::find()
            .filter(note_event::Column::AccountId.eq(account.as_db()))
            .filter(note_event::Column::BatchId.eq(batch))
            .filter(
                note_event::Column::Status
                    .is_in([NoteStatus::Pending.as_str(), NoteStatus::Sending.as_str()]),
            )
            .order_by_asc(note_event::Column::Email)
            .all(db)
            .await?
            .into_iter()
            .map(to_event)
            .collect()
    }

    /// Marks events `sending` with the record each note goes to, just before the write.
    pub async fn mark_sending<C: ConnectionTrait>(
        &self,
        db: &C,
        targets: &[(String, NoteTarget)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for (id, target) in targets {
            note_event::Entity::update_many()
                .col_expr(
                    note_event::Column::Status,
                    Expr::value(NoteStatus::Sending.as_str()),
                )
                .col_expr(
                    note_event::Column::CrmEntity,
                    Expr::value(target.entity.as_str()),
                )
                .col_expr(note_event::Column::CrmKey, Expr::value(target.key.clone()))
                .col_expr(note_event::Column::UpdatedAt, Expr::value(now))
                .filter(note_event::Column::Id.eq(id.as_str()))
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
        note_event::Entity::update_many()
            .col_expr(
                note_event::Column::Status,
                Expr::value(NoteStatus::Delivered.as_str()),
            )
            .col_expr(note_event::Column::NoteKey, Expr::value(note_key))
            .col_expr(
                note_event::Column::Reason,
                Expr::value(Option::<String>::None),
            )
            .col_expr(note_event::Column::UpdatedAt, Expr::value(now))
            .filter(note_event::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Ends an event as `skipped` or `failed` with the reason.
    pub async fn mark_closed<C: ConnectionTrait>(
        &self,
        db: &C,
        id: &str,
        status: NoteStatus,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        note_event::Entity::update_many()
            .col_expr(note_event::Column::Status, Expr::value(status.as_str()))
            .col_expr(note_event::Column::Reason, Expr::value(reason))
            .col_expr(note_event::Column::UpdatedAt, Expr::value(now))
            .filter(note_event::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Puts an in-doubt event back to `pending` (its note was not found in the CRM).
    pub async fn mark_pending<C: ConnectionTrait>(
        &self,
        db: &C,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        note_event::Entity::update_many()
            .col_expr(
                note_event::Column::Status,
                Expr::value(NoteStatus::Pending.as_str()),
            )
            .col_expr(note_event::Column::UpdatedAt, Expr::value(now))
            .filter(note_event::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// A campaign's events by email after `after`, optionally of one status.
    pub async fn page<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        campaign: &str,
        status: Option<NoteStatus>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<NoteEvent>, StoreError> {
        let mut q = note_event::Entity::find()
            .filter(note_event::Column::AccountId.eq(account.as_db()))
            .filter(note_event::Column::CampaignId.eq(campaign));
        if let Some(status) = status {
            q = q.filter(note_event::Column::Status.eq(status.as_str()));
        }
        if let Some(after) = after {
            q = q.filter(note_event::Column::Email.gt(after));
        }
        q.order_by_asc(note_event::Column::Email)
            .limit(limit)
            .all(db)
            .await?
            .into_iter()
            .map(to_event)
            .collect()
    }

    /// How many of a campaign's events are in each status.
    pub async fn counts<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        campaign: &str,
    ) -> Result<Vec<(NoteStatus, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = note_event::Entity::find()
            .select_only()
            .column(note_event::Column::Status)
            .column_as(note_event::Column::Id.count(), "n")
            .filter(note_event::Column::AccountId.eq(account.as_db()))
            .filter(note_event::Column::CampaignId.eq(campaign))
            .group_by(note_event::Column::Status)
            .into_tuple()
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| NoteStatus::parse(&s).map(|s| (s, n)))
            .collect())
    }
}

/// Recipients of a campaign per note status, for pages that show a campaign's progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoteTally {
    /// Waiting for their batch.
    pub pending: i64,
    /// Being written.
    pub sending: i64,
    /// Written.
    pub delivered: i64,
    /// Not written on purpose.
    pub skipped: i64,
    /// Refused by the CRM.
    pub failed: i64,
}

impl NoteTally {
    /// Adds `n` recipients of `status`.
    pub fn add(&mut self, status: NoteStatus, n: i64) {
        let slot = match status {
            NoteStatus::Pending => &mut self.pending,
            NoteStatus::Sending => &mut self.sending,
            NoteStatus::Delivered => &mut self.delivered,
            NoteStatus::Skipped => &mut self.skipped,
            NoteStatus::Failed => &mut self.failed,
        };
        *slot += n;
    }

    /// Every recipient, whatever their status.
    pub fn total(&self) -> i64 {
        self.pending + self.sending + self.delivered + self.skipped + self.failed
    }
}

/// One campaign as the sender reported it, with its recipients per status. Campaigns
/// are not rows of their own: this is the account's note events grouped by campaign id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSummary {
    /// The sender's campaign id.
    pub campaign_id: String,
    /// The message's subject (the latest report's when reports differ).
    pub subject: String,
    /// When it was sent (the latest report's).
    pub sent_at: DateTime<Utc>,
    /// Recipients per status.
    pub tally: NoteTally,
}

impl NoteEventRepo {
    /// The account's campaigns (or only `campaign`), newest sent first, with their
    /// recipients per status: one grouped statement over the account's events, however
    /// many campaigns there are.
    pub async fn campaigns<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        campaign: Option<&str>,
    ) -> Result<Vec<CampaignSummary>, StoreError> {
        let mut q = note_event::Entity::find()
            .select_only()
            .column(note_event::Column::CampaignId)
            .column(note_event::Column::Status)
            .column_as(note_event::Column::Id.count(), "n")
            .column_as(note_event::Column::Subject.max(), "subject")
            .column_as(note_event::Column::SentAt.max(), "sent_at")
            .filter(note_event::Column::AccountId.eq(account.as_db()));
        if let Some(campaign) = campaign {
            q = q.filter(note_event::Column::CampaignId.eq(campaign));
        }
        let rows: Vec<(String, String, i64, String, DateTime<Utc>)> = q
            .group_by(note_event::Column::CampaignId)
            .group_by(note_event::Column::Status)
            .into_tuple()
            .all(db)
            .await?;
        let mut by_id: std::collections::BTreeMap<String, CampaignSummary> =
            std::collections::BTreeMap::new();
        for (campaign_id, status, n, subject, sent_at) in rows {
            let entry = by_id
                .entry(campaign_id.clone())
                .or_insert_with(|| CampaignSummary {
                    campaign_id,
                    subject: subject.clone(),
                    sent_at,
                    tally: NoteTally::default(),
                });
            if sent_at > entry.sent_at {
                entry.sent_at = sent_at;
                entry.subject = subject;
            }
            if let Some(status) = NoteStatus::parse(&status) {
                entry.tally.add(status, n);
            }
        }
        let mut out: Vec<CampaignSummary> = by_id.into_values().collect();
        out.sort_by(|a, b| {
            b.sent_at
                .cmp(&a.sent_at)
                .then_with(|| a.campaign_id.cmp(&b.campaign_id))
        });
        Ok(out)
    }

    /// Why a campaign's notes were skipped or failed: each distinct (status, reason)
    /// with how many recipients it concerns, most first, at most `limit` of them.
    pub async fn reasons<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        campaign: &str,
        limit: u64,
    ) -> Result<Vec<(NoteStatus, String, i64)>, StoreError> {
        let rows: Vec<(String, Option<String>, i64)> = note_event::Entity::find()
            .select_only()
            .column(note_event::Column::Status)
            .column(note_event::Column::Reason)
            .column_as(note_event::Column::Id.count(), "n")
            .filter(note_event::Column::AccountId.eq(account.as_db()))
            .filter(note_event::Column::CampaignId.eq(campaign))
            .filter(
                note_event::Column::Status
                    .is_in([NoteStatus::Skipped.as_str(), NoteStatus::Failed.as_str()]),
            )
            .group_by(note_event::Column::Status)
            .group_by(note_event::Column::Reason)
            .order_by_desc(note_event::Column::Id.count())
            .limit(limit)
            .into_tuple()
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, reason, n)| {
                NoteStatus::parse(&s).map(|s| (s, reason.unwrap_or_default(), n))
            })
            .collect())
    }

    /// The campaign of each of these delivery batches (of one account), in one statement.
    pub async fn campaigns_of_batches<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        batches: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        if batches.is_empty() {
            return Ok(Vec::new());
        }
        Ok(note_event::Entity::find()
            .select_only()
            .column(note_event::Column::BatchId)
            .column(note_event::Column::CampaignId)
            .filter(note_event::Column::AccountId.eq(account.as_db()))
            .filter(note_event::Column::BatchId.is_in(batches.iter().cloned()))
            .group_by(note_event::Column::BatchId)
            .group_by(note_event::Column::CampaignId)
            .into_tuple()
            .all(db)
            .await?)
    }
}
