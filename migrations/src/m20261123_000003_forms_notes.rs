//! Web forms and their submissions, the per-email delivery locks that keep two
//! submissions with one email from creating two leads, and "message sent" note events.
//!
//! A submission row is written (with its delivery job) before the visitor gets an answer,
//! so a crash or a CRM outage loses nothing. A note event is unique per account,
//! campaign and recipient email, so re-posting a campaign's "sent" event adds nothing.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `forms`, `form_submissions`, `form_email_locks` and `note_events`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Forms {
    Table,
    Id,
    AccountId,
    ConnectorId,
    Name,
    FormKey,
    Fields,
    UpdateFields,
    CreateNewLeads,
    KeepUnknownFields,
    ThankYouUrl,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FormSubmissions {
    Table,
    Id,
    AccountId,
    FormId,
    Email,
    Data,
    Status,
    Action,
    CrmEntity,
    CrmKey,
    Error,
    Attempts,
    CreatedAt,
    UpdatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum FormEmailLocks {
    Table,
    LockKey,
    Holder,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum NoteEvents {
    Table,
    Id,
    AccountId,
    ConnectorId,
    CampaignId,
    Email,
    RecipientId,
    Subject,
    SentAt,
    PreviewUrl,
    WriteNote,
    Status,
    Reason,
    CrmEntity,
    CrmKey,
    NoteKey,
    BatchId,
    CreatedAt,
    UpdatedAt,
}

fn account_fk(name: &str, table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Accounts::Table, Accounts::Id)
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
                .table(Forms::Table)
                .if_not_exists()
                .col(string(Forms::Id).primary_key())
                .col(string(Forms::AccountId))
                .col(string(Forms::ConnectorId))
                .col(string(Forms::Name))
                .col(string(Forms::FormKey))
                .col(text(Forms::Fields))
                .col(text(Forms::UpdateFields))
                .col(boolean(Forms::CreateNewLeads))
                .col(boolean(Forms::KeepUnknownFields))
                .col(text_null(Forms::ThankYouUrl))
                .col(timestamp_with_time_zone(Forms::CreatedAt))
                .col(timestamp_with_time_zone(Forms::UpdatedAt))
                .foreign_key(&mut account_fk(
                    "fk_forms_account",
                    Forms::Table,
                    Forms::AccountId,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "uq_forms_account_name",
            Forms::Table,
            &[Forms::AccountId.into_iden(), Forms::Name.into_iden()],
            true,
        ))
        .await?;
        m.create_index(index(
            "uq_forms_key",
            Forms::Table,
            &[Forms::FormKey.into_iden()],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(FormSubmissions::Table)
                .if_not_exists()
                .col(string(FormSubmissions::Id).primary_key())
                .col(string(FormSubmissions::AccountId))
                .col(string(FormSubmissions::FormId))
                .col(string(FormSubmissions::Email))
                .col(text(FormSubmissions::Data))
                .col(string(FormSubmissions::Status))
                .col(string_null(FormSubmissions::Action))
                .col(string_null(FormSubmissions::CrmEntity))
                .col(string_null(FormSubmissions::CrmKey))
                .col(text_null(FormSubmissions::Error))
                .col(integer(FormSubmissions::Attempts).default(0))
                .col(timestamp_with_time_zone(FormSubmissions::CreatedAt))
                .col(timestamp_with_time_zone(FormSubmissions::UpdatedAt))
                .col(timestamp_with_time_zone_null(FormSubmissions::DeliveredAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_form_submissions_form")
                        .from(FormSubmissions::Table, FormSubmissions::FormId)
                        .to(Forms::Table, Forms::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_form_submissions_form",
            FormSubmissions::Table,
            &[
                FormSubmissions::FormId.into_iden(),
                FormSubmissions::CreatedAt.into_iden(),
            ],
            false,
        ))
        .await?;
        m.create_index(index(
            "idx_form_submissions_email",
            FormSubmissions::Table,
            &[
                FormSubmissions::AccountId.into_iden(),
                FormSubmissions::Email.into_iden(),
                FormSubmissions::Status.into_iden(),
            ],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(FormEmailLocks::Table)
                .if_not_exists()
                .col(string(FormEmailLocks::LockKey).primary_key())
                .col(string(FormEmailLocks::Holder))
                .col(timestamp_with_time_zone(FormEmailLocks::ExpiresAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(NoteEvents::Table)
                .if_not_exists()
                .col(string(NoteEvents::Id).primary_key())
                .col(string(NoteEvents::AccountId))
                .col(string_null(NoteEvents::ConnectorId))
                .col(string(NoteEvents::CampaignId))
                .col(string(NoteEvents::Email))
                .col(string_null(NoteEvents::RecipientId))
                .col(text(NoteEvents::Subject))
                .col(timestamp_with_time_zone(NoteEvents::SentAt))
                .col(text_null(NoteEvents::PreviewUrl))
                .col(boolean(NoteEvents::WriteNote))
                .col(string(NoteEvents::Status))
                .col(text_null(NoteEvents::Reason))
                .col(string_null(NoteEvents::CrmEntity))
                .col(string_null(NoteEvents::CrmKey))
                .col(string_null(NoteEvents::NoteKey))
                .col(string_null(NoteEvents::BatchId))
                .col(timestamp_with_time_zone(NoteEvents::CreatedAt))
                .col(timestamp_with_time_zone(NoteEvents::UpdatedAt))
                .foreign_key(&mut account_fk(
                    "fk_note_events_account",
                    NoteEvents::Table,
                    NoteEvents::AccountId,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "uq_note_events_recipient",
            NoteEvents::Table,
            &[
                NoteEvents::AccountId.into_iden(),
                NoteEvents::CampaignId.into_iden(),
                NoteEvents::Email.into_iden(),
            ],
            true,
        ))
        .await?;
        m.create_index(index(
            "idx_note_events_batch",
            NoteEvents::Table,
            &[
                NoteEvents::BatchId.into_iden(),
                NoteEvents::Status.into_iden(),
            ],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            NoteEvents::Table.into_iden(),
            FormEmailLocks::Table.into_iden(),
            FormSubmissions::Table.into_iden(),
            Forms::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
