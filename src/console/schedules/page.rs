//! `GET/POST /lists/{id}/schedule` and `/segments/{id}/schedule`: the schedule form
//! of a list or segment under its header, the next three runs in the schedule's time
//! zone, how many of the account's ten places are used, and *Remove schedule*. Saved
//! through [`ScheduleService`], like `PUT /v1/…/schedule`; a refusal shows the form
//! again with the message beside its control and everything typed kept.

use axum::Form as Posted;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::values::{DAYS, FREQUENCIES, ScheduleValues, errors_for};
use crate::console::prelude::*;
use crate::{
    console::{
        list_page::head::{self as list_head, ListHead, ListPath, Tab},
        people::account_admin,
        segments::{SegmentHead, SegmentPath, SegmentTab},
    },
    error::ApiError,
    lists::manage,
    scheduling::{ScheduleDetails, ScheduleError, ScheduleService, rule::parse_zone},
    store::{AccountId, DEFAULT_TIME_ZONE, SCHEDULE_LIMIT, ScheduleTarget, ScheduledTarget},
};

/// One of the ten scheduled lists or segments, linked to its schedule.
#[derive(Debug, Clone)]
pub struct Holder {
    /// Its name (`list / segment` for a segment).
    pub name: String,
    /// Its schedule page.
    pub href: String,
}

/// What the saved schedule does next.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// A schedule is saved.
    pub saved: bool,
    /// Switched off.
    pub disabled: bool,
    /// Paused by a connector reset.
    pub paused: bool,
    /// The next runs, in the schedule's time zone.
    pub next_runs: Vec<String>,
    /// The zone they are shown in.
    pub zone: String,
}

/// The schedule page.
#[derive(Template)]
#[template(path = "console/schedule.html")]
struct SchedulePage {
    layout: Layout,
    head: Option<ListHead>,
    segment: Option<SegmentHead>,
    notice: String,
    action: String,
    values: ScheduleValues,
    errors: FieldErrors,
    status: Status,
    places: String,
    holders: Vec<Holder>,
    account_zone: String,
    frequencies: &'static [(&'static str, &'static str)],
    days: &'static [(&'static str, &'static str)],
}

impl SchedulePage {
    fn invalid(&self, field: &str) -> &'static str {
        if self.errors.get(field).is_empty() {
            "false"
        } else {
            "true"
        }
    }
}

/// `?done=` after saving or removing.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The list or segment a schedule page is about, with its header.
enum Owner {
    List(ListHead),
    Segment(SegmentHead),
}

impl Owner {
    async fn list(
        state: &AppState,
        account: AccountId,
        path: ListPath,
    ) -> Result<Self, ConsoleError> {
        let list = manage::require_list(state, account, path.0)
            .await
            .map_err(list_head::fail)?;
        Ok(Owner::List(
            ListHead::load(state, account, &list, Tab::Schedule).await?,
        ))
    }

    async fn segment(
        state: &AppState,
        account: AccountId,
        path: SegmentPath,
    ) -> Result<Self, ConsoleError> {
        Ok(Owner::Segment(
            SegmentHead::load(state, account, path.0, SegmentTab::Schedule).await?,
        ))
    }

    fn target(&self) -> Result<ScheduleTarget, ConsoleError> {
        let bad = |_| ConsoleError::NotFound("There is no such page.".into());
        Ok(match self {
            Owner::List(head) => ScheduleTarget::List(head.id.parse().map_err(bad)?),
            Owner::Segment(head) => ScheduleTarget::Segment(head.id.parse().map_err(bad)?),
        })
    }

    fn path(&self) -> String {
        match self {
            Owner::List(head) => format!("/lists/{}/schedule", head.id),
            Owner::Segment(head) => format!("/segments/{}/schedule", head.id),
        }
    }
}

/// `GET /lists/{id}/schedule`.
pub async fn show_list(
    State(state): State<AppState>,
    viewer: Viewer,
    path: ListPath,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    let owner = Owner::list(&state, viewer.account_id(), path).await?;
    show(&state, &viewer, owner, done).await
}

/// `GET /segments/{id}/schedule`.
pub async fn show_segment(
    State(state): State<AppState>,
    viewer: Viewer,
    path: SegmentPath,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    let owner = Owner::segment(&state, viewer.account_id(), path).await?;
    show(&state, &viewer, owner, done).await
}

/// `POST /lists/{id}/schedule`: save (or, with `action=remove`, remove) the schedule.
pub async fn save_list(
    State(state): State<AppState>,
    viewer: Viewer,
    path: ListPath,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let owner = Owner::list(&state, viewer.account_id(), path).await?;
    save(&state, &viewer, owner, &pairs).await
}

/// `POST /segments/{id}/schedule`: save (or, with `action=remove`, remove) the schedule.
pub async fn save_segment(
    State(state): State<AppState>,
    viewer: Viewer,
    path: SegmentPath,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let owner = Owner::segment(&state, viewer.account_id(), path).await?;
    save(&state, &viewer, owner, &pairs).await
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    owner: Owner,
    done: Done,
) -> Result<Response, ConsoleError> {
    let service = ScheduleService::new(state);
    let (values, status) = match service.get(viewer.account_id(), owner.target()?).await {
        Ok(details) => (
            ScheduleValues::of(&details.rule, details.schedule.enabled),
            status_of(&details),
        ),
        // The list or segment was found above: what is missing is the schedule.
        Err(ScheduleError::NotFound(_)) => (ScheduleValues::blank(), Status::default()),
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let notice = match done.done.as_deref() {
        Some("saved") => "Schedule saved.",
        Some("removed") => "Schedule removed. It no longer runs by itself.",
        _ => "",
    };
    let page = Context {
        values,
        errors: FieldErrors::none(),
        status,
        holders: Vec::new(),
        notice,
    };
    render(state, viewer, owner, page, StatusCode::OK).await
}

async fn save(
    state: &AppState,
    viewer: &Viewer,
    owner: Owner,
    pairs: &[(String, String)],
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let service = ScheduleService::new(state);
    let target = owner.target()?;
    let values = ScheduleValues::parse(pairs);
    if values.action == "remove" {
        return match service.delete(account, target).await {
            Ok(()) | Err(ScheduleError::NotFound(_)) => {
                Ok(Redirect::to(&format!("{}?done=removed", owner.path())).into_response())
            }
            Err(e) => Err(ApiError::from(e).into()),
        };
    }
    let zone = account_zone(state, account).await;
    let request = match values.request(&zone) {
        Ok(request) => request,
        Err(errors) => {
            let page = Context::refused(values, errors, Vec::new());
            return render(state, viewer, owner, page, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let err = match service.put(account, target, request).await {
        Ok(_) => return Ok(Redirect::to(&format!("{}?done=saved", owner.path())).into_response()),
        Err(err) => err,
    };
    let holders = match &err {
        ScheduleError::LimitReached { scheduled } => scheduled.iter().map(holder).collect(),
        _ => Vec::new(),
    };
    let api = ApiError::from(err);
    if api.status().is_server_error() || api.status() == StatusCode::NOT_FOUND {
        return Err(api.into());
    }
    let errors = if holders.is_empty() {
        errors_for(&api)
    } else {
        FieldErrors::on(
            "enabled",
            format!(
                "{SCHEDULE_LIMIT} lists are already scheduled, the most an account may have. \
                 Switch off or remove one of these schedules first:"
            ),
        )
    };
    let status = api.status();
    render(
        state,
        viewer,
        owner,
        Context::refused(values, errors, holders),
        status,
    )
    .await
}

/// What differs between showing the form and showing it refused.
struct Context {
    values: ScheduleValues,
    errors: FieldErrors,
    status: Status,
    holders: Vec<Holder>,
    notice: &'static str,
}

impl Context {
    fn refused(values: ScheduleValues, errors: FieldErrors, holders: Vec<Holder>) -> Self {
        Context {
            values,
            errors,
            status: Status::default(),
            holders,
            notice: "",
        }
    }
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    owner: Owner,
    context: Context,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let scheduled = ScheduleService::new(state)
        .scheduled(account)
        .await
        .map_err(ConsoleError::service)?;
    let places = format!("{} of {SCHEDULE_LIMIT} lists scheduled", scheduled.len());
    let action = owner.path();
    let (head, segment) = match owner {
        Owner::List(head) => (Some(head), None),
        Owner::Segment(segment) => (None, Some(segment)),
    };
    SchedulePage {
        layout: Layout::new(viewer, Section::Lists),
        head,
        segment,
        notice: context.notice.to_string(),
        action,
        values: context.values,
        errors: context.errors,
        status: context.status,
        places,
        holders: context.holders,
        account_zone: account_zone(state, account).await,
        frequencies: &FREQUENCIES,
        days: &DAYS,
    }
    .respond(status)
}

/// The account's default time zone: what an empty time-zone field means when the
/// browser did not fill it (no script). UTC when it cannot be read.
async fn account_zone(state: &AppState, account: AccountId) -> String {
    match account_admin(state).settings(account).await {
        Ok(settings) => settings.time_zone,
        Err(e) => {
            tracing::warn!(error = %e, "account time zone unreadable; using UTC");
            DEFAULT_TIME_ZONE.to_string()
        }
    }
}

fn holder(target: &ScheduledTarget) -> Holder {
    let href = match target.target {
        ScheduleTarget::List(id) => format!("/lists/{id}/schedule"),
        ScheduleTarget::Segment(id) => format!("/segments/{id}/schedule"),
    };
    Holder {
        name: target.name.clone(),
        href,
    }
}

fn status_of(details: &ScheduleDetails) -> Status {
    let zone = details.rule.time_zone.clone();
    Status {
        saved: true,
        disabled: !details.schedule.enabled,
        paused: details.schedule.paused,
        next_runs: details
            .next_runs
            .iter()
            .map(|at| local(*at, &zone))
            .collect(),
        zone,
    }
}

/// An instant in the schedule's zone: `Tue 11 Mar 2025, 06:00 GMT`.
fn local(at: DateTime<Utc>, zone: &str) -> String {
    match parse_zone(zone) {
        Ok(tz) => at
            .with_timezone(&tz)
            .format("%a %-d %b %Y, %H:%M %Z")
            .to_string(),
        Err(_) => words::when(at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_times_are_shown_in_the_schedule_zone() {
        let at = DateTime::parse_from_rfc3339("2025-07-01T05:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap();
        assert_eq!(local(at, "Europe/London"), "Tue 1 Jul 2025, 06:00 BST");
        assert_eq!(local(at, "nowhere"), "1 Jul 2025, 05:00 UTC");
    }
}
