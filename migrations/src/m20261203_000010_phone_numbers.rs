//! The per-account phone index and the account's default region.
//!
//! - `accounts.default_region`: the ISO 3166 alpha-2 region national numbers are read
//!   in (`GB`, `US`); null: only numbers with a country code are understood.
//! - `phone_numbers`: one row per phone value of a member linked to a CRM record: the
//!   E.164 form (null when the text is not a number, so it is reported, not dropped),
//!   the original text, the column it came from, and the linked record (entity, key,
//!   modify date) that a lookup answers with. Rows belong to their member and list
//!   (`ON DELETE CASCADE`), so removing either removes its numbers.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds `accounts.default_region` and creates `phone_numbers`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    DefaultRegion,
}

#[derive(DeriveIden)]
enum Lists {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PhoneNumbers {
    Table,
    AccountId,
    E164,
    Original,
    ColumnName,
    Problem,
    MemberId,
    ListId,
    CrmEntity,
    CrmKey,
    ModifiedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(string_null(Accounts::DefaultRegion))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PhoneNumbers::Table)
                    .if_not_exists()
                    .col(string(PhoneNumbers::AccountId))
                    .col(string_null(PhoneNumbers::E164))
                    .col(text(PhoneNumbers::Original))
                    .col(string(PhoneNumbers::ColumnName))
                    .col(string_null(PhoneNumbers::Problem))
                    .col(string(PhoneNumbers::MemberId))
                    .col(string(PhoneNumbers::ListId))
                    .col(string(PhoneNumbers::CrmEntity))
                    .col(string(PhoneNumbers::CrmKey))
                    .col(timestamp_with_time_zone_null(PhoneNumbers::ModifiedAt))
                    .primary_key(
                        Index::create()
                            .col(PhoneNumbers::MemberId)
                            .col(PhoneNumbers::ColumnName),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_phone_numbers_member")
                            .from(PhoneNumbers::Table, PhoneNumbers::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_phone_numbers_list")
                            .from(PhoneNumbers::Table, PhoneNumbers::ListId)
                            .to(Lists::Table, Lists::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_phone_numbers_lookup")
                    .table(PhoneNumbers::Table)
                    .col(PhoneNumbers::AccountId)
                    .col(PhoneNumbers::E164)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_phone_numbers_list")
                    .table(PhoneNumbers::Table)
                    .col(PhoneNumbers::ListId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(PhoneNumbers::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::DefaultRegion)
                    .to_owned(),
            )
            .await
    }
}
