//! Errors of a form, by field, so a page can show each message beside its control and
//! keep what the person typed. Messages come from the same services and the same
//! error mapping as the JSON API ([`ApiError`]), so both say the same thing.

use std::collections::BTreeMap;

use crate::error::ApiError;

/// The messages of one submitted form: by field name, and one for the form as a whole.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    by_field: BTreeMap<String, String>,
    form: Option<String>,
}

impl FieldErrors {
    /// No errors.
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds a message beside `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.by_field.insert(field.to_string(), message.into());
    }

    /// One message beside `field`.
    pub fn on(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::none();
        errors.add(field, message);
        errors
    }

    /// A message about the whole form.
    pub fn form(message: impl Into<String>) -> Self {
        FieldErrors {
            form: Some(message.into()),
            ..Self::default()
        }
    }

    /// The API's error for a request, beside the field its details name (mapped through
    /// `field_of` to the page's control), else beside `fallback`.
    pub fn from_api(
        err: &ApiError,
        fallback: &str,
        field_of: impl Fn(&str) -> Option<&'static str>,
    ) -> Self {
        let named = err
            .details()
            .and_then(|d| d.get("field"))
            .and_then(|f| f.as_str())
            .and_then(&field_of);
        Self::on(named.unwrap_or(fallback), err.message())
    }

    /// Whether there is any message.
    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty() && self.form.is_none()
    }

    /// The message beside `field`, or "" (templates show nothing for "").
    pub fn get(&self, field: &str) -> &str {
        self.by_field.get(field).map_or("", String::as_str)
    }

    /// The message about the whole form, or "".
    pub fn general(&self) -> &str {
        self.form.as_deref().unwrap_or("")
    }
}

/// Form fields as a browser posts them, `(name, value)` in order, for unit tests of
/// the pages that read repeated fields themselves.
#[cfg(test)]
pub(crate) fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
