//! `lists.followed_since`: where a CRM list's next read of the records its members
//! followed into the other entity starts (a lead list's members linked to contacts, after
//! Salesforce converted their leads or a push matched them to a contact by email).
//!
//! A pull reads the list's own entity after its watermark; a member linked to a record
//! of the other entity is never in that read, so its CRM changes would never reach the
//! list. The pull also reads the other entity's records changed since this instant and
//! applies those its members are linked to. An empty mark means "since the list was
//! created".

use sea_orm_migration::{prelude::*, schema::*};

/// Adds `lists.followed_since`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Lists {
    Table,
    FollowedSince,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Lists::Table)
                    .add_column(timestamp_with_time_zone_null(Lists::FollowedSince))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Lists::Table)
                    .drop_column(Lists::FollowedSince)
                    .to_owned(),
            )
            .await
    }
}
