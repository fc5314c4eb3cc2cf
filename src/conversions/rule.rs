//! A conversion rule: which CRM records are conversions (the trigger), what ties each
//! to a call or visit (the reference fields), and where each output field comes from.
//! A rule is checked against the CRM's field definitions when it is saved; a record
//! whose values cannot make a row (a currency that is not ISO 4217, an amount that is
//! not a number, no reference) is refused before anything is sent, named by record and
//! field.

use chrono::{DateTime, NaiveDate, Utc};
use listbridge_connector::{
    Amount, ConversionReference, ConversionRow, Currency, FieldDef, FieldType, SourceRecord,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::segment_filter::{FilterError, SegmentFilter};

/// Where an output value comes from: the same text on every row, or a field of the
/// record. Written `{"text": "sale"}` or `{"field": "Description"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueSource {
    /// This text (e.g. the action name `sale`).
    Text(String),
    /// The value of this CRM field.
    Field(String),
}

/// Reads `{"text": …}` or `{"field": …}` as the document's `oneOf` allows them: other
/// members ignored and a `null` one absent (serde's tagged form would refuse both).
impl<'de> Deserialize<'de> for ValueSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Either {
            #[serde(default)]
            text: Option<String>,
            #[serde(default)]
            field: Option<String>,
        }
        let Either { text, field } = Either::deserialize(deserializer)?;
        match (text, field) {
            (Some(text), None) => Ok(ValueSource::Text(text)),
            (None, Some(field)) => Ok(ValueSource::Field(field)),
            _ => Err(serde::de::Error::custom(
                "give exactly one of text or field",
            )),
        }
    }
}

/// What makes a CRM record a conversion, and how it becomes a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConversionRule {
    /// Records matching this are conversions (e.g. `Status equals Closed - Won`), in the
    /// segment filter language over CRM field names.
    pub trigger: SegmentFilter,
    /// The field holding the call reference.
    #[serde(default)]
    pub call_reference_field: Option<String>,
    /// The field holding the visitor id (used when the call reference is blank).
    #[serde(default)]
    pub visitor_id_field: Option<String>,
    /// The action name (`sale`).
    pub action_name: ValueSource,
    /// The title (what was bought).
    #[serde(default)]
    pub title: Option<ValueSource>,
    /// The field of when it happened; without one, when the trigger first matched.
    #[serde(default)]
    pub date_field: Option<String>,
    /// The field of the sale's own reference (an order number).
    #[serde(default)]
    pub transaction_reference_field: Option<String>,
    /// The field of the amount.
    #[serde(default)]
    pub amount_field: Option<String>,
    /// The currency: an ISO 4217 code, or the field holding one.
    #[serde(default)]
    pub currency: Option<ValueSource>,
    /// The field of the margin.
    #[serde(default)]
    pub margin_field: Option<String>,
}

/// Why a rule cannot be saved, naming the setting at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Neither reference field is set.
    #[error("choose the field holding the call reference, the visitor id, or both")]
    NoReferenceField,
    /// A setting names a field the entity does not have.
    #[error("{setting}: the CRM has no field '{field}'")]
    UnknownField {
        /// The setting (`amount_field`, …).
        setting: &'static str,
        /// The field named.
        field: String,
    },
    /// A setting names a field of the wrong type (a text field as the amount).
    #[error("{setting}: '{field}' is a {actual} field, not {wanted}")]
    WrongType {
        /// The setting.
        setting: &'static str,
        /// The field named.
        field: String,
        /// What it is.
        actual: &'static str,
        /// What the setting needs.
        wanted: &'static str,
    },
    /// The fixed currency is not an ISO 4217 code.
    #[error("currency: '{0}' is not an ISO 4217 currency code (GBP, USD, EUR, …)")]
    Currency(String),
    /// The fixed action name is blank.
    #[error("action_name: give the action a name (e.g. sale)")]
    BlankActionName,
    /// A trigger condition names a field the entity does not have.
    #[error("trigger: condition {index}: the CRM has no field '{field}'")]
    TriggerField {
        /// 1-based position of the condition.
        index: usize,
        /// The field named.
        field: String,
    },
    /// The trigger is not a valid filter otherwise (a value missing or not comparable).
    #[error("trigger: {0}")]
    Trigger(FilterError),
}

/// Why one record cannot become a row: reported with the record, never sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    /// The record has no call reference and no visitor id.
    #[error("{entity} {key} has no call reference or visitor id ({fields})")]
    NoReference {
        /// Lead, contact, …
        entity: String,
        /// The record's key.
        key: String,
        /// The fields read, e.g. `CallReference, VisitorId`.
        fields: String,
    },
    /// A value is not what its output field needs.
    #[error("{entity} {key}: {field} '{value}' is not {wanted}")]
    BadValue {
        /// Lead, contact, …
        entity: String,
        /// The record's key.
        key: String,
        /// The CRM field (or `currency` for the fixed one).
        field: String,
        /// The value found.
        value: String,
        /// What it must be.
        wanted: &'static str,
    },
    /// The action name field is blank.
    #[error("{entity} {key}: {field} is blank, so the conversion has no action name")]
    NoActionName {
        /// Lead, contact, …
        entity: String,
        /// The record's key.
        key: String,
        /// The CRM field.
        field: String,
    },
}

/// The key that makes a row the same conversion every time it is sent: one per
/// (export, record, action), so a retried or re-run send is never counted twice.
pub fn row_key(export: &str, record: &SourceRecord, action_name: &str) -> String {
    let mut hash = Sha256::new();
    for part in [
        export,
        record.source.as_str(),
        record.key.as_str(),
        action_name.trim(),
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl ConversionRule {
    /// The CRM fields the rule reads, for the read's field list.
    pub fn fields(&self) -> Vec<&str> {
        let mut fields: Vec<&str> = self
            .trigger
            .conditions
            .iter()
            .map(|c| c.column.as_str())
            .collect();
        fn field_of(source: Option<&ValueSource>) -> Option<&str> {
            match source {
                Some(ValueSource::Field(field)) => Some(field.as_str()),
                _ => None,
            }
        }
        fields.extend(
            [
                self.call_reference_field.as_deref(),
                self.visitor_id_field.as_deref(),
                field_of(Some(&self.action_name)),
                field_of(self.title.as_ref()),
                self.date_field.as_deref(),
                self.transaction_reference_field.as_deref(),
                self.amount_field.as_deref(),
                field_of(self.currency.as_ref()),
                self.margin_field.as_deref(),
            ]
            .into_iter()
            .flatten(),
        );
        let mut seen = std::collections::HashSet::new();
        fields.retain(|f| seen.insert(f.to_ascii_lowercase()));
        fields
    }

    /// Checks the rule against the entity's field definitions before it is saved.
    pub fn validate(&self, defs: &[FieldDef]) -> Result<(), RuleError> {
        if self.call_reference_field.is_none() && self.visitor_id_field.is_none() {
            return Err(RuleError::NoReferenceField);
        }
        self.trigger
            .validate(defs.iter().map(|d| d.name.as_str()))
            .map_err(|e| match e {
                FilterError::UnknownColumn { index, column } => RuleError::TriggerField {
                    index,
                    field: column,
                },
                other => RuleError::Trigger(other),
            })?;
        let find = |setting: &'static str, field: &str| {
            defs.iter()
                .find(|d| d.name.eq_ignore_ascii_case(field))
                .ok_or_else(|| RuleError::UnknownField {
                    setting,
                    field: field.to_string(),
                })
        };
        let numeric = |setting: &'static str, field: &Option<String>| match field {
            Some(field) => {
                let def = find(setting, field)?;
                match def.field_type {
                    FieldType::Integer | FieldType::Decimal | FieldType::Text => Ok(()),
                    other => Err(RuleError::WrongType {
                        setting,
                        field: def.name.clone(),
                        actual: type_words(other),
                        wanted: "a number",
                    }),
                }
            }
            None => Ok(()),
        };
        numeric("amount_field", &self.amount_field)?;
        numeric("margin_field", &self.margin_field)?;
        if let Some(field) = &self.date_field {
            let def = find("date_field", field)?;
            if !matches!(
                def.field_type,
                FieldType::DateTime | FieldType::Date | FieldType::Text
            ) {
                return Err(RuleError::WrongType {
                    setting: "date_field",
                    field: def.name.clone(),
                    actual: type_words(def.field_type),
                    wanted: "a date",
                });
            }
        }
        for (setting, field) in [
            ("call_reference_field", &self.call_reference_field),
            ("visitor_id_field", &self.visitor_id_field),
            (
                "transaction_reference_field",
                &self.transaction_reference_field,
            ),
        ] {
            if let Some(field) = field {
                find(setting, field)?;
            }
        }
        for (setting, source) in [
            ("action_name", Some(&self.action_name)),
            ("title", self.title.as_ref()),
            ("currency", self.currency.as_ref()),
        ] {
            if let Some(ValueSource::Field(field)) = source {
                find(setting, field)?;
            }
        }
        if let ValueSource::Text(name) = &self.action_name
            && name.trim().is_empty()
        {
            return Err(RuleError::BlankActionName);
        }
        if let Some(ValueSource::Text(code)) = &self.currency
            && Currency::parse(code).is_none()
        {
            return Err(RuleError::Currency(code.clone()));
        }
        Ok(())
    }

    /// The ledger key of the record's conversion: [`row_key`] with the action name the
    /// record makes (blank when it makes none), so a record refused before sending and
    /// the same record corrected later are one conversion.
    pub fn key_of(&self, export: &str, record: &SourceRecord) -> String {
        let action = match &self.action_name {
            ValueSource::Text(text) => text.as_str(),
            ValueSource::Field(field) => value(record, field).unwrap_or_default(),
        };
        row_key(export, record, action)
    }

    /// Whether the record is a conversion by the trigger.
    pub fn triggered(&self, record: &SourceRecord) -> bool {
        self.trigger.matches(|field| value(record, field))
    }

    /// The row of a triggered record, keyed for `export`; `first_matched` is when the
    /// trigger was first seen to hold (the date when the rule names no date field). A
    /// value that cannot go out is a [`RowProblem`] naming the record and field.
    pub fn row(
        &self,
        export: &str,
        record: &SourceRecord,
        first_matched: DateTime<Utc>,
    ) -> Result<ConversionRow, RowProblem> {
        let entity = record.source.as_str().to_string();
        let bad = |field: &str, value: &str, wanted: &'static str| RowProblem::BadValue {
            entity: entity.clone(),
            key: record.key.clone(),
            field: field.to_string(),
            value: value.to_string(),
            wanted,
        };
        let reference = self
            .call_reference_field
            .as_deref()
            .and_then(|f| value(record, f))
            .map(|r| ConversionReference::CallReference(r.to_string()))
            .or_else(|| {
                self.visitor_id_field
                    .as_deref()
                    .and_then(|f| value(record, f))
                    .map(|v| ConversionReference::VisitorId(v.to_string()))
            })
            .ok_or_else(|| RowProblem::NoReference {
                entity: entity.clone(),
                key: record.key.clone(),
                fields: [&self.call_reference_field, &self.visitor_id_field]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let action_name = match &self.action_name {
            ValueSource::Text(text) => text.trim().to_string(),
            ValueSource::Field(field) => {
                value(record, field).map(str::to_string).ok_or_else(|| {
                    RowProblem::NoActionName {
                        entity: entity.clone(),
                        key: record.key.clone(),
                        field: field.clone(),
                    }
                })?
            }
        };
        let occurred_at = match &self.date_field {
            Some(field) => match value(record, field) {
                Some(raw) => instant(raw).ok_or_else(|| bad(field, raw, "a date"))?,
                None => first_matched,
            },
            None => first_matched,
        };
        let amount = |field: &Option<String>| -> Result<Option<Amount>, RowProblem> {
            match field
                .as_deref()
                .and_then(|f| value(record, f).map(|v| (f, v)))
            {
                Some((f, raw)) => Amount::parse(raw)
                    .map(Some)
                    .ok_or_else(|| bad(f, raw, "a number")),
                None => Ok(None),
            }
        };
        let currency = match &self.currency {
            Some(ValueSource::Text(code)) => Some(
                Currency::parse(code).ok_or_else(|| bad("currency", code, "an ISO 4217 code"))?,
            ),
            Some(ValueSource::Field(field)) => match value(record, field) {
                Some(raw) => {
                    Some(Currency::parse(raw).ok_or_else(|| bad(field, raw, "an ISO 4217 code"))?)
                }
                None => None,
            },
            None => None,
        };
        Ok(ConversionRow {
            key: row_key(export, record, &action_name),
            title: match &self.title {
                Some(ValueSource::Text(text)) => Some(text.clone()),
                Some(ValueSource::Field(field)) => value(record, field).map(str::to_string),
                None => None,
            },
            action_name,
            occurred_at,
            transaction_reference: self
                .transaction_reference_field
                .as_deref()
                .and_then(|f| value(record, f))
                .map(str::to_string),
            amount: amount(&self.amount_field)?,
            currency,
            margin: amount(&self.margin_field)?,
            reference,
        })
    }
}

/// The record's value of `field` (any case), trimmed; `None` when blank or absent.
fn value<'r>(record: &'r SourceRecord, field: &str) -> Option<&'r str> {
    record
        .fields
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(field))
        .and_then(|(_, v)| v.as_deref())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// An instant from a CRM date value: RFC 3339 in any zone (to UTC), or a calendar date
/// (its midnight, UTC).
fn instant(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}

/// A field type in a message.
fn type_words(t: FieldType) -> &'static str {
    match t {
        FieldType::Text => "text",
        FieldType::Integer => "whole number",
        FieldType::Decimal => "decimal",
        FieldType::Boolean => "yes/no",
        FieldType::DateTime => "date-time",
        FieldType::Date => "date",
        FieldType::Reference => "reference",
    }
}

#[cfg(test)]
mod tests;
