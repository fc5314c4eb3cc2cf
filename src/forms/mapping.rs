//! Where each submitted field goes in the CRM: the form's own mapping first (a CRM field,
//! or a system usage), then the account's Standard Field Names for the field's name. A
//! usage lands in the lead field the connector's [`Vocabulary`] names for it (a form
//! creates leads).

use listbridge_connector::{EntityKind, FieldValues, Vocabulary};

use crate::{
    domain::field_usage::{FieldUsage, SystemUsage, address_usage_for_header},
    store::{Form, FormField},
};

/// Resolves field names of one form to CRM fields.
#[derive(Debug, Clone)]
pub struct FieldResolver<'a> {
    fields: &'a [FormField],
    usages: &'a [FieldUsage],
    vocab: &'a dyn Vocabulary,
}

/// A submission's values by CRM field, or the address fields that have nowhere to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// Values by CRM field (the email excluded: it is the match key).
    pub values: FieldValues,
    /// Filled fields that look like address data but map to no CRM field.
    pub unmapped_address: Vec<String>,
}

impl<'a> FieldResolver<'a> {
    /// A resolver over a form's declared fields and the account's Standard Field Names,
    /// in the field names of the form's CRM.
    pub fn new(
        fields: &'a [FormField],
        usages: &'a [FieldUsage],
        vocab: &'a dyn Vocabulary,
    ) -> Self {
        FieldResolver {
            fields,
            usages,
            vocab,
        }
    }

    /// A resolver for a stored form.
    pub fn for_form(form: &'a Form, usages: &'a [FieldUsage], vocab: &'a dyn Vocabulary) -> Self {
        Self::new(&form.settings.fields, usages, vocab)
    }

    fn usage_field(&self, usage: SystemUsage) -> Option<String> {
        self.vocab
            .usage_field(EntityKind::Lead, usage)
            .map(String::from)
    }

    fn is_email(&self, crm_field: &str) -> bool {
        self.vocab.is_email_field(EntityKind::Lead, crm_field)
    }

    /// The declared field with this name (names compare case-insensitively).
    pub fn declared(&self, name: &str) -> Option<&'a FormField> {
        self.fields
            .iter()
            .find(|f| f.name.trim().eq_ignore_ascii_case(name.trim()))
    }

    fn standard_usage(&self, name: &str) -> Option<SystemUsage> {
        self.usages
            .iter()
            .find(|u| u.column.trim().eq_ignore_ascii_case(name.trim()))
            .and_then(|u| SystemUsage::parse(&u.usage))
    }

    /// The CRM field a field name reaches, if any.
    pub fn crm_field(&self, name: &str) -> Option<String> {
        let declared = self.declared(name);
        declared
            .and_then(|f| f.crm_field.clone())
            .or_else(|| {
                declared
                    .and_then(|f| f.usage)
                    .and_then(|u| self.usage_field(u))
            })
            .or_else(|| self.standard_usage(name).and_then(|u| self.usage_field(u)))
    }

    /// Whether this field name is unmapped address data.
    pub fn is_unmapped_address(&self, name: &str) -> bool {
        self.crm_field(name).is_none() && address_usage_for_header(name).is_some()
    }

    /// The field that carries the email: the one mapped to it, else one named `email`.
    pub fn email_field(&self) -> String {
        self.fields
            .iter()
            .find(|f| self.crm_field(&f.name).is_some_and(|c| self.is_email(&c)))
            .map(|f| f.name.clone())
            .unwrap_or_else(|| "email".to_string())
    }

    /// Maps submitted values (blank ones are left out: a blank never clears CRM data).
    pub fn map<'v>(&self, submitted: impl IntoIterator<Item = (&'v String, &'v String)>) -> Mapped {
        let mut mapped = Mapped {
            values: FieldValues::new(),
            unmapped_address: Vec::new(),
        };
        for (name, value) in submitted {
            if value.trim().is_empty() {
                continue;
            }
            match self.crm_field(name) {
                Some(field) if self.is_email(&field) => {}
                Some(field) => {
                    mapped.values.insert(field, Some(value.trim().to_string()));
                }
                None if address_usage_for_header(name).is_some() => {
                    mapped.unmapped_address.push(name.clone());
                }
                None => {}
            }
        }
        mapped
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::engine::test_vocabulary::TestVocabulary;

    /// A text field named `name` going to `usage` or straight to the CRM field `crm`
    /// (also what the settings tests build forms from).
    pub(in crate::forms) fn field(
        name: &str,
        usage: Option<SystemUsage>,
        crm: Option<&str>,
    ) -> FormField {
        FormField {
            name: name.into(),
            usage,
            crm_field: crm.map(String::from),
            ..FormField::default()
        }
    }

    #[test]
    fn form_mapping_then_standard_field_names() {
        let fields = [
            field("mail", Some(SystemUsage::Email), None),
            field("given", Some(SystemUsage::FirstName), None),
            field("region", None, Some("Region")),
            field("zip", None, None),
            field("town", None, None),
        ];
        let usages = [FieldUsage {
            column: "ZIP".into(),
            usage: "business_postal_code".into(),
        }];
        let r = FieldResolver::new(&fields, &usages, &TestVocabulary);
        assert_eq!(r.email_field(), "mail");
        assert_eq!(r.crm_field("Given").as_deref(), Some("first_name"));
        assert_eq!(r.crm_field("zip").as_deref(), Some("business_postal_code"));
        assert!(r.is_unmapped_address("town"));
        let submitted: BTreeMap<String, String> = [
            ("mail", "a@x.com"),
            ("given", " Ann "),
            ("region", "North"),
            ("zip", "12345"),
            ("town", "Springfield"),
            ("comment", "hello"),
            ("Company", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mapped = r.map(&submitted);
        assert_eq!(
            mapped.values.keys().collect::<Vec<_>>(),
            ["Region", "business_postal_code", "first_name"]
        );
        assert_eq!(mapped.values["first_name"].as_deref(), Some("Ann"));
        assert_eq!(mapped.unmapped_address, ["town"]);
    }

    #[test]
    fn email_field_defaults_to_a_field_named_email() {
        let r = FieldResolver::new(&[], &[], &TestVocabulary);
        assert_eq!(r.email_field(), "email");
    }
}
