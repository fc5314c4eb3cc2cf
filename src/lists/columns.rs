//! *Add List Columns*: CRM fields added to a CRM list (pending until the next sync fills
//! them), or plain named columns added to an uploaded list.

use listbridge_connector::{EntityKind, FieldDef, Vocabulary};

use super::{ListError, manage::require_list};
use crate::{
    AppState,
    store::{AccountId, ListColumn, ListId, ListKind, ListRepo},
};

/// Resolves requested field names (case-insensitively) to the CRM's spelling, dropping
/// the email (the member key) and repeats; every unknown name is reported at once.
pub fn resolve_crm_fields(
    vocab: &dyn Vocabulary,
    crm_fields: &[FieldDef],
    entity: EntityKind,
    wanted: &[String],
) -> Result<Vec<String>, ListError> {
    let mut resolved: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    for name in wanted {
        let name = name.trim();
        match crm_fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
        {
            Some(f) if vocab.is_email_field(entity, &f.name) => {}
            Some(f) => {
                if !resolved.iter().any(|r| r == &f.name) {
                    resolved.push(f.name.clone());
                }
            }
            None => unknown.push(name.to_string()),
        }
    }
    if unknown.is_empty() {
        Ok(resolved)
    } else {
        Err(ListError::UnknownFields { entity, unknown })
    }
}

/// A CRM list's column mirroring `field` of `entity`, knowing the Standard Field Name
/// the field is for (so the phone index and caller lookups need no CRM's field names).
pub(super) fn mirror(
    vocab: &dyn Vocabulary,
    entity: EntityKind,
    field: String,
    pending: bool,
) -> ListColumn {
    let usage = vocab.usage_of(entity, &field);
    ListColumn::mirroring(field, pending).meaning(usage)
}

/// Adds columns to a list and returns all its columns. For a CRM list `names` are CRM
/// fields, checked against the CRM and added as pending; for an uploaded list they are
/// plain column names.
pub async fn add_columns(
    state: &AppState,
    account: AccountId,
    id: ListId,
    names: &[String],
) -> Result<Vec<ListColumn>, ListError> {
    if names.is_empty() {
        return Err(ListError::Invalid {
            field: "fields",
            message: "name at least one column".into(),
        });
    }
    let db = state.store.conn();
    let list = require_list(state, account, id).await?;
    let existing = ListRepo.columns(db, id).await?;
    let new: Vec<ListColumn> = match list.kind {
        ListKind::CrmLead | ListKind::CrmContact => {
            let connector = list
                .connector_id
                .ok_or_else(|| ListError::NotLinked(list.name.clone()))?;
            let entity = list.entity.unwrap_or(EntityKind::Lead);
            let crm_fields = state
                .connectors()
                .fields(account, connector, entity)
                .await?;
            let vocab = state.connectors().vocabulary(account, connector).await?;
            resolve_crm_fields(vocab, &crm_fields, entity, names)?
                .into_iter()
                .map(|field| mirror(vocab, entity, field, true))
                .collect()
        }
        ListKind::Uploaded => {
            let mut plain: Vec<ListColumn> = Vec::new();
            for name in names.iter().map(|n| n.trim()) {
                if name.is_empty() {
                    return Err(ListError::Invalid {
                        field: "fields",
                        message: "a column name must not be empty".into(),
                    });
                }
                if !plain.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
                    plain.push(ListColumn::plain(name));
                }
            }
            plain
        }
    };
    let clashes: Vec<String> = new
        .iter()
        .filter(|c| {
            existing.iter().any(|e| {
                e.name.eq_ignore_ascii_case(&c.name)
                    || (c.crm_field.is_some()
                        && e.crm_field.as_deref().map(str::to_ascii_lowercase)
                            == c.crm_field.as_deref().map(str::to_ascii_lowercase))
            })
        })
        .map(|c| c.name.clone())
        .collect();
    if !clashes.is_empty() {
        return Err(ListError::ColumnsExist {
            list: list.name,
            columns: clashes,
        });
    }
    ListRepo
        .add_columns(db, id, &new, state.random.as_ref(), state.clock.now())
        .await?;
    Ok(ListRepo.columns(db, id).await?)
}
