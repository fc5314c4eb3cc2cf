//! A member's values: what a list row, a CRM record read into a list and a form
//! submission all come down to. Storage saves them; the engine, uploads and forms fill
//! and compare them.

use std::collections::BTreeMap;

/// Values by column name; `None` is blank.
pub type Values = BTreeMap<String, Option<String>>;
