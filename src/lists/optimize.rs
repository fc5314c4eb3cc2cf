//! *Optimize for CRM* (the guide's *Optimize for Infor CRM*): in one step, maps every
//! address-looking column of a list to its address usage and adds the standard address
//! columns the list lacks (a CRM list's mirror the CRM's field for the usage, as its
//! connector names it), so pushes and forms never drop address data for want of a
//! mapping.

use sea_orm::TransactionTrait;

use super::{ListError, manage::require_list};
use crate::{
    AppState,
    domain::field_usage::{FieldUsage, SystemUsage, address_usage_for_header},
    field_usages,
    store::{AccountId, FieldUsageRepo, ListColumn, ListId, ListKind, ListRepo, StoreError},
};

/// The address usages, in the order their columns are added.
const ADDRESS_USAGES: [SystemUsage; 5] = [
    SystemUsage::BusinessStreet,
    SystemUsage::BusinessCity,
    SystemUsage::BusinessState,
    SystemUsage::BusinessPostalCode,
    SystemUsage::BusinessCountry,
];

/// What the step changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Optimized {
    /// Existing columns newly mapped to an address usage.
    pub mapped: Vec<FieldUsage>,
    /// Address columns that already had a usage and were left as they were.
    pub already_mapped: Vec<FieldUsage>,
    /// Standard address columns added (and mapped) because the list lacked them.
    pub added: Vec<ListColumn>,
}

/// Maps and adds the address columns of a list.
pub async fn optimize_for_crm(
    state: &AppState,
    account: AccountId,
    id: ListId,
) -> Result<Optimized, ListError> {
    let list = require_list(state, account, id).await?;
    // A CRM list's columns mirror fields of its connector's CRM.
    let crm = match (list.connector_id, list.entity) {
        (Some(connector), Some(entity)) => Some((
            state.connectors().vocabulary(account, connector).await?,
            entity,
        )),
        _ => None,
    };
    let field_of =
        |usage: SystemUsage| crm.and_then(|(vocab, entity)| vocab.usage_field(entity, usage));
    let now = state.clock.now();
    let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
    let columns = ListRepo.columns(&tx, id).await?;
    let mut usages = FieldUsageRepo.all(&tx, account).await?;
    let mut out = Optimized::default();

    for column in &columns {
        let Some(usage) = address_usage_for_header(&column.name) else {
            continue;
        };
        if let Some(existing) = FieldUsage::of(&usages, &column.name) {
            out.already_mapped.push(existing.clone());
            continue;
        }
        let entry = field_usages::set_in(&tx, state, account, &column.name, usage).await?;
        usages.push(entry.clone());
        out.mapped.push(entry);
    }

    let is_crm = matches!(list.kind, ListKind::CrmLead | ListKind::CrmContact);
    for usage in ADDRESS_USAGES {
        if covered(usage, field_of(usage), &columns, &usages) {
            continue;
        }
        let name = usage.standard_column();
        // A CRM list mirrors the CRM field directly; the next sync fills it.
        let crm_field = if is_crm { field_of(usage) } else { None };
        let column = ListColumn {
            name: name.to_string(),
            pending: crm_field.is_some(),
            usage: crm_field.is_some().then_some(usage),
            crm_field: crm_field.map(String::from),
        };
        ListRepo
            .add_columns(
                &tx,
                id,
                std::slice::from_ref(&column),
                state.random.as_ref(),
                now,
            )
            .await?;
        usages.push(field_usages::set_in(&tx, state, account, name, usage).await?);
        out.added.push(column);
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(list = %id, mapped = out.mapped.len(), added = out.added.len(), "optimized for the CRM");
    Ok(out)
}

/// Whether a column of the list already holds this usage: mapped to it, or mirroring
/// `crm_field`, the CRM's field for it.
fn covered(
    usage: SystemUsage,
    crm_field: Option<&str>,
    columns: &[ListColumn],
    usages: &[FieldUsage],
) -> bool {
    columns.iter().any(|c| {
        c.crm_field
            .as_deref()
            .zip(crm_field)
            .is_some_and(|(mirrored, f)| mirrored.eq_ignore_ascii_case(f))
            || usages
                .iter()
                .any(|u| u.column.eq_ignore_ascii_case(&c.name) && u.usage == usage.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usage_is_covered_by_a_mapping_or_a_crm_field() {
        let columns = [
            ListColumn::plain("Town"),
            ListColumn::mirroring("zip_field", false),
        ];
        let usages = [FieldUsage {
            column: "town".into(),
            usage: "business_city".into(),
        }];
        assert!(covered(SystemUsage::BusinessCity, None, &columns, &usages));
        assert!(covered(
            SystemUsage::BusinessPostalCode,
            Some("ZIP_FIELD"),
            &columns,
            &usages
        ));
        assert!(!covered(
            SystemUsage::BusinessPostalCode,
            None,
            &columns,
            &usages
        ));
        assert!(!covered(
            SystemUsage::BusinessCountry,
            Some("country_field"),
            &columns,
            &usages
        ));
    }
}
