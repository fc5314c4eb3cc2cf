//! Call notes: a thousand calls reported twice make a thousand `atPhoneCall` History
//! records, one on each caller's lead, with direction, duration, outcome, notes and the
//! recording link; the repeat is reported as already recorded; an outbound call is
//! matched by the callee; callers no record has (or that are not numbers) are listed as
//! unmatched with the reason; and a bad report is refused naming the call.

use serde_json::json;

use crate::support::calls::{
    assert_one_note_each, crm_number, inbound_call, listing, number_leads, phone_call_notes,
    report, start_of, wait_settled,
};
use crate::support::services::fast_services;
use crate::support::world::{crm_config, world_with};

const CALLS: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_calls_reported_twice_make_a_thousand_call_notes() {
    let w = world_with(crm_config(CALLS, 0), fast_services()).await;
    let leads = number_leads(&w.crm, CALLS);
    w.imported_list("lead", &["WorkPhone"]).await;
    let (client, base, key) = (&w.app.client, w.app.base_url.as_str(), w.key.as_str());

    let calls: Vec<_> = (0..CALLS).map(inbound_call).collect();
    let (status, first) = report(client, base, key, calls.clone()).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["received"], CALLS);
    assert_eq!(first["recorded"], CALLS);
    assert_eq!(first["batches"], 2, "batched, 500 a job");
    // The same report again while the first is being delivered.
    let (status, again) = report(client, base, key, calls).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["recorded"], 0, "{}", again["recorded"]);
    assert_eq!(again["already_recorded"], CALLS);
    assert_eq!(again["batches"], 0);
    assert!(
        again["interactions"]
            .as_array()
            .expect("receipts")
            .iter()
            .all(|r| r["receipt"] == "already_recorded"),
        "every repeat is reported as already recorded"
    );
    assert_eq!(
        again["interactions"][7]["id"], first["interactions"][7]["id"],
        "the repeat names the recorded interaction"
    );

    let counts = wait_settled(client, base, key).await;
    assert_eq!(counts["delivered"], CALLS, "{counts}");
    assert_eq!(counts["unmatched"], 0, "{counts}");
    assert_eq!(counts["failed"], 0, "{counts}");
    assert_one_note_each(&w.crm, &leads);

    // A note says what happened on the call, on the caller's lead, at the call's time.
    let notes = phone_call_notes(&w.crm);
    let note = notes
        .iter()
        .find(|n| n.text("LeadId") == Some(leads[7].as_str()))
        .expect("lead 7's note");
    assert_eq!(
        note.text("Description"),
        Some("Inbound call, 1m 07s: answered")
    );
    let long = note.text("LongNotes").expect("LongNotes");
    for part in [
        "Inbound call from +4420 7946-0007 to 200 (agent Agent 0)",
        "Started: 2025-06-02 09:00:07 UTC",
        "Duration: 1m 07s",
        "Outcome: answered",
        "Notes: Asked about order 7",
        "Recording: https://pbx.example.com/rec/call-0007.wav",
        "Interaction: call-0007",
    ] {
        assert!(long.contains(part), "{part:?} in {long}");
    }
    let (_, delivered) = w.get("/v1/interactions?status=delivered&limit=1").await;
    assert_eq!(delivered["interactions"][0]["interaction_id"], "call-0000");
    assert_eq!(
        delivered["interactions"][0]["crm"]["key"],
        leads[0].as_str()
    );
    assert!(
        delivered["interactions"][0]["note_key"].is_string(),
        "{delivered}"
    );

    // An outbound call is matched by the callee; unknown and withheld callers are listed.
    let (status, more) = report(
        client,
        base,
        key,
        vec![
            json!({ "interaction_id": "out-1", "direction": "outbound", "caller": "201",
                    "callee": crm_number(3), "started_at": start_of(5000),
                    "duration_seconds": 30, "outcome": "answered" }),
            json!({ "interaction_id": "unknown-1", "direction": "inbound",
                    "caller": "+44 20 7946 5555", "callee": "200",
                    "started_at": start_of(5001), "duration_seconds": 5 }),
            json!({ "interaction_id": "withheld-1", "direction": "inbound",
                    "caller": "anonymous", "callee": "200",
                    "started_at": start_of(5002), "duration_seconds": 5 }),
        ],
    )
    .await;
    assert_eq!(status, 202, "{more}");
    let counts = wait_settled(client, base, key).await;
    assert_eq!(counts["delivered"], CALLS + 1, "{counts}");
    assert_eq!(counts["unmatched"], 2, "{counts}");
    let outbound = phone_call_notes(&w.crm)
        .into_iter()
        .filter(|n| n.text("LeadId") == Some(leads[3].as_str()))
        .count();
    assert_eq!(outbound, 2, "lead 3 has its inbound and its outbound call");

    let unmatched = listing(client, base, key, "status=unmatched").await;
    let rows = unmatched["interactions"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{unmatched}");
    let reason = |id: &str| {
        rows.iter()
            .find(|r| r["interaction_id"] == id)
            .and_then(|r| r["reason"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        reason("unknown-1").contains("no lead or contact")
            && reason("unknown-1").contains("+442079465555"),
        "{unmatched}"
    );
    assert!(
        reason("withheld-1").contains("'anonymous' cannot be matched"),
        "{unmatched}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_report_is_refused_naming_the_call() {
    let w = world_with(crm_config(3, 0), fast_services()).await;
    let mut bad = inbound_call(1);
    bad["recording_url"] = json!("not a link");
    let (status, body) = w
        .post(
            "/v1/interactions",
            &json!({ "interactions": [inbound_call(0), bad] }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let detail = body.to_string();
    assert!(detail.contains("interactions[1] (call-0001)"), "{detail}");
    assert!(detail.contains("recording_url"), "{detail}");
    let (status, body) = w
        .post("/v1/interactions", &json!({ "interactions": [] }))
        .await;
    assert_eq!(status, 422, "{body}");
    let (_, listed) = w.get("/v1/interactions").await;
    assert_eq!(listed["interactions"], json!([]), "nothing recorded");
}
