//! The `alert_streaks` table: whether an alert subject is failing now.

use sea_orm::entity::prelude::*;

/// One row of `alert_streaks`: one subject (e.g. a list's scheduled sync) of an account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_streaks")]
pub struct Model {
    /// Owning account.
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: String,
    /// What fails or recovers, e.g. `scheduled_sync:list:<id>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    /// True from the first failure to the next success.
    pub failing: bool,
    /// Failures in the current streak.
    pub failures: i32,
    /// The last run or job observed for this subject, so one outcome counts once.
    pub last_observed_id: Option<String>,
    /// Last change (UTC).
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
