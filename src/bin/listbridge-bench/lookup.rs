//! Caller lookups (row 8): `GET /crm-lookup/{lookup_key}?caller=…&field_name=Title`, the
//! "Custom CRM URL" a phone system calls while a caller waits, answered from the phone
//! index of an account holding every lead of the fake CRM.
//!
//! Seeding: an account whose default phone region is GB, a list of every lead imported
//! with its `WorkPhone` (a phone field, so the import fills the phone index) and `Title`
//! (the field asked for, held by the list: no live CRM read), and a lookup key. The load
//! is open-loop: request `i` is sent at `start + i / rate` whatever the answers before it
//! are doing, and its latency is counted from that planned time, so a stalled service
//! shows in the figures instead of slowing the sender down. Four in five callers are
//! numbers of imported leads (as the CRM holds them, in E.164, and with `0044`), one in
//! five numbers no lead can have (Ofcom's drama range `+44 7700 900xxx`; the fake's
//! numbers never have `090` as their middle group).

use std::{path::Path, sync::Arc, time::Duration};

use anyhow::{Context, bail};
use listbridge::domain::phone::{Region, to_e164};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::{
    console::percentile, crm::CrmAdmin, measure::Session, procs::start_service, report::Row,
};

/// The CRM fields of the lookup list: the phone the index is filled from, and the
/// field the lookups ask for.
const LIST_FIELDS: [&str; 2] = ["WorkPhone", "Title"];
/// The field each lookup asks for (a column of the list, so no CRM request).
const FIELD: &str = "Title";
/// The account's default phone region.
const REGION: &str = "GB";
/// CRM requests per second while seeding: the import is set-up here, not measured.
const SEED_CRM_RPS: u32 = 1_000;
/// Members read back to pick the known callers from (pages of 1,000).
const SAMPLE_PAGES: usize = 5;
/// Lookups sent one after another before the measured load (connections, caches).
const WARM_UP: usize = 100;
/// How long one lookup may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The targets (issue 18, acceptance 5).
const TARGET_P99_MS: f64 = 20.0;

/// The request rate and how long it is kept up.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Lookups per second.
    pub per_second: u32,
    /// Seconds.
    pub seconds: u32,
}

/// The processes the row needs besides its own service.
#[derive(Clone, Copy)]
pub struct Setup<'a> {
    /// `listbridge`.
    pub service_bin: &'a Path,
    /// Its admin side.
    pub admin: &'a CrmAdmin,
}

/// A caller the load sends and whether a lead has that number.
#[derive(Debug, Clone)]
struct Caller {
    number: String,
    known: bool,
}

/// What one lookup came to.
#[derive(Debug)]
struct Outcome {
    /// From the planned send time to the end of the answer's body.
    latency: Duration,
    /// How late the request left against its plan.
    send_lag: Duration,
    /// An error status, a transport error or a timeout (the text of the first).
    failed: Option<String>,
    /// A known number answered "no match", or an unknown one matched.
    wrong: bool,
}

/// Seeds a new account on `database_url` (a service started with `env` added), then
/// sends `load` lookups and returns the row.
pub async fn caller_lookups(
    setup: Setup<'_>,
    label: &str,
    database_url: &str,
    env: &[(&str, String)],
    log: &Path,
    load: Load,
) -> anyhow::Result<Row> {
    let key = crate::create_account(database_url, Some(REGION)).await?;
    let mut env = env.to_vec();
    env.push((
        "LISTBRIDGE_CRM_REQUESTS_PER_SECOND",
        SEED_CRM_RPS.to_string(),
    ));
    let service = start_service(setup.service_bin, database_url, &env, log).await?;
    let session = Session::connect(service, &key, setup.admin.clone()).await?;
    let result = measure(&session, label, load).await;
    session.service.stop().await;
    result
}

async fn measure(session: &Session, label: &str, load: Load) -> anyhow::Result<Row> {
    let (run, seed_seconds, list) = session
        .import_list(&format!("Bench callers ({label})"), &LIST_FIELDS)
        .await?;
    let members = run["counts"]["pulled_new"].as_u64().unwrap_or_default();
    eprintln!("   seeded {members} members in {seed_seconds:.1} s");
    let created = session
        .api
        .post(
            "creating a lookup key",
            "/v1/lookup-keys",
            &json!({ "name": "bench" }),
        )
        .await?;
    let lookup_key = created["lookup_key"]
        .as_str()
        .context("lookup key without key")?;
    let (known, sampled) = known_numbers(session, &list).await?;
    if known.is_empty() {
        bail!("none of {sampled} sampled members has a WorkPhone valid in {REGION}");
    }
    let callers = Arc::new(callers(&known, (load.per_second * load.seconds) as usize));
    let url = Arc::new(format!("{}/crm-lookup/{lookup_key}", session.service.url));
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    for caller in callers.iter().take(WARM_UP) {
        let outcome = lookup(&client, &url, caller, Instant::now()).await;
        if let Some(failed) = outcome.failed {
            bail!("a warm-up lookup failed: {failed}");
        }
    }

    session.crm.reset_stats().await?;
    let interval = Duration::from_secs(1) / load.per_second;
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(callers.len());
    for i in 0..callers.len() {
        let at = start + interval * i as u32;
        tokio::time::sleep_until(at).await;
        let (client, url, callers) = (client.clone(), url.clone(), callers.clone());
        tasks.push(tokio::spawn(async move {
            lookup(&client, &url, &callers[i], at).await
        }));
    }
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.context("a lookup task panicked")?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let counts = session.crm.counts().await?;
    Ok(row(
        label,
        load,
        &outcomes,
        &callers,
        elapsed,
        counts.requests,
        Seeding {
            members,
            seconds: seed_seconds,
            known: known.len(),
            sampled,
        },
    ))
}

/// Numbers of imported leads that are valid in [`REGION`], as the CRM holds them (from
/// the first [`SAMPLE_PAGES`] pages of members); and how many members were read.
async fn known_numbers(session: &Session, list: &str) -> anyhow::Result<(Vec<String>, usize)> {
    let region = Region::parse(REGION);
    let mut known = Vec::new();
    let mut sampled = 0;
    let mut after: Option<String> = None;
    for _ in 0..SAMPLE_PAGES {
        let mut path = format!("/v1/lists/{list}/members?limit=1000");
        if let Some(after) = &after {
            path.push_str(&format!(
                "&after={}",
                url::form_urlencoded::byte_serialize(after.as_bytes()).collect::<String>()
            ));
        }
        let page = session.api.get("reading members", &path).await?;
        let members = page["members"].as_array().context("page without members")?;
        sampled += members.len();
        known.extend(
            members
                .iter()
                .filter_map(|m| m["values"]["WorkPhone"].as_str())
                .filter(|phone| to_e164(phone, region).is_ok())
                .map(str::to_string),
        );
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => break,
        }
    }
    Ok((known, sampled))
}

/// `count` callers: four in five known numbers (in turn as stored, in E.164, with
/// `0044`), one in five unknown.
fn callers(known: &[String], count: usize) -> Vec<Caller> {
    let region = Region::parse(REGION);
    (0..count)
        .map(|i| {
            if i % 5 == 4 {
                return Caller {
                    number: format!("+44 7700 900{:03}", i % 1000),
                    known: false,
                };
            }
            let stored = &known[(i / 5 * 4 + i % 5) % known.len()];
            let e164 = to_e164(stored, region).unwrap_or_else(|_| stored.clone());
            let number = match (i / 5) % 3 {
                0 => stored.clone(),
                1 => e164,
                _ => e164.replacen('+', "00", 1),
            };
            Caller {
                number,
                known: true,
            }
        })
        .collect()
}

/// One lookup planned for `at`.
async fn lookup(client: &reqwest::Client, url: &str, caller: &Caller, at: Instant) -> Outcome {
    let send_lag = Instant::now().saturating_duration_since(at);
    let answer = async {
        let response = client
            .get(url)
            .query(&[("caller", caller.number.as_str()), ("field_name", FIELD)])
            .header("accept", "application/json")
            .send()
            .await?;
        let status = response.status();
        let body = response.bytes().await?;
        anyhow::Ok((status, body))
    }
    .await;
    let latency = at.elapsed();
    let (failed, wrong) = match answer {
        Ok((status, body)) if status.is_success() => {
            let matched = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["matched"].as_bool());
            match matched {
                Some(matched) => (None, matched != caller.known),
                None => (Some(format!("{status} without a JSON answer")), false),
            }
        }
        Ok((status, body)) => (
            Some(format!("{status}: {}", String::from_utf8_lossy(&body))),
            false,
        ),
        Err(e) => (Some(format!("{e:#}")), false),
    };
    Outcome {
        latency,
        send_lag,
        failed,
        wrong,
    }
}

/// How the account was seeded.
struct Seeding {
    members: u64,
    seconds: f64,
    known: usize,
    sampled: usize,
}

fn row(
    label: &str,
    load: Load,
    outcomes: &[Outcome],
    callers: &[Caller],
    elapsed: f64,
    crm_requests: u64,
    seeding: Seeding,
) -> Row {
    let mut times: Vec<Duration> = outcomes.iter().map(|o| o.latency).collect();
    times.sort();
    let (p50, p95, p99) = (
        percentile(&times, 0.50),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
    );
    let max = times.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    let failed = outcomes.iter().filter(|o| o.failed.is_some()).count();
    let wrong = outcomes.iter().filter(|o| o.wrong).count();
    let errors = failed + wrong;
    let known = callers.iter().filter(|c| c.known).count();
    let max_lag = outcomes
        .iter()
        .map(|o| o.send_lag)
        .max()
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0;
    let mut row = Row::named(format!(
        "8. caller lookups ({label}, {}/s × {} s)",
        load.per_second, load.seconds
    ));
    row.seconds = Some(elapsed);
    row.records = Some(outcomes.len() as u64);
    row.per_second = Some(outcomes.len() as f64 / elapsed);
    row.crm_requests = Some(crm_requests);
    let first_error = outcomes
        .iter()
        .find_map(|o| o.failed.as_deref())
        .map(|e| format!("; first error: {e}"))
        .unwrap_or_default();
    row.note = Some(format!(
        "open loop, latency from the planned send time: p50 {p50:.1} ms, p95 {p95:.1} ms, \
         p99 {p99:.1} ms, max {max:.1} ms; {known} known / {} unknown callers; \
         {failed} failed, {wrong} wrong answers; sends at most {max_lag:.1} ms late; \
         seeded {} members ({REGION}) in {:.1} s, {} of {} sampled WorkPhones valid in \
         {REGION}{first_error}",
        outcomes.len() - known,
        seeding.members,
        seeding.seconds,
        seeding.known,
        seeding.sampled,
    ));
    row.target(
        format!("caller lookups ({label}) p99 ≤ {TARGET_P99_MS} ms"),
        format!("{p99:.1} ms (p50 {p50:.1}, p95 {p95:.1}, max {max:.1})"),
        p99 <= TARGET_P99_MS,
    );
    row.target(
        format!("caller lookups ({label}) 0 errors"),
        format!(
            "{errors} of {} ({failed} failed, {wrong} wrong)",
            outcomes.len()
        ),
        errors == 0,
    );
    row.target(
        format!("caller lookups ({label}) answered from the phone index"),
        format!("{crm_requests} CRM requests"),
        crm_requests == 0,
    );
    row
}
