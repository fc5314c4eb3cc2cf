//! Helpers for `/metrics` tests: scraping (with or without the metrics token), reading
//! one series' value out of the Prometheus text, and a loopback address for
//! `metrics_bind`.

use std::net::SocketAddr;

/// `GET {base}/metrics`, with `token` as the bearer token when given; `(status, body)`.
pub async fn scrape(base: &str, token: Option<&str>) -> (u16, String) {
    let request = reqwest::Client::new().get(format!("{base}/metrics"));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let response = request.send().await.expect("scrape sent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("scrape body"))
}

/// The sum of the samples of series `name` (exactly that name, so `_count` and
/// `_bucket` are other series) whose labels include every one of `labels`
/// (`key="value"` pieces); `None` when no sample matches.
pub fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (series_name, series_labels) = match series.split_once('{') {
            Some((n, l)) => (n, l),
            None => (series, ""),
        };
        if series_name != name || !labels.iter().all(|l| series_labels.contains(l)) {
            continue;
        }
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("a number: {line}"));
        found = Some(found.unwrap_or(0.0) + value);
    }
    found
}

/// [`sample`], which must exist and be above zero.
pub fn positive(text: &str, name: &str, labels: &[&str]) -> f64 {
    let value = sample(text, name, labels)
        .unwrap_or_else(|| panic!("no {name} {labels:?} in the scrape:\n{text}"));
    assert!(value > 0.0, "{name} {labels:?} is {value}:\n{text}");
    value
}

/// A loopback address with a port free right now, for a `metrics_bind` (the port is
/// released before the app binds it; nothing else on this machine is expected to take
/// it in between).
pub fn free_loopback_addr() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe bound");
    probe.local_addr().expect("probe address")
}
