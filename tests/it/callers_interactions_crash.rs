//! `kill -9` of a real `listbridge serve` process in the middle of writing a thousand
//! call notes: the fake CRM applies some note writes but holds their answers, so the
//! database shows notes delivered, notes in flight (`sending`, already in the CRM) and
//! notes not yet written when the process dies. A NEW process on the same database
//! takes the batches over once the dead one's leases lapse, looks up the notes that were
//! in flight, and the CRM ends with exactly one `atPhoneCall` note per call, each
//! recorded once; reporting the calls again adds nothing.

use std::collections::BTreeSet;

use infor_crm_fake::{FakeConfig, FakeCrm, Fault, FaultConfig, FaultRule};
use serde_json::json;

use crate::support::calls::{
    assert_one_note_each, inbound_call, interactions_in_db, number_leads, phone_call_notes, report,
    wait_settled,
};
use crate::support::process::{SharedDatabase, call, create_account, serve};
use crate::support::runs::wait_run_at;
use crate::support::wait;
use crate::support::world::connect_body;

const CALLS: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_s_call_notes_are_finished_once_by_a_new_process() {
    crate::support::install_tls_provider();
    let crm = FakeCrm::start(FakeConfig {
        leads: CALLS,
        contacts: 0,
        accounts: 5,
        page_cap: 100,
        ..FakeConfig::default()
    })
    .await
    .expect("fake CRM");
    let leads = number_leads(&crm, CALLS);
    let database = SharedDatabase::create("calls-kill").await;
    let database_url = database.url.as_str();
    let key = create_account(database_url, "acme").await;

    let mut first = serve(database_url, &[]).await;
    let base = first.base.clone();
    let client = reqwest::Client::new();
    let connector = call(
        client
            .post(format!("{base}/v1/connectors"))
            .bearer_auth(&key)
            .json(&connect_body(&crm.base_url(), "password")),
    )
    .await;
    let import = call(
        client
            .post(format!("{base}/v1/lists/import"))
            .bearer_auth(&key)
            .json(
                &json!({ "connector": connector["id"], "entity": "lead", "fields": ["WorkPhone"] }),
            ),
    )
    .await;
    let run = import["run_id"].as_str().expect("run id");
    let imported = wait_run_at(&client, &base, &key, run).await;
    assert_eq!(imported["status"], "succeeded", "{imported}");

    let db = sea_orm::Database::connect(database_url)
        .await
        .expect("test connection");

    // The first note write of each batch is answered at once; every later one is
    // applied by the CRM but its answer is held for five minutes: the process is stuck
    // mid-batch, with notes written that it has not recorded as delivered.
    let hold = |fault| {
        FaultRule::always(fault)
            .with_method("POST")
            .with_kind("history")
    };
    crm.state().set_faults(FaultConfig {
        rules: vec![
            FaultRule {
                next: Some(2),
                ..hold(Fault::Hang { ms: 0, apply: true })
            },
            hold(Fault::Hang {
                ms: 300_000,
                apply: true,
            }),
        ],
        ..FaultConfig::default()
    });
    let (status, recorded) =
        report(&client, &base, &key, (0..CALLS).map(inbound_call).collect()).await;
    assert_eq!(status, 202, "{recorded}");
    wait::until("a note write held mid-batch", async || {
        let posts = crm.state().stats().kind_count("history", "POST");
        let (counts, _) = interactions_in_db(&db).await;
        let count = |s: &str| counts.get(s).copied().unwrap_or(0);
        // A third note write was held (the first two were answered), and its notes
        // stay `sending` until the process dies.
        if posts >= 3 && count("delivered") > 0 && count("sending") > 0 {
            Ok(())
        } else {
            Err(format!("{posts} note writes; {counts:?}"))
        }
    })
    .await;
    first.child.kill().await.expect("kill -9");

    // The state the process died in, read from the database no process now runs on.
    let (at_kill, _) = interactions_in_db(&db).await;
    let count = |s: &str| at_kill.get(s).copied().unwrap_or(0);
    let (delivered, sending, pending) = (count("delivered"), count("sending"), count("pending"));
    assert_eq!(at_kill.values().sum::<usize>(), CALLS, "{at_kill:?}");
    assert!(
        delivered > 0,
        "some notes delivered before the kill: {at_kill:?}"
    );
    assert!(sending > 0, "some notes in flight at the kill: {at_kill:?}");
    assert!(
        pending > 0,
        "some notes not yet written at the kill: {at_kill:?}"
    );
    let in_crm = phone_call_notes(&crm).len();
    assert!(
        in_crm > delivered && in_crm < CALLS,
        "the CRM holds notes whose delivery was never recorded: {in_crm} notes, {at_kill:?}"
    );
    crm.state().clear_faults();

    // A new process on the same database finishes the batches.
    let second = serve(database_url, &[]).await;
    let counts = wait_settled(&client, &second.base, &key).await;
    assert_eq!(counts["delivered"], CALLS, "{counts}");
    assert_one_note_each(&crm, &leads);
    let notes: BTreeSet<String> = phone_call_notes(&crm).into_iter().map(|r| r.key).collect();
    let (after, recorded_keys) = interactions_in_db(&db).await;
    assert_eq!(after.get("delivered"), Some(&CALLS), "{after:?}");
    let recorded_set: BTreeSet<String> = recorded_keys.iter().cloned().collect();
    assert_eq!(recorded_set.len(), CALLS, "one History key per interaction");
    assert_eq!(
        recorded_set, notes,
        "each interaction recorded with its own note"
    );

    // Reported again to the new process: nothing new.
    let (status, again) = report(
        &client,
        &second.base,
        &key,
        (0..CALLS).map(inbound_call).collect(),
    )
    .await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["already_recorded"], CALLS);
    wait_settled(&client, &second.base, &key).await;
    assert_one_note_each(&crm, &leads);
    drop(second);
}
