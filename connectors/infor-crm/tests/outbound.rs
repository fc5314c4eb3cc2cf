//! The connector under the outbound guard: an IP literal the guard refuses fails when
//! the connector is built; a host name whose lookup answers a refused address fails
//! once, before any connection, and is not retried; a host name that does not resolve
//! is retried (a DNS failure may pass) and then fails with the same words. The lookup
//! doubles answer loopback (the fake CRM's address) or nothing, without DNS: nothing
//! leaves this machine even if the guard were broken.

mod common;

use std::{
    io,
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use futures::future::BoxFuture;
use infor_crm::{InforCrm, WireFormat};
use listbridge_connector::{
    AllowList, ConnectorError, CrmConnector, OutboundError, OutboundGuard, outbound::Lookup,
};

use common::{PASSWORD, config, fake, options};

/// Answers every name with 127.0.0.1 and counts the questions.
#[derive(Debug, Default)]
struct ToLoopback {
    asked: AtomicUsize,
}

impl Lookup for ToLoopback {
    fn lookup(&self, _host: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(vec![IpAddr::from([127, 0, 0, 1])]) })
    }
}

/// Answers no name (as a DNS outage would) and counts the questions.
#[derive(Debug, Default)]
struct Unresolvable {
    asked: AtomicUsize,
}

impl Lookup for Unresolvable {
    fn lookup(&self, _host: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                "temporary failure in name resolution",
            ))
        })
    }
}

#[test]
fn a_refused_ip_literal_fails_when_the_connector_is_built() {
    let mut refused = config("http://127.0.0.1:9/sdata", PASSWORD);
    refused.outbound = OutboundGuard::default();
    let err = InforCrm::with_options(refused, options(WireFormat::Json)).err();
    assert!(
        matches!(
            err,
            Some(ConnectorError::Outbound(OutboundError::NotAllowed { .. }))
        ),
        "{err:?}"
    );
    let mut metadata = config("https://169.254.169.254/", PASSWORD);
    metadata.outbound = OutboundGuard::default();
    let err = InforCrm::with_options(metadata, options(WireFormat::Json)).err();
    assert!(
        matches!(
            err,
            Some(ConnectorError::Outbound(OutboundError::NotAllowed { .. }))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_name_that_resolves_to_a_refused_address_fails_once_without_connecting() {
    let fake = fake(0, 0).await;
    let lookup = Arc::new(ToLoopback::default());
    let port = fake.addr().port();
    let mut guarded = config(&format!("https://crm.example.test:{port}"), PASSWORD);
    guarded.outbound = OutboundGuard::with_lookup(AllowList::none(), lookup.clone());
    let crm = InforCrm::with_options(guarded, options(WireFormat::Json))
        .unwrap_or_else(|e| panic!("a host name is checked on connection: {e}"));

    let err = crm.verify().await.err();
    assert!(
        matches!(
            &err,
            Some(ConnectorError::Outbound(OutboundError::NotAllowed { url, lookup_failed: false }))
                if url == &format!("https://crm.example.test:{port}")
        ),
        "{err:?}"
    );
    assert_eq!(lookup.asked.load(Ordering::SeqCst), 1, "not retried");
    assert_eq!(fake.state().stats().total, 0, "the fake received nothing");
    fake.shutdown().await;
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_retried_and_refused_in_the_same_words() {
    let fake = fake(0, 0).await;
    let port = fake.addr().port();
    let base = format!("https://crm.example.test:{port}");

    let resolving = Arc::new(ToLoopback::default());
    let mut private = config(&base, PASSWORD);
    private.outbound = OutboundGuard::with_lookup(AllowList::none(), resolving);
    let private = InforCrm::with_options(private, options(WireFormat::Json))
        .unwrap_or_else(|e| panic!("connector: {e}"))
        .verify()
        .await
        .err();

    let lookup = Arc::new(Unresolvable::default());
    let mut unresolved = config(&base, PASSWORD);
    unresolved.outbound = OutboundGuard::with_lookup(AllowList::none(), lookup.clone());
    let unresolved = InforCrm::with_options(unresolved, options(WireFormat::Json))
        .unwrap_or_else(|e| panic!("connector: {e}"))
        .verify()
        .await
        .err();

    assert!(
        matches!(
            &unresolved,
            Some(ConnectorError::Outbound(OutboundError::NotAllowed {
                lookup_failed: true,
                ..
            }))
        ),
        "{unresolved:?}"
    );
    assert_eq!(
        lookup.asked.load(Ordering::SeqCst),
        2,
        "retried as often as a login check is (twice)"
    );
    assert!(
        unresolved
            .as_ref()
            .is_some_and(ConnectorError::is_transient),
        "a run or delivery waits and tries again"
    );
    assert!(
        private.as_ref().is_some_and(|e| !e.is_transient()),
        "{private:?}"
    );
    assert_eq!(
        unresolved.map(|e| e.to_string()),
        private.map(|e| e.to_string()),
        "one message: a caller cannot tell a name that does not resolve from a private one"
    );
    assert_eq!(fake.state().stats().total, 0, "the fake received nothing");
    fake.shutdown().await;
}
