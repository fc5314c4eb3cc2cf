//! Faults: a CRM that fails, stalls, drops connections or asks for patience is retried,
//! and a create whose answer was lost is not made twice.

use std::time::{Duration, Instant};

use listbridge_connector::{EntityKind, ReadQuery};

use crate::{
    ContractFault, FaultScope, Harness,
    people::{Person, fields_of},
    reads::{assert_exactly, read_all},
};

/// Reads finish whole through 500s and a timeout; creates whose answer was lost (the
/// connection dropped after the CRM made the record, or a timeout) and creates answered
/// 500 leave exactly one record each.
pub async fn faults_are_retried_without_a_second_create(h: &dyn Harness) {
    let connector = h.connector();
    let vocabulary = connector.vocabulary();
    let cap = h.page_cap();
    let keys = h
        .add_people(
            EntityKind::Lead,
            &fields_of(
                &Person::many("faults", cap + 3),
                vocabulary,
                EntityKind::Lead,
            ),
        )
        .await;
    for fault in [ContractFault::ServerError, ContractFault::Timeout] {
        h.inject(FaultScope::Reads, fault, 2).await;
        let (records, _) =
            read_all(connector.as_ref(), EntityKind::Lead, ReadQuery::default()).await;
        assert_exactly(&records, &keys, &format!("a read through {fault:?}"));
    }
    for (n, fault) in [
        ContractFault::DroppedAfterApplying,
        ContractFault::Timeout,
        ContractFault::ServerError,
    ]
    .into_iter()
    .enumerate()
    {
        let person = Person::numbered("faults-create", n);
        h.inject(FaultScope::Creates, fault, 1).await;
        connector
            .create(
                EntityKind::Lead,
                &person.fields(vocabulary, EntityKind::Lead),
            )
            .await
            .unwrap_or_else(|e| panic!("a create through {fault:?} failed: {e}"));
        assert_eq!(
            h.count_with_email(EntityKind::Lead, &person.email).await,
            1,
            "a create through {fault:?} made one record"
        );
    }
}

/// A 429 with `Retry-After` is waited out (at least the seconds asked), then the work
/// goes on.
pub async fn rate_limits_are_waited_out(h: &dyn Harness) {
    let connector = h.connector();
    let people = Person::many("patience", 3);
    let keys = h
        .add_people(
            EntityKind::Lead,
            &fields_of(&people, connector.vocabulary(), EntityKind::Lead),
        )
        .await;
    h.inject(
        FaultScope::Reads,
        ContractFault::TooManyRequests {
            retry_after_seconds: 1,
        },
        1,
    )
    .await;
    let started = Instant::now();
    let emails: Vec<String> = people.iter().map(|p| p.email.clone()).collect();
    let found = connector
        .find_by_email(EntityKind::Lead, &emails, &[])
        .await
        .unwrap_or_else(|e| panic!("a lookup after a 429 failed: {e}"));
    assert_exactly(&found, &keys, "a lookup after a 429");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 was honoured (took {:?})",
        started.elapsed()
    );
}
