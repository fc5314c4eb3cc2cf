//! How a list's columns reach CRM fields: directly for CRM lists (each column mirrors a
//! field), through Standard Field Names (column → usage → the connector's field for it)
//! for uploaded lists.

use listbridge_connector::{EntityKind, FieldValues, Vocabulary};

use crate::{
    domain::{
        field_usage::{FieldUsage, SystemUsage, address_usage_for_header},
        values::Values,
    },
    store::ListColumn,
};

/// One column and the CRM field it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedColumn {
    /// Column name.
    pub column: String,
    /// CRM field name.
    pub crm_field: String,
}

/// The resolved mapping of one list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMap {
    /// Columns that reach a CRM field (Email excluded: it is the member key).
    pub columns: Vec<MappedColumn>,
    /// Columns that look like address data but have no usage: pushing them would lose data.
    pub unmapped_address: Vec<String>,
}

impl FieldMap {
    /// Resolves the columns of a list whose members are `entity` records (uploaded
    /// lists: leads, as new members are created), in the CRM's `vocab`.
    pub fn build(
        columns: &[ListColumn],
        usages: &[FieldUsage],
        vocab: &dyn Vocabulary,
        entity: EntityKind,
    ) -> Self {
        let mut map = FieldMap::default();
        for c in columns {
            let usage = FieldUsage::of(usages, &c.name).and_then(|u| SystemUsage::parse(&u.usage));
            let field = c.crm_field.clone().or_else(|| {
                usage
                    .and_then(|u| vocab.usage_field(entity, u))
                    .map(String::from)
            });
            match field {
                Some(f) if vocab.is_email_field(entity, &f) => {}
                Some(crm_field) => map.columns.push(MappedColumn {
                    column: c.name.clone(),
                    crm_field,
                }),
                None if address_usage_for_header(&c.name).is_some() => {
                    map.unmapped_address.push(c.name.clone())
                }
                None => {}
            }
        }
        map
    }

    /// The column holding a CRM field.
    pub fn column_for(&self, crm_field: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|c| c.crm_field.eq_ignore_ascii_case(crm_field))
            .map(|c| c.column.as_str())
    }

    /// The CRM fields this list holds.
    pub fn crm_fields(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.crm_field.as_str())
    }

    /// A member's values by CRM field.
    pub fn to_crm(&self, values: &Values) -> FieldValues {
        self.columns
            .iter()
            .map(|c| {
                (
                    c.crm_field.clone(),
                    values.get(&c.column).cloned().flatten(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_vocabulary::TestVocabulary;

    #[test]
    fn uploaded_columns_map_through_usages_and_address_gaps_are_named() {
        let columns = ["E-mail", "Given", "City", "Zip", "Notes"].map(ListColumn::plain);
        let usages = [
            FieldUsage {
                column: "given".into(),
                usage: "first_name".into(),
            },
            FieldUsage {
                column: "E-mail".into(),
                usage: "email".into(),
            },
            FieldUsage {
                column: "Zip".into(),
                usage: "business_postal_code".into(),
            },
        ];
        let map = FieldMap::build(&columns, &usages, &TestVocabulary, EntityKind::Lead);
        assert_eq!(
            map.crm_fields().collect::<Vec<_>>(),
            ["first_name", "business_postal_code"]
        );
        assert_eq!(map.unmapped_address, ["City"]);
        assert_eq!(map.column_for("FIRST_NAME"), Some("Given"));
    }
}
