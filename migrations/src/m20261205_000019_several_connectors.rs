//! Several CRMs per account: two connectors of one kind (two Infor CRMs) may sit side by
//! side, and an uploaded list says which one it pushes to (`lists.push_connector_id`).
//!
//! Until now an account had at most one connector of each kind
//! (`uq_connectors_account_kind`) and an uploaded list pushed through the account's
//! first. The unique index gives way to a plain one on the account (the service refuses
//! the same CRM twice: same kind and address). Lists set up before keep pushing through
//! the account's only connector (their column is left empty: one connector needs no
//! choice).

use sea_orm_migration::prelude::*;

/// Drops the one-connector-per-kind rule and adds `lists.push_connector_id`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Lists {
    Table,
    PushConnectorId,
}

#[derive(DeriveIden)]
enum Connectors {
    Table,
    AccountId,
    Kind,
}

const OLD_UNIQUE: &str = "uq_connectors_account_kind";
const BY_ACCOUNT: &str = "idx_connectors_account";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(OLD_UNIQUE)
                    .table(Connectors::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_ACCOUNT)
                    .table(Connectors::Table)
                    .col(Connectors::AccountId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Lists::Table)
                    .add_column(ColumnDef::new(Lists::PushConnectorId).string().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Lists::Table)
                    .drop_column(Lists::PushConnectorId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(BY_ACCOUNT)
                    .table(Connectors::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(OLD_UNIQUE)
                    .table(Connectors::Table)
                    .col(Connectors::AccountId)
                    .col(Connectors::Kind)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
