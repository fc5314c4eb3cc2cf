//! Alert subjects beyond scheduled runs: dead jobs and a connector whose login the CRM
//! refused.
//!
//! - `runs.failure_kind`: why a failed run failed, as the error's fixed kind word
//!   (`auth`, `unreachable`, `setup`…), so the login alert reads a stored value
//!   instead of matching the error's text;
//! - `runs.crm_connector_id` and `runs.crm_answered`: the connector a run used and
//!   whether the CRM answered a logged-in request of it, so "recovered" follows only a
//!   run that got past the login (one with nothing to do never asks the CRM);
//! - `alert_streaks.last_run_id` becomes `last_observed_id`: a streak's last
//!   observation is a run or a job.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds `runs.failure_kind`, `crm_connector_id` and `crm_answered`; renames
/// `alert_streaks.last_run_id`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Runs {
    Table,
    FailureKind,
    CrmConnectorId,
    CrmAnswered,
}

#[derive(DeriveIden)]
enum AlertStreaks {
    Table,
    LastRunId,
    LastObservedId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Runs::Table)
                    .add_column(string_null(Runs::FailureKind))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Runs::Table)
                    .add_column(string_null(Runs::CrmConnectorId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Runs::Table)
                    .add_column(boolean(Runs::CrmAnswered).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AlertStreaks::Table)
                    .rename_column(AlertStreaks::LastRunId, AlertStreaks::LastObservedId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AlertStreaks::Table)
                    .rename_column(AlertStreaks::LastObservedId, AlertStreaks::LastRunId)
                    .to_owned(),
            )
            .await?;
        for column in [Runs::CrmAnswered, Runs::CrmConnectorId, Runs::FailureKind] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Runs::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
