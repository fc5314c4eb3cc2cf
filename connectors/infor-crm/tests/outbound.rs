//! The connector under the outbound guard: an IP literal the guard refuses fails when
//! the connector is built, and a host name whose lookup answers a refused address fails
//! once, before any connection, and is not retried. The lookup double answers loopback
//! (the fake CRM's address) without DNS: nothing leaves this machine even if the guard
//! were broken.

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
            Some(ConnectorError::Outbound(OutboundError::NotAllowed { url }))
                if url == &format!("https://crm.example.test:{port}")
        ),
        "{err:?}"
    );
    assert_eq!(lookup.asked.load(Ordering::SeqCst), 1, "not retried");
    assert_eq!(fake.state().stats().total, 0, "the fake received nothing");
    fake.shutdown().await;
}
