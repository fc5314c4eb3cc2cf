//! Lists, their columns and members, segments, Standard Field Names, runs with their
//! per-record reports, the durable job queue and schedules.
//!
//! JSON documents (member values, sync setups, run counts, job payloads) are stored as
//! text so the same columns work on SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the tables the sync engine, the job queue and the scheduler work on.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Lists {
    Table,
    Id,
    AccountId,
    Name,
    Kind,
    ConnectorId,
    Entity,
    Status,
    MemberCount,
    SyncSetup,
    WatermarkModified,
    WatermarkKey,
    LastSyncedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ListColumns {
    Table,
    Id,
    ListId,
    Name,
    CrmField,
    Position,
    Pending,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FieldUsages {
    Table,
    Id,
    AccountId,
    ColumnName,
    Usage,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    ListId,
    Email,
    CrmEntity,
    CrmKey,
    CrmEtag,
    CrmModifyDate,
    OptedOut,
    FieldValues,
    Synced,
    ListChangedAt,
    ParkedReason,
    ParkedFingerprint,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Segments {
    Table,
    Id,
    AccountId,
    ListId,
    Name,
    Filter,
    SyncSetup,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    Id,
    AccountId,
    ListId,
    SegmentId,
    Kind,
    Trigger,
    DryRun,
    Status,
    Phase,
    ActiveKey,
    ProgressDone,
    ProgressTotal,
    Counts,
    Checkpoint,
    Resumes,
    Error,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RunRecords {
    Table,
    Id,
    RunId,
    Seq,
    Outcome,
    Email,
    CrmEntity,
    CrmKey,
    Field,
    Detail,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    AccountId,
    Kind,
    Payload,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LeaseOwner,
    LeaseExpiresAt,
    LastError,
    DedupeKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Schedules {
    Table,
    Id,
    AccountId,
    TargetKind,
    TargetId,
    Rule,
    Enabled,
    Paused,
    Slot,
    NextRunAt,
    LastSlotAt,
    CreatedAt,
    UpdatedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, cols: &[DynIden], unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table).if_not_exists();
    for c in cols {
        idx.col(c.clone());
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
                .table(Lists::Table)
                .if_not_exists()
                .col(string(Lists::Id).primary_key())
                .col(string(Lists::AccountId))
                .col(string(Lists::Name))
                .col(string(Lists::Kind))
                .col(string_null(Lists::ConnectorId))
                .col(string_null(Lists::Entity))
                .col(string(Lists::Status))
                .col(big_integer(Lists::MemberCount).default(0))
                .col(text_null(Lists::SyncSetup))
                .col(timestamp_with_time_zone_null(Lists::WatermarkModified))
                .col(string_null(Lists::WatermarkKey))
                .col(timestamp_with_time_zone_null(Lists::LastSyncedAt))
                .col(timestamp_with_time_zone(Lists::CreatedAt))
                .col(timestamp_with_time_zone(Lists::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_lists_account",
                    (Lists::Table, Lists::AccountId),
                    (Accounts::Table, Accounts::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "uq_lists_account_name",
            Lists::Table,
            &[Lists::AccountId.into_iden(), Lists::Name.into_iden()],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(ListColumns::Table)
                .if_not_exists()
                .col(string(ListColumns::Id).primary_key())
                .col(string(ListColumns::ListId))
                .col(string(ListColumns::Name))
                .col(string_null(ListColumns::CrmField))
                .col(integer(ListColumns::Position))
                .col(boolean(ListColumns::Pending).default(false))
                .col(timestamp_with_time_zone(ListColumns::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_list_columns_list",
                    (ListColumns::Table, ListColumns::ListId),
                    (Lists::Table, Lists::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "uq_list_columns_name",
            ListColumns::Table,
            &[
                ListColumns::ListId.into_iden(),
                ListColumns::Name.into_iden(),
            ],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(FieldUsages::Table)
                .if_not_exists()
                .col(string(FieldUsages::Id).primary_key())
                .col(string(FieldUsages::AccountId))
                .col(string(FieldUsages::ColumnName))
                .col(string(FieldUsages::Usage))
                .col(timestamp_with_time_zone(FieldUsages::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_field_usages_account",
                    (FieldUsages::Table, FieldUsages::AccountId),
                    (Accounts::Table, Accounts::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "uq_field_usages_column",
            FieldUsages::Table,
            &[
                FieldUsages::AccountId.into_iden(),
                FieldUsages::ColumnName.into_iden(),
            ],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Members::Table)
                .if_not_exists()
                .col(string(Members::Id).primary_key())
                .col(string(Members::ListId))
                .col(string(Members::Email))
                .col(string_null(Members::CrmEntity))
                .col(string_null(Members::CrmKey))
                .col(string_null(Members::CrmEtag))
                .col(timestamp_with_time_zone_null(Members::CrmModifyDate))
                .col(boolean(Members::OptedOut).default(false))
                .col(text(Members::FieldValues))
                .col(text(Members::Synced))
                .col(timestamp_with_time_zone(Members::ListChangedAt))
                .col(text_null(Members::ParkedReason))
                .col(string_null(Members::ParkedFingerprint))
                .col(timestamp_with_time_zone(Members::CreatedAt))
                .col(timestamp_with_time_zone(Members::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_members_list",
                    (Members::Table, Members::ListId),
                    (Lists::Table, Lists::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "uq_members_list_email",
            Members::Table,
            &[Members::ListId.into_iden(), Members::Email.into_iden()],
            true,
        ))
        .await?;
        m.create_index(index(
            "idx_members_list_crm_key",
            Members::Table,
            &[Members::ListId.into_iden(), Members::CrmKey.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Segments::Table)
                .if_not_exists()
                .col(string(Segments::Id).primary_key())
                .col(string(Segments::AccountId))
                .col(string(Segments::ListId))
                .col(string(Segments::Name))
                .col(text(Segments::Filter))
                .col(text_null(Segments::SyncSetup))
                .col(timestamp_with_time_zone(Segments::CreatedAt))
                .col(timestamp_with_time_zone(Segments::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_segments_list",
                    (Segments::Table, Segments::ListId),
                    (Lists::Table, Lists::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "uq_segments_list_name",
            Segments::Table,
            &[Segments::ListId.into_iden(), Segments::Name.into_iden()],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Runs::Table)
                .if_not_exists()
                .col(string(Runs::Id).primary_key())
                .col(string(Runs::AccountId))
                .col(string(Runs::ListId))
                .col(string_null(Runs::SegmentId))
                .col(string(Runs::Kind))
                .col(string(Runs::Trigger))
                .col(boolean(Runs::DryRun).default(false))
                .col(string(Runs::Status))
                .col(string(Runs::Phase))
                .col(string_null(Runs::ActiveKey))
                .col(big_integer(Runs::ProgressDone).default(0))
                .col(big_integer_null(Runs::ProgressTotal))
                .col(text(Runs::Counts))
                .col(text_null(Runs::Checkpoint))
                .col(integer(Runs::Resumes).default(0))
                .col(text_null(Runs::Error))
                .col(timestamp_with_time_zone(Runs::CreatedAt))
                .col(timestamp_with_time_zone_null(Runs::StartedAt))
                .col(timestamp_with_time_zone_null(Runs::FinishedAt))
                .col(timestamp_with_time_zone(Runs::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_runs_list",
                    (Runs::Table, Runs::ListId),
                    (Lists::Table, Lists::Id),
                ))
                .to_owned(),
        )
        .await?;
        // One active run per list or segment: the key is set while queued/running, NULL after.
        m.create_index(index(
            "uq_runs_active_key",
            Runs::Table,
            &[Runs::ActiveKey.into_iden()],
            true,
        ))
        .await?;
        m.create_index(index(
            "idx_runs_list",
            Runs::Table,
            &[Runs::ListId.into_iden(), Runs::CreatedAt.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(RunRecords::Table)
                .if_not_exists()
                .col(string(RunRecords::Id).primary_key())
                .col(string(RunRecords::RunId))
                .col(big_integer(RunRecords::Seq))
                .col(string(RunRecords::Outcome))
                .col(string_null(RunRecords::Email))
                .col(string_null(RunRecords::CrmEntity))
                .col(string_null(RunRecords::CrmKey))
                .col(string_null(RunRecords::Field))
                .col(text(RunRecords::Detail))
                .col(text_null(RunRecords::Data))
                .col(timestamp_with_time_zone(RunRecords::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_run_records_run",
                    (RunRecords::Table, RunRecords::RunId),
                    (Runs::Table, Runs::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_run_records_run",
            RunRecords::Table,
            &[RunRecords::RunId.into_iden(), RunRecords::Seq.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .if_not_exists()
                .col(string(Jobs::Id).primary_key())
                .col(string(Jobs::AccountId))
                .col(string(Jobs::Kind))
                .col(text(Jobs::Payload))
                .col(string(Jobs::Status))
                .col(integer(Jobs::Attempts).default(0))
                .col(integer(Jobs::MaxAttempts))
                .col(timestamp_with_time_zone(Jobs::RunAt))
                .col(string_null(Jobs::LeaseOwner))
                .col(timestamp_with_time_zone_null(Jobs::LeaseExpiresAt))
                .col(text_null(Jobs::LastError))
                .col(string_null(Jobs::DedupeKey))
                .col(timestamp_with_time_zone(Jobs::CreatedAt))
                .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_jobs_claim",
            Jobs::Table,
            &[Jobs::Status.into_iden(), Jobs::RunAt.into_iden()],
            false,
        ))
        .await?;
        m.create_index(index(
            "uq_jobs_dedupe",
            Jobs::Table,
            &[Jobs::DedupeKey.into_iden()],
            true,
        ))
        .await?;
        m.create_index(index(
            "idx_jobs_account",
            Jobs::Table,
            &[Jobs::AccountId.into_iden(), Jobs::CreatedAt.into_iden()],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Schedules::Table)
                .if_not_exists()
                .col(string(Schedules::Id).primary_key())
                .col(string(Schedules::AccountId))
                .col(string(Schedules::TargetKind))
                .col(string(Schedules::TargetId))
                .col(text(Schedules::Rule))
                .col(boolean(Schedules::Enabled))
                .col(boolean(Schedules::Paused).default(false))
                .col(integer_null(Schedules::Slot))
                .col(timestamp_with_time_zone_null(Schedules::NextRunAt))
                .col(timestamp_with_time_zone_null(Schedules::LastSlotAt))
                .col(timestamp_with_time_zone(Schedules::CreatedAt))
                .col(timestamp_with_time_zone(Schedules::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_schedules_account",
                    (Schedules::Table, Schedules::AccountId),
                    (Accounts::Table, Accounts::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "uq_schedules_target",
            Schedules::Table,
            &[
                Schedules::TargetKind.into_iden(),
                Schedules::TargetId.into_iden(),
            ],
            true,
        ))
        .await?;
        // The ten-schedule limit: an enabled schedule holds one of slots 1..=10 of its account.
        m.create_index(index(
            "uq_schedules_slot",
            Schedules::Table,
            &[
                Schedules::AccountId.into_iden(),
                Schedules::Slot.into_iden(),
            ],
            true,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Schedules::Table.into_iden(),
            Jobs::Table.into_iden(),
            RunRecords::Table.into_iden(),
            Runs::Table.into_iden(),
            Segments::Table.into_iden(),
            Members::Table.into_iden(),
            FieldUsages::Table.into_iden(),
            ListColumns::Table.into_iden(),
            Lists::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
