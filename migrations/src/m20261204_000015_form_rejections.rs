//! Rejected form submissions piling up: the alert counts a form's submissions rejected
//! in the last hour after each rejection, so that count needs an index of its own.
//! A rejected submission's `updated_at` is when it was rejected (nothing else writes a
//! rejected row but a hand retry, which queues it again), so the index is
//! (`form_id`, `status`, `updated_at`): one range scan per count.

use sea_orm_migration::prelude::*;

/// Adds `idx_form_submissions_status_updated`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FormSubmissions {
    Table,
    FormId,
    Status,
    UpdatedAt,
}

/// The index's name.
const INDEX: &str = "idx_form_submissions_status_updated";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(FormSubmissions::Table)
                    .col(FormSubmissions::FormId)
                    .col(FormSubmissions::Status)
                    .col(FormSubmissions::UpdatedAt)
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
                    .table(FormSubmissions::Table)
                    .to_owned(),
            )
            .await
    }
}
