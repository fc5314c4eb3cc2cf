//! `select` and `include`: which properties an entry carries and which related
//! records are embedded.
//!
//! `select` shadows `include` (SData spec §2.11: with `select`, the `include` values are
//! ignored and only the select list is used): a relation is embedded only as far as
//! `select` asks (`Address/*`, `Address/City`); `select=Email,Address` keeps the
//! reference key-only whatever `include` says. `include=$permissions` and `$descriptors`
//! still apply with `select` (inferred: they annotate the selected properties rather
//! than add any, and Infor CRM Mobile sends `$permissions` beside its `select` on every
//! detail and edit view).

use crate::model::{FieldDef, FieldType, Kind};

/// The properties to render for one kind.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    /// The fields to render, in schema order; `None` = every field.
    pub fields: Option<Vec<&'static FieldDef>>,
    /// References to embed, each with its own selection.
    pub expand: Vec<(&'static str, Selection)>,
    /// `include=$permissions`.
    pub permissions: bool,
    /// `include=$descriptors`: references carry their related record's descriptor.
    pub descriptors: bool,
}

impl Selection {
    /// Every field, nothing embedded.
    pub(crate) fn all() -> Selection {
        Selection::default()
    }

    /// Whether `field` is rendered.
    pub(crate) fn has(&self, field: &FieldDef) -> bool {
        self.fields
            .as_ref()
            .is_none_or(|f| f.iter().any(|x| x.name == field.name))
    }

    /// The selection of an embedded reference, if it is embedded.
    pub(crate) fn expanded(&self, name: &str) -> Option<&Selection> {
        self.expand.iter().find(|(n, _)| *n == name).map(|(_, s)| s)
    }

    fn expand_mut(&mut self, name: &'static str) -> &mut Selection {
        if let Some(i) = self.expand.iter().position(|(n, _)| *n == name) {
            return &mut self.expand[i].1;
        }
        self.expand.push((name, Selection::all()));
        let last = self.expand.len() - 1;
        &mut self.expand[last].1
    }

    fn add_field(&mut self, field: &'static FieldDef) {
        let fields = self.fields.get_or_insert_with(Vec::new);
        if !fields.iter().any(|f| f.name == field.name) {
            fields.push(field);
        }
    }
}

/// Builds the selection from `select` and `include`; errors name the unknown property.
pub(crate) fn parse(
    kind: Kind,
    select: Option<&str>,
    include: Option<&str>,
) -> Result<Selection, String> {
    let mut sel = Selection::all();
    if let Some(select) = select.filter(|s| !s.trim().is_empty()) {
        let items: Vec<&str> = select
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if !items.contains(&"*") {
            sel.fields = Some(Vec::new());
        }
        for item in items {
            let segments: Vec<&str> = item.split(['/', '.']).collect();
            select_path(kind, &mut sel, &segments)?;
        }
        if let Some(fields) = sel.fields.as_mut() {
            let def = kind.def();
            fields.sort_by_key(|f| def.fields.iter().position(|x| x.name == f.name));
        }
    }
    let selected = select.is_some_and(|s| !s.trim().is_empty());
    for item in include.unwrap_or_default().split(',').map(str::trim) {
        match item.to_ascii_lowercase().as_str() {
            "" | "$children" | "$schema" => {}
            "$permissions" => sel.permissions = true,
            "$descriptors" => sel.descriptors = true,
            // Shadowed by `select` (SData spec §2.11), so not even checked.
            _ if selected => {}
            _ => {
                let first = item.split(['/', '.']).next().unwrap_or(item);
                let field = reference(kind, first)?;
                sel.expand_mut(field.name);
            }
        }
    }
    Ok(sel)
}

fn reference(kind: Kind, name: &str) -> Result<&'static FieldDef, String> {
    let def = kind.def();
    let field = def
        .field(name)
        .ok_or_else(|| format!("property '{name}' does not exist on {}", def.name))?;
    match field.ty {
        FieldType::Reference {
            target: Some(_), ..
        } => Ok(field),
        _ => Err(format!(
            "'{}' of {} is not a relation that can be included",
            field.name, def.name
        )),
    }
}

fn select_path(kind: Kind, sel: &mut Selection, segments: &[&str]) -> Result<(), String> {
    let def = kind.def();
    let Some((first, rest)) = segments.split_first() else {
        return Ok(());
    };
    if *first == "*" {
        sel.fields = None;
        return Ok(());
    }
    if first.starts_with('$') {
        return Ok(());
    }
    let field = def
        .field(first)
        .ok_or_else(|| format!("property '{first}' does not exist on {}", def.name))?;
    if sel.fields.is_some() {
        sel.add_field(field);
    }
    if rest.is_empty() {
        return Ok(());
    }
    let FieldType::Reference { target, .. } = field.ty else {
        return Err(format!(
            "'{}' of {} is not a relation",
            field.name, def.name
        ));
    };
    let Some(target) = target else {
        // Relations the fake does not serve (Owner, LeadSource): the key is all there is.
        return Ok(());
    };
    let fresh = sel.expanded(field.name).is_none();
    let nested = sel.expand_mut(field.name);
    if fresh && rest != ["*"] {
        nested.fields = Some(Vec::new());
    }
    select_path(target, nested, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_limits_fields_and_expands_relations() {
        let sel = parse(Kind::Lead, Some("Email,FirstName,Address/City"), None);
        let Ok(sel) = sel else {
            panic!("valid select: {sel:?}");
        };
        let names: Vec<_> = sel.fields.iter().flatten().map(|f| f.name).collect();
        assert_eq!(names, ["FirstName", "Email", "Address"]);
        let Some(addr) = sel.expanded("Address") else {
            panic!("Address expanded");
        };
        let inner: Vec<_> = addr.fields.iter().flatten().map(|f| f.name).collect();
        assert_eq!(inner, ["City"]);
    }

    #[test]
    fn star_and_include_keep_everything() {
        let sel = parse(Kind::Lead, Some("*,Address/*"), Some("$permissions"));
        let Ok(sel) = sel else {
            panic!("valid select");
        };
        assert!(sel.fields.is_none());
        assert!(sel.permissions);
        assert!(!sel.descriptors);
        assert!(sel.expanded("Address").is_some_and(|a| a.fields.is_none()));
        let sel = parse(Kind::Lead, None, Some("$Descriptors"));
        assert!(sel.is_ok_and(|s| s.descriptors));
    }

    #[test]
    fn select_shadows_relation_includes() {
        // A selected reference stays key-only; `*` selects the lead's own properties.
        for select in ["Email,Address", "*"] {
            let sel = parse(Kind::Lead, Some(select), Some("Address"));
            let Ok(sel) = sel else {
                panic!("valid select {select}");
            };
            assert!(sel.expanded("Address").is_none(), "{select}");
        }
        // Only what select asks of the relation is embedded.
        let sel = parse(Kind::Lead, Some("Email,Address/City"), Some("Address"));
        let Ok(sel) = sel else {
            panic!("valid select");
        };
        let inner: Vec<_> = sel
            .expanded("Address")
            .and_then(|a| a.fields.clone())
            .into_iter()
            .flatten()
            .map(|f| f.name)
            .collect();
        assert_eq!(inner, ["City"]);
        // Annotations still apply, and a shadowed include is not even checked.
        let sel = parse(
            Kind::Lead,
            Some("Email"),
            Some("Bogus,$permissions,$descriptors"),
        );
        assert!(sel.is_ok_and(|s| s.permissions && s.descriptors && s.expand.is_empty()));
        // Without select, include embeds as before.
        let sel = parse(Kind::Lead, None, Some("Address"));
        assert!(sel.is_ok_and(|s| s.expanded("Address").is_some()));
        let sel = parse(Kind::Lead, Some("  "), Some("Address"));
        assert!(sel.is_ok_and(|s| s.expanded("Address").is_some()));
    }

    #[test]
    fn unknown_properties_are_named() {
        let e = parse(Kind::Lead, Some("Bogus"), None);
        assert!(matches!(e, Err(m) if m.contains("Bogus")));
        let e = parse(Kind::Lead, None, Some("Email"));
        assert!(matches!(e, Err(m) if m.contains("Email")));
    }
}
