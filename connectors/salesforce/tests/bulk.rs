//! Full reads in any order through Bulk API 2.0 query jobs: every record once, each the
//! same as the REST query reads it, in fewer requests; small tables and incremental
//! reads stay on the REST query.

mod common;

use std::collections::BTreeMap;

use futures::TryStreamExt;
use listbridge_connector::{CrmConnector, CrmRecord, EntityKind, ReadPage, ReadQuery};
use salesforce::{BulkOptions, Salesforce, SalesforceOptions};
use salesforce_fake::{FakeConfig, FakeSalesforce};

use common::{CLIENT_SECRET, config};

async fn fake(leads: usize) -> FakeSalesforce {
    FakeSalesforce::start(FakeConfig {
        leads,
        contacts: 0,
        bulk_polls: 2,
        ..FakeConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("the fake Salesforce did not start: {e}"))
}

/// A connector that reads tables of `threshold` records and more through jobs, 7 records
/// a results request.
fn connector(fake: &FakeSalesforce, threshold: u64) -> Salesforce {
    let fast = SalesforceOptions::fast_retries();
    Salesforce::with_options(
        config(&fake.base_url(), CLIENT_SECRET),
        SalesforceOptions {
            bulk: BulkOptions {
                threshold,
                page: 7,
                ..fast.bulk
            },
            ..fast
        },
    )
    .unwrap_or_else(|e| panic!("connector: {e}"))
}

async fn read(connector: &Salesforce, query: ReadQuery) -> Vec<ReadPage> {
    connector
        .read(EntityKind::Lead, query)
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("read: {e}"))
}

fn by_key(pages: &[ReadPage]) -> BTreeMap<String, CrmRecord> {
    let mut out = BTreeMap::new();
    for record in pages.iter().flat_map(|p| p.records.iter()) {
        assert!(
            out.insert(record.key.clone(), record.clone()).is_none(),
            "{} read twice",
            record.key
        );
    }
    out
}

fn fields() -> Vec<String> {
    [
        "FirstName",
        "Title",
        "Score__c",
        "HasOptedOutOfEmail",
        "CreatedDate",
    ]
    .map(String::from)
    .to_vec()
}

#[tokio::test]
async fn a_large_table_read_in_any_order_comes_from_a_job_like_the_rest_query() {
    let fake = fake(60).await;
    let connector = connector(&fake, 20);
    let rest = by_key(
        &read(
            &connector,
            ReadQuery {
                fields: fields(),
                ..ReadQuery::default()
            },
        )
        .await,
    );
    fake.state().reset_stats();
    let pages = read(
        &connector,
        ReadQuery {
            fields: fields(),
            page_size: Some(5),
            any_order: true,
            ..ReadQuery::default()
        },
    )
    .await;
    assert!(pages.iter().all(|p| !p.in_order), "a job's pages say so");
    assert!(
        pages.iter().all(|p| p.records.len() <= 5),
        "pages of the asked size"
    );
    let total = pages.iter().find_map(|p| p.total_results);
    let bulk = by_key(&pages);
    assert_eq!(total, Some(bulk.len() as u64));
    assert!(
        rest.len() > 20,
        "converted leads aside, still over the threshold"
    );
    assert_eq!(
        bulk, rest,
        "the same records, with the same values and versions"
    );

    let stats = fake.state().stats();
    let results = (bulk.len() as u64).div_ceil(7);
    // COUNT(), the job, three polls (two in progress), the results, the delete.
    assert_eq!(stats.count_of("Lead", "POST"), 1, "{stats:?}");
    assert_eq!(stats.count_of("Lead", "DELETE"), 1, "{stats:?}");
    assert_eq!(stats.total, 1 + 1 + 3 + results + 1, "{stats:?}");
}

#[tokio::test]
async fn small_tables_and_incremental_reads_stay_on_the_rest_query() {
    let fake = fake(15).await;
    let small = connector(&fake, 20);
    let pages = read(
        &small,
        ReadQuery {
            fields: fields(),
            any_order: true,
            ..ReadQuery::default()
        },
    )
    .await;
    assert!(
        pages.iter().all(|p| p.in_order),
        "under the threshold: in order"
    );
    assert_eq!(fake.state().stats().count_of("Lead", "POST"), 0, "no job");

    let oldest = by_key(&pages)
        .values()
        .filter_map(CrmRecord::watermark)
        .min()
        .unwrap_or_else(|| panic!("records"));
    let eager = connector(&fake, 1);
    fake.state().reset_stats();
    let later = read(
        &eager,
        ReadQuery {
            fields: fields(),
            since: Some(oldest),
            any_order: true,
            ..ReadQuery::default()
        },
    )
    .await;
    assert!(later.iter().all(|p| p.in_order));
    let stats = fake.state().stats();
    // A new connector: a token and the describe first, then one query.
    assert_eq!(stats.count_of("Lead", "POST"), 0, "no job: {stats:?}");
    assert_eq!(stats.count_of("Lead", "GET"), 2, "no count: {stats:?}");
}
