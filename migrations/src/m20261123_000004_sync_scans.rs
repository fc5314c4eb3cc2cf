//! What keeps a sync with nothing to do cheap on large lists.
//!
//! - `members (list_id, id)`: pushes and member pages walk a list in id order (keyset
//!   `id > after`). Without it SQLite read and sorted every member of the list for each
//!   page of 200, so a push over 100,000 members took minutes instead of seconds.
//! - `lists.watermark_read_at`: when the read that reached the pull watermark began. A
//!   pull re-reads a short overlap before the watermark for records committed late; once
//!   the watermark is older than that overlap (plus a clock margin) at the time of a
//!   complete read, nothing can commit behind it any more and the overlap is skipped, so
//!   an idle sync reads one empty page instead of every record of the last bulk update.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `idx_members_list_id` and adds `lists.watermark_read_at`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    ListId,
}

#[derive(DeriveIden)]
enum Lists {
    Table,
    WatermarkReadAt,
}

const INDEX: &str = "idx_members_list_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Members::Table)
                    .col(Members::ListId)
                    .col(Members::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Lists::Table)
                    .add_column(timestamp_with_time_zone_null(Lists::WatermarkReadAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Lists::Table)
                    .drop_column(Lists::WatermarkReadAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(INDEX).table(Members::Table).to_owned())
            .await
    }
}
