//! Form submissions: accepted durably before the visitor gets an answer, then delivered
//! to the CRM by a job; each keeps its outcome (CRM key, or the CRM's own words).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use listbridge_connector::EntityKind;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, UpdateMany, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::{AccountId, FormId, StoreError, SubmissionId, entity::form_submission};

/// Where a submission is in its delivery (also what the API's listing filters by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Accepted; waiting for (or retrying) delivery.
    Queued,
    /// Reached the CRM (or needed no change there).
    Delivered,
    /// Refused by the CRM or by the form's mapping; kept with the reason until retried.
    Rejected,
    /// Delivery gave up after its retries (a long CRM outage); can be retried.
    Failed,
}

impl SubmissionStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Queued => "queued",
            SubmissionStatus::Delivered => "delivered",
            SubmissionStatus::Rejected => "rejected",
            SubmissionStatus::Failed => "failed",
        }
    }

    /// Parses a stored or API name.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            SubmissionStatus::Queued,
            SubmissionStatus::Delivered,
            SubmissionStatus::Rejected,
            SubmissionStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// What delivery did in the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionAction {
    /// A new lead was created.
    Created,
    /// The matched lead or contact was updated.
    Updated,
    /// The matched record already held the values (or no field may update it).
    Unchanged,
    /// No record had the email and the form does not create leads.
    NotCreated,
}

impl SubmissionAction {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionAction::Created => "created",
            SubmissionAction::Updated => "updated",
            SubmissionAction::Unchanged => "unchanged",
            SubmissionAction::NotCreated => "not_created",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [
            SubmissionAction::Created,
            SubmissionAction::Updated,
            SubmissionAction::Unchanged,
            SubmissionAction::NotCreated,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// The CRM record a submission reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SubmissionTarget {
    /// `lead` or `contact`.
    #[schema(value_type = String)]
    pub entity: EntityKind,
    /// The CRM key.
    pub key: String,
}

/// A stored submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Submission {
    /// Submission id.
    pub id: SubmissionId,
    /// Owning account.
    #[serde(skip)]
    pub account_id: AccountId,
    /// The form it was posted to.
    pub form_id: FormId,
    /// Normalised email.
    pub email: String,
    /// The submitted values kept (declared fields, plus unknown ones when the form keeps them).
    pub fields: BTreeMap<String, String>,
    /// Delivery status.
    pub status: SubmissionStatus,
    /// What delivery did, once delivered.
    pub action: Option<SubmissionAction>,
    /// The lead or contact it reached.
    pub crm: Option<SubmissionTarget>,
    /// The last failure: the CRM's own message for a rejection.
    pub error: Option<String>,
    /// Delivery attempts that reached the CRM.
    pub attempts: i32,
    /// Accepted at.
    pub created_at: DateTime<Utc>,
    /// Delivered at.
    pub delivered_at: Option<DateTime<Utc>>,
}

impl Submission {
    /// A newly accepted submission.
    pub fn new(
        id: SubmissionId,
        account_id: AccountId,
        form_id: FormId,
        email: String,
        fields: BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Self {
        Submission {
            id,
            account_id,
            form_id,
            email,
            fields,
            status: SubmissionStatus::Queued,
            action: None,
            crm: None,
            error: None,
            attempts: 0,
            created_at: now,
            delivered_at: None,
        }
    }
}

/// Up to `limit` submissions of an ordered query.
async fn read_page<C: ConnectionTrait>(
    db: &C,
    ordered: sea_orm::Select<form_submission::Entity>,
    limit: u64,
) -> Result<Vec<Submission>, StoreError> {
    ordered
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(to_submission)
        .collect()
}

/// Ends a delivery attempt of a submission: its status, the error (none once
/// delivered), the CRM record it reached or matched, one more attempt, and whatever else
/// `update` sets.
async fn end_attempt<C: ConnectionTrait>(
    db: &C,
    update: UpdateMany<form_submission::Entity>,
    id: SubmissionId,
    status: SubmissionStatus,
    error: Option<&str>,
    crm: Option<&SubmissionTarget>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    update
        .col_expr(
            form_submission::Column::Status,
            Expr::value(status.as_str()),
        )
        .col_expr(form_submission::Column::Error, Expr::value(error))
        .col_expr(
            form_submission::Column::CrmEntity,
            Expr::value(crm.map(|c| c.entity.as_str().to_string())),
        )
        .col_expr(
            form_submission::Column::CrmKey,
            Expr::value(crm.map(|c| c.key.clone())),
        )
        .col_expr(
            form_submission::Column::Attempts,
            Expr::col(form_submission::Column::Attempts).add(1),
        )
        .col_expr(form_submission::Column::UpdatedAt, Expr::value(now))
        .filter(form_submission::Column::Id.eq(id.as_db()))
        .exec(db)
        .await?;
    Ok(())
}

fn to_submission(row: form_submission::Model) -> Result<Submission, StoreError> {
    let corrupt = |m: &str| StoreError::Corrupt {
        table: "form_submissions",
        id: row.id.clone(),
        message: m.into(),
    };
    let crm = match (row.crm_entity.as_deref(), row.crm_key.clone()) {
        (Some(entity), Some(key)) => Some(SubmissionTarget {
            entity: entity.parse().map_err(|_| corrupt("crm_entity"))?,
            key,
        }),
        _ => None,
    };
    Ok(Submission {
        id: SubmissionId::from_db(&row.id).ok_or_else(|| corrupt("id"))?,
        account_id: AccountId::from_db(&row.account_id).ok_or_else(|| corrupt("account_id"))?,
        form_id: FormId::from_db(&row.form_id).ok_or_else(|| corrupt("form_id"))?,
        email: row.email.clone(),
        fields: serde_json::from_str(&row.data).map_err(|_| corrupt("data"))?,
        status: SubmissionStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        action: row
            .action
            .as_deref()
            .map(|a| SubmissionAction::parse(a).ok_or_else(|| corrupt("action")))
            .transpose()?,
        crm,
        error: row.error.clone(),
        attempts: row.attempts,
        created_at: row.created_at,
        delivered_at: row.delivered_at,
    })
}

/// Reads and writes `form_submissions`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SubmissionRepo;

impl SubmissionRepo {
    /// Stores a new submission.
    pub async fn insert<C: ConnectionTrait>(
        &self,
        db: &C,
        s: &Submission,
    ) -> Result<(), StoreError> {
        self.insert_many(db, &[s]).await
    }

    /// Stores new submissions in one statement (the intake's group commit).
    pub async fn insert_many<C: ConnectionTrait>(
        &self,
        db: &C,
        submissions: &[&Submission],
    ) -> Result<(), StoreError> {
        let Some(first) = submissions.first() else {
            return Ok(());
        };
        let rows = submissions.iter().map(|s| form_submission::ActiveModel {
            id: Set(s.id.as_db()),
            account_id: Set(s.account_id.as_db()),
            form_id: Set(s.form_id.as_db()),
            email: Set(s.email.clone()),
            data: Set(serde_json::to_string(&s.fields).unwrap_or_else(|_| "{}".into())),
            status: Set(s.status.as_str().into()),
            action: Set(s.action.map(|a| a.as_str().to_string())),
            crm_entity: Set(s.crm.as_ref().map(|c| c.entity.as_str().to_string())),
            crm_key: Set(s.crm.as_ref().map(|c| c.key.clone())),
            error: Set(s.error.clone()),
            attempts: Set(s.attempts),
            created_at: Set(s.created_at),
            updated_at: Set(s.created_at),
            delivered_at: Set(s.delivered_at),
        });
        form_submission::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("submission {}", first.id)))?;
        Ok(())
    }

    /// One submission of a form in an account.
    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        form: FormId,
        id: SubmissionId,
    ) -> Result<Option<Submission>, StoreError> {
        form_submission::Entity::find_by_id(id.as_db())
            .filter(form_submission::Column::AccountId.eq(account.as_db()))
            .filter(form_submission::Column::FormId.eq(form.as_db()))
            .one(db)
            .await?
            .map(to_submission)
            .transpose()
    }

    /// A submission by id for the worker delivering it (the job carries the account).
    pub async fn for_worker<C: ConnectionTrait>(
        &self,
        db: &C,
        id: SubmissionId,
    ) -> Result<Option<Submission>, StoreError> {
        form_submission::Entity::find_by_id(id.as_db())
            .one(db)
            .await?
            .map(to_submission)
            .transpose()
    }

    /// A form's submissions, newest first, optionally of one status, before a cursor.
    pub async fn page<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        form: FormId,
        status: Option<SubmissionStatus>,
        before: Option<&Submission>,
        limit: u64,
    ) -> Result<Vec<Submission>, StoreError> {
        let mut q = form_submission::Entity::find()
            .filter(form_submission::Column::AccountId.eq(account.as_db()))
            .filter(form_submission::Column::FormId.eq(form.as_db()));
        if let Some(status) = status {
            q = q.filter(form_submission::Column::Status.eq(status.as_str()));
        }
        if let Some(b) = before {
            q = q.filter(
                Expr::col(form_submission::Column::CreatedAt)
                    .lt(b.created_at)
                    .or(Expr::col(form_submission::Column::CreatedAt)
                        .eq(b.created_at)
                        .and(Expr::col(form_submission::Column::Id).lt(b.id.as_db()))),
            );
        }
        let newest_first = q
            .order_by_desc(form_submission::Column::CreatedAt)
            .order_by_desc(form_submission::Column::Id);
        read_page(db, newest_first, limit).await
    }

    /// How many submissions each of an account's forms has (forms without any are
    /// absent), in one grouped query.
    pub async fn counts_by_form<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<Vec<(FormId, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = form_submission::Entity::find()
            .select_only()
            .column(form_submission::Column::FormId)
            .column_as(Expr::col(form_submission::Column::Id).count(), "n")
            .filter(form_submission::Column::AccountId.eq(account.as_db()))
            .group_by(form_submission::Column::FormId)
            .into_tuple()
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, n)| FormId::from_db(&id).map(|id| (id, n)))
            .collect())
    }

    /// How many of a form's submissions were rejected at `since` or later: what the
    /// alert on rejections piling up compares with its limit. A rejected row's
    /// `updated_at` is when it was rejected; one COUNT over the index
    /// (`form_id`, `status`, `updated_at`).
    pub async fn rejected_since<C: ConnectionTrait>(
        &self,
        db: &C,
        form: FormId,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let n: Option<i64> = form_submission::Entity::find()
            .select_only()
            .column_as(Expr::col(form_submission::Column::Id).count(), "n")
            .filter(form_submission::Column::FormId.eq(form.as_db()))
            .filter(form_submission::Column::Status.eq(SubmissionStatus::Rejected.as_str()))
            .filter(form_submission::Column::UpdatedAt.gte(since))
            .into_tuple()
            .one(db)
            .await?;
        Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    /// The queued submissions of one email in an account accepted no later than `upto`,
    /// oldest first: delivered in that order so later values win.
    pub async fn queued_for_email<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        email: &str,
        upto: &Submission,
        limit: u64,
    ) -> Result<Vec<Submission>, StoreError> {
        let oldest_first = form_submission::Entity::find()
            .filter(form_submission::Column::AccountId.eq(account.as_db()))
            .filter(form_submission::Column::Email.eq(email))
            .filter(form_submission::Column::Status.eq(SubmissionStatus::Queued.as_str()))
            .filter(
                Expr::col(form_submission::Column::CreatedAt)
                    .lt(upto.created_at)
                    .or(Expr::col(form_submission::Column::CreatedAt)
                        .eq(upto.created_at)
                        .and(Expr::col(form_submission::Column::Id).lte(upto.id.as_db()))),
            )
            .order_by_asc(form_submission::Column::CreatedAt)
            .order_by_asc(form_submission::Column::Id);
        read_page(db, oldest_first, limit).await
    }

    /// Records a delivery.
    pub async fn mark_delivered<C: ConnectionTrait>(
        &self,
        db: &C,
        id: SubmissionId,
        action: SubmissionAction,
        crm: Option<&SubmissionTarget>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let update = form_submission::Entity::update_many()
            .col_expr(
                form_submission::Column::Action,
                Expr::value(action.as_str()),
            )
            .col_expr(form_submission::Column::DeliveredAt, Expr::value(now));
        end_attempt(db, update, id, SubmissionStatus::Delivered, None, crm, now).await
    }

    /// Ends a submission as `rejected` or `failed` with the reason (and the record it
    /// had matched, if any).
    pub async fn mark_stopped<C: ConnectionTrait>(
        &self,
        db: &C,
        id: SubmissionId,
        status: SubmissionStatus,
        reason: &str,
        crm: Option<&SubmissionTarget>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let update = form_submission::Entity::update_many();
        end_attempt(db, update, id, status, Some(reason), crm, now).await
    }

    /// Notes a failed attempt that will be retried (the submission stays queued).
    pub async fn note_retry<C: ConnectionTrait>(
        &self,
        db: &C,
        id: SubmissionId,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        form_submission::Entity::update_many()
            .col_expr(form_submission::Column::Error, Expr::value(error))
            .col_expr(
                form_submission::Column::Attempts,
                Expr::col(form_submission::Column::Attempts).add(1),
            )
            .col_expr(form_submission::Column::UpdatedAt, Expr::value(now))
            .filter(form_submission::Column::Id.eq(id.as_db()))
            .filter(form_submission::Column::Status.eq(SubmissionStatus::Queued.as_str()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Puts a rejected or failed submission back in the queue; false when it is neither.
    pub async fn requeue<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        id: SubmissionId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let res = form_submission::Entity::update_many()
            .col_expr(
                form_submission::Column::Status,
                Expr::value(SubmissionStatus::Queued.as_str()),
            )
            .col_expr(form_submission::Column::UpdatedAt, Expr::value(now))
            .filter(form_submission::Column::Id.eq(id.as_db()))
            .filter(form_submission::Column::AccountId.eq(account.as_db()))
            .filter(form_submission::Column::Status.is_in([
                SubmissionStatus::Rejected.as_str(),
                SubmissionStatus::Failed.as_str(),
            ]))
            .exec(db)
            .await?;
        Ok(res.rows_affected == 1)
    }
}
