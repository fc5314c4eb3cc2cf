//! `/v1/conversion-exports`: the token is write-only, a rule naming a field the CRM
//! does not have is refused with its name, another account's export is 404, and the
//! connector an export reads cannot be deleted under it; an export with a period is
//! queued by the scheduler's tick once per slot.

use listbridge::{clock::TestClock, conversions::exports::fire_due};
use serde_json::json;

use crate::support::{
    assert_problem,
    conversions::{TOKEN, export_body, platform},
    schedules::{services, utc},
    world::{crm_config, world, world_with},
};

#[tokio::test]
async fn exports_hide_their_token_check_their_rule_and_stay_in_their_account() {
    let w = world(crm_config(0, 0)).await;
    let platform = platform(1).await;
    let export = w.create_export(&export_body(&w, &platform)).await;
    for path in [
        "/v1/conversion-exports".to_string(),
        format!("/v1/conversion-exports/{export}"),
    ] {
        let (status, body) = w.get(&path).await;
        assert_eq!(status, 200, "{body}");
        assert!(!body.to_string().contains(TOKEN), "{body}");
    }
    let (_, shown) = w.get(&format!("/v1/conversion-exports/{export}")).await;
    assert_eq!(shown["secret_set"], true);
    assert_eq!(shown["destination"]["kind"], "call_tracking_api");

    let mut body = export_body(&w, &platform);
    body["name"] = json!("Typo");
    body["rule"]["amount_field"] = json!("ActualAmmount");
    let problem = assert_problem(
        w.app.post("/v1/conversion-exports", &w.key, &body).await,
        422,
        "invalid_rule",
    )
    .await;
    let message = problem["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("amount_field") && message.contains("ActualAmmount"),
        "{message}"
    );

    let mut body = export_body(&w, &platform);
    body["name"] = json!("Bad currency");
    body["rule"]["currency"] = json!({ "text": "XYZ" });
    assert_problem(
        w.app.post("/v1/conversion-exports", &w.key, &body).await,
        422,
        "invalid_rule",
    )
    .await;

    let other = w.app.create_account("other").await;
    assert_problem(
        w.app
            .get(&format!("/v1/conversion-exports/{export}"), &other)
            .await,
        404,
        "not_found",
    )
    .await;

    let problem = assert_problem(
        w.app
            .delete(&format!("/v1/connectors/{}", w.connector), &w.key)
            .await,
        409,
        "connector_in_use",
    )
    .await;
    assert!(
        problem["message"]
            .as_str()
            .unwrap_or_default()
            .contains("'Won deals'"),
        "{problem}"
    );
}

#[tokio::test]
async fn an_export_every_hour_is_queued_once_per_slot_and_never_twice_at_once() {
    let clock = TestClock::new(utc("2026-12-05T09:00:00Z"));
    let w = world_with(crm_config(0, 0), services(&clock)).await;
    let platform = platform(1).await;
    let mut body = export_body(&w, &platform);
    body["every_minutes"] = json!(60);
    let export = w.create_export(&body).await;
    let (_, shown) = w.get(&format!("/v1/conversion-exports/{export}")).await;
    assert_eq!(shown["next_run_at"], "2026-12-05T10:00:00Z", "{shown}");

    let state = &w.app.state;
    clock.set(utc("2026-12-05T09:59:59Z"));
    assert_eq!(fire_due(state).await.expect("tick"), 0, "not early");
    clock.set(utc("2026-12-05T10:00:00Z"));
    assert_eq!(fire_due(state).await.expect("tick"), 1, "on time");
    assert_eq!(
        fire_due(state).await.expect("tick"),
        0,
        "the slot is claimed"
    );
    let (status, now) = w
        .post(&format!("/v1/conversion-exports/{export}/runs"), &json!({}))
        .await;
    assert_eq!(status, 202, "{now}");
    assert_eq!(now["created"], false, "Run Now meets the queued run: {now}");
    assert_eq!(now["run"]["trigger"], "schedule");

    // Hours missed while the service was down make one run, and the next slot is a
    // whole hour after now.
    clock.set(utc("2026-12-05T13:30:00Z"));
    assert_eq!(
        fire_due(state).await.expect("tick"),
        0,
        "still one active run"
    );
    let (_, shown) = w.get(&format!("/v1/conversion-exports/{export}")).await;
    assert_eq!(shown["next_run_at"], "2026-12-05T14:30:00Z", "{shown}");
    let (_, runs) = w
        .get(&format!("/v1/conversion-exports/{export}/runs"))
        .await;
    assert_eq!(runs.as_array().map(Vec::len), Some(1), "{runs}");
}
