//! The `phone_numbers` table: the per-account phone index, one row per phone value of
//! a member linked to a CRM record.

use sea_orm::entity::prelude::*;

/// One row of `phone_numbers`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "phone_numbers")]
pub struct Model {
    /// The member the value belongs to.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: String,
    /// The column (or CRM field) the value is in.
    #[sea_orm(primary_key, auto_increment = false)]
    pub column_name: String,
    /// Owning account: the index is per account.
    pub account_id: String,
    /// E.164 form; null when the text is not a phone number.
    pub e164: Option<String>,
    /// The text as the member holds it.
    #[sea_orm(column_type = "Text")]
    pub original: String,
    /// Why the text is not a number (null when it is).
    pub problem: Option<String>,
    /// The member's list.
    pub list_id: String,
    /// `lead` or `contact`.
    pub crm_entity: String,
    /// The linked CRM record.
    pub crm_key: String,
    /// The CRM record's modify date as last seen (most recent wins a tie).
    pub modified_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
