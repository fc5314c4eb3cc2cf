//! An account whose CRM is the fake Salesforce, for the Salesforce end-to-end tests.

use salesforce_fake::{FakeConfig, FakeSalesforce, SObject};
use serde_json::json;

use listbridge::store::ConnectorId;

use crate::support::{
    services::fast_services,
    world::{World, crm_config, world_with},
};

/// Leads the fake Salesforce holds with this email, in any case.
pub fn leads_with_email(fake: &FakeSalesforce, email: &str) -> usize {
    fake.state()
        .records(SObject::Lead)
        .iter()
        .filter(|r| {
            r.field("Email")
                .as_text()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .count()
}

/// An account whose only CRM is a fake Salesforce with `leads` leads (the world's Infor
/// connector, unused, deleted first); the world's `connector` is the Salesforce one, so
/// [`World::import`] reads from it.
pub async fn salesforce_only(leads: usize) -> (World, FakeSalesforce) {
    let sf = start_fake(leads).await;
    let w = connected(&sf, fast_services()).await;
    (w, sf)
}

/// A fake Salesforce with `leads` leads and no contacts.
pub async fn start_fake(leads: usize) -> FakeSalesforce {
    FakeSalesforce::start(FakeConfig {
        leads,
        contacts: 0,
        ..FakeConfig::default()
    })
    .await
    .expect("the fake Salesforce starts")
}

/// A world on `services` whose only CRM is `sf` (as [`salesforce_only`]).
pub async fn connected(sf: &FakeSalesforce, services: listbridge::app::Services) -> World {
    let mut w = world_with(crm_config(0, 0), services).await;
    let deleted = w
        .app
        .delete(&format!("/v1/connectors/{}", w.connector), &w.key)
        .await;
    assert_eq!(
        deleted.status(),
        204,
        "the unused Infor connector is deleted"
    );
    let (status, connector) = w
        .post(
            "/v1/connectors",
            &json!({ "kind": "salesforce", "base_url": sf.base_url(),
                     "client_id": "demo-client", "client_secret": "demo-secret" }),
        )
        .await;
    assert_eq!(status, 201, "{connector}");
    w.connector = connector["id"]
        .as_str()
        .and_then(ConnectorId::from_db)
        .unwrap_or_else(|| panic!("connector id in {connector}"));
    w
}
