//! What lets a push look only at the members that may need it, CRM deletes be kept as
//! tombstones, and a dry run see what its pull would have changed.
//!
//! - `members.change_seq`: the list-side change sequence number of the member's last
//!   edit (0: the member holds what the CRM sent and nothing changed on the list since).
//!   `lists.change_seq` hands the numbers out, one per transaction that changes members.
//! - `lists.push_seq` / `segments.push_seq`: the change number a complete push of that
//!   list (or segment) has covered; `push_basis`: a fingerprint of the push setup and
//!   mapping it covered them under. A push looks at members changed after `push_seq`
//!   (and at unlinked ones); when the basis differs it looks at every changed member.
//! - `members.crm_deleted_at`: the linked CRM record was deleted in the CRM (a
//!   tombstone): the member keeps its data and is never re-created in the CRM by a sync.
//! - `run_scratch`: a dry run's would-be member states, so its push plans against what
//!   its pull would have written; removed when the run ends.
//! - `runs.running_key`: the list id while a run of that list executes (unique), so a
//!   list's own sync, its segments' pushes and its import never execute at once (one
//!   active run per list *or segment* is `active_key`; this one spans them).
//! - Indexes `members (list_id, change_seq, id)` and `members (list_id, crm_key, id)`
//!   (replacing `(list_id, crm_key)`) for those scans in order without sorting.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds the push scope columns, tombstones, the dry-run scratch table and their indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Members {
    Table,
    ListId,
    Id,
    CrmKey,
    ChangeSeq,
    CrmDeletedAt,
}

#[derive(DeriveIden)]
enum Lists {
    Table,
    ChangeSeq,
    PushSeq,
    PushBasis,
}

#[derive(DeriveIden)]
enum Segments {
    Table,
    PushSeq,
    PushBasis,
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    RunningKey,
}

#[derive(DeriveIden)]
enum RunScratch {
    Table,
    RunId,
    MemberId,
    Body,
}

const CHANGE_INDEX: &str = "idx_members_list_change_seq";
const KEY_INDEX: &str = "idx_members_list_crm_key_id";
const OLD_KEY_INDEX: &str = "idx_members_list_crm_key";
const RUNNING_INDEX: &str = "uq_runs_running_key";

/// One column added to a table (SQLite takes one per `ALTER TABLE`).
async fn add(m: &SchemaManager<'_>, table: impl IntoIden, col: ColumnDef) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).add_column(col).to_owned())
        .await
}

async fn drop_col(
    m: &SchemaManager<'_>,
    table: impl IntoIden,
    col: impl IntoIden,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).drop_column(col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Existing members count as changed once (1 > every push_seq of 0), so the first
        // push after the upgrade looks at them all, as pushes did before.
        add(
            m,
            Members::Table,
            big_integer(Members::ChangeSeq).default(1).take(),
        )
        .await?;
        add(
            m,
            Members::Table,
            timestamp_with_time_zone_null(Members::CrmDeletedAt),
        )
        .await?;
        add(
            m,
            Lists::Table,
            big_integer(Lists::ChangeSeq).default(1).take(),
        )
        .await?;
        add(
            m,
            Lists::Table,
            big_integer(Lists::PushSeq).default(0).take(),
        )
        .await?;
        add(m, Lists::Table, text_null(Lists::PushBasis)).await?;
        add(
            m,
            Segments::Table,
            big_integer(Segments::PushSeq).default(0).take(),
        )
        .await?;
        add(m, Segments::Table, text_null(Segments::PushBasis)).await?;
        add(m, Runs::Table, string_null(Runs::RunningKey)).await?;
        m.create_index(
            Index::create()
                .name(RUNNING_INDEX)
                .table(Runs::Table)
                .col(Runs::RunningKey)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(CHANGE_INDEX)
                .table(Members::Table)
                .col(Members::ListId)
                .col(Members::ChangeSeq)
                .col(Members::Id)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(KEY_INDEX)
                .table(Members::Table)
                .col(Members::ListId)
                .col(Members::CrmKey)
                .col(Members::Id)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name(OLD_KEY_INDEX)
                .table(Members::Table)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RunScratch::Table)
                .if_not_exists()
                .col(string(RunScratch::RunId))
                .col(string(RunScratch::MemberId))
                .col(text(RunScratch::Body))
                .primary_key(
                    Index::create()
                        .col(RunScratch::RunId)
                        .col(RunScratch::MemberId),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RunScratch::Table).to_owned())
            .await?;
        m.create_index(
            Index::create()
                .name(OLD_KEY_INDEX)
                .table(Members::Table)
                .col(Members::ListId)
                .col(Members::CrmKey)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        for name in [KEY_INDEX, CHANGE_INDEX] {
            m.drop_index(Index::drop().name(name).table(Members::Table).to_owned())
                .await?;
        }
        m.drop_index(
            Index::drop()
                .name(RUNNING_INDEX)
                .table(Runs::Table)
                .to_owned(),
        )
        .await?;
        drop_col(m, Runs::Table, Runs::RunningKey).await?;
        drop_col(m, Segments::Table, Segments::PushBasis).await?;
        drop_col(m, Segments::Table, Segments::PushSeq).await?;
        drop_col(m, Lists::Table, Lists::PushBasis).await?;
        drop_col(m, Lists::Table, Lists::PushSeq).await?;
        drop_col(m, Lists::Table, Lists::ChangeSeq).await?;
        drop_col(m, Members::Table, Members::CrmDeletedAt).await?;
        drop_col(m, Members::Table, Members::ChangeSeq).await
    }
}
