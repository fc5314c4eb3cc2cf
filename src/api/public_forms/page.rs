//! The hosted form page (`GET /f/{form_key}`) and the thank-you page: small, accessible
//! HTML with no script, styled by the console's stylesheet, so a marketer without a web
//! site of their own can link to a form. The same view model renders the embed snippet
//! in the console, so both post the same field names (and carry the same honeypot).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use crate::{
    domain::field_usage::SystemUsage,
    forms::{HONEYPOT_FIELD, IntakeError},
    store::{Form, FormField, FormFieldKind},
};

/// The hosted pages' own policy: no script at all, styles from here only, and forms
/// may be redirected to the marketer's thank-you page on another site (the console's
/// `form-action 'self'` would stop that redirect in Chrome).
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'";

/// What a visitor sees when a field needs a value.
const FILL_IN: &str = "Please fill in this field.";

/// One option of a select field.
#[derive(Debug, Clone)]
pub struct OptionView {
    /// The option's text (also its value).
    pub value: String,
    /// Chosen.
    pub selected: bool,
}

/// One field as the page shows it.
#[derive(Debug, Clone)]
pub struct FieldView {
    /// The `name` it posts as.
    pub name: String,
    /// A safe element id.
    pub id: String,
    /// The label.
    pub label: String,
    /// `text`, `email`, `tel`, `select`, `checkbox` or `hidden`.
    pub control: &'static str,
    /// Must be filled in.
    pub required: bool,
    /// The `autocomplete` hint, or "".
    pub autocomplete: &'static str,
    /// The value typed (or from the URL, for a hidden field).
    pub value: String,
    /// A select's options.
    pub options: Vec<OptionView>,
    /// The message beside it, or "".
    pub error: String,
}

impl FieldView {
    /// Whether a checkbox is ticked.
    pub fn checked(&self) -> bool {
        !self.value.trim().is_empty()
    }
}

/// The hosted page.
#[derive(Template)]
#[template(path = "public/form.html")]
pub struct HostedPage {
    /// Where it posts.
    pub action: String,
    /// The heading.
    pub title: String,
    /// The paragraph under it, or "".
    pub intro: String,
    /// The fields in order.
    pub fields: Vec<FieldView>,
    /// The honeypot's name.
    pub honeypot: &'static str,
    /// A message about the whole submission, or "".
    pub general: String,
    /// The stylesheet's version (cache busting).
    pub version: &'static str,
}

/// The embed snippet: the same fields as a plain form for the marketer's own site.
#[derive(Template)]
#[template(path = "public/embed.html")]
pub struct EmbedSnippet {
    /// The absolute URL it posts to.
    pub action: String,
    /// The fields in order (empty values).
    pub fields: Vec<FieldView>,
    /// The honeypot's name.
    pub honeypot: &'static str,
}

/// The thank-you page.
#[derive(Template)]
#[template(path = "public/thank_you.html")]
struct ThankYouPage {
    title: String,
    message: String,
    version: &'static str,
}

/// A usage's `autocomplete` token.
fn autocomplete(usage: Option<SystemUsage>, kind: FormFieldKind) -> &'static str {
    match usage {
        Some(SystemUsage::Email) => "email",
        Some(SystemUsage::FirstName) => "given-name",
        Some(SystemUsage::LastName) => "family-name",
        Some(SystemUsage::Company) => "organization",
        Some(SystemUsage::Title) => "organization-title",
        Some(SystemUsage::WorkPhone | SystemUsage::MobilePhone | SystemUsage::HomePhone) => "tel",
        Some(SystemUsage::Website) => "url",
        Some(SystemUsage::BusinessStreet) => "street-address",
        Some(SystemUsage::BusinessCity) => "address-level2",
        Some(SystemUsage::BusinessState) => "address-level1",
        Some(SystemUsage::BusinessPostalCode) => "postal-code",
        Some(SystemUsage::BusinessCountry) => "country-name",
        None => match kind {
            FormFieldKind::Email => "email",
            FormFieldKind::Phone => "tel",
            _ => "",
        },
    }
}

/// An element id made of the field's position and its name's safe characters.
fn element_id(index: usize, name: &str) -> String {
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    format!("f{index}-{safe}")
}

/// The usage a field has by its mapping or, failing that, by its name.
fn usage_of(field: &FormField) -> Option<SystemUsage> {
    field.usage.or_else(|| SystemUsage::parse(&field.name))
}

/// The fields of a form as controls, with `values` typed (by field name, any case)
/// and `errors` beside them.
pub fn field_views(
    form: &Form,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
) -> Vec<FieldView> {
    let lookup = |map: &BTreeMap<String, String>, name: &str| {
        map.iter()
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name.trim()))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    form.settings
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let usage = usage_of(f);
            let is_email = usage == Some(SystemUsage::Email);
            let value = lookup(values, &f.name);
            let control = match f.kind {
                FormFieldKind::Email => "email",
                FormFieldKind::Phone => "tel",
                FormFieldKind::Select => "select",
                FormFieldKind::Checkbox => "checkbox",
                FormFieldKind::Hidden => "hidden",
                FormFieldKind::Text if is_email => "email",
                FormFieldKind::Text => "text",
            };
            FieldView {
                name: f.name.clone(),
                id: element_id(i, &f.name),
                label: f.shown_label().to_string(),
                control,
                required: (f.required || is_email) && f.kind != FormFieldKind::Hidden,
                autocomplete: autocomplete(usage, f.kind),
                options: f
                    .options
                    .iter()
                    .map(|o| OptionView {
                        selected: *o == value,
                        value: o.clone(),
                    })
                    .collect(),
                value,
                error: lookup(errors, &f.name),
            }
        })
        .collect()
}

/// The hosted page of `form` for a first visit: hidden fields filled from the query
/// string, the rest empty.
pub fn first_visit(form: &Form, query: &HashMap<String, String>) -> Response {
    let values: BTreeMap<String, String> = form
        .settings
        .fields
        .iter()
        .filter(|f| f.kind == FormFieldKind::Hidden)
        .filter_map(|f| query.get(&f.name).map(|v| (f.name.clone(), v.clone())))
        .collect();
    hosted(
        form,
        &values,
        &BTreeMap::new(),
        String::new(),
        StatusCode::OK,
    )
}

/// The hosted page again after a refused browser post, when the refusal is about
/// fields (each message beside its field, every value kept); `None` for any other
/// refusal, which is answered as the JSON intake answers it.
pub fn refused(
    form: &Form,
    values: &BTreeMap<String, String>,
    err: &IntakeError,
) -> Option<Response> {
    let mut errors = BTreeMap::new();
    let general = match err {
        IntakeError::Missing { fields } => {
            for f in fields {
                errors.insert(f.clone(), FILL_IN.to_string());
            }
            "Some required fields are empty."
        }
        IntakeError::NoEmail { field } => {
            errors.insert(field.clone(), "Please enter your email address.".into());
            "Your email address is missing."
        }
        IntakeError::InvalidEmail { source, field } => {
            errors.insert(
                field.clone(),
                format!("This is not an email address: {source}."),
            );
            "Your email address looks wrong."
        }
        _ => return None,
    };
    let shown = form
        .settings
        .fields
        .iter()
        .any(|f| errors.keys().any(|e| e.eq_ignore_ascii_case(&f.name)));
    let general = if shown {
        general.to_string()
    } else {
        err.to_string()
    };
    Some(hosted(
        form,
        values,
        &errors,
        general,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

fn hosted(
    form: &Form,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
    general: String,
    status: StatusCode,
) -> Response {
    let page = &form.settings.page;
    let html = HostedPage {
        action: format!("/f/{}", form.form_key),
        title: page
            .title
            .clone()
            .unwrap_or_else(|| form.settings.name.clone()),
        intro: page.intro.clone().unwrap_or_default(),
        fields: field_views(form, values, errors),
        honeypot: HONEYPOT_FIELD,
        general,
        version: env!("CARGO_PKG_VERSION"),
    }
    .render();
    answer(html, status)
}

/// The thank-you page of `form` (its message, or a plain thank-you).
pub fn thank_you(form: &Form) -> Response {
    let page = &form.settings.page;
    let html = ThankYouPage {
        title: page
            .title
            .clone()
            .unwrap_or_else(|| "Thank you".to_string()),
        message: page
            .thank_you_message
            .clone()
            .unwrap_or_else(|| "Thank you. Your submission has been received.".to_string()),
        version: env!("CARGO_PKG_VERSION"),
    }
    .render();
    answer(html, StatusCode::OK)
}

/// Adds the hosted pages' policy to any of their answers (a redirect to the thank-you
/// URL included).
pub fn with_policy(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}

fn answer(html: Result<String, askama::Error>, status: StatusCode) -> Response {
    match html {
        Ok(html) => with_policy((status, Html(html)).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "rendering a hosted form page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
