//! A connector's own request budget: `connectors.rate_limit_requests_per_second` and
//! `connectors.rate_limit_concurrency`, both nullable (null: the service's defaults,
//! `LISTBRIDGE_CRM_REQUESTS_PER_SECOND` and `LISTBRIDGE_CRM_CONCURRENCY`).

use sea_orm_migration::{prelude::*, schema::*};

/// Adds the two columns (one `ALTER TABLE` each: SQLite alters one column at a time).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Connectors {
    Table,
    RateLimitRequestsPerSecond,
    RateLimitConcurrency,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Connectors::RateLimitRequestsPerSecond,
            Connectors::RateLimitConcurrency,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Connectors::Table)
                        .add_column(integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Connectors::RateLimitConcurrency,
            Connectors::RateLimitRequestsPerSecond,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Connectors::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
