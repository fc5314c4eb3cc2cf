//! Which fields a query selects: the caller's fields (as Salesforce names them), the
//! email, and the key and version every record carries.

use listbridge_connector::{ConnectorError, EntityKind, Vocabulary};

use crate::{describe::Schema, vocabulary::VOCABULARY};

/// The fields a record is returned with, plus what the SELECT needs besides.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    /// Described names of the record's fields (requested ones and the email).
    pub fields: Vec<String>,
}

impl Selection {
    /// `requested` checked against `schema`, the email added, duplicates dropped.
    pub fn new(schema: &Schema, requested: &[String]) -> Result<Selection, ConnectorError> {
        let mut fields: Vec<String> = Vec::new();
        let email = VOCABULARY.email_field(schema.entity);
        for name in requested.iter().map(String::as_str).chain([email]) {
            let def = schema.field(name)?;
            if !fields.iter().any(|f| f.eq_ignore_ascii_case(&def.name)) {
                fields.push(def.name.clone());
            }
        }
        Ok(Selection { fields })
    }

    /// The SELECT list: `Id`, `SystemModstamp` and the fields, each once.
    pub fn columns(&self) -> String {
        self.column_names().join(", ")
    }

    /// `Id`, `SystemModstamp` and the fields, each once: what a record is read with.
    pub fn column_names(&self) -> Vec<String> {
        let mut columns = vec!["Id".to_string(), "SystemModstamp".to_string()];
        for f in &self.fields {
            if !columns.iter().any(|c| c.eq_ignore_ascii_case(f)) {
                columns.push(f.clone());
            }
        }
        columns
    }
}

/// The condition that keeps converted leads out of lead reads: once converted, a lead
/// lives on as its contact, and Salesforce refuses writes to it.
pub(crate) fn not_converted(entity: EntityKind) -> Option<&'static str> {
    (entity == EntityKind::Lead).then_some("IsConverted = false")
}
