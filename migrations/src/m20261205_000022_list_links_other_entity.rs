//! `lists.links_other_entity`: whether any of a CRM list's members is linked to a record
//! of the other entity (a lead list's member that followed its converted lead to the
//! contact, or that a push matched to a contact by email).
//!
//! A pull reads the other entity's changes only for such lists. It used to find out by
//! looking for such a member among the list's members on every pull, which no index
//! serves: a scan of every member (about 150 ms per 100,000) for the lists, nearly all
//! of them, that have none. The engine now sets this mark where it links a member to the
//! other entity; existing lists get it from their members here, once. Instances of the
//! earlier version link members without setting it, so they must be stopped before this
//! migration runs (README, "Run it").

use sea_orm_migration::{prelude::*, schema::*};

/// Adds `lists.links_other_entity` and sets it for the lists that already have such a
/// member.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Lists {
    Table,
    LinksOtherEntity,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Lists::Table)
                    .add_column(boolean(Lists::LinksOtherEntity).default(false))
                    .to_owned(),
            )
            .await?;
        // A list without an entity (an uploaded list) syncs with leads.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE lists SET links_other_entity = TRUE WHERE EXISTS (\
                   SELECT 1 FROM members \
                   WHERE members.list_id = lists.id \
                     AND members.crm_entity IS NOT NULL \
                     AND members.crm_entity <> COALESCE(lists.entity, 'lead'))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Lists::Table)
                    .drop_column(Lists::LinksOtherEntity)
                    .to_owned(),
            )
            .await
    }
}
