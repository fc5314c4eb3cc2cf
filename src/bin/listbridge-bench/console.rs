//! The console's page times: the lists page of an account with many lists, and the page
//! of the 100,000-member imported list, each requested 200 times by a signed-in browser
//! session (plain HTTP on loopback, so the time is the server's plus a loopback hop).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use listbridge::{
    clock::{OsRandom, SystemClock},
    people::People,
    store::{Role, Store},
};
use secrecy::SecretString;

use crate::{measure::Session, report::Row};

/// Requests per page.
const REQUESTS: usize = 200;
/// Small uploaded lists added so the lists page shows many lists.
pub const EXTRA_LISTS: usize = 100;
const EMAIL: &str = "bench@bench.example";
const PASSWORD: &str = "bench console password";

/// Creates the console user in the bench database, signs in and times both pages.
pub async fn page_times(
    session: &Session,
    database_url: &str,
    list: &str,
    members: usize,
) -> anyhow::Result<Vec<Row>> {
    for i in 0..EXTRA_LISTS {
        session
            .upload(&format!("Bench console list {i}"), 20, "Analyst")
            .await?;
    }
    let store = Store::connect(database_url)
        .await
        .context("opening the bench database")?;
    People {
        store: &store,
        clock: &SystemClock,
        random: &OsRandom,
    }
    .create_user(
        "bench",
        EMAIL,
        Role::Admin,
        Some(SecretString::from(PASSWORD.to_string())),
    )
    .await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = sign_in(&client, &session.service.url).await?;
    let mut rows = Vec::new();
    for (name, path) in [
        (
            format!("7a. console lists page ({} lists)", EXTRA_LISTS + 3),
            "/lists".to_string(),
        ),
        (
            format!("7b. console list page ({members} members)"),
            format!("/lists/{list}"),
        ),
    ] {
        let times = time_page(&client, &session.service.url, &path, &cookie, &[]).await?;
        rows.push(row(&name, &times));
    }
    rows.extend(
        crate::console_runs::run_page_times(session, &store, &client, &cookie, list).await?,
    );
    Ok(rows)
}

async fn sign_in(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let form = client.get(format!("{base}/sign-in")).send().await?;
    let token = cookie_value(&form, "lb_sign_in").context("no sign-in token cookie")?;
    let answer = client
        .post(format!("{base}/sign-in"))
        .header("cookie", format!("lb_sign_in={token}"))
        .form(&[("email", EMAIL), ("password", PASSWORD), ("token", &token)])
        .send()
        .await?;
    let session = cookie_value(&answer, "lb_session")
        .with_context(|| format!("sign-in answered {} without a session", answer.status()))?;
    Ok(format!("lb_session={session}"))
}

fn cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(n, v)| *n == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}

/// `REQUESTS` GETs of `path` one after another with the session `cookie` and
/// `headers`; their times, sorted.
pub async fn time_page(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    cookie: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let mut request = client.get(format!("{base}{path}")).header("cookie", cookie);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        times.push(started.elapsed());
        if !status.is_success() || body.is_empty() {
            bail!("GET {path} answered {status}");
        }
    }
    times.sort();
    Ok(times)
}

/// The `p` quantile of sorted times, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted
        .get(index)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

fn row(name: &str, sorted: &[Duration]) -> Row {
    let median = percentile(sorted, 0.5);
    let p95 = percentile(sorted, 0.95);
    let mut row = Row::named(name);
    row.records = Some(sorted.len() as u64);
    row.seconds = Some(sorted.iter().map(Duration::as_secs_f64).sum());
    row.note = Some(format!(
        "{REQUESTS} signed-in GETs on loopback: median {median:.1} ms, p95 {p95:.1} ms"
    ));
    row.target("median ≤ 50 ms", format!("{median:.1} ms"), median <= 50.0);
    row.target("p95 ≤ 150 ms", format!("{p95:.1} ms"), p95 <= 150.0);
    row
}
