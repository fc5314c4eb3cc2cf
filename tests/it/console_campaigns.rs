//! The console's *Campaigns* pages over plain HTTP against the fake Infor CRM: a sent
//! campaign reported through the API shows with its notes written (once each, however
//! often it is reported), a recipient without CRM record shows as skipped with the
//! reason, the per-recipient list filters by status and pages by email, values show as
//! text, and another account's campaign is the 404 page.

use crate::support::console::{Console, Page};
use crate::support::services::fast_services;
use crate::support::wait;
use crate::support::world::{World, crm_config, world_with};
use infor_crm_fake::Kind;
use listbridge::store::Role;
use serde_json::{Value, json};

use crate::support::json as read_json;

const SENT_AT: &str = "2026-03-02T09:15:00Z";

fn report(campaign: &str, subject: &str, emails: &[String]) -> Value {
    let recipients: Vec<Value> = emails.iter().map(|e| json!({ "email": e })).collect();
    json!({
        "campaign_id": campaign,
        "subject": subject,
        "sent_at": SENT_AT,
        "preview_url_template": "https://mail.example.com/preview?to={email}",
        "recipients": recipients,
    })
}

async fn post_report(w: &World, body: &Value) -> Value {
    let (status, recorded) = read_json(w.app.post("/v1/messages/sent", &w.key, body).await).await;
    assert_eq!(status, 202, "{recorded}");
    recorded
}

/// The text of the cell marked `data-count="{name}"` in the row of `campaign`.
fn count_cell(page: &str, campaign: &str, name: &str) -> Option<String> {
    let row_start = page.find(&format!("data-campaign=\"{campaign}\""))?;
    let row = &page[row_start..];
    let row = &row[..row.find("</tr>")?];
    let marker = format!("data-count=\"{name}\">");
    let start = row.find(&marker)? + marker.len();
    let end = row[start..].find('<')?;
    Some(row[start..start + end].trim().to_string())
}

/// The emails of the recipients table, in order.
fn emails(page: &str) -> Vec<String> {
    page.split("cell lp-email\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(str::to_string)
        .collect()
}

/// The `href` of the link with `rel="next"`, unescaped.
fn next_link(page: &str) -> Option<String> {
    let marker = "rel=\"next\" href=\"";
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(
        page[start..start + end]
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

/// Polls `/campaigns` until `campaign` shows `written` notes written and none waiting.
async fn wait_written(console: &Console, campaign: &str, written: &str) -> Page {
    wait::until(
        &format!("{campaign}: {written} notes written"),
        async || {
            let page = console.get("/campaigns").await;
            assert_eq!(page.status, 200, "{}", page.body);
            let now = count_cell(&page.body, campaign, "written");
            let waiting = count_cell(&page.body, campaign, "waiting");
            if now.as_deref() == Some(written) && waiting.as_deref() == Some("0") {
                Ok(page)
            } else {
                Err(format!("{now:?} written, {waiting:?} waiting"))
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sent_campaigns_show_their_notes_once_each_with_skips_filters_and_pages() {
    let w = world_with(crm_config(300, 20), fast_services()).await;
    let list = w.imported_list("lead", &[]).await;
    let mut members: Vec<String> = w.members(list).await.into_iter().map(|m| m.email).collect();
    members.sort();
    members.dedup();
    assert!(members.len() >= 203, "enough imported members");
    let campaign: Vec<String> = members[..200].to_vec();
    w.app
        .create_user("acme", "mia@acme.example", Role::Marketer)
        .await;
    let console = w.app.sign_in("mia@acme.example").await;

    // Before any report: the empty state says what the page is for.
    let empty = console.get("/campaigns").await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    empty.assert_shows("id=\"campaigns-empty\"");
    assert!(empty.body.contains("POST /v1/messages/sent"));

    let history_before = w.crm.state().records(Kind::History).len();
    let recorded = post_report(&w, &report("spring-1", "Spring offers", &campaign)).await;
    assert_eq!(recorded["recorded"], 200);
    let page = wait_written(&console, "spring-1", "200").await;
    assert!(page.body.contains("Spring offers"));
    assert!(page.body.contains("href=\"/campaigns/spring-1\""));
    assert_eq!(
        count_cell(&page.body, "spring-1", "skipped").as_deref(),
        Some("0")
    );
    assert_eq!(
        w.crm.state().records(Kind::History).len(),
        history_before + 200
    );

    // The same report again: nothing new, still 200 notes here and in the CRM.
    let again = post_report(&w, &report("spring-1", "Spring offers", &campaign)).await;
    assert_eq!(again["recorded"], 0, "{again}");
    w.wait_notes("spring-1").await;
    let page = wait_written(&console, "spring-1", "200").await;
    assert!(page.body.contains(">200<"), "recipients still 200");
    assert_eq!(
        w.crm.state().records(Kind::History).len(),
        history_before + 200,
        "a re-post wrote notes again"
    );

    // A second campaign (sent later: listed first) with a recipient the CRM does not
    // know and a subject that must show as text.
    let odd = vec![
        members[200].clone(),
        members[201].clone(),
        "nobody@nowhere.example".to_string(),
    ];
    post_report(&w, &report("odd/1 &x", "Tips & <b>tricks</b>", &odd)).await;
    let page = wait_written(&console, "odd/1 &#38;x", "2").await;
    assert_eq!(
        count_cell(&page.body, "odd/1 &#38;x", "skipped").as_deref(),
        Some("1")
    );
    assert!(
        page.body
            .contains("Tips &#38; &#60;b&#62;tricks&#60;/b&#62;"),
        "escaped subject"
    );
    assert!(!page.body.contains("<b>tricks</b>"));
    assert!(page.body.contains("href=\"/campaigns/odd%2F1%20%26x\""));

    // Its page: counts, the reason, and the skipped filter.
    let detail = console.get("/campaigns/odd%2F1%20%26x").await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert!(detail.body.contains("Why some notes were not written"));
    detail.assert_shows("no lead or contact");
    let skipped = console
        .get("/campaigns/odd%2F1%20%26x?status=skipped")
        .await;
    assert_eq!(emails(&skipped.body), vec!["nobody@nowhere.example"]);
    assert!(skipped.body.contains("no lead or contact"));
    let written = console
        .get("/campaigns/odd%2F1%20%26x?status=delivered")
        .await;
    assert_eq!(emails(&written.body), odd[..2].to_vec());
    assert!(
        written.body.contains("<td>Lead "),
        "the CRM record the note went to: {}",
        written.body
    );

    // The 200-recipient campaign pages by email, 60 at a time, through all of them.
    let first = console.get("/campaigns/spring-1?limit=60").await;
    assert_eq!(first.status, 200);
    first.assert_shows("Notes written</dt><dd>200</dd>");
    let mut seen = emails(&first.body);
    assert_eq!(seen.len(), 60);
    let mut next = next_link(&first.body);
    let mut pages = 1;
    while let Some(url) = next {
        let page = console.get(&url).await;
        assert_eq!(page.status, 200, "{url}");
        assert!(page.body.contains("← First page"));
        seen.extend(emails(&page.body));
        next = next_link(&page.body);
        pages += 1;
        assert!(pages <= 5, "paging does not end");
    }
    assert_eq!(seen, campaign, "every recipient once, in email order");
    let none_skipped = console.get("/campaigns/spring-1?status=skipped").await;
    assert!(emails(&none_skipped.body).is_empty());
    assert!(none_skipped.body.contains("No recipient is skipped."));

    // Another account sees neither campaign.
    w.app.create_account("globex").await;
    w.app
        .create_user("globex", "gus@globex.example", Role::Admin)
        .await;
    let other = w.app.sign_in("gus@globex.example").await;
    let theirs = other.get("/campaigns").await;
    assert!(!theirs.body.contains("spring-1"));
    assert!(theirs.body.contains("id=\"campaigns-empty\""));
    let denied = other.get("/campaigns/spring-1").await;
    assert_eq!(denied.status, 404, "{}", denied.body);
    assert!(!denied.body.contains("Spring offers"));
}
