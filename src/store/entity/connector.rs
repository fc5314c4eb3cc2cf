//! The `connectors` table: one CRM connection per account and kind.

use sea_orm::entity::prelude::*;

/// One row of `connectors`. `password_encrypted` is AES-256-GCM output
/// (see `crate::secrets`); `None` after a reset.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connectors")]
pub struct Model {
    /// UUID v7 text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Connector kind from the registry, e.g. `infor-crm`.
    pub kind: String,
    /// Base URL as the marketer typed it.
    pub base_url: String,
    /// CRM login name.
    pub username: String,
    /// Encrypted CRM password.
    pub password_encrypted: Option<Vec<u8>>,
    /// `connected` or `reset`.
    pub status: String,
    /// The CRM's id of the logged-in user at the last verification.
    pub crm_user_id: Option<String>,
    /// That user's display name.
    pub crm_user_name: Option<String>,
    /// When the login was last verified (UTC).
    pub last_verified_at: Option<DateTimeUtc>,
    /// When it was created (UTC).
    pub created_at: DateTimeUtc,
    /// When it last changed (UTC).
    pub updated_at: DateTimeUtc,
    /// The connector's own requests per second; null: the service's default.
    pub rate_limit_requests_per_second: Option<i32>,
    /// The connector's own requests in flight at once; null: the service's default.
    pub rate_limit_concurrency: Option<i32>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("connector::Model")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// No relations are navigated through the ORM; repositories join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
