//! `GET /jobs`: the account's jobs, newest first, filtered by status with tabs, each
//! with what it works on in words (linked to the run, form or campaign), its attempts,
//! next attempt and last error. The page costs a fixed number of statements: the
//! counts per status, one page of jobs, and what those jobs work on
//! ([`JobRepo::subjects`]).

use std::collections::HashMap;

use serde::Deserialize;

use crate::console::prelude::*;
use crate::{
    console::{
        campaigns::campaign_url,
        words::{thousands, when},
    },
    store::{Job, JobId, JobKind, JobStatus, JobSubject},
};

/// Jobs shown on one page: the newest (the API lists at most 500 and does not page).
const PAGE: u64 = 100;

/// What the page is asked for.
#[derive(Debug, Deserialize)]
pub struct JobsQuery {
    /// Only jobs of this status; all when absent or unknown.
    status: Option<String>,
    /// The notice to show.
    done: Option<String>,
}

/// A status tab.
struct Tab {
    label: String,
    url: &'static str,
    current: bool,
}

/// One job's row.
struct Row {
    id: String,
    /// What it does, in words.
    what: String,
    /// Its run, form or campaign page.
    href: Option<String>,
    /// Beside the link, e.g. the submission's email.
    detail: String,
    status: &'static str,
    class: &'static str,
    attempts: String,
    /// When it runs (again), for queued and failed jobs.
    next: String,
    next_iso: String,
    queued: String,
    queued_iso: String,
    error: String,
    dead: bool,
}

#[derive(Template)]
#[template(path = "console/jobs.html")]
struct JobsPage {
    layout: Layout,
    notice: &'static str,
    tabs: Vec<Tab>,
    rows: Vec<Row>,
    empty: &'static str,
    capped: bool,
}

const FILTERS: [(&str, Option<JobStatus>, &str); 6] = [
    ("All", None, "/jobs"),
    ("Queued", Some(JobStatus::Queued), "/jobs?status=queued"),
    ("Running", Some(JobStatus::Running), "/jobs?status=running"),
    (
        "Failed, retrying",
        Some(JobStatus::Failed),
        "/jobs?status=failed",
    ),
    ("Dead", Some(JobStatus::Dead), "/jobs?status=dead"),
    (
        "Finished",
        Some(JobStatus::Succeeded),
        "/jobs?status=succeeded",
    ),
];

fn parse_status(raw: &str) -> Option<JobStatus> {
    FILTERS
        .iter()
        .filter_map(|(_, s, _)| *s)
        .find(|s| s.as_str() == raw)
}

/// A job status in words and its badge class.
fn status_words(status: JobStatus) -> (&'static str, &'static str) {
    match status {
        JobStatus::Queued => ("queued", ""),
        JobStatus::Running => ("running", ""),
        JobStatus::Succeeded => ("finished", "ok"),
        JobStatus::Failed => ("failed, will retry", "warn"),
        JobStatus::Dead => ("dead", "bad"),
    }
}

/// What a job does, in words, and the page to see it on.
fn describe(job: &Job, subject: Option<&JobSubject>) -> (String, Option<String>, String) {
    match subject {
        Some(JobSubject::Run {
            run_id,
            kind,
            dry_run,
            segment,
            list_name,
            ..
        }) => {
            let what = match (kind.as_str(), dry_run, segment) {
                (_, true, _) => "A dry run",
                ("import", _, _) => "An import",
                (_, _, true) => "A segment's sync run",
                _ => "A sync run",
            };
            let of = if list_name.is_empty() {
                String::new()
            } else {
                format!(" of “{list_name}”")
            };
            (
                format!("{what}{of}"),
                Some(format!("/runs/{run_id}")),
                String::new(),
            )
        }
        Some(JobSubject::Submission {
            form_id,
            form_name,
            email,
        }) => (
            format!("A form delivery of “{form_name}”"),
            Some(format!("/forms/{form_id}/submissions")),
            email.clone(),
        ),
        Some(JobSubject::NoteBatch { campaign_id }) => (
            format!("A note batch of campaign “{campaign_id}”"),
            Some(campaign_url(campaign_id)),
            String::new(),
        ),
        None => (
            match job.kind {
                JobKind::Run => "An import or sync run",
                JobKind::FormDelivery => "A form delivery",
                JobKind::NoteDelivery => "A note batch",
                JobKind::InteractionDelivery => "A call note batch",
                JobKind::Alert => "An alert",
                JobKind::ConversionRun => "A conversion export run",
            }
            .to_string(),
            None,
            String::new(),
        ),
    }
}

fn row(job: Job, subjects: &HashMap<JobId, JobSubject>) -> Row {
    let (what, href, detail) = describe(&job, subjects.get(&job.id));
    let (status, class) = status_words(job.status);
    let waits = matches!(job.status, JobStatus::Queued | JobStatus::Failed);
    Row {
        id: job.id.to_string(),
        what,
        href,
        detail,
        status,
        class,
        attempts: format!("{} of {}", job.attempts, job.max_attempts),
        next: if waits {
            when(job.run_at)
        } else {
            String::new()
        },
        next_iso: job.run_at.to_rfc3339(),
        queued: when(job.created_at),
        queued_iso: job.created_at.to_rfc3339(),
        error: job.last_error.unwrap_or_default(),
        dead: job.status == JobStatus::Dead,
    }
}

/// `GET /jobs`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<JobsQuery>,
) -> Result<Response, ConsoleError> {
    let account = viewer.account_id();
    let status = query.status.as_deref().and_then(parse_status);
    let jobs_repo = state.store.jobs();
    let fail = |e: crate::store::StoreError| ConsoleError::service(e);
    let counts: HashMap<&'static str, i64> = jobs_repo
        .counts(account)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|(s, n)| (s.as_str(), n))
        .collect();
    let jobs = jobs_repo.list(account, status, PAGE).await.map_err(fail)?;
    let subjects = jobs_repo.subjects(account, &jobs).await.map_err(fail)?;
    let total: i64 = counts.values().sum();
    let tabs = FILTERS
        .iter()
        .map(|(label, s, url)| {
            let n = match s {
                None => total,
                Some(s) => counts.get(s.as_str()).copied().unwrap_or_default(),
            };
            Tab {
                label: format!("{label} ({})", thousands(n)),
                url,
                current: *s == status,
            }
        })
        .collect();
    let empty = match status {
        None => {
            "No background jobs yet. Imports, sync runs, form deliveries to the CRM and \
                 “message sent” note batches run here; when one fails, its error shows on this \
                 page and a dead one can be retried."
        }
        Some(JobStatus::Dead) => {
            "No dead jobs: nothing has failed for good. A job that fails \
                 all its attempts shows here with the CRM's error and a Retry button."
        }
        Some(JobStatus::Failed) => "No job is waiting to retry after a failure.",
        Some(JobStatus::Queued) => "No job is waiting to start.",
        Some(JobStatus::Running) => "No job is running right now.",
        Some(JobStatus::Succeeded) => "No finished jobs yet.",
    };
    let capped = jobs.len() as u64 == PAGE;
    let page = JobsPage {
        layout: Layout::new(&viewer, Section::Jobs),
        notice: match query.done.as_deref() {
            Some("retried") => "The job was put back in the queue with fresh attempts.",
            _ => "",
        },
        tabs,
        rows: jobs.into_iter().map(|j| row(j, &subjects)).collect(),
        empty,
        capped,
    };
    page.respond(StatusCode::OK)
}
