//! Checks a form definition before it is saved, so a form that cannot work is refused
//! with the fields named, instead of failing submission by submission later.

use std::collections::BTreeSet;

use listbridge_connector::{FieldDef, Vocabulary};

use super::mapping::FieldResolver;
use crate::{
    domain::field_usage::{FieldUsage, address_usage_for_header},
    engine::validate::find_def,
    refusal::{Refusal, quoted, refuse},
    store::{FormField, FormFieldKind, FormPage, FormSettings},
};

/// The most fields a form may declare (also the most a submission may carry).
pub const MAX_FORM_FIELDS: usize = 64;
/// The longest form or field name.
const MAX_NAME_CHARS: usize = 200;

/// The longest label, select option, title or thank-you message.
const MAX_TEXT_CHARS: usize = 500;
/// The longest intro text of a hosted page.
const MAX_INTRO_CHARS: usize = 5_000;
/// The most options of a select field.
const MAX_OPTIONS: usize = 200;

/// The honeypot field of the hosted page and the embed snippet: hidden from people by
/// CSS, so only a bot fills it in; a submission with it filled is answered as usual and
/// not stored. No form may declare a field of this name.
pub const HONEYPOT_FIELD: &str = "lb_website";

/// Why a form definition is refused (see [`Refusal`]).
pub type FormRefusal = Refusal;

/// Checks a form against the account's Standard Field Names and the CRM's lead and
/// contact fields. The checks run in this order and the first that fails is the answer.
pub fn check_form(
    form: &FormSettings,
    usages: &[FieldUsage],
    vocab: &dyn Vocabulary,
    lead_defs: &[FieldDef],
    contact_defs: &[FieldDef],
) -> Result<(), FormRefusal> {
    check_name(form)?;
    check_fields(&form.fields)?;
    check_page(&form.page)?;
    check_crm_fields(&form.fields, lead_defs, contact_defs)?;
    let resolver = FieldResolver::new(&form.fields, usages, vocab);
    check_address_fields(&form.fields, &resolver)?;
    check_email_field(&resolver)?;
    check_update_fields(form, &resolver)?;
    check_saved_thank_you_url(form)
}

/// A form has a name of reasonable length.
fn check_name(form: &FormSettings) -> Result<(), FormRefusal> {
    if form.name.trim().is_empty() || form.name.chars().count() > MAX_NAME_CHARS {
        return refuse(
            "invalid_name",
            format!("a form needs a name of 1 to {MAX_NAME_CHARS} characters"),
            vec![],
        );
    }
    Ok(())
}

/// A form declares a bounded number of well-formed fields, each name once.
fn check_fields(fields: &[FormField]) -> Result<(), FormRefusal> {
    if fields.is_empty() || fields.len() > MAX_FORM_FIELDS {
        return refuse(
            "invalid_fields",
            format!("a form declares 1 to {MAX_FORM_FIELDS} fields"),
            vec![],
        );
    }
    let mut seen = BTreeSet::new();
    for f in fields {
        check_field(f)?;
        let name = f.name.trim();
        if !seen.insert(name.to_ascii_lowercase()) {
            return refuse(
                "duplicate_fields",
                format!("the field '{name}' is declared twice"),
                vec![name.to_string()],
            );
        }
    }
    Ok(())
}

/// One field: its name (not the bot trap's), label, options, and a hidden field that
/// would block every submission by being required.
fn check_field(f: &FormField) -> Result<(), FormRefusal> {
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return refuse(
            "invalid_fields",
            format!("field names must be 1 to {MAX_NAME_CHARS} characters"),
            vec![f.name.clone()],
        );
    }
    if name.eq_ignore_ascii_case(HONEYPOT_FIELD) {
        return refuse(
            "reserved_field",
            format!("the field name '{HONEYPOT_FIELD}' is reserved for the form's bot trap"),
            vec![name.to_string()],
        );
    }
    if f.label
        .as_ref()
        .is_some_and(|l| l.chars().count() > MAX_TEXT_CHARS)
    {
        return refuse(
            "invalid_fields",
            format!("the label of '{name}' is longer than {MAX_TEXT_CHARS} characters"),
            vec![name.to_string()],
        );
    }
    let options_ok = f.options.len() <= MAX_OPTIONS
        && f.options
            .iter()
            .all(|o| !o.trim().is_empty() && o.chars().count() <= MAX_TEXT_CHARS);
    if !options_ok || (f.kind == FormFieldKind::Select && f.options.is_empty()) {
        return refuse(
            "invalid_options",
            format!(
                "the select field '{name}' needs 1 to {MAX_OPTIONS} options of 1 to {MAX_TEXT_CHARS} characters"
            ),
            vec![name.to_string()],
        );
    }
    if f.required && f.kind == FormFieldKind::Hidden {
        return refuse(
            "required_hidden_field",
            format!(
                "the hidden field '{name}' cannot be required: visitors cannot fill it in, \
                 so a page link without it would block every submission"
            ),
            vec![name.to_string()],
        );
    }
    Ok(())
}

/// The hosted page's texts are of reasonable length.
fn check_page(page: &FormPage) -> Result<(), FormRefusal> {
    let too_long = [
        ("title", page.title.as_deref(), MAX_TEXT_CHARS),
        ("intro", page.intro.as_deref(), MAX_INTRO_CHARS),
        (
            "thank_you_message",
            page.thank_you_message.as_deref(),
            MAX_TEXT_CHARS,
        ),
    ]
    .into_iter()
    .find(|(_, text, max)| text.is_some_and(|t| t.chars().count() > *max));
    if let Some((what, _, max)) = too_long {
        return refuse(
            "invalid_page",
            format!(
                "the {} is longer than {max} characters",
                what.replace('_', " ")
            ),
            vec![what.to_string()],
        );
    }
    Ok(())
}

/// The CRM fields the form writes exist on leads or contacts and may be written.
fn check_crm_fields(
    fields: &[FormField],
    lead_defs: &[FieldDef],
    contact_defs: &[FieldDef],
) -> Result<(), FormRefusal> {
    let mut unknown = Vec::new();
    let mut read_only = Vec::new();
    for crm in fields.iter().filter_map(|f| f.crm_field.as_ref()) {
        let def = find_def(lead_defs, crm).or_else(|| find_def(contact_defs, crm));
        match def {
            None => unknown.push(crm.clone()),
            Some(d) if d.read_only => read_only.push(crm.clone()),
            Some(_) => {}
        }
    }
    if !unknown.is_empty() {
        return refuse(
            "unknown_fields",
            format!("the CRM has no lead or contact field {}", quoted(&unknown)),
            unknown,
        );
    }
    if !read_only.is_empty() {
        return refuse(
            "read_only_fields",
            format!(
                "the CRM maintains {} itself; a form cannot write them",
                quoted(&read_only)
            ),
            read_only,
        );
    }
    Ok(())
}

/// Fields that look like address data reach a CRM field (else their values would be
/// lost on the way).
fn check_address_fields(
    fields: &[FormField],
    resolver: &FieldResolver<'_>,
) -> Result<(), FormRefusal> {
    let unmapped: Vec<String> = fields
        .iter()
        .filter(|f| {
            address_usage_for_header(&f.name).is_some() && resolver.crm_field(&f.name).is_none()
        })
        .map(|f| f.name.clone())
        .collect();
    if !unmapped.is_empty() {
        return refuse(
            "unmapped_address_fields",
            format!(
                "the address fields {} are not mapped: give each a system usage (e.g. business_city) or a CRM field, or map them in Standard Field Names",
                quoted(&unmapped)
            ),
            unmapped,
        );
    }
    Ok(())
}

/// The form has a field holding the submitter's email.
fn check_email_field(resolver: &FieldResolver<'_>) -> Result<(), FormRefusal> {
    let email = resolver.email_field();
    if resolver.declared(&email).is_none() {
        return refuse(
            "no_email_field",
            "the form needs an email field: map one to the usage 'email' or name it 'email'"
                .to_string(),
            vec![],
        );
    }
    Ok(())
}

/// The fields a submission updates on an existing record are CRM fields the form fills.
fn check_update_fields(
    form: &FormSettings,
    resolver: &FieldResolver<'_>,
) -> Result<(), FormRefusal> {
    let mapped: Vec<String> = form
        .fields
        .iter()
        .filter_map(|f| resolver.crm_field(&f.name))
        .collect();
    let not_mapped: Vec<String> = form
        .update_fields
        .iter()
        .filter(|u| !mapped.iter().any(|m| m.eq_ignore_ascii_case(u)))
        .cloned()
        .collect();
    if !not_mapped.is_empty() {
        return refuse(
            "update_fields_not_mapped",
            format!(
                "update_fields {} are not CRM fields any form field maps to",
                quoted(&not_mapped)
            ),
            not_mapped,
        );
    }
    Ok(())
}

/// A thank-you URL is valid and saved in its normal form (see [`thank_you_url`]).
fn check_saved_thank_you_url(form: &FormSettings) -> Result<(), FormRefusal> {
    let Some(url) = &form.thank_you_url else {
        return Ok(());
    };
    let normal = thank_you_url(url)?;
    if normal != *url {
        return refuse(
            "invalid_thank_you_url",
            format!("thank_you_url '{url}' is not in its normal form '{normal}'"),
            vec!["thank_you_url".into()],
        );
    }
    Ok(())
}

/// The thank-you URL as a form stores it and a browser is redirected to: parsed and
/// serialised again, so what the URL parser made of it is what the `Location` header
/// carries. The parser (like a browser) drops tabs and newlines and percent-encodes
/// spaces and other characters a header cannot hold, so the raw text it accepted may not
/// be a valid header value while its serialisation always is. Refused unless it is an
/// absolute http(s) URL with a host.
pub fn thank_you_url(raw: &str) -> Result<String, FormRefusal> {
    let parsed = url::Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    match parsed {
        Some(url) => Ok(url.to_string()),
        None => Err(Refusal {
            code: "invalid_thank_you_url",
            message: format!(
                "thank_you_url '{}' must be an absolute http(s) URL",
                raw.escape_debug()
            ),
            names: vec!["thank_you_url".into()],
        }),
    }
}

#[cfg(test)]
mod tests {
    use listbridge_connector::FieldType;

    use super::*;
    use crate::{
        domain::field_usage::SystemUsage,
        engine::test_vocabulary::TestVocabulary,
        forms::mapping::tests::field,
        store::{ConnectorId, FormField},
    };

    fn def(name: &str, read_only: bool) -> FieldDef {
        FieldDef {
            name: name.into(),
            label: name.into(),
            field_type: FieldType::Text,
            max_length: Some(64),
            required: false,
            read_only,
            custom: false,
        }
    }

    fn settings(fields: Vec<FormField>) -> FormSettings {
        FormSettings {
            name: "Contact us".into(),
            connector_id: ConnectorId(uuid::Uuid::nil()),
            fields,
            update_fields: vec![],
            create_new_leads: true,
            keep_unknown_fields: false,
            thank_you_url: None,
            page: Default::default(),
        }
    }

    fn defs() -> Vec<FieldDef> {
        vec![
            def("email", false),
            def("first_name", false),
            def("Region", false),
            def("created_at", true),
        ]
    }

    #[test]
    fn a_hidden_field_cannot_be_required() {
        let mut campaign = field("campaign", None, None);
        campaign.kind = crate::store::FormFieldKind::Hidden;
        campaign.required = true;
        let form = settings(vec![field("email", None, None), campaign]);
        let err = check_form(&form, &[], &TestVocabulary, &defs(), &defs()).unwrap_err();
        assert_eq!(err.code, "required_hidden_field");
        assert_eq!(err.names, ["campaign"]);
    }

    #[test]
    fn unmapped_address_fields_are_named() {
        let form = settings(vec![
            field("email", None, None),
            field("City", None, None),
            field("zip", None, None),
            field("street", Some(SystemUsage::BusinessStreet), None),
        ]);
        let usages = [FieldUsage {
            column: "Zip".into(),
            usage: "business_postal_code".into(),
        }];
        let err = check_form(&form, &usages, &TestVocabulary, &defs(), &defs()).unwrap_err();
        assert_eq!(err.code, "unmapped_address_fields");
        assert_eq!(err.names, ["City"]);
        assert!(err.message.contains("'City'"), "{}", err.message);
    }

    #[test]
    fn unknown_read_only_and_update_fields_are_refused() {
        let mut form = settings(vec![
            field("email", None, None),
            field("x", None, Some("Nope")),
        ]);
        assert_eq!(
            check_form(&form, &[], &TestVocabulary, &defs(), &defs())
                .unwrap_err()
                .names,
            ["Nope"]
        );
        form.fields[1].crm_field = Some("created_at".into());
        assert_eq!(
            check_form(&form, &[], &TestVocabulary, &defs(), &defs())
                .unwrap_err()
                .code,
            "read_only_fields"
        );
        form.fields[1].crm_field = Some("Region".into());
        form.update_fields = vec!["Region".into(), "first_name".into()];
        let err = check_form(&form, &[], &TestVocabulary, &defs(), &defs()).unwrap_err();
        assert_eq!(err.code, "update_fields_not_mapped");
        assert_eq!(err.names, ["first_name"]);
        form.update_fields = vec!["region".into()];
        assert_eq!(
            check_form(&form, &[], &TestVocabulary, &defs(), &defs()),
            Ok(())
        );
    }

    #[test]
    fn needs_an_email_field_and_a_good_thank_you_url() {
        let mut form = settings(vec![field("first", Some(SystemUsage::FirstName), None)]);
        assert_eq!(
            check_form(&form, &[], &TestVocabulary, &defs(), &defs())
                .unwrap_err()
                .code,
            "no_email_field"
        );
        form.fields
            .push(field("E-mail", Some(SystemUsage::Email), None));
        form.thank_you_url = Some("javascript:alert(1)".into());
        assert_eq!(
            check_form(&form, &[], &TestVocabulary, &defs(), &defs())
                .unwrap_err()
                .code,
            "invalid_thank_you_url"
        );
        form.thank_you_url = Some("https://example.com/thanks".into());
        assert_eq!(
            check_form(&form, &[], &TestVocabulary, &defs(), &defs()),
            Ok(())
        );
    }

    #[test]
    fn thank_you_urls_are_stored_in_their_normal_form() {
        let normal = thank_you_url("https://www.Example.com/thank\tyou\n?from= web form");
        assert_eq!(
            normal.as_deref(),
            Ok("https://www.example.com/thankyou?from=%20web%20form")
        );
        let normal = normal.unwrap_or_default();
        assert!(
            axum::http::HeaderValue::from_str(&normal).is_ok(),
            "a valid Location header: {normal}"
        );
        assert_eq!(
            thank_you_url("https://example.com").as_deref(),
            Ok("https://example.com/")
        );
        for bad in [
            "/thanks",
            "mailto:a@example.com",
            "file:///etc/passwd",
            "http://",
        ] {
            let err = thank_you_url(bad).unwrap_err();
            assert_eq!(err.code, "invalid_thank_you_url", "{bad}");
            assert_eq!(err.names, ["thank_you_url"]);
        }
        // A raw URL the parser would change is not what a saved form holds.
        let mut form = settings(vec![field("email", None, None)]);
        form.thank_you_url = Some("https://example.com/a\tb".into());
        assert_eq!(
            check_form(&form, &[], &TestVocabulary, &defs(), &defs())
                .unwrap_err()
                .code,
            "invalid_thank_you_url"
        );
    }
}
