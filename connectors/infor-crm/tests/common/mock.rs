//! A scripted SData server for behaviour the faithful fake never shows (hostile paging
//! counters, counting requests in flight): an axum router on a random loopback port.

use axum::Router;
use tokio::net::TcpListener;

/// Serves `router` on a random loopback port until the test ends; returns its base URL.
pub async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local address: {e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// The fake CRM's `leads/$schema` document, for scripted servers to serve as their own.
pub async fn lead_schema() -> String {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = super::fake(0, 0).await;
    let url = format!("{}/sdata/slx/dynamic/-/leads/$schema", fake.base_url());
    let text = async {
        reqwest::Client::new()
            .get(url)
            .basic_auth("admin", Some(super::PASSWORD))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await
    }
    .await
    .unwrap_or_else(|e| panic!("schema from the fake: {e}"));
    fake.shutdown().await;
    text
}
