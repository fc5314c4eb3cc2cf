//! A run's records by outcome and CRM key: an import asks, after each commit, which of
//! the records it just wrote already have a `phone_not_parsed` record in this run (a
//! problem is told once per record and column). With only (`run_id`, `seq`) that read
//! walked every record of the run so far, so each commit cost more than the one before
//! (50 ms per 1,000 records well into a 100,000-lead import whose numbers mostly do not
//! parse). The index (`run_id`, `outcome`, `crm_key`) makes it a lookup per key.

use sea_orm_migration::prelude::*;

/// Adds `idx_run_records_outcome_key`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RunRecords {
    Table,
    RunId,
    Outcome,
    CrmKey,
}

/// The index's name.
const INDEX: &str = "idx_run_records_outcome_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(RunRecords::Table)
                    .col(RunRecords::RunId)
                    .col(RunRecords::Outcome)
                    .col(RunRecords::CrmKey)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(RunRecords::Table)
                    .to_owned(),
            )
            .await
    }
}
