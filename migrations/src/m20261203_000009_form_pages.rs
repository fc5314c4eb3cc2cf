//! Hosted form pages: `forms.page`, a nullable JSON object with the page's title, intro
//! text and thank-you message (null on forms saved before: the page uses the form's
//! name and a plain thank-you). The fields' labels, kinds and options live in the
//! existing `forms.fields` JSON.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds `forms.page`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Forms {
    Table,
    Page,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Forms::Table)
                    .add_column(text_null(Forms::Page))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Forms::Table)
                    .drop_column(Forms::Page)
                    .to_owned(),
            )
            .await
    }
}
