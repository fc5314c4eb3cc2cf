//! Alerts: `alert_channels` (an account's email and webhook destinations, the SMTP
//! password or signing secret encrypted like CRM passwords) and `alert_streaks` (per
//! account and subject, whether it is failing now, so one streak sends one alert and
//! its end one "recovered", across restarts and instances).

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `alert_channels` and `alert_streaks`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

/// Where an account's alerts go.
#[derive(DeriveIden)]
enum AlertChannels {
    Table,
    Id,
    AccountId,
    Name,
    Kind,
    Settings,
    SecretEncrypted,
    CreatedAt,
    UpdatedAt,
}

/// The failing state of each alert subject (e.g. a list's scheduled sync).
#[derive(DeriveIden)]
enum AlertStreaks {
    Table,
    AccountId,
    Subject,
    Failing,
    Failures,
    LastRunId,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertChannels::Table)
                    .if_not_exists()
                    .col(string(AlertChannels::Id).primary_key())
                    .col(string(AlertChannels::AccountId))
                    .col(string(AlertChannels::Name))
                    .col(string(AlertChannels::Kind))
                    .col(text(AlertChannels::Settings))
                    .col(blob_null(AlertChannels::SecretEncrypted))
                    .col(timestamp_with_time_zone(AlertChannels::CreatedAt))
                    .col(timestamp_with_time_zone(AlertChannels::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_channels_account")
                            .from(AlertChannels::Table, AlertChannels::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_channels_account")
                    .table(AlertChannels::Table)
                    .col(AlertChannels::AccountId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertStreaks::Table)
                    .if_not_exists()
                    .col(string(AlertStreaks::AccountId))
                    .col(string(AlertStreaks::Subject))
                    .col(boolean(AlertStreaks::Failing).default(false))
                    .col(integer(AlertStreaks::Failures).default(0))
                    .col(string_null(AlertStreaks::LastRunId))
                    .col(timestamp_with_time_zone(AlertStreaks::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(AlertStreaks::AccountId)
                            .col(AlertStreaks::Subject),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_streaks_account")
                            .from(AlertStreaks::Table, AlertStreaks::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AlertStreaks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AlertChannels::Table).to_owned())
            .await
    }
}
