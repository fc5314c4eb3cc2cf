//! Form intake: accepted submissions per second at the public `/f/{form_key}` endpoint
//! under loopback load from the bench, while the service's workers deliver them to the
//! CRM, and a check that every accepted submission was stored. Its baseline is the rate
//! the same client gets from `GET /healthz` of the same service just before: what the
//! HTTP stack, the client and the machine allow before any form work.
//!
//! The service runs in this process here because the public endpoint's anti-abuse rate
//! limits (30/min per address, 600/min per form by default) are chosen through
//! `app::Services`, not configuration: the bench raises them to measure capacity.

use std::{collections::HashSet, time::Instant};

use anyhow::{Context, bail};
use futures::{StreamExt, stream};
use listbridge::{
    accounts::AccountAdmin,
    app::{self, Services},
    config::Config,
    demo::ApiClient,
    forms::{IntakeLimits, RateQuota},
};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::{crm::CrmAdmin, report::Row};

/// Submissions in flight at once.
const CONCURRENCY: usize = 32;
/// The accepted submissions per second the form endpoint must sustain (BENCHMARKS.md,
/// row 6).
const TARGET_PER_SECOND: f64 = 4_000.0;
/// The share of the `GET /healthz` rate (row 6a) form intake must reach.
const TARGET_SHARE_OF_BASELINE: f64 = 0.25;

/// Rows 6a and 6b: `count` `GET /healthz`, then `count` JSON submissions to a new form,
/// each from the same client at the same concurrency; checks that each accepted
/// submission is stored.
pub async fn form_intake(
    crm: &CrmAdmin,
    work: &std::path::Path,
    count: usize,
    crm_rps: u32,
) -> anyhow::Result<Vec<Row>> {
    let mut config = Config::load_with(None, |_| None)?;
    config.crm.requests_per_second = crm_rps;
    // The fake CRM listens on loopback, which outbound requests may not reach by default.
    config.allow_private_hosts = listbridge_connector::AllowList::loopback();
    config.bind = "127.0.0.1:0".parse()?;
    config.database_url = format!("sqlite://{}?mode=rwc", work.join("forms.db").display());
    let unlimited = RateQuota {
        per_minute: 10_000_000,
        burst: 1_000_000,
    };
    let services = Services {
        form_intake: IntakeLimits {
            per_client: unlimited,
            per_form: unlimited,
            ..IntakeLimits::default()
        },
        ..Services::default()
    };
    let state = app::build_state(&config, services).await?;
    let listener = app::bind(config.bind).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, mut stopped) = watch::channel(false);
    let served = state.clone();
    let server = tokio::spawn(async move {
        app::serve(listener, served, async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await
    });

    let admin = AccountAdmin {
        store: &state.store,
        clock: state.clock.as_ref(),
        random: state.random.as_ref(),
    };
    let (_, key) = admin.create_account("bench-forms").await?;
    let api = ApiClient::new(&base, key.expose())?;
    let result = measure(&api, &base, crm, count, &state.intake_writer).await;
    let _ = stop.send(true);
    let _ = server.await;
    result
}

async fn measure(
    api: &ApiClient,
    base: &str,
    crm: &CrmAdmin,
    count: usize,
    writer: &listbridge::forms::IntakeWriter,
) -> anyhow::Result<Vec<Row>> {
    api.post(
        "connecting the fake CRM",
        "/v1/connectors",
        &crm.kind.connect_body(crm.url()),
    )
    .await?;
    let form = api
        .post(
            "creating the form",
            "/v1/forms",
            &json!({
                "name": "Bench sign-up",
                "fields": [
                    { "name": "email", "usage": "email" },
                    { "name": "first_name", "usage": "first_name" },
                    { "name": "last_name", "usage": "last_name" },
                    { "name": "company", "usage": "company" }
                ]
            }),
        )
        .await?;
    let form_id = form["id"].as_str().context("form without id")?.to_string();
    let submit_url = format!(
        "{base}{}",
        form["submit_path"]
            .as_str()
            .context("form without submit path")?
    );

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()?;
    let baseline = healthz_baseline(&http, base, count).await;
    let started = Instant::now();
    let commits_before = writer.commits();
    let answers: Vec<Option<String>> = stream::iter(0..count)
        .map(|i| {
            let http = http.clone();
            let url = submit_url.clone();
            async move {
                let body = json!({
                    "email": format!("form.{i}@intake.example.com"),
                    "first_name": format!("Form{i}"),
                    "last_name": "Bench",
                    "company": format!("Intake Co {}", i % 50),
                });
                let response = http.post(&url).json(&body).send().await.ok()?;
                if response.status() != reqwest::StatusCode::ACCEPTED {
                    return None;
                }
                let receipt: Value = response.json().await.ok()?;
                receipt["submission_id"].as_str().map(str::to_string)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let commits = writer.commits() - commits_before;
    let accepted: HashSet<String> = answers.into_iter().flatten().collect();
    let per_second = accepted.len() as f64 / seconds;

    let (stored, delivered) = stored_submissions(api, &form_id).await?;
    let lost = accepted.difference(&stored).count();

    let mut row = Row::named("6b. form intake (JSON posts, 32 at once)");
    row.seconds = Some(seconds);
    row.records = Some(accepted.len() as u64);
    row.per_second = Some(per_second);
    row.note = Some(format!(
        "{} of {count} submissions accepted, {lost} of them not stored, in {commits} commits ({:.1} each); {delivered} delivered to the CRM by the end of the check (deliveries run beside the intake, under the connector's request budget); service in the bench process with intake rate limits raised",
        accepted.len(),
        accepted.len() as f64 / commits.max(1) as f64
    ));
    row.target(
        "form intake ≥ 4,000 accepted submissions/s with nothing lost",
        format!(
            "{per_second:.0}/s, {} of {count} accepted, {lost} lost",
            accepted.len()
        ),
        per_second >= TARGET_PER_SECOND && lost == 0 && accepted.len() == count,
    );
    let share = per_second / baseline.per_second.unwrap_or(f64::NAN);
    row.target(
        "form intake ≥ 25% of the GET /healthz rate (row 6a)",
        format!("{:.0}%", share * 100.0),
        share >= TARGET_SHARE_OF_BASELINE,
    );
    Ok(vec![baseline, row])
}

/// Row 6a: `count` `GET /healthz` from the client the form intake uses, at its
/// concurrency; the rate of answered 200s.
async fn healthz_baseline(http: &reqwest::Client, base: &str, count: usize) -> Row {
    let url = format!("{base}/healthz");
    let started = Instant::now();
    let answered = stream::iter(0..count)
        .map(|_| {
            let http = http.clone();
            let url = url.clone();
            async move {
                let response = http.get(&url).send().await.ok()?;
                let ok = response.status() == reqwest::StatusCode::OK;
                response.bytes().await.ok()?;
                ok.then_some(())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(std::future::ready)
        .count()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let mut row = Row::named("6a. GET /healthz, the same client (the form intake's baseline)");
    row.seconds = Some(seconds);
    row.records = Some(answered as u64);
    row.per_second = Some(answered as f64 / seconds);
    if answered != count {
        row.note = Some(format!("{answered} of {count} answered 200"));
    }
    row
}

/// Every stored submission id of the form, and how many are delivered.
async fn stored_submissions(
    api: &ApiClient,
    form_id: &str,
) -> anyhow::Result<(HashSet<String>, usize)> {
    let mut ids = HashSet::new();
    let mut delivered = 0;
    let mut before: Option<String> = None;
    // Bounded: each page holds 500, and no more pages than submissions could fill.
    for _ in 0..10_000 {
        let path = match &before {
            Some(b) => format!("/v1/forms/{form_id}/submissions?limit=500&before={b}"),
            None => format!("/v1/forms/{form_id}/submissions?limit=500"),
        };
        let page = api.get("listing submissions", &path).await?;
        for s in page["submissions"].as_array().into_iter().flatten() {
            if let Some(id) = s["id"].as_str() {
                ids.insert(id.to_string());
            }
            if s["status"] == "delivered" {
                delivered += 1;
            }
        }
        match page["next_before"].as_str() {
            Some(next) => before = Some(next.to_string()),
            None => return Ok((ids, delivered)),
        }
    }
    bail!("more submission pages than expected")
}
