//! Call notes: one row per (account, interaction id) the phone system reported, unique,
//! so re-posting an interaction adds nothing; each row ends as one CRM note (or says why
//! not), written by `interaction_delivery` jobs in batches.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `interactions`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    Id,
    AccountId,
    ConnectorId,
    InteractionId,
    Direction,
    Caller,
    Callee,
    Agent,
    StartedAt,
    DurationSeconds,
    Outcome,
    Notes,
    RecordingUrl,
    Status,
    Reason,
    CrmEntity,
    CrmKey,
    NoteKey,
    BatchId,
    CreatedAt,
    UpdatedAt,
}

fn index(name: &str, cols: &[Interactions], unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(Interactions::Table).if_not_exists();
    for &c in cols {
        idx.col(c.into_iden());
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Interactions::Table)
                .if_not_exists()
                .col(string(Interactions::Id).primary_key())
                .col(string(Interactions::AccountId))
                .col(string_null(Interactions::ConnectorId))
                .col(string(Interactions::InteractionId))
                .col(string(Interactions::Direction))
                .col(string(Interactions::Caller))
                .col(string(Interactions::Callee))
                .col(string_null(Interactions::Agent))
                .col(timestamp_with_time_zone(Interactions::StartedAt))
                .col(big_integer(Interactions::DurationSeconds))
                .col(string_null(Interactions::Outcome))
                .col(text_null(Interactions::Notes))
                .col(text_null(Interactions::RecordingUrl))
                .col(string(Interactions::Status))
                .col(text_null(Interactions::Reason))
                .col(string_null(Interactions::CrmEntity))
                .col(string_null(Interactions::CrmKey))
                .col(string_null(Interactions::NoteKey))
                .col(string_null(Interactions::BatchId))
                .col(timestamp_with_time_zone(Interactions::CreatedAt))
                .col(timestamp_with_time_zone(Interactions::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_interactions_account")
                        .from(Interactions::Table, Interactions::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "uq_interactions_interaction",
            &[Interactions::AccountId, Interactions::InteractionId],
            true,
        ))
        .await?;
        m.create_index(index(
            "idx_interactions_batch",
            &[Interactions::BatchId, Interactions::Status],
            false,
        ))
        .await?;
        m.create_index(index(
            "idx_interactions_status",
            &[
                Interactions::AccountId,
                Interactions::Status,
                Interactions::InteractionId,
            ],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(Interactions::Table)
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
