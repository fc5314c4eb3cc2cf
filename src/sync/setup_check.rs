//! Validates a sync setup before it is saved, so a setup that cannot work is refused
//! with the field or column named, instead of failing record by record later.

use listbridge_connector::FieldDef;

use crate::{
    engine::{SyncSetup, field_map::FieldMap, validate::find_def},
    refusal::{Refusal, quoted, refuse},
};

/// Why a sync setup is refused (see [`Refusal`]).
pub type SetupRefusal = Refusal;

/// Checks a setup against what the target can do (`can_pull`: a CRM-linked list, not an
/// uploaded list or a segment), the list's field map and the CRM's field definitions.
pub fn check_setup(
    setup: &SyncSetup,
    can_pull: bool,
    target_name: &str,
    map: &FieldMap,
    defs: &[FieldDef],
) -> Result<(), SetupRefusal> {
    if setup.pull.enabled && !can_pull {
        return refuse(
            "pull_not_allowed",
            format!(
                "'{target_name}' is an uploaded list or a segment: it can only push to the CRM, not pull from it"
            ),
            vec![],
        );
    }
    let mut unknown: Vec<String> = Vec::new();
    let mut read_only: Vec<String> = Vec::new();
    let mut no_column: Vec<String> = Vec::new();
    for field in &setup.push.fields {
        match find_def(defs, field) {
            None => unknown.push(field.clone()),
            Some(def) if def.read_only => read_only.push(field.clone()),
            Some(_) if map.column_for(field).is_none() => no_column.push(field.clone()),
            Some(_) => {}
        }
    }
    for field in setup.pull.fields.iter().flatten() {
        if find_def(defs, field).is_none() && !unknown.contains(field) {
            unknown.push(field.clone());
        }
    }
    if !unknown.is_empty() {
        return refuse(
            "unknown_fields",
            format!("the CRM has no field {}", quoted(&unknown)),
            unknown,
        );
    }
    if !read_only.is_empty() {
        return refuse(
            "read_only_fields",
            format!(
                "the CRM maintains {} itself: they cannot be push-update fields",
                quoted(&read_only)
            ),
            read_only,
        );
    }
    if !no_column.is_empty() {
        return refuse(
            "fields_without_column",
            format!(
                "'{target_name}' has no column for {}: add the column or map one in Standard Field Names",
                quoted(&no_column)
            ),
            no_column,
        );
    }
    if setup.push.enabled && !map.unmapped_address.is_empty() {
        return refuse(
            "address_columns_unmapped",
            format!(
                "the address columns {} of '{target_name}' are not mapped to a system usage: map them in Standard Field Names or use optimize-for-infor-crm, then save again",
                quoted(&map.unmapped_address)
            ),
            map.unmapped_address.clone(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::field_map::MappedColumn;

    fn map() -> FieldMap {
        FieldMap {
            columns: vec![MappedColumn {
                column: "Title".into(),
                crm_field: "Title".into(),
            }],
            unmapped_address: vec![],
        }
    }

    fn setup() -> SyncSetup {
        let mut s = SyncSetup::default();
        s.push.enabled = true;
        s.push.update_existing = true;
        s
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let defs = [
            FieldDef::text("Title"),
            FieldDef {
                read_only: true,
                ..FieldDef::text("ModifyDate")
            },
            FieldDef::text("Company"),
        ];
        let mut s = setup();
        s.pull.enabled = true;
        assert_eq!(
            check_setup(&s, false, "Upload", &map(), &defs)
                .unwrap_err()
                .code,
            "pull_not_allowed"
        );
        let mut s = setup();
        s.push.fields = vec!["Nope".into()];
        let err = check_setup(&s, true, "L", &map(), &defs).unwrap_err();
        assert_eq!(
            (err.code, err.names.clone()),
            ("unknown_fields", vec!["Nope".to_string()])
        );
        assert!(err.message.contains("'Nope'"));
        s.push.fields = vec!["ModifyDate".into()];
        assert_eq!(
            check_setup(&s, true, "L", &map(), &defs).unwrap_err().code,
            "read_only_fields"
        );
        s.push.fields = vec!["Company".into()];
        assert_eq!(
            check_setup(&s, true, "L", &map(), &defs).unwrap_err().code,
            "fields_without_column"
        );
        s.push.fields = vec!["Title".into()];
        assert!(check_setup(&s, true, "L", &map(), &defs).is_ok());
        let mut m = map();
        m.unmapped_address = vec!["City".into(), "Zip".into()];
        let err = check_setup(&s, true, "L", &m, &defs).unwrap_err();
        assert_eq!(err.code, "address_columns_unmapped");
        assert!(err.message.contains("'City', 'Zip'"), "{}", err.message);
    }
}
