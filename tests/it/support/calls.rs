//! Call-note tests' shared pieces: leads on the fake CRM given known phone numbers, the
//! phone system's call reports, waiting until every reported call is settled, and the
//! `atPhoneCall` History records the CRM ends with.

use infor_crm_fake::{FakeCrm, Kind, Record, UpdateSpec, history_type_name};
use serde_json::{Map, Value, json};

use crate::support::wait;

/// The first call's start; call `i` starts `i` seconds later.
pub const FIRST_START: &str = "2025-06-02T09:00:00Z";

/// The London number of person `i` (`i` < 1000), as the CRM holds it.
pub fn crm_number(i: usize) -> String {
    format!("+44 20 7946 {i:04}")
}

/// The same number as a phone system reports it (another form of it).
pub fn reported_number(i: usize) -> String {
    format!("+4420 7946-{i:04}")
}

/// Gives the first `n` leads (by key) the numbers [`crm_number`] `0..n`; returns their
/// keys in that order.
pub fn number_leads(crm: &FakeCrm, n: usize) -> Vec<String> {
    let mut keys: Vec<String> = crm
        .state()
        .records(Kind::Lead)
        .into_iter()
        .map(|r| r.key)
        .collect();
    keys.sort();
    keys.truncate(n);
    assert_eq!(keys.len(), n, "enough seeded leads");
    for (i, key) in keys.iter().enumerate() {
        let mut set = Map::new();
        set.insert("WorkPhone".into(), json!(crm_number(i)));
        crm.state()
            .update_records(
                Kind::Lead,
                &UpdateSpec {
                    keys: vec![key.clone()],
                    count: None,
                    set,
                    modify_date: None,
                    distinct_dates: false,
                },
            )
            .expect("phone set");
    }
    keys
}

/// Call `i`: inbound from person `i` to extension 200, answered, with notes and a
/// recording.
pub fn inbound_call(i: usize) -> Value {
    json!({
        "interaction_id": format!("call-{i:04}"),
        "direction": "inbound",
        "caller": reported_number(i),
        "callee": "200",
        "agent": format!("Agent {}", i % 7),
        "started_at": start_of(i),
        "duration_seconds": 60 + i,
        "outcome": "answered",
        "notes": format!("Asked about order {i}"),
        "recording_url": format!("https://pbx.example.com/rec/call-{i:04}.wav"),
    })
}

/// When call `i` started.
pub fn start_of(i: usize) -> String {
    let first: chrono::DateTime<chrono::Utc> = FIRST_START.parse().expect("instant");
    (first + chrono::Duration::seconds(i64::try_from(i).unwrap_or_default())).to_rfc3339()
}

/// Posts a call report with the API key; returns `(status, body)`.
pub async fn report(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    calls: Vec<Value>,
) -> (u16, Value) {
    let response = client
        .post(format!("{base}/v1/interactions"))
        .bearer_auth(key)
        .json(&json!({ "interactions": calls }))
        .send()
        .await
        .expect("report sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// `GET /v1/interactions` with a query; asserts 200 and returns the body.
pub async fn listing(client: &reqwest::Client, base: &str, key: &str, query: &str) -> Value {
    let response = client
        .get(format!("{base}/v1/interactions?{query}"))
        .bearer_auth(key)
        .send()
        .await
        .expect("listing sent");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("JSON body")
}

/// Waits until no reported call is pending or being written; returns the counts.
pub async fn wait_settled(client: &reqwest::Client, base: &str, key: &str) -> Value {
    wait::until("every call note settled", async || {
        let body = listing(client, base, key, "limit=1").await;
        let counts = &body["counts"];
        if counts["pending"] == 0 && counts["sending"] == 0 {
            Ok(counts.clone())
        } else {
            Err(counts.to_string())
        }
    })
    .await
}

/// The CRM's History records of type `atPhoneCall`.
pub fn phone_call_notes(crm: &FakeCrm) -> Vec<Record> {
    crm.state()
        .records(Kind::History)
        .into_iter()
        .filter(|r| {
            let name = match r.get("Type") {
                Some(infor_crm_fake::Value::Text(t)) => history_type_name(t),
                Some(infor_crm_fake::Value::Int(n)) => history_type_name(&n.to_string()),
                _ => None,
            };
            name == Some("atPhoneCall")
        })
        .collect()
}

/// Asserts each of `keys` has exactly one call note and there are no others.
pub fn assert_one_note_each(crm: &FakeCrm, keys: &[String]) {
    let notes = phone_call_notes(crm);
    let mut per_lead: std::collections::BTreeMap<&str, usize> = Default::default();
    for note in &notes {
        *per_lead
            .entry(note.text("LeadId").unwrap_or(""))
            .or_default() += 1;
    }
    assert_eq!(notes.len(), keys.len(), "one call note per call");
    for key in keys {
        assert_eq!(
            per_lead.get(key.as_str()),
            Some(&1),
            "one note for lead {key}"
        );
    }
}

/// The interactions of the database at `db`, read directly (whether or not a service
/// runs on it): how many there are in each status, and the History keys recorded for
/// the delivered ones.
pub async fn interactions_in_db(
    db: &sea_orm::DatabaseConnection,
) -> (std::collections::BTreeMap<String, usize>, Vec<String>) {
    use listbridge::store::entity::interaction;
    use sea_orm::EntityTrait;
    let rows = interaction::Entity::find()
        .all(db)
        .await
        .expect("interactions read");
    let mut counts = std::collections::BTreeMap::new();
    let mut note_keys = Vec::new();
    for row in rows {
        *counts.entry(row.status.clone()).or_default() += 1;
        if row.status == "delivered" {
            note_keys.push(row.note_key.unwrap_or_default());
        }
    }
    (counts, note_keys)
}

/// Creates a lookup key (no secret) with the API key; returns the lookup key for the
/// URL `/crm-lookup/{lookup_key}`.
pub async fn new_lookup_key(client: &reqwest::Client, base: &str, key: &str) -> String {
    let response = client
        .post(format!("{base}/v1/lookup-keys"))
        .bearer_auth(key)
        .json(&json!({ "name": "PBX" }))
        .send()
        .await
        .expect("lookup key created");
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.expect("JSON body");
    body["lookup_key"]
        .as_str()
        .expect("lookup key in the answer")
        .to_string()
}

/// Asks the lookup URL for `caller` with `Accept: application/json`; asserts 200 and
/// returns the answer.
pub async fn lookup_caller(
    client: &reqwest::Client,
    base: &str,
    lookup_key: &str,
    caller: &str,
) -> Value {
    let response = client
        .get(format!("{base}/crm-lookup/{lookup_key}"))
        .query(&[("caller", caller)])
        .header("Accept", "application/json")
        .send()
        .await
        .expect("lookup answered");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("JSON answer")
}
