//! Acceptance 2 of issue 21: a scheduled sync failing against the fake CRM (faults on)
//! sends one email and one signed webhook naming the list and the reason; the next two
//! failures send nothing; the first success sends "recovered" over both.

use infor_crm_fake::{Fault, FaultConfig, FaultRule};
use listbridge::{
    runs::queue_run,
    store::{AlertStreakRepo, ListId, NewRun, Queued, RunId, RunKind, RunTrigger},
};

use crate::support::{
    alerts::{add_channels, alerts_sent, assert_signed},
    services::fast_services,
    smtp::SmtpSink,
    wait,
    webhook::WebhookReceiver,
    world::{World, crm_config, world_configured},
};

/// The response cap of the service under test; the fault answers far more.
const CAP: u32 = 64 * 1024;

/// Every answer about leads is larger than the cap: the run fails for good at once.
fn oversized_leads() -> FaultConfig {
    FaultConfig {
        rules: vec![
            FaultRule::always(Fault::Oversized {
                bytes: 4 * 1024 * 1024,
                announce: false,
            })
            .with_kind("leads"),
        ],
        ..FaultConfig::default()
    }
}

/// Queues a sync of `list` as its schedule would and waits until it has ended and its
/// outcome is in the list's alert streak (so any alert it calls for is queued).
async fn scheduled_sync(w: &World, list: ListId) -> (RunId, String) {
    let new = NewRun {
        account_id: w.account,
        list_id: list,
        segment_id: None,
        kind: RunKind::Sync,
        trigger: RunTrigger::Schedule,
        dry_run: false,
    };
    let Queued::New(run) = queue_run(&w.app.state, new).await.expect("run queued") else {
        panic!("a run of the list was already active");
    };
    let report = w.wait_run(&run.id.to_string()).await;
    let subject = format!("scheduled_sync:list:{list}");
    wait::until("the run's outcome in its alert streak", async || {
        let streak = AlertStreakRepo::on(w.app.state.store.conn())
            .get(w.account, &subject)
            .await
            .expect("streak read");
        match streak {
            Some(s) if s.last_observed_id == Some(run.id.to_string()) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    (
        run.id,
        report["status"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_one_email_and_webhook_per_failure_streak_then_recovered() {
    let smtp = SmtpSink::start().await;
    let receiver = WebhookReceiver::start().await;
    let w = world_configured(crm_config(20, 0), fast_services(), |config| {
        config.crm.max_response_bytes = CAP;
    })
    .await;
    let list = w.pulling_lead_list(&["Title"]).await;
    let (_, list_report) = w.get(&format!("/v1/lists/{list}")).await;
    let list_name = list_report["name"].as_str().unwrap_or_default().to_string();
    assert!(!list_name.is_empty(), "{list_report}");

    add_channels(&w, &smtp, &receiver).await;

    w.crm.state().set_faults(oversized_leads());
    let (first, status) = scheduled_sync(&w, list).await;
    assert_eq!(status, "failed");
    alerts_sent(&w).await;
    let mails = smtp.wait_for(1).await;
    let hooks = receiver.wait_for(1).await;
    assert_eq!((mails.len(), hooks.len()), (1, 1));
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["ops@example.com".to_string()]);
    assert!(mail.data.contains(&list_name), "{}", mail.data);
    assert!(mail.data.contains("failed"), "{}", mail.data);
    assert!(
        mail.data.contains("256") || mail.data.contains("larger than"),
        "{}",
        mail.data
    );
    assert_signed(&hooks[0]);
    let body = hooks[0].json();
    assert_eq!(body["event"], "run_failed", "{body}");
    assert_eq!(body["list"]["name"], list_name.as_str(), "{body}");
    assert_eq!(body["run_id"], first.to_string(), "{body}");
    let text = body["text"].as_str().unwrap_or_default();
    let reason = body["reason"].as_str().unwrap_or_default();
    assert!(text.contains(&list_name) && text.contains(reason), "{body}");
    assert!(reason.contains("larger than"), "{body}");

    for _ in 0..2 {
        let (_, status) = scheduled_sync(&w, list).await;
        assert_eq!(status, "failed");
    }
    alerts_sent(&w).await;
    assert_eq!(
        smtp.messages().len(),
        1,
        "later failures of the streak send nothing"
    );
    assert_eq!(
        receiver.hooks().len(),
        1,
        "later failures of the streak send nothing"
    );

    w.crm.state().clear_faults();
    let (success, status) = scheduled_sync(&w, list).await;
    assert_eq!(status, "succeeded");
    alerts_sent(&w).await;
    let mails = smtp.wait_for(2).await;
    let hooks = receiver.wait_for(2).await;
    assert_eq!((mails.len(), hooks.len()), (2, 2));
    assert!(mails[1].data.contains("recovered"), "{}", mails[1].data);
    assert!(mails[1].data.contains(&list_name), "{}", mails[1].data);
    assert_signed(&hooks[1]);
    let body = hooks[1].json();
    assert_eq!(body["event"], "recovered", "{body}");
    assert_eq!(body["run_id"], success.to_string(), "{body}");
    assert!(
        body["text"]
            .as_str()
            .unwrap_or_default()
            .contains("after 3 failed"),
        "{body}"
    );
}
