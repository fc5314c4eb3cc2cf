//! *Optimize for Infor CRM*: in one step, maps every address-looking column of a list to
//! its address usage and adds the standard address columns the list lacks, so pushes and
//! forms never drop address data for want of a mapping.

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
pub async fn optimize_for_infor_crm(
    state: &AppState,
    account: AccountId,
    id: ListId,
) -> Result<Optimized, ListError> {
    let list = require_list(state, account, id).await?;
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
        if covered(usage, &columns, &usages) {
            continue;
        }
        let name = usage.standard_column();
        let column = ListColumn {
            name: name.to_string(),
            // A CRM list mirrors the CRM field directly; the next sync fills it.
            crm_field: is_crm.then(|| usage.infor_field().to_string()),
            pending: is_crm,
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
    tracing::info!(list = %id, mapped = out.mapped.len(), added = out.added.len(), "optimized for Infor CRM");
    Ok(out)
}

/// Whether a column of the list already holds this usage (by mapping or CRM field).
fn covered(usage: SystemUsage, columns: &[ListColumn], usages: &[FieldUsage]) -> bool {
    columns.iter().any(|c| {
        c.crm_field
            .as_deref()
            .is_some_and(|f| f.eq_ignore_ascii_case(usage.infor_field()))
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
            ListColumn::mirroring("Address.PostalCode", false),
        ];
        let usages = [FieldUsage {
            column: "town".into(),
            usage: "business_city".into(),
        }];
        assert!(covered(SystemUsage::BusinessCity, &columns, &usages));
        assert!(covered(SystemUsage::BusinessPostalCode, &columns, &usages));
        assert!(!covered(SystemUsage::BusinessCountry, &columns, &usages));
    }
}
