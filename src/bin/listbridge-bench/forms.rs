//! Form intake: accepted submissions per second at the public `/f/{form_key}` endpoint
//! under loopback load from the bench, while the service's workers deliver them to the
//! CRM, and a check that every accepted submission was stored.
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

use crate::report::Row;

/// Submissions in flight at once.
const CONCURRENCY: usize = 32;
/// The accepted submissions per second the form endpoint must sustain (BENCHMARKS.md,
/// row 6).
const TARGET_PER_SECOND: f64 = 2_000.0;

/// Posts `count` JSON submissions to a new form and checks that each accepted one is stored.
pub async fn form_intake(
    crm_url: &str,
    work: &std::path::Path,
    count: usize,
    crm_rps: u32,
) -> anyhow::Result<Row> {
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
    let result = measure(&api, &base, crm_url, count).await;
    let _ = stop.send(true);
    let _ = server.await;
    result
}

async fn measure(api: &ApiClient, base: &str, crm_url: &str, count: usize) -> anyhow::Result<Row> {
    api.post(
        "connecting the fake CRM",
        "/v1/connectors",
        &json!({ "kind": "infor-crm", "base_url": crm_url, "username": "admin", "password": "password" }),
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
    let started = Instant::now();
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
    let accepted: HashSet<String> = answers.into_iter().flatten().collect();
    let per_second = accepted.len() as f64 / seconds;

    let (stored, delivered) = stored_submissions(api, &form_id).await?;
    let lost = accepted.difference(&stored).count();

    let mut row = Row::named("6. form intake (JSON posts, 32 at once)");
    row.seconds = Some(seconds);
    row.records = Some(accepted.len() as u64);
    row.per_second = Some(per_second);
    row.note = Some(format!(
        "{} of {count} submissions accepted, {lost} of them not stored; {delivered} delivered to the CRM by the end of the check (deliveries run beside the intake, under the connector's request budget); service in the bench process with intake rate limits raised",
        accepted.len()
    ));
    row.target(
        "form intake ≥ 2,000 accepted submissions/s with nothing lost",
        format!(
            "{per_second:.0}/s, {} of {count} accepted, {lost} lost",
            accepted.len()
        ),
        per_second >= TARGET_PER_SECOND && lost == 0 && accepted.len() == count,
    );
    Ok(row)
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
