//! Web form definitions: the field mapping, update rules, thank-you URL and public key.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::{AccountId, ConnectorId, FormId, StoreError, entity::form};
use crate::domain::field_usage::SystemUsage;

/// What kind of control a form field is on the hosted page and in the embed snippet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormFieldKind {
    /// One line of text.
    #[default]
    Text,
    /// An email address.
    Email,
    /// A phone number.
    Phone,
    /// One of `options`.
    Select,
    /// A tick box (sends `yes` when ticked).
    Checkbox,
    /// Not shown; filled from the page URL's query string (e.g. `?campaign=spring`).
    Hidden,
}

impl FormFieldKind {
    /// Every kind, in the builder's order.
    pub const ALL: [FormFieldKind; 6] = [
        FormFieldKind::Text,
        FormFieldKind::Email,
        FormFieldKind::Phone,
        FormFieldKind::Select,
        FormFieldKind::Checkbox,
        FormFieldKind::Hidden,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            FormFieldKind::Text => "text",
            FormFieldKind::Email => "email",
            FormFieldKind::Phone => "phone",
            FormFieldKind::Select => "select",
            FormFieldKind::Checkbox => "checkbox",
            FormFieldKind::Hidden => "hidden",
        }
    }

    /// Parses a stored or API name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_text(k: &FormFieldKind) -> bool {
    *k == FormFieldKind::Text
}

/// One field of a form and where its value goes in the CRM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    /// The field's name in the HTML form (`<input name="…">`) or the JSON body.
    pub name: String,
    /// The system usage it has (Standard Field Names), e.g. `first_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<SystemUsage>,
    /// A CRM field it goes to directly (e.g. a custom field `Region`); wins over `usage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_field: Option<String>,
    /// The label a visitor reads (the name when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The control: text (default), email, phone, select, checkbox or hidden.
    #[serde(default, rename = "type", skip_serializing_if = "is_text")]
    pub kind: FormFieldKind,
    /// A submission without a value for it is refused (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// The choices of a `select` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

impl FormField {
    /// The label a visitor reads: the label, else the name.
    pub fn shown_label(&self) -> &str {
        self.label
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or(&self.name)
    }
}

/// What the hosted form page says around the fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FormPage {
    /// The page's heading (the form's name when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A paragraph under the heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<String>,
    /// Shown after submitting when the form has no thank-you URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thank_you_message: Option<String>,
}

/// The parts of a form a marketer chooses (everything but ids, key and times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormSettings {
    /// Name, unique in the account.
    pub name: String,
    /// The connector submissions are delivered through.
    pub connector_id: ConnectorId,
    /// The declared fields and their mapping.
    pub fields: Vec<FormField>,
    /// CRM fields that may update an existing lead or contact (none by default).
    pub update_fields: Vec<String>,
    /// Create a lead when no CRM record has the email.
    pub create_new_leads: bool,
    /// Keep submitted fields the form does not declare (else they are dropped).
    pub keep_unknown_fields: bool,
    /// Where a browser is sent after submitting; a small thank-you page when absent.
    pub thank_you_url: Option<String>,
    /// The hosted page's title, intro and thank-you message.
    pub page: FormPage,
}

/// A stored form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// Form id.
    pub id: FormId,
    /// Owning account.
    pub account_id: AccountId,
    /// The public key in `/f/{form_key}`.
    pub form_key: String,
    /// What the marketer chose.
    pub settings: FormSettings,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn to_form(row: form::Model) -> Result<Form, StoreError> {
    let corrupt = |m: &str| StoreError::Corrupt {
        table: "forms",
        id: row.id.clone(),
        message: m.into(),
    };
    Ok(Form {
        id: FormId::from_db(&row.id).ok_or_else(|| corrupt("id"))?,
        account_id: AccountId::from_db(&row.account_id).ok_or_else(|| corrupt("account_id"))?,
        form_key: row.form_key.clone(),
        settings: FormSettings {
            name: row.name.clone(),
            connector_id: ConnectorId::from_db(&row.connector_id)
                .ok_or_else(|| corrupt("connector_id"))?,
            fields: serde_json::from_str(&row.fields).map_err(|_| corrupt("fields"))?,
            update_fields: serde_json::from_str(&row.update_fields)
                .map_err(|_| corrupt("update_fields"))?,
            create_new_leads: row.create_new_leads,
            keep_unknown_fields: row.keep_unknown_fields,
            thank_you_url: row.thank_you_url.clone(),
            page: match row.page.as_deref() {
                Some(text) => serde_json::from_str(text).map_err(|_| corrupt("page"))?,
                None => FormPage::default(),
            },
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// Reads and writes `forms`.
#[derive(Debug, Default, Clone, Copy)]
pub struct FormRepo;

impl FormRepo {
    /// Saves a new form.
    pub async fn create<C: ConnectionTrait>(
        &self,
        db: &C,
        id: FormId,
        account: AccountId,
        form_key: &str,
        settings: &FormSettings,
        now: DateTime<Utc>,
    ) -> Result<Form, StoreError> {
        let row = form::ActiveModel {
            id: Set(id.as_db()),
            account_id: Set(account.as_db()),
            connector_id: Set(settings.connector_id.as_db()),
            name: Set(settings.name.clone()),
            form_key: Set(form_key.to_string()),
            fields: Set(json(&settings.fields)),
            update_fields: Set(json(&settings.update_fields)),
            create_new_leads: Set(settings.create_new_leads),
            keep_unknown_fields: Set(settings.keep_unknown_fields),
            thank_you_url: Set(settings.thank_you_url.clone()),
            page: Set(Some(json(&settings.page))),
            created_at: Set(now),
            updated_at: Set(now),
        };
        form::Entity::insert(row)
            .exec_without_returning(db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("form '{}'", settings.name)))?;
        self.get(db, account, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                table: "forms",
                id: id.as_db(),
                message: "vanished after insert".into(),
            })
    }

    /// Replaces a form's settings (its key and id stay); `None` when it does not exist.
    pub async fn update<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        id: FormId,
        settings: &FormSettings,
        now: DateTime<Utc>,
    ) -> Result<Option<Form>, StoreError> {
        let res = form::Entity::update_many()
            .col_expr(
                form::Column::ConnectorId,
                Expr::value(settings.connector_id.as_db()),
            )
            .col_expr(form::Column::Name, Expr::value(settings.name.clone()))
            .col_expr(form::Column::Fields, Expr::value(json(&settings.fields)))
            .col_expr(
                form::Column::UpdateFields,
                Expr::value(json(&settings.update_fields)),
            )
            .col_expr(
                form::Column::CreateNewLeads,
                Expr::value(settings.create_new_leads),
            )
            .col_expr(
                form::Column::KeepUnknownFields,
                Expr::value(settings.keep_unknown_fields),
            )
            .col_expr(
                form::Column::ThankYouUrl,
                Expr::value(settings.thank_you_url.clone()),
            )
            .col_expr(form::Column::Page, Expr::value(Some(json(&settings.page))))
            .col_expr(form::Column::UpdatedAt, Expr::value(now))
            .filter(form::Column::Id.eq(id.as_db()))
            .filter(form::Column::AccountId.eq(account.as_db()))
            .exec(db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("form '{}'", settings.name)))?;
        if res.rows_affected == 0 {
            return Ok(None);
        }
        self.get(db, account, id).await
    }

    /// One of an account's forms.
    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        id: FormId,
    ) -> Result<Option<Form>, StoreError> {
        form::Entity::find_by_id(id.as_db())
            .filter(form::Column::AccountId.eq(account.as_db()))
            .one(db)
            .await?
            .map(to_form)
            .transpose()
    }

    /// The form behind a public key (any account: the key is the only credential).
    pub async fn by_key<C: ConnectionTrait>(
        &self,
        db: &C,
        form_key: &str,
    ) -> Result<Option<Form>, StoreError> {
        form::Entity::find()
            .filter(form::Column::FormKey.eq(form_key))
            .one(db)
            .await?
            .map(to_form)
            .transpose()
    }

    /// A form by id for a worker that already knows its account from the job.
    pub async fn for_worker<C: ConnectionTrait>(
        &self,
        db: &C,
        id: FormId,
    ) -> Result<Option<Form>, StoreError> {
        form::Entity::find_by_id(id.as_db())
            .one(db)
            .await?
            .map(to_form)
            .transpose()
    }

    /// The account's forms by name.
    pub async fn all<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<Vec<Form>, StoreError> {
        form::Entity::find()
            .filter(form::Column::AccountId.eq(account.as_db()))
            .order_by_asc(form::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(to_form)
            .collect()
    }

    /// Deletes a form and (by cascade) its submissions; false when it did not exist.
    pub async fn delete<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        id: FormId,
    ) -> Result<bool, StoreError> {
        let res = form::Entity::delete_many()
            .filter(form::Column::Id.eq(id.as_db()))
            .filter(form::Column::AccountId.eq(account.as_db()))
            .exec(db)
            .await?;
        Ok(res.rows_affected == 1)
    }
}
