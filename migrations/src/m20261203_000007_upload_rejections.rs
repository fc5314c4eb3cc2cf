//! What an upload reported, kept so its result page and its rejected rows (as CSV) can
//! be fetched after the upload's answer was sent.
//!
//! - `upload_reports`: one row per uploaded list: how many rows became members and how
//!   many were rejected in all.
//! - `upload_rejections`: every rejected row of the upload, by the line it starts at,
//!   with the reason.
//!
//! Both belong to their list and go with it (`ON DELETE CASCADE`), so a failed upload,
//! whose list is removed, leaves nothing behind.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `upload_reports` and `upload_rejections`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Lists {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UploadReports {
    Table,
    ListId,
    AccountId,
    Accepted,
    RejectedTotal,
    FinishedAt,
}

#[derive(DeriveIden)]
enum UploadRejections {
    Table,
    ListId,
    Line,
    Reason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UploadReports::Table)
                    .if_not_exists()
                    .col(string(UploadReports::ListId).primary_key())
                    .col(string(UploadReports::AccountId))
                    .col(big_integer(UploadReports::Accepted))
                    .col(big_integer(UploadReports::RejectedTotal))
                    .col(timestamp_with_time_zone(UploadReports::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_upload_reports_list")
                            .from(UploadReports::Table, UploadReports::ListId)
                            .to(Lists::Table, Lists::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UploadRejections::Table)
                    .if_not_exists()
                    .col(string(UploadRejections::ListId))
                    .col(big_integer(UploadRejections::Line))
                    .col(text(UploadRejections::Reason))
                    .primary_key(
                        Index::create()
                            .col(UploadRejections::ListId)
                            .col(UploadRejections::Line),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_upload_rejections_list")
                            .from(UploadRejections::Table, UploadRejections::ListId)
                            .to(Lists::Table, Lists::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UploadRejections::Table.into_iden(),
            UploadReports::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
