//! The JWT bearer flow against the fake (which checks the assertion's claims, not its
//! signature: see the fake's README).

mod common;

use listbridge_connector::{ConnectorError, CrmConnector, EntityKind};
use rsa::{
    PrivateKey,
    pkcs8::{EncodePrivateKey, LineEnding},
};
use salesforce::{AuthFlow, Salesforce, SalesforceOptions};

use common::{add_lead, config, fake};

fn options(username: &str, audience: &str) -> SalesforceOptions {
    SalesforceOptions {
        auth: AuthFlow::JwtBearer {
            username: username.into(),
            audience: audience.into(),
        },
        ..SalesforceOptions::fast_retries()
    }
}

#[tokio::test]
async fn the_jwt_bearer_flow_logs_in_with_a_signed_assertion() {
    let fake = fake(2000).await;
    add_lead(&fake, "Pat", "Jwt", "pat.jwt@example.test");
    let key = PrivateKey::new(&mut rand::rng(), 2048).unwrap_or_else(|e| panic!("{e}"));
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap_or_else(|e| panic!("{e}"));
    let connector = Salesforce::with_options(
        config(&fake.base_url(), &pem),
        options(
            "integration@listbridge.example",
            "https://login.salesforce.com",
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let debug = format!("{connector:?}");
    assert!(!debug.contains("PRIVATE KEY"), "{debug}");
    connector
        .verify()
        .await
        .unwrap_or_else(|e| panic!("verify: {e}"));
    let found = connector
        .find_by_email(EntityKind::Lead, &["pat.jwt@example.test".into()], &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 1);

    let stranger = Salesforce::with_options(
        config(&fake.base_url(), &pem),
        options("nobody@listbridge.example", "https://login.salesforce.com"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    match stranger.verify().await {
        Err(ConnectorError::Auth { message }) => {
            assert!(message.contains("invalid_grant"), "{message}")
        }
        other => panic!("an unknown user is refused, got {other:?}"),
    }
}

#[test]
fn a_key_that_is_not_pem_is_refused_when_building() {
    match Salesforce::with_options(
        config("http://127.0.0.1:9", "not a key"),
        options("u@example.test", "https://login.salesforce.com"),
    ) {
        Err(ConnectorError::Invalid { message }) => {
            assert!(!message.contains("not a key"), "{message}")
        }
        other => panic!("a bad key is refused, got {other:?}"),
    }
}
