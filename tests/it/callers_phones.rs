//! The phone index follows member values: numbers that do not parse are reported per
//! record in the import run, and for updated members in a pull (once per record and
//! column in a run, a fixed number no longer); setting the default region re-reads national numbers; a
//! member edit, a member removal and a list removal change what a lookup finds.

use infor_crm_fake::Kind;
use listbridge::accounts::AccountAdmin;
use serde_json::{Map, Value, json};

use crate::support::{
    lists::urlencode,
    world::{World, crm_config, world},
};

async fn set_region(w: &World, region: &str) {
    let state = &w.app.state;
    AccountAdmin {
        store: &state.store,
        clock: state.clock.as_ref(),
        random: state.random.as_ref(),
    }
    .update_settings(w.account, "acme", "UTC", region)
    .await
    .expect("region saved");
}

fn add_lead(w: &World, email: &str, phone: &str) -> String {
    let mut map = Map::new();
    map.insert("LastName".into(), json!("Caller"));
    map.insert("Company".into(), json!("Callers Ltd"));
    map.insert("Email".into(), json!(email));
    map.insert("WorkPhone".into(), json!(phone));
    w.crm
        .state()
        .insert_record(Kind::Lead, &map)
        .expect("lead")
        .key
}

/// The CRM key the lookup URL answers for `number`, if any.
async fn who(w: &World, key: &str, number: &str) -> Option<String> {
    let res = w
        .app
        .client
        .get(format!(
            "{}/crm-lookup/{key}?caller={}",
            w.app.base_url,
            urlencode(number)
        ))
        .header("Accept", "application/json")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.expect("JSON");
    body["key"].as_str().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_phones_index_follows_region_edits_and_removals_and_reports_bad_numbers() {
    let w = world(crm_config(3, 3)).await;
    let ada = add_lead(&w, "ada@phones.test", "020 7946 0018");
    let bob = add_lead(&w, "bob@phones.test", "+44 20 7946 0020");
    let rubbish = add_lead(&w, "cy@phones.test", "ask reception");
    let (list, report) = w.import("lead", &["WorkPhone"]).await;
    let run = report["id"].as_str().expect("run id").to_string();
    let bad = w.records_with_outcome(&run, "phone_not_parsed").await;
    let keys: Vec<&str> = bad.iter().filter_map(|r| r["crm_key"].as_str()).collect();
    assert!(keys.contains(&rubbish.as_str()), "{bad:?}");
    assert!(
        keys.contains(&ada.as_str()),
        "national number without a region: {bad:?}"
    );
    assert!(bad.iter().all(|r| r["field"] == "WorkPhone"), "{bad:?}");

    let (status, created) = w.post("/v1/lookup-keys", &json!({ "name": "PBX" })).await;
    assert_eq!(status, 201, "{created}");
    let key = created["lookup_key"].as_str().expect("key").to_string();

    assert_eq!(
        who(&w, &key, "+44 20 7946 0020").await.as_deref(),
        Some(bob.as_str())
    );
    assert_eq!(
        who(&w, &key, "+44 20 7946 0018").await,
        None,
        "no region yet"
    );
    set_region(&w, "GB").await;
    assert_eq!(
        who(&w, &key, "+44 20 7946 0018").await.as_deref(),
        Some(ada.as_str())
    );

    // A member edit re-indexes that member in the same write.
    let members = crate::support::lists::all_members(&w.app, &w.key, list).await;
    let ada_member = members
        .iter()
        .find(|m| m["email"] == "ada@phones.test")
        .and_then(|m| m["id"].as_str())
        .expect("ada is a member")
        .to_string();
    let res = w
        .app
        .patch(
            &format!("/v1/lists/{list}/members/{ada_member}"),
            &w.key,
            &json!({ "values": { "WorkPhone": "020 7946 0077" } }),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(who(&w, &key, "02079460018").await, None, "old number gone");
    assert_eq!(
        who(&w, &key, "02079460077").await.as_deref(),
        Some(ada.as_str())
    );

    let res = w
        .app
        .delete(&format!("/v1/lists/{list}/members/{ada_member}"), &w.key)
        .await;
    assert!(res.status().is_success());
    assert_eq!(who(&w, &key, "02079460077").await, None, "removed member");

    let res = w.app.delete(&format!("/v1/lists/{list}"), &w.key).await;
    assert!(res.status().is_success());
    assert_eq!(
        who(&w, &key, "+44 20 7946 0020").await,
        None,
        "removed list"
    );
}

/// Sets `field` of these leads in the CRM (a later ModifyDate, so the next pull reads them).
fn crm_set(w: &World, keys: &[&str], field: &str, value: Value) {
    w.crm.state().clock().advance(chrono::Duration::seconds(30));
    let mut set = Map::new();
    set.insert(field.into(), value);
    w.crm
        .state()
        .update_records(
            Kind::Lead,
            &infor_crm_fake::UpdateSpec {
                keys: keys.iter().map(|k| k.to_string()).collect(),
                set,
                ..Default::default()
            },
        )
        .expect("CRM updated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_phones_index_follows_pulled_pages_and_phone_usages() {
    let w = world(crm_config(0, 0)).await;
    set_region(&w, "GB").await;
    let ada = add_lead(&w, "ada@pages.test", "020 7946 0101");
    let bob = add_lead(&w, "bob@pages.test", "020 7946 0102");
    let cy = add_lead(&w, "cy@pages.test", "020 7946 0103");
    // WorkPhone mirrors a CRM phone field; Title is a phone column only by usage.
    let list = w.pulling_lead_list(&["WorkPhone", "Title"]).await;
    w.save_sync(
        list,
        &json!({ "pull": { "enabled": true, "add_new": true, "update_existing": true } }),
    )
    .await;
    let (status, created) = w.post("/v1/lookup-keys", &json!({ "name": "PBX" })).await;
    assert_eq!(status, 201, "{created}");
    let key = created["lookup_key"].as_str().expect("key").to_string();
    assert_eq!(
        who(&w, &key, "02079460101").await.as_deref(),
        Some(ada.as_str())
    );

    // One pulled page: two changed numbers, a number cleared and a new record.
    crm_set(&w, &[&ada, &bob], "WorkPhone", json!("020 7946 0201"));
    crm_set(&w, &[&cy], "WorkPhone", Value::Null);
    let dee = add_lead(&w, "dee@pages.test", "020 7946 0104");
    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    for old in ["02079460101", "02079460102", "02079460103"] {
        assert_eq!(who(&w, &key, old).await, None, "{old} left the index");
    }
    let shared = who(&w, &key, "02079460201")
        .await
        .expect("new number indexed");
    assert!([&ada, &bob].contains(&&shared), "{shared}");
    assert_eq!(
        who(&w, &key, "02079460104").await.as_deref(),
        Some(dee.as_str()),
        "a pulled new member is indexed"
    );

    // Title holds numbers only once it has a phone usage; the pull follows it.
    crm_set(&w, &[&cy], "Title", json!("020 7946 0301"));
    assert_eq!(w.sync(list).await["status"], "succeeded");
    assert_eq!(
        who(&w, &key, "02079460301").await,
        None,
        "not a phone column"
    );
    w.set_usage("Title", "work_phone").await;
    assert_eq!(
        who(&w, &key, "02079460301").await.as_deref(),
        Some(cy.as_str()),
        "re-indexed when Title became a phone column"
    );
    crm_set(&w, &[&cy], "Title", json!("020 7946 0302"));
    assert_eq!(w.sync(list).await["status"], "succeeded");
    assert_eq!(who(&w, &key, "02079460301").await, None);
    assert_eq!(
        who(&w, &key, "02079460302").await.as_deref(),
        Some(cy.as_str())
    );
    listbridge::field_usages::remove(&w.app.state, w.account, "Title")
        .await
        .expect("usage removed");
    assert_eq!(
        who(&w, &key, "02079460302").await,
        None,
        "rows go with the usage"
    );
}

/// The `phone_not_parsed` records of a run about `key`, as `(field, detail)`.
async fn phone_reports(w: &World, report: &Value, key: &str) -> Vec<(String, String)> {
    let run = report["id"].as_str().expect("run id");
    w.records_with_outcome(run, "phone_not_parsed")
        .await
        .into_iter()
        .filter(|r| r["crm_key"] == key)
        .map(|r| {
            (
                r["field"].as_str().unwrap_or_default().to_string(),
                r["detail"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_phones_pull_reports_unparsed_numbers_of_updated_members_once_per_run() {
    let w = world(crm_config(0, 0)).await;
    set_region(&w, "GB").await;
    let ada = add_lead(&w, "ada@unparsed.test", "020 7946 0401");
    let bob = add_lead(&w, "bob@unparsed.test", "ask reception");
    let list = w.pulling_lead_list(&["WorkPhone"]).await;
    let (status, created) = w.post("/v1/lookup-keys", &json!({ "name": "PBX" })).await;
    assert_eq!(status, 201, "{created}");
    let key = created["lookup_key"].as_str().expect("key").to_string();

    // An existing member's number stops parsing; another's is fixed.
    crm_set(&w, &[&ada], "WorkPhone", json!("call me maybe"));
    crm_set(&w, &[&bob], "WorkPhone", json!("020 7946 0402"));
    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let told = phone_reports(&w, &report, &ada).await;
    assert_eq!(told.len(), 1, "the updated member's bad number: {told:?}");
    assert_eq!(told[0].0, "WorkPhone", "{told:?}");
    assert!(
        told[0].1.contains("call me maybe"),
        "names the text: {told:?}"
    );
    assert!(
        phone_reports(&w, &report, &bob).await.is_empty(),
        "a fixed number is no longer reported"
    );
    assert_eq!(who(&w, &key, "02079460401").await, None, "old number gone");
    assert_eq!(
        who(&w, &key, "02079460402").await.as_deref(),
        Some(bob.as_str())
    );

    // A new phone column is filled (backfill) and the same record is pulled again in
    // one run: each bad value is reported once.
    let (status, body) = w
        .post(
            &format!("/v1/lists/{list}/columns"),
            &json!({ "fields": ["Mobile"] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    crm_set(&w, &[&ada], "Mobile", json!("ext 12"));
    let report = w.sync(list).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert!(
        report["counts"]["read"].as_i64() >= Some(1)
            && report["counts"]["filled"].as_i64() >= Some(1),
        "filled, then pulled again: {report}"
    );
    let mut told = phone_reports(&w, &report, &ada).await;
    told.sort();
    let fields: Vec<&str> = told.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, ["Mobile", "WorkPhone"], "once each: {told:?}");
    assert!(told[0].1.contains("ext 12"), "{told:?}");
}
