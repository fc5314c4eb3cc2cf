//! Query safety and keys: a filter value cannot change a query's meaning, field names
//! are checked, and 15-character Ids name the same records as 18-character ones.

mod common;

use futures::TryStreamExt;
use listbridge_connector::{
    ConnectorError, CrmConnector, CrmRecord, EmailLookup, EntityKind, Filter, ReadQuery,
};

use common::{add_lead, connector, fake};

async fn read(
    connector: &dyn CrmConnector,
    filters: Vec<Filter>,
) -> Result<Vec<CrmRecord>, ConnectorError> {
    let pages: Vec<_> = connector
        .read(
            EntityKind::Lead,
            ReadQuery {
                fields: vec!["LastName".into()],
                filters,
                ..ReadQuery::default()
            },
        )
        .try_collect()
        .await?;
    Ok(pages.into_iter().flat_map(|p| p.records).collect())
}

#[tokio::test]
async fn quotes_and_backslashes_in_a_filter_value_cannot_change_the_query() {
    let fake = fake(2000).await;
    add_lead(&fake, "Pat", "Plain", "pat.plain@example.test");
    let tricky = r"O'Brien \' OR LastName != 'x";
    let id = add_lead(&fake, "Pat", tricky, "pat.tricky@example.test");
    let connector = connector(&fake);
    for value in [
        "x' OR LastName != 'x",
        r"x\' OR LastName != \'x",
        r"x\\' OR LastName != 'x",
        "x') OR (LastName != 'x",
    ] {
        let found = read(&connector, vec![Filter::equals("LastName", value)])
            .await
            .unwrap_or_else(|e| panic!("{value}: {e}"));
        assert!(found.is_empty(), "{value} matched {found:?}");
    }
    let found = read(&connector, vec![Filter::equals("LastName", tricky)])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key, id);
    assert_eq!(
        found[0]
            .fields
            .get("LastName")
            .cloned()
            .flatten()
            .as_deref(),
        Some(tricky)
    );
}

#[tokio::test]
async fn unknown_fields_and_badly_typed_values_are_refused_before_sending() {
    let fake = fake(2000).await;
    let connector = connector(&fake);
    for filter in [
        Filter::equals("LastName = 'x' OR Id", "y"),
        Filter::equals("HasOptedOutOfEmail", "true OR Id != null"),
        Filter::IsNull {
            field: "Nope__c".into(),
        },
    ] {
        match read(&connector, vec![filter.clone()]).await {
            Err(ConnectorError::Invalid { .. }) => {}
            other => panic!("{filter:?} must be refused as invalid, got {other:?}"),
        }
    }
    let opted = read(
        &connector,
        vec![Filter::equals("HasOptedOutOfEmail", "false")],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(opted.is_empty());
}

#[tokio::test]
async fn fifteen_character_ids_find_the_same_records() {
    let fake = fake(2000).await;
    let id = add_lead(&fake, "Pat", "Short", "pat.short@example.test");
    assert_eq!(id.len(), 18);
    let connector = connector(&fake);
    let short = id[..15].to_string();
    let found = connector
        .get_by_keys(
            EntityKind::Lead,
            &[short.clone(), id.clone()],
            &["LastName".into()],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 1, "both forms name one record: {found:?}");
    assert_eq!(found[0].key, id, "answered in the 18-character form");
    let updated = connector
        .update(
            EntityKind::Lead,
            &short,
            None,
            &[("Title".to_string(), Some("Short Id".to_string()))].into(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(updated.key, id);
    assert_eq!(
        updated.fields.get("Title").cloned().flatten().as_deref(),
        Some("Short Id")
    );
}

#[tokio::test]
async fn every_filter_kind_reads_what_it_says() {
    let fake = fake(2000).await;
    let a = add_lead(&fake, "Ann", "Alpha", "ann@example.test");
    let b = add_lead(&fake, "Bob", "Beta", "bob@example.test");
    let state = fake.state();
    state.clock().advance(chrono::TimeDelta::minutes(5));
    let cut = state.clock().now();
    state.clock().advance(chrono::TimeDelta::minutes(5));
    let c = add_lead(&fake, "Cy", "Gamma", "");
    let connector = connector(&fake);
    let keys = |records: Vec<CrmRecord>| records.into_iter().map(|r| r.key).collect::<Vec<_>>();
    let read_keys = |filters: Vec<Filter>| {
        let connector = &connector;
        async move {
            keys(
                read(connector, filters)
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
            )
        }
    };
    assert_eq!(
        read_keys(vec![Filter::one_of("LastName", ["alpha", "Gamma"])]).await,
        vec![a.clone(), c.clone()]
    );
    assert_eq!(
        read_keys(vec![Filter::IsNull {
            field: "email".into()
        }])
        .await,
        vec![c.clone()]
    );
    assert_eq!(
        read_keys(vec![Filter::NotNull {
            field: "Email".into()
        }])
        .await,
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        read_keys(vec![Filter::ModifiedBefore { at: cut }]).await,
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        read_keys(vec![
            Filter::ModifiedBefore { at: cut },
            Filter::equals("FirstName", "Bob")
        ])
        .await,
        vec![b]
    );
}

#[tokio::test]
async fn lookups_of_both_entities_share_one_batch_and_keys_one_retrieve() {
    let fake = fake(2000).await;
    let mut lead_ids = Vec::new();
    for n in 0..900 {
        lead_ids.push(add_lead(
            &fake,
            "Pat",
            &format!("L{n}"),
            &format!("p{n}@example.test"),
        ));
    }
    let contact = serde_json::json!({"LastName": "Cole", "Email": "P7@Example.test"});
    let serde_json::Value::Object(contact) = contact else {
        panic!("an object")
    };
    fake.state()
        .insert_record(salesforce_fake::SObject::Contact, &contact)
        .unwrap_or_else(|e| panic!("inserting a contact: {e}"));
    let connector = connector(&fake);
    // Describes are cached per connector: ask for them first, outside the count.
    for entity in [EntityKind::Lead, EntityKind::Contact] {
        connector
            .describe(entity)
            .await
            .unwrap_or_else(|e| panic!("describe: {e}"));
    }
    fake.state().reset_stats();
    let emails: Vec<String> = (0..900).map(|n| format!("P{n}@EXAMPLE.test")).collect();
    let lookups = [EntityKind::Contact, EntityKind::Lead].map(|entity| EmailLookup {
        entity,
        fields: vec!["LastName".into()],
    });
    let found = connector
        .find_by_email_in(&lookups, &emails)
        .await
        .unwrap_or_else(|e| panic!("lookup: {e}"));
    assert_eq!(found[0].len(), 1, "the contact, by email in any case");
    assert_eq!(found[1].len(), 900, "every lead");
    let stats = fake.state().stats();
    assert_eq!(stats.total, 1, "{stats:?}");
    assert!(
        stats.subrequests >= 10,
        "900 emails in chunks of 200, twice: {stats:?}"
    );

    fake.state().reset_stats();
    let mut keys: Vec<String> = lead_ids.iter().map(|id| id[..15].to_string()).collect();
    keys.push("00Q000000000000AAA".into());
    let records = connector
        .get_by_keys(EntityKind::Lead, &keys, &["LastName".into()])
        .await
        .unwrap_or_else(|e| panic!("get_by_keys: {e}"));
    assert_eq!(records.len(), 900, "a key that no longer exists is absent");
    assert!(
        records
            .iter()
            .all(|r| r.etag.is_some() && r.key.len() == 18)
    );
    assert_eq!(fake.state().stats().total, 1);
}
