//! The people the cases add and write, named through the connector's vocabulary.

use listbridge_connector::{EntityKind, FieldValues, SystemUsage, Vocabulary};

/// A person as the cases make one up: numbered, with a unique email under a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Company (leads only: a contact's company is an account of its own in most CRMs).
    pub company: String,
    /// Email, lower case.
    pub email: String,
}

impl Person {
    /// Person `n` of a case: `pat.{tag}.{n}@contract.example`.
    pub fn numbered(tag: &str, n: usize) -> Person {
        Person {
            first_name: format!("Pat{n}"),
            last_name: format!("Contract{n}"),
            company: format!("Acme {tag} {n}"),
            email: format!("pat.{tag}.{n}@contract.example"),
        }
    }

    /// `count` people of a case.
    pub fn many(tag: &str, count: usize) -> Vec<Person> {
        (0..count).map(|n| Person::numbered(tag, n)).collect()
    }

    /// The person's fields as the CRM names them for `entity`.
    pub fn fields(&self, vocabulary: &dyn Vocabulary, entity: EntityKind) -> FieldValues {
        let mut fields = FieldValues::new();
        let mut set = |usage: SystemUsage, value: &str| {
            if let Some(name) = vocabulary.usage_field(entity, usage) {
                fields.insert(name.to_string(), Some(value.to_string()));
            }
        };
        set(SystemUsage::FirstName, &self.first_name);
        set(SystemUsage::LastName, &self.last_name);
        if entity == EntityKind::Lead {
            set(SystemUsage::Company, &self.company);
        }
        fields.insert(
            vocabulary.email_field(entity).to_string(),
            Some(self.email.clone()),
        );
        fields
    }
}

/// The fields of `people` for `entity`.
pub(crate) fn fields_of(
    people: &[Person],
    vocabulary: &dyn Vocabulary,
    entity: EntityKind,
) -> Vec<FieldValues> {
    people
        .iter()
        .map(|p| p.fields(vocabulary, entity))
        .collect()
}

/// The CRM's name of `usage` for `entity`; the contract needs it to exist.
pub(crate) fn field(vocabulary: &dyn Vocabulary, entity: EntityKind, usage: SystemUsage) -> String {
    vocabulary
        .usage_field(entity, usage)
        .unwrap_or_else(|| panic!("the vocabulary names no {usage:?} field of {entity:?}"))
        .to_string()
}
