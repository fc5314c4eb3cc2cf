//! A large Salesforce table imported through a Bulk API 2.0 query job (issue 17): the
//! same members as an import through query pages, and the next sync finds nothing new.

use std::sync::Arc;

use listbridge::{
    app::{Services, connector_registry},
    config::SalesforceSettings,
    store::Member,
};
use serde_json::json;

use crate::support::{
    salesforce::{connected, start_fake},
    services::fast_services,
};

/// What an import gave a member, its id and timestamps aside.
fn held(member: &Member) -> String {
    let link = member.crm.as_ref().map(|c| (c.entity, &c.key, &c.etag));
    format!(
        "{} {:?} {:?} {:?} {}",
        member.email, member.values, member.synced, link, member.opted_out
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_table_is_imported_through_a_bulk_job_like_through_query_pages() {
    let sf = start_fake(300).await;
    let eager = SalesforceSettings {
        bulk_threshold: 100,
        ..SalesforceSettings::default()
    };
    let bulk = connected(
        &sf,
        Services {
            registry: Arc::new(connector_registry(&eager)),
            ..fast_services()
        },
    )
    .await;
    let queries = connected(&sf, fast_services()).await;
    let fields = ["Title", "Company", "Score__c"];

    sf.state().reset_stats();
    let by_job = bulk.imported_list("lead", &fields).await;
    let stats = sf.state().stats();
    assert_eq!(
        stats.count_of("Lead", "POST"),
        1,
        "one query job: {stats:?}"
    );
    assert_eq!(
        stats.count_of("Lead", "DELETE"),
        1,
        "deleted after: {stats:?}"
    );
    sf.state().reset_stats();
    let by_query = queries.imported_list("lead", &fields).await;
    assert_eq!(sf.state().stats().count_of("Lead", "POST"), 0, "no job");

    let mut through_job: Vec<String> = bulk.members(by_job).await.iter().map(held).collect();
    let mut through_queries: Vec<String> =
        queries.members(by_query).await.iter().map(held).collect();
    through_job.sort();
    through_queries.sort();
    assert!(through_job.len() > 200, "{}", through_job.len());
    assert_eq!(through_job, through_queries);

    bulk.save_sync(
        by_job,
        &json!({ "pull": { "enabled": true, "update_existing": true, "fields": ["Title"] } }),
    )
    .await;
    let report = bulk.sync(by_job).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["pulled_new"], 0, "{report}");
    assert_eq!(report["counts"]["pulled_updated"], 0, "{report}");
}
