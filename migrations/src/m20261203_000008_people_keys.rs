//! People and API keys managed from the console, and the account's settings.
//!
//! - `invitations`: a one-time sign-in link for a person an admin invited. Only the
//!   SHA-256 of the link's token is stored (like sessions and API keys), so a copy of
//!   the database opens no account. The link works until `expires_at` and only once
//!   (`used_at`). It belongs to the invited user and goes with them (`ON DELETE
//!   CASCADE`), as it goes with the account.
//! - `api_keys.last_used_at`: when the key last authenticated a request, written at
//!   most once a minute per key so reading the API costs no write per request.
//! - `accounts.time_zone`: the account's default time zone (an IANA name), `UTC` for
//!   every account that existed before.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `invitations`; adds `api_keys.last_used_at` and `accounts.time_zone`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    TimeZone,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    TokenHash,
    AccountId,
    UserId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .if_not_exists()
                    .col(string(Invitations::TokenHash).primary_key())
                    .col(string(Invitations::AccountId))
                    .col(string(Invitations::UserId))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitations::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_account")
                            .from(Invitations::Table, Invitations::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_user")
                            .from(Invitations::Table, Invitations::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invitations_user")
                    .table(Invitations::Table)
                    .col(Invitations::UserId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .add_column(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(string(Accounts::TimeZone).default("UTC"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::TimeZone)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .drop_column(ApiKeys::LastUsedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(Invitations::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
