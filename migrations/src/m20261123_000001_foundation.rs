//! Accounts, their API keys and their CRM connectors.
//!
//! Ids are UUID v7 strings (time-ordered) in text columns and timestamps are UTC
//! `timestamp with time zone` (text in SQLite), so one definition serves both
//! databases.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `accounts`, `api_keys` and `connectors`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// A tenant: owns everything else.
#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Name,
    CreatedAt,
}

/// API keys, stored only as the SHA-256 of the key.
#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    AccountId,
    KeyHash,
    Prefix,
    Label,
    CreatedAt,
    RevokedAt,
}

/// One configured CRM connection per account and CRM kind.
#[derive(DeriveIden)]
enum Connectors {
    Table,
    Id,
    AccountId,
    Kind,
    BaseUrl,
    Username,
    PasswordEncrypted,
    Status,
    CrmUserId,
    CrmUserName,
    LastVerifiedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .if_not_exists()
                    .col(string(Accounts::Id).primary_key())
                    .col(string_uniq(Accounts::Name))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .if_not_exists()
                    .col(string(ApiKeys::Id).primary_key())
                    .col(string(ApiKeys::AccountId))
                    .col(string_uniq(ApiKeys::KeyHash))
                    .col(string(ApiKeys::Prefix))
                    .col(string(ApiKeys::Label))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_keys_account")
                            .from(ApiKeys::Table, ApiKeys::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_keys_account")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::AccountId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Connectors::Table)
                    .if_not_exists()
                    .col(string(Connectors::Id).primary_key())
                    .col(string(Connectors::AccountId))
                    .col(string(Connectors::Kind))
                    .col(string(Connectors::BaseUrl))
                    .col(string(Connectors::Username))
                    .col(blob_null(Connectors::PasswordEncrypted))
                    .col(string(Connectors::Status))
                    .col(string_null(Connectors::CrmUserId))
                    .col(string_null(Connectors::CrmUserName))
                    .col(timestamp_with_time_zone_null(Connectors::LastVerifiedAt))
                    .col(timestamp_with_time_zone(Connectors::CreatedAt))
                    .col(timestamp_with_time_zone(Connectors::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_connectors_account")
                            .from(Connectors::Table, Connectors::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_connectors_account_kind")
                    .table(Connectors::Table)
                    .col(Connectors::AccountId)
                    .col(Connectors::Kind)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Connectors::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
