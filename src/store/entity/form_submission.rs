//! The `form_submissions` table: every accepted submission and its delivery outcome.

use sea_orm::entity::prelude::*;

/// One row of `form_submissions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "form_submissions")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The form it was posted to.
    pub form_id: String,
    /// Normalised email.
    pub email: String,
    /// Submitted values as a JSON object.
    #[sea_orm(column_type = "Text")]
    pub data: String,
    /// `queued`, `delivered`, `rejected` or `failed`.
    pub status: String,
    /// `created`, `updated`, `unchanged` or `not_created` once delivered.
    pub action: Option<String>,
    /// `lead` or `contact` once matched or created.
    pub crm_entity: Option<String>,
    /// The CRM record's key.
    pub crm_key: Option<String>,
    /// The last failure (the CRM's own words for a rejection).
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    /// Delivery attempts that reached the CRM.
    pub attempts: i32,
    /// Accepted at (UTC).
    pub created_at: DateTimeUtc,
    /// Last change (UTC).
    pub updated_at: DateTimeUtc,
    /// Delivered at (UTC).
    pub delivered_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
