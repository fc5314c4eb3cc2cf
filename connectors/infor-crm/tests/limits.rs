//! The request budget holds: N requests at R per second with a burst of B take at least
//! (N - B) / R seconds, and a concurrency of C never has more than C requests in flight.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    http::{StatusCode, Uri, header},
    response::IntoResponse,
};
use futures::future::join_all;
use infor_crm::{InforCrm, WireFormat};
use listbridge_connector::{CrmConnector, EntityKind, RateLimit};

use common::{PASSWORD, config, fake, mock, options};

fn limited(base_url: &str, rate: RateLimit) -> InforCrm {
    let mut config = config(base_url, PASSWORD);
    config.rate_limit = rate;
    InforCrm::with_options(config, options(WireFormat::Json)).unwrap_or_else(|e| panic!("{e}"))
}

/// `n` lookups of one key each, all at once; each is exactly one request.
async fn lookups(crm: &InforCrm, n: usize) -> Duration {
    let started = Instant::now();
    let results = join_all((0..n).map(|i| {
        let key = format!("LNONE{i:07}");
        async move { crm.get_by_keys(EntityKind::Lead, &[key], &[]).await }
    }))
    .await;
    for result in results {
        result.unwrap_or_else(|e| panic!("{e}"));
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_per_second_and_burst_hold() {
    const N: usize = 23;
    let fake = fake(0, 0).await;
    let slow = limited(
        &fake.base_url(),
        RateLimit {
            requests_per_second: 10,
            burst: 3,
            concurrency: 8,
        },
    );
    // Let the bucket refill after the schema request, so the whole burst is available.
    let _ = slow.describe(EntityKind::Lead).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    fake.state().reset_stats();
    let took = lookups(&slow, N).await;
    assert_eq!(fake.state().stats().kind_count("leads", "GET"), N as u64);
    let floor = Duration::from_secs_f64((N - 3) as f64 / 10.0);
    assert!(
        took + Duration::from_millis(50) >= floor,
        "{N} requests at 10/s with a burst of 3 took {took:?}, less than {floor:?}"
    );
    // How much quicker the same requests are under a generous budget is a bench figure,
    // not a test's: no upper bound here.
    fake.shutdown().await;
}

/// A lead feed that answers empty after `hold`, counting requests in flight.
async fn counting_server(in_flight: Arc<AtomicUsize>, most: Arc<AtomicUsize>) -> String {
    let schema = mock::lead_schema().await;
    let router = Router::new().fallback(move |uri: Uri| {
        let (schema, in_flight, most) = (schema.clone(), in_flight.clone(), most.clone());
        async move {
            let path = uri.path();
            if path.ends_with("schema") {
                return ([(header::CONTENT_TYPE, "application/xml")], schema).into_response();
            }
            if !path.ends_with("/leads") {
                return StatusCode::NOT_FOUND.into_response();
            }
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(150)).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let body = r#"{"$resources":[],"$totalResults":0,"$startIndex":1,"$itemsPerPage":100}"#;
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
    });
    mock::serve(router).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_than_concurrency_requests_are_in_flight() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let base = counting_server(in_flight.clone(), most.clone()).await;
    for (concurrency, expect) in [(1, "exactly"), (3, "exactly"), (12, "more than 3")] {
        most.store(0, Ordering::SeqCst);
        let crm = limited(&base, RateLimit::per_second(1000, concurrency));
        let _ = crm.describe(EntityKind::Lead).await;
        lookups(&crm, 12).await;
        let seen = most.load(Ordering::SeqCst);
        match expect {
            "exactly" => assert_eq!(seen, concurrency, "concurrency {concurrency}"),
            _ => assert!(seen > 3, "the server can see more in flight: {seen}"),
        }
        assert_eq!(in_flight.load(Ordering::SeqCst), 0);
    }
}
