//! One member: `GET /lists/{id}/members/{member_id}` shows every value in an edit form
//! and saves it (`POST`) through the same service as
//! `PATCH /v1/lists/{id}/members/{member_id}`; *Add member* (`/lists/{id}/members/new`,
//! `POST /lists/{id}/members`); *Remove* behind a confirmation that says the CRM
//! record is kept. A refused form comes back with the message beside its field and
//! everything typed still in it.

use super::head::{DoneQuery, ListHead, ListPath, MemberPath, Tab, fail, form_error, notice};
use crate::console::prelude::*;
use crate::{
    domain::values::Values,
    error::ApiError,
    lists::{
        manage::{self, ListDetail},
        members::{self, MAX_VALUE_CHARS},
    },
    store::Member,
};

/// The form-field name prefix of a column value (`v.` + the column's name).
const VALUE_PREFIX: &str = "v.";

/// One column's input.
#[derive(Debug, Clone)]
pub struct ValueField {
    /// The input's id (column names may hold spaces).
    pub id: String,
    /// The column's name, the label.
    pub column: String,
    /// The input's name: [`VALUE_PREFIX`] + the column's name.
    pub input: String,
    /// The value shown (saved, or as typed after a refusal).
    pub value: String,
    /// The CRM field the column mirrors, or "".
    pub crm_field: String,
    /// Not filled until the next sync.
    pub pending: bool,
    /// The message beside it, or "".
    pub error: String,
}

/// The member as the page describes it.
#[derive(Debug, Clone)]
pub struct MemberView {
    /// Member id, for URLs.
    pub id: String,
    /// Email.
    pub email: String,
    /// The linked CRM record in words, or "".
    pub crm: String,
    /// The record was deleted in the CRM.
    pub crm_deleted: bool,
    /// Opted out of email.
    pub opted_out: bool,
    /// The CRM's reason for refusing the member's last push, or "".
    pub parked: String,
    /// When it was added.
    pub added: String,
}

impl MemberView {
    fn of(member: &Member) -> Self {
        MemberView {
            id: member.id.to_string(),
            email: member.email.clone(),
            crm: member
                .crm
                .as_ref()
                .map(|c| format!("{} {}", c.entity, c.key))
                .unwrap_or_default(),
            crm_deleted: member.crm.as_ref().is_some_and(|c| c.deleted_at.is_some()),
            opted_out: member.opted_out,
            parked: member
                .parked
                .as_ref()
                .map(|p| p.reason.clone())
                .unwrap_or_default(),
            added: crate::console::words::when(member.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "console/member.html")]
struct MemberPage {
    layout: Layout,
    head: ListHead,
    notice: String,
    member: MemberView,
    fields: Vec<ValueField>,
    errors: FieldErrors,
    max_len: usize,
}

#[derive(Template)]
#[template(path = "console/member_new.html")]
struct NewMemberPage {
    layout: Layout,
    head: ListHead,
    notice: String,
    email: String,
    fields: Vec<ValueField>,
    errors: FieldErrors,
    max_len: usize,
}

#[derive(Template)]
#[template(path = "console/member_remove.html")]
struct RemovePage {
    layout: Layout,
    head: ListHead,
    notice: String,
    member: MemberView,
}

impl MemberPage {
    /// The member's page: its saved values, or after a `refusal` what was `submitted`
    /// with the messages beside the fields.
    async fn load(
        state: &AppState,
        viewer: &Viewer,
        detail: &ListDetail,
        member: &Member,
        submitted: &[(String, String)],
        refusal: Option<&ApiError>,
    ) -> Result<Self, ConsoleError> {
        let errors = refusal.map_or_else(FieldErrors::none, errors_of);
        Ok(MemberPage {
            layout: Layout::new(viewer, Section::Lists),
            head: ListHead::load(state, viewer.account_id(), &detail.list, Tab::Members).await?,
            notice: String::new(),
            member: MemberView::of(member),
            fields: value_fields(detail, Some(member), submitted, &errors),
            errors,
            max_len: MAX_VALUE_CHARS,
        })
    }
}

impl NewMemberPage {
    /// The *Add member* form: empty, or after a `refusal` what was typed with the
    /// messages beside the fields.
    async fn load(
        state: &AppState,
        viewer: &Viewer,
        detail: &ListDetail,
        email: String,
        submitted: &[(String, String)],
        refusal: Option<&ApiError>,
    ) -> Result<Self, ConsoleError> {
        let errors = refusal.map_or_else(FieldErrors::none, errors_of);
        Ok(NewMemberPage {
            layout: Layout::new(viewer, Section::Lists),
            head: ListHead::load(state, viewer.account_id(), &detail.list, Tab::Members).await?,
            notice: String::new(),
            email,
            fields: value_fields(detail, None, submitted, &errors),
            errors,
            max_len: MAX_VALUE_CHARS,
        })
    }
}

/// A submitted form, field by field, in order.
type Fields = Vec<(String, String)>;

fn first<'f>(form: &'f Fields, name: &str) -> Option<&'f str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The inputs of every column of the list, holding what was typed (`submitted`, after
/// a refusal), else the member's saved value (none for a new member); then inputs for
/// submitted names the list does not have, so their message has a place beside what
/// was typed.
fn value_fields(
    detail: &ListDetail,
    saved: Option<&Member>,
    submitted: &[(String, String)],
    errors: &FieldErrors,
) -> Vec<ValueField> {
    let value_of = |column: &str| {
        let typed = submitted.iter().find(|(k, _)| k == column);
        match (typed, saved) {
            (Some((_, value)), _) => value.clone(),
            (None, Some(member)) => member
                .values
                .get(column)
                .cloned()
                .flatten()
                .unwrap_or_default(),
            (None, None) => String::new(),
        }
    };
    let mut fields: Vec<ValueField> = detail
        .columns
        .iter()
        .map(|(c, _)| (c.name.clone(), c.crm_field.clone(), c.pending))
        .map(|(column, crm, pending)| (value_of(&column), column, crm, pending))
        .map(|(value, column, crm, pending)| ValueField {
            id: String::new(),
            input: format!("{VALUE_PREFIX}{column}"),
            error: String::new(),
            column,
            value,
            crm_field: crm.unwrap_or_default(),
            pending,
        })
        .collect();
    for (column, value) in submitted {
        if !fields.iter().any(|f| &f.column == column) {
            fields.push(ValueField {
                id: String::new(),
                input: format!("{VALUE_PREFIX}{column}"),
                column: column.clone(),
                value: value.clone(),
                crm_field: String::new(),
                pending: false,
                error: String::new(),
            });
        }
    }
    for (i, field) in fields.iter_mut().enumerate() {
        field.id = format!("value-{}", i + 1);
        field.error = errors.get(&field.input).to_string();
    }
    fields
}

/// The column values of a submitted form, by column name, in order.
fn submitted_values(form: &Fields) -> Vec<(String, String)> {
    form.iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(VALUE_PREFIX)
                .map(|c| (c.to_string(), v.clone()))
        })
        .collect()
}

/// Where the API's error goes: unknown columns beside each, an email problem beside
/// the email, anything else above the form.
fn errors_of(api: &ApiError) -> FieldErrors {
    let details = api.details();
    let field = details
        .and_then(|d| d.get("field"))
        .and_then(|f| f.as_str());
    if api.code() == "unknown_columns" {
        let mut errors = FieldErrors::none();
        let names = details
            .and_then(|d| d.get("columns"))
            .and_then(|c| c.as_array())
            .cloned()
            .unwrap_or_default();
        for name in names.iter().filter_map(|n| n.as_str()) {
            errors.add(
                &format!("{VALUE_PREFIX}{name}"),
                format!("This list has no column “{name}”. {}", api.message()),
            );
        }
        if errors.is_empty() {
            return FieldErrors::form(api.message());
        }
        return errors;
    }
    if field == Some("email") || api.status() == StatusCode::CONFLICT {
        return FieldErrors::on("email", api.message());
    }
    FieldErrors::form(api.message())
}

/// `GET /lists/{id}/members/{member_id}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    MemberPath(id, mid): MemberPath,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let detail = manage::detail(&state, account, id).await.map_err(fail)?;
    let member = members::get(&state, account, id, mid).await.map_err(fail)?;
    let notice = notice(query.done.as_deref(), &detail.list);
    let page = MemberPage::load(&state, &viewer, &detail, &member, &[], None).await?;
    MemberPage { notice, ..page }.respond(StatusCode::OK)
}

/// `POST /lists/{id}/members/{member_id}`: saves the values that changed.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    MemberPath(id, mid): MemberPath,
    Form(form): Form<Fields>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let member = members::get(&state, account, id, mid).await.map_err(fail)?;
    let submitted = submitted_values(&form);
    // Only what the person changed: an untouched blank is not an edit.
    let mut changes = Values::new();
    for (column, value) in &submitted {
        let current = member
            .values
            .get(column)
            .cloned()
            .flatten()
            .unwrap_or_default();
        if *value != current {
            let value = Some(value.clone()).filter(|v| !v.trim().is_empty());
            changes.insert(column.clone(), value);
        }
    }
    let api = match members::edit(&state, account, id, mid, changes).await {
        Ok(_) => {
            return Ok(
                Redirect::to(&format!("/lists/{id}/members/{mid}?done=member_saved"))
                    .into_response(),
            );
        }
        Err(err) => form_error(err)?,
    };
    let detail = manage::detail(&state, account, id).await.map_err(fail)?;
    MemberPage::load(&state, &viewer, &detail, &member, &submitted, Some(&api))
        .await?
        .respond(api.status())
}

/// `GET /lists/{id}/members/new`: the *Add member* form.
pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let detail = manage::detail(&state, account, id).await.map_err(fail)?;
    NewMemberPage::load(&state, &viewer, &detail, String::new(), &[], None)
        .await?
        .respond(StatusCode::OK)
}

/// `POST /lists/{id}/members`: adds the person; blank values are left out.
pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(id): ListPath,
    Form(form): Form<Fields>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let email = first(&form, "email").unwrap_or_default().to_string();
    let submitted = submitted_values(&form);
    let values: Values = submitted
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(c, v)| (c.clone(), Some(v.clone())))
        .collect();
    let api = match members::add(&state, account, id, &email, values).await {
        Ok(member) => {
            return Ok(Redirect::to(&format!(
                "/lists/{id}/members/{}?done=member_added",
                member.id
            ))
            .into_response());
        }
        Err(err) => form_error(err)?,
    };
    let detail = manage::detail(&state, account, id).await.map_err(fail)?;
    NewMemberPage::load(&state, &viewer, &detail, email, &submitted, Some(&api))
        .await?
        .respond(api.status())
}

/// `GET /lists/{id}/members/{member_id}/remove`: what removing does, and the button.
pub async fn confirm_remove(
    State(state): State<AppState>,
    viewer: Viewer,
    MemberPath(id, mid): MemberPath,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let list = manage::require_list(&state, account, id)
        .await
        .map_err(fail)?;
    let member = members::get(&state, account, id, mid).await.map_err(fail)?;
    let page = RemovePage {
        layout: Layout::new(&viewer, Section::Lists),
        head: ListHead::load(&state, account, &list, Tab::Members).await?,
        notice: String::new(),
        member: MemberView::of(&member),
    };
    page.respond(StatusCode::OK)
}

/// `POST /lists/{id}/members/{member_id}/remove`: removes the member from the list.
pub async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    MemberPath(id, mid): MemberPath,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    members::remove(&state, account, id, mid)
        .await
        .map_err(fail)?;
    Ok(Redirect::to(&format!("/lists/{id}?done=member_removed")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_columns_go_beside_each_and_duplicates_beside_the_email() {
        let api = ApiError::unprocessable("unknown_columns", "list 'x' has no column 'Nope'")
            .with_details(serde_json::json!({ "columns": ["Nope"] }));
        let errors = errors_of(&api);
        assert!(errors.get("v.Nope").contains("Nope"));
        let dup = ApiError::conflict("already_exists", "a member with this email already exists");
        assert!(!errors_of(&dup).get("email").is_empty());
        let long = ApiError::unprocessable("invalid_value", "too long")
            .with_details(serde_json::json!({ "field": "values" }));
        assert_eq!(errors_of(&long).general(), "too long");
    }
}
