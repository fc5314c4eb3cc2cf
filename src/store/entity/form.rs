//! The `forms` table: web form definitions and their public keys.

use sea_orm::entity::prelude::*;

/// One row of `forms`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "forms")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The connector submissions are delivered through.
    pub connector_id: String,
    /// Name, unique in the account.
    pub name: String,
    /// The public key in `/f/{form_key}`, unique everywhere.
    pub form_key: String,
    /// The field mapping as a JSON array.
    #[sea_orm(column_type = "Text")]
    pub fields: String,
    /// CRM fields that may update an existing record, as a JSON array.
    #[sea_orm(column_type = "Text")]
    pub update_fields: String,
    /// Create a lead when no record has the email.
    pub create_new_leads: bool,
    /// Keep submitted fields the form does not declare.
    pub keep_unknown_fields: bool,
    /// Where a browser goes after submitting.
    #[sea_orm(column_type = "Text")]
    pub thank_you_url: Option<String>,
    /// The hosted page's title, intro and thank-you message as a JSON object (absent
    /// on forms saved before hosted pages).
    #[sea_orm(column_type = "Text")]
    pub page: Option<String>,
    /// Created at (UTC).
    pub created_at: DateTimeUtc,
    /// Last change (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
