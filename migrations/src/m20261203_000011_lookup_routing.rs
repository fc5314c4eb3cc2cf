//! The phone-system side of callers: `lookup_keys` (the per-account key in the public
//! `/crm-lookup/{lookup_key}` URL, stored only as its SHA-256, with an optional secret
//! header, also hashed) and `routing_rule_sets` (ordered rows and a default destination,
//! kept as one JSON text so a rule set is read and replaced whole).

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `lookup_keys` and `routing_rule_sets`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

/// Lookup keys, stored only as the SHA-256 of the key (and of the secret, if any).
#[derive(DeriveIden)]
enum LookupKeys {
    Table,
    Id,
    AccountId,
    Name,
    KeyHash,
    Prefix,
    SecretHash,
    DtmfField,
    CreatedAt,
    RevokedAt,
}

/// Routing rule sets: a field, ordered rows and a default destination.
#[derive(DeriveIden)]
enum RoutingRuleSets {
    Table,
    Id,
    AccountId,
    Name,
    Field,
    Definition,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LookupKeys::Table)
                    .if_not_exists()
                    .col(string(LookupKeys::Id).primary_key())
                    .col(string(LookupKeys::AccountId))
                    .col(string(LookupKeys::Name))
                    .col(string_uniq(LookupKeys::KeyHash))
                    .col(string(LookupKeys::Prefix))
                    .col(string_null(LookupKeys::SecretHash))
                    .col(string_null(LookupKeys::DtmfField))
                    .col(timestamp_with_time_zone(LookupKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(LookupKeys::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lookup_keys_account")
                            .from(LookupKeys::Table, LookupKeys::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_lookup_keys_account")
                    .table(LookupKeys::Table)
                    .col(LookupKeys::AccountId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoutingRuleSets::Table)
                    .if_not_exists()
                    .col(string(RoutingRuleSets::Id).primary_key())
                    .col(string(RoutingRuleSets::AccountId))
                    .col(string(RoutingRuleSets::Name))
                    .col(string(RoutingRuleSets::Field))
                    .col(text(RoutingRuleSets::Definition))
                    .col(timestamp_with_time_zone(RoutingRuleSets::CreatedAt))
                    .col(timestamp_with_time_zone(RoutingRuleSets::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_routing_rule_sets_account")
                            .from(RoutingRuleSets::Table, RoutingRuleSets::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_routing_rule_sets_account_name")
                    .table(RoutingRuleSets::Table)
                    .col(RoutingRuleSets::AccountId)
                    .col(RoutingRuleSets::Name)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RoutingRuleSets::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LookupKeys::Table).to_owned())
            .await
    }
}
