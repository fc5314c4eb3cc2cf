//! The password never shows: not in logs at any level (captured from tracing), not in
//! `Debug` output, not in error messages.

mod common;

use base64::Engine;
use futures::StreamExt;
use infor_crm::{InforCrm, WireFormat};
use infor_crm_fake::{FakeConfig, Fault, FaultConfig, FaultRule};
use listbridge_connector::{CrmConnector, EntityKind, FieldValues, ReadQuery, WriteOp};

use common::{capture_logs, config, fake_with, options};

const SECRET: &str = "Tr0ub4dor&3-horse";

fn forbidden() -> Vec<String> {
    vec![
        SECRET.to_string(),
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{SECRET}")),
        base64::engine::general_purpose::STANDARD.encode(format!("ADMIN:{SECRET}")),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for secret in forbidden() {
        assert!(!text.contains(&secret), "{what} contains a credential");
    }
}

#[tokio::test]
async fn password_never_appears_in_logs_debug_or_errors() {
    let (logs, _guard) = capture_logs();
    let fake = fake_with(FakeConfig {
        leads: 120,
        password: SECRET.into(),
        ..FakeConfig::default()
    })
    .await;
    let crm = InforCrm::with_options(config(&fake.base_url(), SECRET), options(WireFormat::Atom))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_clean("Debug of the connector", &format!("{crm:?}"));
    assert_clean(
        "Debug of the config",
        &format!("{:?}", config(&fake.base_url(), SECRET)),
    );

    crm.verify().await.unwrap_or_else(|e| panic!("{e}"));
    fake.state().set_faults(FaultConfig {
        rules: vec![FaultRule::next(
            2,
            Fault::Status {
                status: 500,
                retry_after: None,
            },
        )],
        ..FaultConfig::default()
    });
    let mut stream = crm.read(EntityKind::Lead, ReadQuery::default());
    while let Some(page) = stream.next().await {
        page.unwrap_or_else(|e| panic!("{e}"));
    }
    let fields: FieldValues = [
        ("LastName", "Secretive"),
        ("Company", "Hush"),
        ("Email", "hush@secret.example"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Some(v.to_string())))
    .collect();
    let outcomes = crm
        .write_batch(vec![WriteOp::Create {
            entity: EntityKind::Lead,
            fields: fields.clone(),
        }])
        .await;
    assert!(outcomes.is_ok());

    let wrong = InforCrm::with_options(
        config(&fake.base_url(), &format!("{SECRET}x")),
        options(WireFormat::Json),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let err = wrong
        .verify()
        .await
        .err()
        .map(|e| format!("{e} {e:?}"))
        .unwrap_or_default();
    assert!(!err.is_empty());
    assert_clean("the auth error", &err);
    let err = wrong
        .create(EntityKind::Lead, &fields)
        .await
        .err()
        .map(|e| format!("{e} {e:?}"))
        .unwrap_or_default();
    assert_clean("a write error", &err);

    let captured = logs.text();
    // Each request is a span with its method, resource, attempt, status and duration.
    for expected in [
        "sdata_request{method=GET resource=\"leads\"",
        "status=200",
        "duration_ms=",
        "attempt=2",
        "retrying CRM request",
    ] {
        assert!(captured.contains(expected), "the logs lack {expected}");
    }
    assert_clean("the logs", &captured);
    assert!(
        !captured.contains("hush@secret.example"),
        "no emails in the logs"
    );
    fake.shutdown().await;
}
