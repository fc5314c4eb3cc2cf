//! Offline conversions (issue 19): `conversion_exports` (what is read from which CRM,
//! the rule, where rows go and how often, the read position), `conversion_runs` (one
//! export run with its counts, one active per export) and `conversion_rows`, the ledger
//! that makes each conversion go out once: one row per (export, row key) with its
//! status, the platform's words, and a fingerprint of what was sent, so a record changed
//! after sending is reported rather than sent again. A row's `batch_id` names the
//! batch it was handed to the destination in: a batch whose outcome was never stored
//! (a crash, a lost answer) is sent again with exactly the same rows.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the three tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Connectors {
    Table,
    Id,
}

/// An account's conversion exports.
#[derive(DeriveIden)]
enum ConversionExports {
    Table,
    Id,
    AccountId,
    ConnectorId,
    Name,
    Source,
    Rule,
    DestinationKind,
    DestinationSettings,
    DestinationSecret,
    EnrichField,
    EveryMinutes,
    WithListSyncs,
    WatermarkModified,
    WatermarkKey,
    NextRunAt,
    CreatedAt,
    UpdatedAt,
}

/// One run of an export.
#[derive(DeriveIden)]
enum ConversionRuns {
    Table,
    Id,
    AccountId,
    ExportId,
    Status,
    Trigger,
    ActiveKey,
    RecordsRead,
    Conversions,
    Accepted,
    Rejected,
    Invalid,
    ChangedAfterSending,
    Enriched,
    Error,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

/// The exactly-once ledger.
#[derive(DeriveIden)]
enum ConversionRows {
    Table,
    Id,
    AccountId,
    ExportId,
    RowKey,
    Source,
    CrmKey,
    Status,
    Payload,
    Fingerprint,
    Message,
    MarketingSource,
    EnrichedAt,
    ChangedAfterSending,
    FirstMatchedAt,
    OccurredAt,
    LastRunId,
    BatchId,
    SentAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConversionExports::Table)
                    .if_not_exists()
                    .col(string(ConversionExports::Id).primary_key())
                    .col(string(ConversionExports::AccountId))
                    .col(string(ConversionExports::ConnectorId))
                    .col(string(ConversionExports::Name))
                    .col(string(ConversionExports::Source))
                    .col(text(ConversionExports::Rule))
                    .col(string(ConversionExports::DestinationKind))
                    .col(text(ConversionExports::DestinationSettings))
                    .col(blob_null(ConversionExports::DestinationSecret))
                    .col(string_null(ConversionExports::EnrichField))
                    .col(integer_null(ConversionExports::EveryMinutes))
                    .col(boolean(ConversionExports::WithListSyncs).default(false))
                    .col(timestamp_with_time_zone_null(
                        ConversionExports::WatermarkModified,
                    ))
                    .col(string_null(ConversionExports::WatermarkKey))
                    .col(timestamp_with_time_zone_null(ConversionExports::NextRunAt))
                    .col(timestamp_with_time_zone(ConversionExports::CreatedAt))
                    .col(timestamp_with_time_zone(ConversionExports::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversion_exports_account")
                            .from(ConversionExports::Table, ConversionExports::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversion_exports_connector")
                            .from(ConversionExports::Table, ConversionExports::ConnectorId)
                            .to(Connectors::Table, Connectors::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_conversion_exports_account_name")
                    .table(ConversionExports::Table)
                    .col(ConversionExports::AccountId)
                    .col(ConversionExports::Name)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_conversion_exports_next_run")
                    .table(ConversionExports::Table)
                    .col(ConversionExports::NextRunAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConversionRuns::Table)
                    .if_not_exists()
                    .col(string(ConversionRuns::Id).primary_key())
                    .col(string(ConversionRuns::AccountId))
                    .col(string(ConversionRuns::ExportId))
                    .col(string(ConversionRuns::Status))
                    .col(string(ConversionRuns::Trigger))
                    .col(string_null(ConversionRuns::ActiveKey).unique_key())
                    .col(big_integer(ConversionRuns::RecordsRead).default(0))
                    .col(big_integer(ConversionRuns::Conversions).default(0))
                    .col(big_integer(ConversionRuns::Accepted).default(0))
                    .col(big_integer(ConversionRuns::Rejected).default(0))
                    .col(big_integer(ConversionRuns::Invalid).default(0))
                    .col(big_integer(ConversionRuns::ChangedAfterSending).default(0))
                    .col(big_integer(ConversionRuns::Enriched).default(0))
                    .col(text_null(ConversionRuns::Error))
                    .col(timestamp_with_time_zone(ConversionRuns::CreatedAt))
                    .col(timestamp_with_time_zone_null(ConversionRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(ConversionRuns::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversion_runs_export")
                            .from(ConversionRuns::Table, ConversionRuns::ExportId)
                            .to(ConversionExports::Table, ConversionExports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_conversion_runs_export_created")
                    .table(ConversionRuns::Table)
                    .col(ConversionRuns::ExportId)
                    .col(ConversionRuns::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConversionRows::Table)
                    .if_not_exists()
                    .col(string(ConversionRows::Id).primary_key())
                    .col(string(ConversionRows::AccountId))
                    .col(string(ConversionRows::ExportId))
                    .col(string(ConversionRows::RowKey))
                    .col(string(ConversionRows::Source))
                    .col(string(ConversionRows::CrmKey))
                    .col(string(ConversionRows::Status))
                    .col(text(ConversionRows::Payload))
                    .col(string(ConversionRows::Fingerprint))
                    .col(text_null(ConversionRows::Message))
                    .col(string_null(ConversionRows::MarketingSource))
                    .col(timestamp_with_time_zone_null(ConversionRows::EnrichedAt))
                    .col(boolean(ConversionRows::ChangedAfterSending).default(false))
                    .col(timestamp_with_time_zone(ConversionRows::FirstMatchedAt))
                    .col(timestamp_with_time_zone_null(ConversionRows::OccurredAt))
                    .col(string_null(ConversionRows::LastRunId))
                    .col(string_null(ConversionRows::BatchId))
                    .col(timestamp_with_time_zone_null(ConversionRows::SentAt))
                    .col(timestamp_with_time_zone(ConversionRows::CreatedAt))
                    .col(timestamp_with_time_zone(ConversionRows::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversion_rows_export")
                            .from(ConversionRows::Table, ConversionRows::ExportId)
                            .to(ConversionExports::Table, ConversionExports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_conversion_rows_export_key",
                vec![ConversionRows::ExportId, ConversionRows::RowKey],
            ),
            (
                "idx_conversion_rows_export_status",
                vec![ConversionRows::ExportId, ConversionRows::Status],
            ),
            (
                "idx_conversion_rows_export_occurred",
                vec![ConversionRows::ExportId, ConversionRows::OccurredAt],
            ),
            ("idx_conversion_rows_run", vec![ConversionRows::LastRunId]),
            (
                "idx_conversion_rows_export_batch",
                vec![ConversionRows::ExportId, ConversionRows::BatchId],
            ),
        ] {
            let mut index = Index::create();
            index
                .name(name)
                .table(ConversionRows::Table)
                .if_not_exists();
            if name == "idx_conversion_rows_export_key" {
                index.unique();
            }
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ConversionRows::Table.into_iden(),
            ConversionRuns::Table.into_iden(),
            ConversionExports::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
