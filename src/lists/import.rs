//! *Import Leads / Contacts*: validates the chosen fields against the CRM, creates the
//! CRM list with its columns and queues the durable Import run that fills it.

use listbridge_connector::{EntityKind, FieldDef, Vocabulary};

use super::{
    ListError,
    columns::{mirror, resolve_crm_fields},
};
use crate::{
    AppState,
    runs::queue_run,
    store::{
        AccountId, ConnectorId, ConnectorRecord, List, ListColumn, ListKind, ListRepo, ListStatus,
        NewList, NewRun, Queued, Run, RunKind, RunTrigger,
    },
};

/// What the marketer chose.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The CRM connection to read from.
    pub connector: ConnectorId,
    /// Leads or contacts.
    pub entity: EntityKind,
    /// The list name; "All {CRM} Leads/Contacts" when absent.
    pub name: Option<String>,
    /// Extra standard or custom CRM fields.
    pub fields: Vec<String>,
}

/// The new list and the run filling it.
#[derive(Debug, Clone)]
pub struct ImportStarted {
    /// The list, status `importing`.
    pub list: List,
    /// Its columns.
    pub columns: Vec<ListColumn>,
    /// The queued import run.
    pub run: Run,
}

/// Creates the list and queues its import.
pub async fn start_import(
    state: &AppState,
    account: AccountId,
    request: ImportRequest,
) -> Result<ImportStarted, ListError> {
    let connector = state.connectors().get(account, request.connector).await?;
    let crm_fields = state
        .connectors()
        .fields(account, request.connector, request.entity)
        .await?;
    let vocab = state
        .connectors()
        .vocabulary(account, request.connector)
        .await?;
    let columns = import_columns(vocab, &crm_fields, request.entity, &request.fields)?;
    let name = match request.name.as_deref().map(str::trim) {
        Some("") => {
            return Err(ListError::Invalid {
                field: "name",
                message: "must not be empty".into(),
            });
        }
        Some(name) => name.to_string(),
        None => {
            let all = state.connectors().list(account).await?;
            default_name(state, &connector, &all, request.entity)
        }
    };
    let db = state.store.conn();
    let now = state.clock.now();
    let new = NewList {
        account_id: account,
        name,
        kind: ListKind::for_entity(request.entity),
        connector_id: Some(request.connector),
        status: ListStatus::Importing,
        columns: columns.clone(),
    };
    let list = ListRepo.create(db, new, state.random.as_ref(), now).await?;
    let queued = queue_run(
        state,
        NewRun {
            account_id: account,
            list_id: list.id,
            segment_id: None,
            kind: RunKind::Import,
            trigger: RunTrigger::Manual,
            dry_run: false,
        },
    )
    .await;
    let run = match queued {
        Ok(Queued::New(run) | Queued::AlreadyActive(run)) => run,
        Err(e) => {
            // A list nobody will ever fill must not stay behind as "importing".
            if let Err(cleanup) = ListRepo.delete(db, account, list.id).await {
                tracing::error!(list = %list.id, error = %cleanup, "removing the unqueued list failed");
            }
            return Err(e.into());
        }
    };
    tracing::info!(list = %list.id, run = %run.id, entity = %request.entity, "import queued");
    Ok(ImportStarted { list, columns, run })
}

/// The name an import gets when none is given, e.g. "All Infor CRM Leads" (the console's
/// form starts with it). When the account (`all` its connectors) has another CRM of the
/// same kind, the CRM's host tells the two apart: "All Infor CRM Leads (eu.example.com)".
pub fn default_name(
    state: &AppState,
    connector: &ConnectorRecord,
    all: &[ConnectorRecord],
    entity: EntityKind,
) -> String {
    let crm = state
        .registry
        .get(&connector.kind)
        .map_or("CRM", |f| f.display_name());
    let name = match entity {
        EntityKind::Lead => format!("All {crm} Leads"),
        EntityKind::Contact => format!("All {crm} Contacts"),
    };
    let twin = all
        .iter()
        .any(|c| c.id != connector.id && c.kind == connector.kind);
    if !twin {
        return name;
    }
    let host = url::Url::parse(&connector.base_url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_string(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| connector.base_url.clone());
    format!("{name} ({host})")
}

/// The fields the CRM's vocabulary always imports (a member's name), then the chosen
/// fields in the CRM's spelling, without repeats; the email is never a column (it is the
/// member key).
fn import_columns(
    vocab: &dyn Vocabulary,
    crm_fields: &[FieldDef],
    entity: EntityKind,
    chosen: &[String],
) -> Result<Vec<ListColumn>, ListError> {
    let mut wanted: Vec<String> = vocab
        .always_imported(entity)
        .iter()
        .map(|f| f.to_string())
        .collect();
    wanted.extend(chosen.iter().cloned());
    Ok(resolve_crm_fields(vocab, crm_fields, entity, &wanted)?
        .into_iter()
        .map(|field| mirror(vocab, entity, field, false))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{domain::field_usage::SystemUsage, engine::test_vocabulary::TestVocabulary};

    #[test]
    fn names_come_first_then_the_chosen_fields_in_crm_spelling() {
        let fields = [
            FieldDef::text("email"),
            FieldDef::text("first_name"),
            FieldDef::text("last_name"),
            FieldDef::text("Rank"),
            FieldDef::text("business_city"),
        ];
        let chosen = ["BUSINESS_CITY".to_string(), "Email".into(), "rank".into()];
        let columns = import_columns(&TestVocabulary, &fields, EntityKind::Lead, &chosen).unwrap();
        let names: Vec<_> = columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["first_name", "last_name", "business_city", "Rank"]);
        assert!(
            columns
                .iter()
                .all(|c| c.crm_field.as_deref() == Some(c.name.as_str()))
        );
        let usages: Vec<_> = columns.iter().map(|c| c.usage).collect();
        assert_eq!(
            usages,
            [
                Some(SystemUsage::FirstName),
                Some(SystemUsage::LastName),
                Some(SystemUsage::BusinessCity),
                None
            ],
            "a mirrored column knows the Standard Field Name of its CRM field"
        );
    }

    #[test]
    fn unknown_fields_are_all_named() {
        let fields = [FieldDef::text("first_name"), FieldDef::text("last_name")];
        let err = import_columns(
            &TestVocabulary,
            &fields,
            EntityKind::Contact,
            &["Nope".into(), "Nada".into()],
        )
        .unwrap_err();
        assert!(
            matches!(&err, ListError::UnknownFields { unknown, .. } if unknown == &["Nope", "Nada"])
        );
        assert!(err.to_string().contains("'Nope', 'Nada'"), "{err}");
    }
}
