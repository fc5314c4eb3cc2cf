//! Reads: a full read under the CRM's page cap, an incremental read across a bulk update,
//! and lookups by email.

use std::collections::HashSet;

use futures::TryStreamExt;
use listbridge_connector::{
    CrmConnector, CrmRecord, EntityKind, FieldValues, ReadQuery, SystemUsage,
};

use crate::{
    Harness,
    people::{Person, field, fields_of},
};

/// Every record of a read, checking the (modified-at, key) order the engine relies on;
/// answers the records and how many pages came.
pub(crate) async fn read_all(
    connector: &dyn CrmConnector,
    entity: EntityKind,
    query: ReadQuery,
) -> (Vec<CrmRecord>, usize) {
    let pages: Vec<_> = connector
        .read(entity, query)
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("reading {entity}s failed: {e}"));
    let count = pages.len();
    let records: Vec<CrmRecord> = pages.into_iter().flat_map(|p| p.records).collect();
    for pair in records.windows(2) {
        let (a, b) = (pair[0].watermark(), pair[1].watermark());
        assert!(
            a < b,
            "records come in (modified-at, key) order, each once: {a:?} then {b:?}"
        );
    }
    (records, count)
}

/// Asserts that `records` are exactly the records `keys`, each once.
pub(crate) fn assert_exactly(records: &[CrmRecord], keys: &[String], what: &str) {
    let read: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    let distinct: HashSet<&str> = read.iter().copied().collect();
    assert_eq!(distinct.len(), read.len(), "{what}: a record came twice");
    let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
    let missing: Vec<_> = wanted.difference(&distinct).collect();
    let extra: Vec<_> = distinct.difference(&wanted).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, not expected {extra:?}"
    );
}

/// A full read of more than two pages' worth of leads yields each once, in order, with
/// its email, over as many pages as the cap makes.
pub async fn a_full_read_yields_every_record_once_under_the_page_cap(h: &dyn Harness) {
    let connector = h.connector();
    let vocabulary = connector.vocabulary();
    let cap = h.page_cap();
    let people = Person::many("full", 2 * cap + cap / 2 + 1);
    let keys = h
        .add_people(
            EntityKind::Lead,
            &fields_of(&people, vocabulary, EntityKind::Lead),
        )
        .await;
    let first_name = field(vocabulary, EntityKind::Lead, SystemUsage::FirstName);
    let (records, pages) = read_all(
        connector.as_ref(),
        EntityKind::Lead,
        ReadQuery {
            fields: vec![first_name],
            ..ReadQuery::default()
        },
    )
    .await;
    assert_exactly(&records, &keys, "a full read");
    assert!(
        pages >= 3,
        "{} leads under a cap of {cap} came in {pages} page(s)",
        keys.len()
    );
    let emails: HashSet<String> = records
        .iter()
        .filter_map(|r| vocabulary.email_of(r).map(str::to_lowercase))
        .collect();
    assert_eq!(emails.len(), people.len(), "every lead's email is read");
}

/// After a bulk update gives more records than a page holds one modified-at, a read
/// since the last position yields exactly those records with their new values, and the
/// read after it yields nothing.
pub async fn an_incremental_read_after_a_bulk_update_misses_none_and_repeats_none(h: &dyn Harness) {
    let connector = h.connector();
    let vocabulary = connector.vocabulary();
    let cap = h.page_cap();
    let people = Person::many("incremental", 2 * cap + 5);
    let keys = h
        .add_people(
            EntityKind::Lead,
            &fields_of(&people, vocabulary, EntityKind::Lead),
        )
        .await;
    let title = field(vocabulary, EntityKind::Lead, SystemUsage::Title);
    let query = |since| ReadQuery {
        fields: vec![title.clone()],
        since,
        ..ReadQuery::default()
    };
    let (first, _) = read_all(connector.as_ref(), EntityKind::Lead, query(None)).await;
    assert_exactly(&first, &keys, "the first read");
    let since = first.last().and_then(CrmRecord::watermark);
    assert!(since.is_some(), "records carry their modified-at");

    // Every other record, more of them than a page holds, in one bulk update.
    let changed: Vec<String> = keys.iter().step_by(2).cloned().collect();
    assert!(changed.len() > cap);
    let set = FieldValues::from([(title.clone(), Some("Changed together".to_string()))]);
    h.change_together(EntityKind::Lead, &changed, &set).await;

    let (after, _) = read_all(connector.as_ref(), EntityKind::Lead, query(since)).await;
    assert_exactly(&after, &changed, "the read after a bulk update");
    for record in &after {
        assert_eq!(
            record.fields.get(&title).cloned().flatten().as_deref(),
            Some("Changed together"),
            "{} read with its new value",
            record.key
        );
    }
    let since = after.last().and_then(CrmRecord::watermark);
    let (nothing, _) = read_all(connector.as_ref(), EntityKind::Lead, query(since)).await;
    assert_exactly(&nothing, &[], "the read after that");
}

/// A lookup of emails in another case finds every lead holding one of them (two leads
/// may share an email), not contacts, and takes a request per chunk, not per email.
pub async fn lookups_by_email_are_batched_and_ignore_case(h: &dyn Harness) {
    let connector = h.connector();
    let vocabulary = connector.vocabulary();
    let people = Person::many("lookup", 40);
    let keys = h
        .add_people(
            EntityKind::Lead,
            &fields_of(&people, vocabulary, EntityKind::Lead),
        )
        .await;
    // A second lead with the first one's email, in upper case, and a contact with the
    // second one's.
    let mut shared = people[0].clone();
    shared.email = shared.email.to_uppercase();
    let twin = h
        .add_people(
            EntityKind::Lead,
            &fields_of(&[shared], vocabulary, EntityKind::Lead),
        )
        .await;
    h.add_people(
        EntityKind::Contact,
        &fields_of(&people[1..2], vocabulary, EntityKind::Contact),
    )
    .await;

    let mut asked: Vec<String> = people[..30]
        .iter()
        .map(|p| p.email.to_uppercase())
        .collect();
    asked.push("nobody.at.all@contract.example".into());
    // Whatever the connector learns once (the CRM's field definitions) it learns here.
    connector
        .find_by_email(EntityKind::Lead, &asked[..1], &[])
        .await
        .unwrap_or_else(|e| panic!("lookup failed: {e}"));
    let before = h.requests().await;
    let found = connector
        .find_by_email(EntityKind::Lead, &asked, &[])
        .await
        .unwrap_or_else(|e| panic!("lookup failed: {e}"));
    let requests = h.requests().await - before;
    let mut expected: Vec<String> = keys[..30].to_vec();
    expected.extend(twin);
    assert_exactly(&found, &expected, "a lookup by email");
    for record in &found {
        assert_eq!(record.entity, EntityKind::Lead);
    }
    let chunk = connector.capabilities().lookup_chunk.max(1);
    // A chunk may also be bounded by the CRM's URL length: at least eight emails a
    // request, whatever the chunk size.
    let most = asked.len().div_ceil(chunk).max(asked.len() / 8) as u64;
    assert!(
        requests <= most,
        "{} emails took {requests} requests (chunks of up to {chunk}: at most {most})",
        asked.len()
    );
}
