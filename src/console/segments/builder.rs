//! The segment builder (`/lists/{id}/segments/new`, `/segments/{id}/edit`): name,
//! all/any and condition rows (column, operator, value). *Add condition* is a submit
//! button that shows the form again with one more row, so no script is needed; htmx
//! refreshes the live member count ([`count`]) while the marketer types. Saved through
//! [`segments::create`] and [`segments::update`], like the JSON API; a refusal shows
//! the form again with the message beside the name or the row it is about.

use axum::{Form as Posted, response::Html};

use super::{
    builder_values::{BuilderValues, errors_for, row_key},
    head::{SegmentHead, SegmentPath, SegmentTab},
};
use crate::console::prelude::*;
use crate::{
    console::list_page::head::{ListHead, ListPath, Tab, fail, list_id},
    domain::segment_filter::Operator,
    error::ApiError,
    lists::{ListError, manage, segments},
    store::{AccountId, ListId},
};

/// One choice of a select control.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The value posted.
    pub value: String,
    /// What the marketer reads.
    pub label: String,
}

/// The live count under the conditions: the fragment htmx swaps in.
#[derive(Template)]
#[template(path = "console/segment_count.html")]
pub struct CountFragment {
    /// "12 members match", or why the conditions cannot be counted yet.
    pub text: String,
    /// The text is a problem with the conditions, not a count.
    pub incomplete: bool,
}

/// The builder page.
#[derive(Template)]
#[template(path = "console/segment_builder.html")]
struct BuilderPage {
    layout: Layout,
    head: Option<ListHead>,
    segment: Option<SegmentHead>,
    notice: String,
    list_id: String,
    action: String,
    values: BuilderValues,
    errors: FieldErrors,
    columns: Vec<Choice>,
    operators: Vec<Choice>,
    count: CountFragment,
}

impl BuilderPage {
    fn row_error(&self, index: &usize) -> &str {
        self.errors.get(&row_key(*index))
    }

    fn row_invalid(&self, index: &usize) -> &'static str {
        if self.row_error(index).is_empty() {
            "false"
        } else {
            "true"
        }
    }
}

/// What a builder page is about: a new segment of a list, or a saved one.
enum Editing {
    New(ListHead),
    Saved(SegmentHead),
}

/// `GET /lists/{id}/segments/new`: an empty builder.
pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(list): ListPath,
) -> Result<Response, ConsoleError> {
    let editing = Editing::New(list_head(&state, viewer.account_id(), list).await?);
    let values = BuilderValues::blank();
    page(
        &state,
        &viewer,
        editing,
        values,
        FieldErrors::none(),
        StatusCode::OK,
    )
    .await
}

/// `POST /lists/{id}/segments/new`: saves the new segment (or adds a row).
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    ListPath(list): ListPath,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let editing = Editing::New(list_head(&state, account, list).await?);
    let values = BuilderValues::parse(&pairs);
    let saving = state.clone();
    submit(&state, &viewer, editing, values, |name, filter| async move {
        segments::create(&saving, account, list, &name, &filter).await
    })
    .await
}

/// `GET /segments/{id}/edit`: the saved segment's builder.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    SegmentPath(id): SegmentPath,
) -> Result<Response, ConsoleError> {
    let (head, detail) =
        SegmentHead::load_detail(&state, viewer.account_id(), id, SegmentTab::Edit).await?;
    let values = BuilderValues::of(&detail.segment.name, &detail.filter);
    let editing = Editing::Saved(head);
    page(
        &state,
        &viewer,
        editing,
        values,
        FieldErrors::none(),
        StatusCode::OK,
    )
    .await
}

/// `POST /segments/{id}/edit`: saves the segment (or adds a row).
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    SegmentPath(id): SegmentPath,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let head = SegmentHead::load(&state, account, id, SegmentTab::Edit).await?;
    let values = BuilderValues::parse(&pairs);
    let saving = state.clone();
    submit(
        &state,
        &viewer,
        Editing::Saved(head),
        values,
        |name, filter| async move { segments::update(&saving, account, id, &name, &filter).await },
    )
    .await
}

/// `GET /segments/count?list=…&combine=…&column=…&op=…&value=…`: how many of the
/// list's members the conditions select, computed by the same service as the
/// segment's members; a fragment for htmx.
pub async fn count(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Html<String>, ConsoleError> {
    let raw = pairs
        .iter()
        .find(|(k, _)| k == "list")
        .map_or("", |(_, v)| v.as_str());
    let list = list_id(raw)?;
    let values = BuilderValues::parse(&pairs);
    Ok(Html(
        count_of(&state, viewer.account_id(), list, &values)
            .await?
            .render()?,
    ))
}

/// A posted builder: *Add condition* shows it again with one more row; else `save`
/// stores it and the browser goes to the segment's members, or the builder comes back
/// with everything typed and the refusal beside the name or its row.
async fn submit<Fut>(
    state: &AppState,
    viewer: &Viewer,
    editing: Editing,
    mut values: BuilderValues,
    save: impl FnOnce(String, crate::domain::segment_filter::SegmentFilter) -> Fut,
) -> Result<Response, ConsoleError>
where
    Fut: Future<Output = Result<segments::SegmentDetail, ListError>>,
{
    if values.action == "more" {
        values.add_row();
        return page(
            state,
            viewer,
            editing,
            values,
            FieldErrors::none(),
            StatusCode::OK,
        )
        .await;
    }
    let (filter, from_row) = match values.filter() {
        Ok(parsed) => parsed,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page(state, viewer, editing, values, errors, status).await;
        }
    };
    let done = match editing {
        Editing::New(_) => "created",
        Editing::Saved(_) => "saved",
    };
    match save(values.name.clone(), filter).await {
        Ok(saved) => Ok(
            Redirect::to(&format!("/segments/{}?done={done}", saved.segment.id)).into_response(),
        ),
        Err(err) => {
            let errors = errors_for(err, &from_row).map_err(ConsoleError::from)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            page(state, viewer, editing, values, errors, status).await
        }
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    editing: Editing,
    values: BuilderValues,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let (head, segment, list_raw, action) = match editing {
        Editing::New(head) => {
            let action = format!("/lists/{}/segments/new", head.id);
            let list_raw = head.id.clone();
            (Some(head), None, list_raw, action)
        }
        Editing::Saved(segment) => {
            let action = format!("/segments/{}/edit", segment.id);
            let list_raw = segment.list_id.clone();
            (None, Some(segment), list_raw, action)
        }
    };
    let list = list_id(&list_raw)?;
    let detail = manage::detail(state, account, list).await.map_err(fail)?;
    let mut columns = vec![
        Choice {
            value: String::new(),
            label: "Choose a column".into(),
        },
        Choice {
            value: "email".into(),
            label: "Email".into(),
        },
    ];
    columns.extend(detail.columns.iter().map(|(c, _)| Choice {
        value: c.name.clone(),
        label: c.name.clone(),
    }));
    // A column typed earlier that the list no longer has stays visible and chosen.
    for row in &values.rows {
        if !row.column.is_empty() && !columns.iter().any(|c| c.value == row.column) {
            columns.push(Choice {
                value: row.column.clone(),
                label: row.column.clone(),
            });
        }
    }
    let operators = Operator::ALL
        .into_iter()
        .map(|op| Choice {
            value: op.as_str().to_string(),
            label: operator_words(op).to_string(),
        })
        .collect();
    let count = count_of(state, account, list, &values).await?;
    BuilderPage {
        layout: Layout::new(viewer, Section::Lists),
        head,
        segment,
        notice: String::new(),
        list_id: list_raw,
        action,
        values,
        errors,
        columns,
        operators,
        count,
    }
    .respond(status)
}

/// The live count of what is typed, or why it cannot be counted yet.
async fn count_of(
    state: &AppState,
    account: AccountId,
    list: ListId,
    values: &BuilderValues,
) -> Result<CountFragment, ConsoleError> {
    let Ok((filter, _)) = values.filter() else {
        return Ok(CountFragment {
            text: "Choose how to compare in every condition to see the count.".into(),
            incomplete: true,
        });
    };
    match segments::count(state, account, list, &filter).await {
        Ok(n) => Ok(CountFragment {
            text: format!(
                "{} {}",
                words::thousands(i64::try_from(n).unwrap_or(i64::MAX)),
                if n == 1 {
                    "member matches"
                } else {
                    "members match"
                }
            ),
            incomplete: false,
        }),
        Err(ListError::Filter(e)) => Ok(CountFragment {
            text: format!("Not counted yet: {e}."),
            incomplete: true,
        }),
        Err(e) => Err(ApiError::from(e).into()),
    }
}

/// How the builder names an operator.
fn operator_words(op: Operator) -> &'static str {
    match op {
        Operator::Equals => "is",
        Operator::NotEquals => "is not",
        Operator::Contains => "contains",
        Operator::StartsWith => "starts with",
        Operator::IsEmpty => "is empty",
        Operator::IsNotEmpty => "is not empty",
        Operator::GreaterThan => "is greater than (number or date)",
        Operator::LessThan => "is less than (number or date)",
    }
}

/// The header of a list's segment pages, with the *Segments* tab marked.
pub async fn list_head(
    state: &AppState,
    account: AccountId,
    list: ListId,
) -> Result<ListHead, ConsoleError> {
    let list = manage::require_list(state, account, list)
        .await
        .map_err(fail)?;
    ListHead::load(state, account, &list, Tab::Segments).await
}
