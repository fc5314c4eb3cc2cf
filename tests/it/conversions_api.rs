//! `/v1/conversion-exports`: the token is write-only, a rule naming a field the CRM
//! does not have is refused with its name, another account's export is 404, and the
//! connector an export reads cannot be deleted under it.

use serde_json::json;

use crate::support::{
    assert_problem,
    conversions::{TOKEN, export_body, platform},
    world::{crm_config, world},
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
    assert_eq!(shown["token_set"], true);
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
