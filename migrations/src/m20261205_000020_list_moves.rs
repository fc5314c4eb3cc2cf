//! `lists.moves_since`: where a list's next sweep for CRM records that became records of
//! another entity starts (Salesforce leads converted into contacts).
//!
//! A sync asks the CRM which leads were converted since this instant and links the
//! members that followed those leads to the contacts they became. It has its own mark
//! rather than the pull watermark because a push-only list never pulls, and a lead read
//! leaves converted leads out, so the watermark can pass a conversion it never saw. An
//! empty mark means "since the list was created".

use sea_orm_migration::{prelude::*, schema::*};

/// Adds `lists.moves_since`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Lists {
    Table,
    MovesSince,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Lists::Table)
                    .add_column(timestamp_with_time_zone_null(Lists::MovesSince))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Lists::Table)
                    .drop_column(Lists::MovesSince)
                    .to_owned(),
            )
            .await
    }
}
