//! Salesforce beside Infor CRM in one account (issue 17), through the JSON API against
//! the fake Salesforce: connected with its OAuth client, leads imported from each CRM at
//! the same time, an uploaded list pushed to Salesforce as new Leads once, and the
//! Salesforce connector refused for deletion while lists use it.

use listbridge::store::ListId;
use salesforce_fake::{FakeConfig, FakeSalesforce, SObject};
use serde_json::json;

use crate::support::{
    assert_problem,
    salesforce::{leads_with_email, salesforce_only},
    world::{crm_config, world},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salesforce_and_infor_sync_side_by_side_in_one_account() {
    let w = world(crm_config(40, 0)).await;
    let sf = FakeSalesforce::start(FakeConfig {
        leads: 600,
        contacts: 0,
        page_cap: 200,
        ..FakeConfig::default()
    })
    .await
    .expect("the fake Salesforce starts");

    // A wrong secret is refused before anything is saved; the right one connects.
    let body = |secret: &str| {
        json!({ "kind": "salesforce", "base_url": sf.base_url(),
                "client_id": "demo-client", "client_secret": secret })
    };
    let refused = w.app.post("/v1/connectors", &w.key, &body("wrong")).await;
    let problem = assert_problem(refused, 422, "crm_login_failed").await;
    assert!(!problem.to_string().contains("wrong"), "{problem}");
    let (status, connector) = w.post("/v1/connectors", &body("demo-secret")).await;
    assert_eq!(status, 201, "{connector}");
    assert_eq!(connector["kind"], "salesforce");
    assert!(
        !connector.to_string().contains("demo-secret"),
        "{connector}"
    );
    let sf_id = connector["id"].as_str().unwrap_or_default().to_string();

    // Leads from each CRM at the same time.
    let (status, infor_import) = w
        .start_import(&json!({ "connector": w.connector, "entity": "lead", "fields": ["Title"] }))
        .await;
    assert_eq!(status, 202, "{infor_import}");
    let (status, sf_import) = w
        .start_import(&json!({ "connector": sf_id, "entity": "lead", "fields": ["Title"] }))
        .await;
    assert_eq!(status, 202, "{sf_import}");
    let (infor, salesforce) = tokio::join!(
        w.wait_run(infor_import["run_id"].as_str().unwrap_or_default()),
        w.wait_run(sf_import["run_id"].as_str().unwrap_or_default())
    );
    assert_eq!(infor["status"], "succeeded", "{infor}");
    assert_eq!(salesforce["status"], "succeeded", "{salesforce}");
    let open_leads = sf
        .state()
        .records(SObject::Lead)
        .iter()
        .filter(|r| !r.field("IsConverted").is_true())
        .count();
    assert_eq!(
        salesforce["counts"]["read"],
        json!(open_leads),
        "every lead not converted, read once across pages of 200: {salesforce}"
    );
    assert_eq!(infor["counts"]["read"], 40, "{infor}");

    // Then a sync of each list at the same time, each through its own CRM.
    let list_of = |import: &serde_json::Value| {
        import["list"]["id"]
            .as_str()
            .and_then(ListId::from_db)
            .unwrap_or_else(|| panic!("list id in {import}"))
    };
    let (infor_list, sf_list) = (list_of(&infor_import), list_of(&sf_import));
    let setup = json!({ "pull": { "enabled": true, "update_existing": true },
                        "push": { "enabled": true, "update_existing": true, "fields": ["Title"] } });
    w.save_sync(infor_list, &setup).await;
    w.save_sync(sf_list, &setup).await;
    let infor_requests = w.crm.state().stats().total;
    sf.state().reset_stats();
    let (infor_sync, sf_sync) = tokio::join!(w.sync(infor_list), w.sync(sf_list));
    assert_eq!(infor_sync["status"], "succeeded", "{infor_sync}");
    assert_eq!(sf_sync["status"], "succeeded", "{sf_sync}");
    assert!(
        w.crm.state().stats().total > infor_requests,
        "the Infor list synced with Infor CRM"
    );
    assert!(
        sf.state().stats().total > 0,
        "the Salesforce list synced with Salesforce"
    );

    // An uploaded list pushes its new members to Salesforce as Leads, once.
    let (upload, rows) = w.people_list(6, "to-salesforce.example").await;
    w.save_sync(
        upload,
        &json!({ "push": { "enabled": true, "add_new": true }, "connector_id": sf_id }),
    )
    .await;
    let infor_leads = w.crm_leads().len();
    let report = w.sync(upload).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["pushed_new"], 6, "{report}");
    for (email, _) in &rows {
        assert_eq!(
            leads_with_email(&sf, email),
            1,
            "{email} is a Salesforce lead once"
        );
    }
    let again = w.sync(upload).await;
    assert_eq!(again["counts"]["pushed_new"], 0, "{again}");
    assert_eq!(
        w.crm_leads().len(),
        infor_leads,
        "nothing went to Infor CRM"
    );
    for (email, _) in &rows {
        assert_eq!(leads_with_email(&sf, email), 1, "{email} not created twice");
    }

    // Deleting the Salesforce connector is refused, naming the lists that use it.
    let refused = w
        .app
        .delete(&format!("/v1/connectors/{sf_id}"), &w.key)
        .await;
    let problem = assert_problem(refused, 409, "connector_in_use").await;
    let lists = problem["details"]["lists"].to_string();
    assert!(lists.contains("Upload"), "{problem}");
    let sf_list = sf_import["list"]["name"].as_str().unwrap_or_default();
    assert!(lists.contains(sf_list), "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_campaign_writes_one_completed_task_per_salesforce_lead() {
    let (w, sf) = salesforce_only(30).await;
    // Ten leads with an email of their own, not converted.
    let leads = sf.state().records(SObject::Lead);
    let mut people: Vec<(String, String)> = Vec::new();
    for lead in &leads {
        let Some(email) = lead.field("Email").as_text() else {
            continue;
        };
        if lead.field("IsConverted").is_true() || leads_with_email(&sf, email) != 1 {
            continue;
        }
        people.push((email.to_lowercase(), lead.id().to_18()));
        if people.len() == 10 {
            break;
        }
    }
    assert_eq!(people.len(), 10, "enough seeded leads");
    let report = json!({
        "campaign_id": "sf-spring",
        "subject": "Spring offers for you",
        "sent_at": "2025-04-01T08:30:00Z",
        "preview_url_template": "https://mail.example.com/preview/{recipient_id}",
        "recipients": people.iter().enumerate()
            .map(|(i, (email, _))| json!({ "email": email, "recipient_id": format!("r{i}") }))
            .collect::<Vec<_>>(),
        "write_crm_notes": true
    });
    let tasks_of = |who: &str| {
        sf.state()
            .records(SObject::Task)
            .iter()
            .filter(|t| t.field("WhoId").to_csv() == who)
            .count()
    };
    let (status, recorded) = w.post("/v1/messages/sent", &report).await;
    assert_eq!(status, 202, "{recorded}");
    let counts = w.wait_notes("sf-spring").await;
    assert_eq!(counts["delivered"], 10, "{counts}");
    for (email, id) in &people {
        assert_eq!(tasks_of(id), 1, "one Task on {email}'s lead");
    }
    // Reported again: nothing more is written.
    let (status, _) = w.post("/v1/messages/sent", &report).await;
    assert_eq!(status, 202);
    let counts = w.wait_notes("sf-spring").await;
    assert_eq!(counts["delivered"], 10, "{counts}");
    for (email, id) in &people {
        assert_eq!(tasks_of(id), 1, "still one Task on {email}'s lead");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_form_creates_a_salesforce_lead_then_updates_it() {
    let (w, sf) = salesforce_only(5).await;
    let form = w
        .create_form(&json!({
            "name": "Trial sign-up",
            "fields": [
                { "name": "email", "usage": "email" },
                { "name": "first_name", "usage": "first_name" },
                { "name": "last_name", "usage": "last_name" },
                { "name": "company", "usage": "company" }
            ],
            "update_fields": ["FirstName"],
            "thank_you_url": null
        }))
        .await;
    let id = form["id"].as_str().unwrap_or_default().to_string();
    let path = form["submit_path"].as_str().unwrap_or_default().to_string();
    let submit = |first: &str| {
        let body = json!({ "email": "Trial@Form.example", "first_name": first,
                           "last_name": "Sign-Up", "company": "Trialco" });
        let request = w.app.client.post(w.app.url(&path)).json(&body);
        async move { request.send().await.map(|r| r.status().as_u16()) }
    };
    assert_eq!(submit("Ada").await.ok(), Some(202));
    let delivered = w.wait_delivered(&id, 1).await;
    assert_eq!(delivered[0]["action"], "created", "{delivered:?}");
    let lead = |sf: &FakeSalesforce| {
        let leads: Vec<_> = sf
            .state()
            .records(SObject::Lead)
            .into_iter()
            .filter(|r| {
                r.field("Email")
                    .as_text()
                    .is_some_and(|e| e.eq_ignore_ascii_case("trial@form.example"))
            })
            .collect();
        assert_eq!(leads.len(), 1, "one Salesforce lead for the email");
        leads.into_iter().next()
    };
    let created = lead(&sf);
    let text = |field: &str| {
        created
            .as_ref()
            .and_then(|r| r.field(field).as_text().map(str::to_string))
    };
    assert_eq!(text("Company").as_deref(), Some("Trialco"));
    assert_eq!(text("FirstName").as_deref(), Some("Ada"));

    assert_eq!(submit("Grace").await.ok(), Some(202));
    let delivered = w.wait_delivered(&id, 2).await;
    assert!(
        delivered.iter().any(|s| s["action"] == "updated"),
        "{delivered:?}"
    );
    let updated = lead(&sf);
    assert_eq!(
        updated.and_then(|r| r.field("FirstName").as_text().map(str::to_string)),
        Some("Grace".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_salesforce_leads_are_imported_once_in_pages_of_two_thousand() {
    let (w, sf) = salesforce_only(10_000).await;
    let connector = w
        .get("/v1/connectors")
        .await
        .1
        .as_array()
        .and_then(|all| all.first().cloned())
        .unwrap_or_default();
    sf.state().reset_stats();
    let (status, import) = w
        .start_import(&json!({ "connector": connector["id"], "entity": "lead", "fields": ["Title", "Score__c"] }))
        .await;
    assert_eq!(status, 202, "{import}");
    let report = w
        .wait_run(import["run_id"].as_str().unwrap_or_default())
        .await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let open_leads = sf
        .state()
        .records(SObject::Lead)
        .iter()
        .filter(|r| !r.field("IsConverted").is_true())
        .count();
    assert_eq!(report["counts"]["read"], json!(open_leads), "{report}");
    // A member per distinct email (leads without one are not members; two leads sharing
    // one are one member).
    let emails: std::collections::HashSet<String> = sf
        .state()
        .records(SObject::Lead)
        .iter()
        .filter(|r| !r.field("IsConverted").is_true())
        .filter_map(|r| r.field("Email").as_text().map(str::to_lowercase))
        .filter(|e| !e.is_empty())
        .collect();
    let list = import["list"]["id"].as_str().unwrap_or_default();
    let (_, listed) = w.get(&format!("/v1/lists/{list}")).await;
    assert_eq!(listed["member_count"], json!(emails.len()), "{listed}");
    let queries = sf.state().stats().total;
    assert!(
        queries <= (open_leads as u64).div_ceil(2000) + 6,
        "{queries} requests for {open_leads} leads in pages of 2,000"
    );
}
