//! Bounded work against a hostile CRM: a response over the byte cap fails its request
//! (once, not retried) without the body being read whole, whether or not its length is
//! announced; feed pages that link to each other end the read instead of looping.

mod common;

use futures::StreamExt;
use infor_crm::InforCrm;
use infor_crm_fake::{FakeConfig, Fault, FaultConfig, FaultRule};
use listbridge_connector::{ConnectorError, CrmConnector, EntityKind, ReadQuery};

use common::{FORMATS, PASSWORD, fake, fake_with, offset_connector, options};

/// The cap the connector under test keeps to.
const CAP: u64 = 256 * 1024;
/// The oversized body the fake offers: far more than the cap and than what the
/// connection's buffers hold.
const OFFERED: u64 = 64 * 1024 * 1024;

/// Reads leads until the stream ends or fails; returns the pages read and the error.
/// More than `most_pages` pages means the read is going round in circles.
async fn read_pages(crm: &dyn CrmConnector, most_pages: usize) -> (usize, Option<ConnectorError>) {
    let mut stream = crm.read(EntityKind::Lead, ReadQuery::default());
    let mut pages = 0;
    while let Some(page) = stream.next().await {
        match page {
            Ok(_) => {
                pages += 1;
                assert!(
                    pages <= most_pages,
                    "the read went on past {most_pages} pages"
                );
            }
            Err(error) => return (pages, Some(error)),
        }
    }
    (pages, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_over_the_cap_fails_once_and_is_not_read_whole() {
    for announce in [false, true] {
        let fake = fake(3, 0).await;
        fake.state().set_faults(FaultConfig {
            rules: vec![
                FaultRule::always(Fault::Oversized {
                    bytes: OFFERED,
                    announce,
                })
                .with_kind("leads"),
            ],
            ..FaultConfig::default()
        });
        let mut config = common::config(&fake.base_url(), PASSWORD);
        config.max_response_bytes = CAP;
        let crm = InforCrm::with_options(config, options(infor_crm::WireFormat::Json))
            .unwrap_or_else(|e| panic!("connector: {e}"));

        let (pages, error) = read_pages(&crm, 0).await;
        assert_eq!(pages, 0);
        let Some(error) = error else {
            panic!("announce {announce}: the oversized answer was accepted");
        };
        assert!(
            matches!(error, ConnectorError::ResponseTooLarge { limit_bytes } if limit_bytes == CAP),
            "announce {announce}: {error:?}"
        );
        assert!(
            error.to_string().contains("256 KiB")
                && error.to_string().contains("crm_max_response_bytes"),
            "{error}"
        );
        let stats = fake.state().stats();
        assert_eq!(
            stats.kind_count("leads", "GET"),
            1,
            "announce {announce}: the same answer was asked for again"
        );
        // What the fake produced is what the connection took: the cap plus whatever the
        // socket buffers held when the connector stopped reading, far from all of it.
        assert!(
            stats.filler_bytes_sent < OFFERED / 4,
            "announce {announce}: {} of {OFFERED} bytes were sent",
            stats.filler_bytes_sent
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_within_the_cap_is_read_as_before() {
    let fake = fake(5, 0).await;
    let mut config = common::config(&fake.base_url(), PASSWORD);
    // A page of five leads and the schema fit in 1 MiB; the cap is not a page size.
    config.max_response_bytes = 1024 * 1024;
    let crm = InforCrm::with_options(config, options(infor_crm::WireFormat::Json))
        .unwrap_or_else(|e| panic!("connector: {e}"));
    let (pages, error) = read_pages(&crm, 10).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(pages, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_pages_that_link_to_each_other_end_the_read_with_the_loop_error() {
    for format in FORMATS {
        let fake = fake_with(FakeConfig {
            leads: 10,
            page_cap: 3,
            ..FakeConfig::default()
        })
        .await;
        fake.state().set_faults(FaultConfig {
            rules: vec![FaultRule::always(Fault::NextLoop).with_kind("leads")],
            ..FaultConfig::default()
        });
        let crm = offset_connector(&fake, format);
        // Page 1 links to page 2, page 2 back to page 1, whose next (page 2) was read.
        let (pages, error) = read_pages(&crm, 20).await;
        assert!(
            matches!(&error, Some(ConnectorError::PagingLoop { resource }) if resource == "leads"),
            "{format:?}: {error:?}"
        );
        assert_eq!(pages, 3, "{format:?}");
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            "the CRM's leads feed pages link back to a page already read"
        );
    }
}
