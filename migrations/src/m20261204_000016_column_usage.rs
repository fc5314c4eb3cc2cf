//! What a CRM list's column means: `list_columns.usage`, the Standard Field Name of the
//! CRM field it mirrors (`work_phone` for a column mirroring a work phone field), as
//! the list's connector named it when the column was added. The phone index and caller
//! lookups read it instead of knowing any CRM's field names.
//!
//! Columns added before this migration all mirror Infor CRM fields (the only connector
//! there was), so they are given the usage of their Infor CRM field.

use sea_orm_migration::prelude::*;

/// Adds `list_columns.usage` and fills it for existing mirrored columns.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ListColumns {
    Table,
    Usage,
}

/// The Infor CRM field of each usage, as the connector names them.
const INFOR_FIELDS: [(&str, &str); 13] = [
    ("FirstName", "first_name"),
    ("LastName", "last_name"),
    ("Company", "company"),
    ("Title", "title"),
    ("WorkPhone", "work_phone"),
    ("Mobile", "mobile_phone"),
    ("HomePhone", "home_phone"),
    ("WebAddress", "website"),
    ("Address.Address1", "business_street"),
    ("Address.City", "business_city"),
    ("Address.State", "business_state"),
    ("Address.PostalCode", "business_postal_code"),
    ("Address.Country", "business_country"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ListColumns::Table)
                    .add_column(ColumnDef::new(ListColumns::Usage).string().null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for (field, usage) in INFOR_FIELDS {
            let update = Query::update()
                .table(ListColumns::Table)
                .value(ListColumns::Usage, usage)
                .and_where(Expr::col(Alias::new("crm_field")).eq(field))
                .to_owned();
            db.execute(&update).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ListColumns::Table)
                    .drop_column(ListColumns::Usage)
                    .to_owned(),
            )
            .await
    }
}
