//! What the form builder shows and posts: the typed values (kept whole when a save is
//! refused), how they become [`FormSettings`], and where each refusal is shown.

use crate::{
    console::form::FieldErrors,
    domain::field_usage::SystemUsage,
    error::ApiError,
    store::{ConnectorId, Form, FormField, FormFieldKind, FormPage, FormSettings},
};

/// Blank field rows a builder page offers below the form's fields.
pub const BLANK_ROWS: usize = 3;
/// The most rows a builder page shows (a form declares at most 64 fields).
const MAX_ROWS: usize = 80;

/// One field row as typed.
#[derive(Debug, Clone, Default)]
pub struct RowValues {
    /// What a visitor reads.
    pub label: String,
    /// The posted name.
    pub name: String,
    /// `text`, `email`, `phone`, `select`, `checkbox` or `hidden`.
    pub kind: String,
    /// Must be filled in.
    pub required: bool,
    /// A select's options, one per line.
    pub options: String,
    /// `""` (by name), `usage:<usage>` or `crm:<field>`.
    pub map: String,
}

impl RowValues {
    fn is_blank(&self) -> bool {
        self.label.trim().is_empty() && self.name.trim().is_empty()
    }

    fn from_field(f: &FormField) -> Self {
        RowValues {
            label: f.label.clone().unwrap_or_default(),
            name: f.name.clone(),
            kind: f.kind.as_str().to_string(),
            required: f.required,
            options: f.options.join("\n"),
            map: match (&f.crm_field, f.usage) {
                (Some(crm), _) => format!("crm:{crm}"),
                (None, Some(u)) => format!("usage:{}", u.as_str()),
                (None, None) => String::new(),
            },
        }
    }

    /// The field this row declares: the name from the label when left empty.
    fn to_field(&self) -> FormField {
        let name = if self.name.trim().is_empty() {
            name_from_label(&self.label)
        } else {
            self.name.trim().to_string()
        };
        let (usage, crm_field) = match self.map.split_once(':') {
            Some(("usage", u)) => (SystemUsage::parse(u), None),
            Some(("crm", c)) if !c.trim().is_empty() => (None, Some(c.trim().to_string())),
            _ => (None, None),
        };
        let kind = FormFieldKind::parse(&self.kind).unwrap_or_default();
        FormField {
            name,
            usage,
            crm_field,
            label: Some(self.label.trim().to_string()).filter(|l| !l.is_empty()),
            kind,
            required: self.required,
            options: if kind == FormFieldKind::Select {
                self.options
                    .lines()
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(String::from)
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

/// A field name made from a label: lower case letters and digits joined by `_`.
fn name_from_label(label: &str) -> String {
    let mut out = String::new();
    for c in label.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// The whole builder as typed.
#[derive(Debug, Clone, Default)]
pub struct BuilderValues {
    /// The form's name.
    pub name: String,
    /// The connector id chosen.
    pub connector: String,
    /// The hosted page's heading.
    pub title: String,
    /// The hosted page's intro.
    pub intro: String,
    /// Where a browser goes after submitting.
    pub thank_you_url: String,
    /// Shown after submitting when there is no thank-you URL.
    pub thank_you_message: String,
    /// Create a lead when no record has the email.
    pub create_new_leads: bool,
    /// CRM fields that may update an existing lead or contact.
    pub update_fields: Vec<String>,
    /// The field rows (the form's, then blank ones).
    pub rows: Vec<RowValues>,
    /// Kept from the stored form (not on the builder).
    pub keep_unknown_fields: bool,
    /// The button pressed: `save` or `more`.
    pub action: String,
}

impl BuilderValues {
    /// A new form's builder: creates leads, blank rows.
    pub fn blank() -> Self {
        BuilderValues {
            create_new_leads: true,
            rows: vec![RowValues::default(); BLANK_ROWS + 2],
            ..Self::default()
        }
    }

    /// A stored form's builder, with blank rows below its fields.
    pub fn of(form: &Form) -> Self {
        let s = &form.settings;
        let mut rows: Vec<RowValues> = s.fields.iter().map(RowValues::from_field).collect();
        rows.extend(std::iter::repeat_n(RowValues::default(), BLANK_ROWS));
        BuilderValues {
            name: s.name.clone(),
            connector: s.connector_id.as_db(),
            title: s.page.title.clone().unwrap_or_default(),
            intro: s.page.intro.clone().unwrap_or_default(),
            thank_you_url: s.thank_you_url.clone().unwrap_or_default(),
            thank_you_message: s.page.thank_you_message.clone().unwrap_or_default(),
            create_new_leads: s.create_new_leads,
            update_fields: s.update_fields.clone(),
            rows,
            keep_unknown_fields: s.keep_unknown_fields,
            action: String::new(),
        }
    }

    /// Reads a posted builder (`f{i}_…` controls per row; rows ticked *Remove* left out).
    pub fn parse(pairs: &[(String, String)]) -> Self {
        let mut v = BuilderValues::default();
        let mut rows: Vec<(RowValues, bool)> = Vec::new();
        for (key, value) in pairs {
            match key.as_str() {
                "name" => v.name = value.clone(),
                "connector" => v.connector = value.clone(),
                "title" => v.title = value.clone(),
                "intro" => v.intro = value.clone(),
                "thank_you_url" => v.thank_you_url = value.clone(),
                "thank_you_message" => v.thank_you_message = value.clone(),
                "create_new_leads" => v.create_new_leads = !value.is_empty(),
                "update_fields" => v.update_fields.push(value.clone()),
                "action" => v.action = value.clone(),
                _ => {
                    let Some((index, part)) = key
                        .strip_prefix('f')
                        .and_then(|rest| rest.split_once('_'))
                        .and_then(|(i, part)| Some((i.parse::<usize>().ok()?, part)))
                    else {
                        continue;
                    };
                    if index >= MAX_ROWS {
                        continue;
                    }
                    if rows.len() <= index {
                        rows.resize_with(index + 1, Default::default);
                    }
                    let (row, removed) = &mut rows[index];
                    match part {
                        "label" => row.label = value.clone(),
                        "name" => row.name = value.clone(),
                        "type" => row.kind = value.clone(),
                        "required" => row.required = !value.is_empty(),
                        "options" => row.options = value.clone(),
                        "map" => row.map = value.clone(),
                        "remove" => *removed = !value.is_empty(),
                        _ => {}
                    }
                }
            }
        }
        v.rows = rows
            .into_iter()
            .filter(|(row, removed)| !removed && !row.is_blank())
            .map(|(row, _)| row)
            .collect();
        let blank = if v.action == "more" {
            BLANK_ROWS + 2
        } else {
            BLANK_ROWS
        };
        v.rows
            .extend(std::iter::repeat_n(RowValues::default(), blank));
        v.rows.truncate(MAX_ROWS);
        v
    }

    /// The settings to save and the connector chosen (none: the account's first).
    pub fn settings(&self) -> (Option<ConnectorId>, FormSettings) {
        let connector = ConnectorId::from_db(self.connector.trim());
        let text = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
        let settings = FormSettings {
            name: self.name.trim().to_string(),
            connector_id: connector.unwrap_or(ConnectorId(uuid::Uuid::nil())),
            fields: self
                .rows
                .iter()
                .filter(|r| !r.is_blank())
                .map(RowValues::to_field)
                .collect(),
            update_fields: self
                .update_fields
                .iter()
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect(),
            create_new_leads: self.create_new_leads,
            keep_unknown_fields: self.keep_unknown_fields,
            thank_you_url: text(&self.thank_you_url),
            page: FormPage {
                title: text(&self.title),
                intro: text(&self.intro),
                thank_you_message: text(&self.thank_you_message),
            },
        };
        (connector, settings)
    }

    /// Where the service's refusal is shown: beside the row or control its details
    /// name, else beside the control its code is about, else above the form.
    pub fn errors_for(&self, err: &ApiError) -> FieldErrors {
        let message = err.message().to_string();
        let names: Vec<String> = err
            .details()
            .and_then(|d| d.get("names"))
            .and_then(|n| n.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let mut errors = FieldErrors::none();
        for name in &names {
            if let Some(control) = ["title", "intro", "thank_you_url", "thank_you_message"]
                .into_iter()
                .find(|c| c == name)
            {
                errors.add(control, message.clone());
                continue;
            }
            if err.code() == "update_fields_not_mapped" {
                errors.add("update_fields", message.clone());
                continue;
            }
            let row = self.rows.iter().position(|r| {
                let field = r.to_field();
                !r.is_blank()
                    && (field.name.eq_ignore_ascii_case(name)
                        || field
                            .crm_field
                            .as_deref()
                            .is_some_and(|c| c.eq_ignore_ascii_case(name)))
            });
            match row {
                Some(i) => errors.add(&format!("f{i}"), message.clone()),
                None => errors.add("fields", message.clone()),
            }
        }
        if names.is_empty() {
            let control = match err.code() {
                "invalid_name" | "conflict" | "already_exists" => "name",
                "invalid_fields" | "no_email_field" | "duplicate_fields" => "fields",
                "no_connector" => "connector",
                _ => "",
            };
            if control.is_empty() && err.status() == axum::http::StatusCode::CONFLICT {
                errors.add("name", message);
            } else if control.is_empty() {
                return FieldErrors::form(message);
            } else {
                errors.add(control, message);
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_map_and_drop_removed_and_blank_ones() {
        let pairs: Vec<(String, String)> = [
            ("name", "Contact"),
            ("f0_label", "E-mail address"),
            ("f0_map", "usage:email"),
            ("f1_label", "Region"),
            ("f1_type", "select"),
            ("f1_options", "North\r\n\r\nSouth"),
            ("f1_map", "crm:Region"),
            ("f2_name", "gone"),
            ("f2_remove", "yes"),
            ("f3_name", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let v = BuilderValues::parse(&pairs);
        let (_, s) = v.settings();
        assert_eq!(s.fields.len(), 2);
        assert_eq!(s.fields[0].name, "e_mail_address");
        assert_eq!(s.fields[0].usage, Some(SystemUsage::Email));
        assert_eq!(s.fields[1].crm_field.as_deref(), Some("Region"));
        assert_eq!(s.fields[1].options, ["North", "South"]);
        assert_eq!(v.rows.len(), 2 + BLANK_ROWS);
    }
}
