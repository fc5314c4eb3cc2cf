//! The console's list page over plain HTTP against the fake Infor CRM, its members
//! tab: search (page and htmx fragment), keyset paging both ways, a member's edit /
//! add / remove with messages beside the fields, and escaping of CRM values.
//! The list's settings tabs are in `console_list_settings.rs`.

use crate::support::console::{Page, unescape};
use crate::support::list_page::{Setup, XSS, XSS_EMAIL, setup};
use crate::support::lists::{all_members, urlencode};
use infor_crm_fake::Kind;
use serde_json::Value;

/// The href of the pager link `rel` ("next" / "prev"), if the page has one.
fn pager_link(body: &str, rel: &str) -> Option<String> {
    let marker = format!("rel=\"{rel}\" href=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')?;
    Some(unescape(&body[start..start + end]))
}

/// The emails shown in a members table, in order.
fn emails_shown(body: &str) -> Vec<String> {
    let rows = body
        .split("<tbody>")
        .nth(1)
        .and_then(|b| b.split("</tbody>").next())
        .unwrap_or_default();
    rows.split("/members/")
        .skip(1)
        .filter_map(|chunk| {
            let start = chunk.find("\">")? + 2;
            let end = chunk[start..].find("</a>")?;
            Some(unescape(&chunk[start..start + end]))
        })
        .collect()
}

fn assert_no_raw_script(page: &Page) {
    assert!(
        !page.body.contains(XSS),
        "a CRM value is not escaped: {}",
        page.body
    );
}

/// The API's member with this email.
async fn api_member(s: &Setup, email: &str) -> Option<Value> {
    let (status, body) = s
        .env
        .get(&format!(
            "/v1/lists/{}/members?search={}",
            s.list,
            urlencode(email)
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["email"] == email).cloned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_a_member_in_the_page_and_in_the_htmx_fragment() {
    let s = setup(20).await;
    let members = all_members(&s.env.app, &s.env.key, &s.list).await;
    let target = members[7]["email"].as_str().expect("email").to_string();
    let other = members[0]["email"].as_str().expect("email").to_string();

    let page = s.console.get(&format!("/lists/{}", s.list)).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("All Infor CRM Leads") && page.body.contains("Imported leads"));
    assert!(
        page.body.contains(&format!("{} members", members.len())),
        "the header gives the stored member count"
    );
    assert!(
        page.body
            .contains("hx-trigger=\"input changed delay:300ms, search\"")
            && page.body.contains("hx-target=\"#members\"")
            && page.body.contains("hx-push-url=\"true\""),
        "the search box updates the table through htmx"
    );

    let query = format!("/lists/{}?search={}", s.list, urlencode(&target));
    let full = s.console.get(&query).await;
    assert_eq!(full.status, 200);
    assert!(
        full.body.starts_with("<!doctype html>"),
        "no htmx: the whole page"
    );
    assert_eq!(emails_shown(&full.body), vec![target.clone()]);
    assert!(
        full.body.contains(&format!("value=\"{target}\"")),
        "the search box keeps the text"
    );

    let fragment = s.console.get_htmx(&query).await;
    assert_eq!(fragment.status, 200);
    assert!(
        fragment
            .body
            .trim_start()
            .starts_with("<div id=\"members\""),
        "htmx gets the table alone: {}",
        fragment.body
    );
    assert!(!fragment.body.contains("<html") && !fragment.body.contains("<header"));
    assert_eq!(emails_shown(&fragment.body), vec![target.clone()]);
    assert!(!fragment.body.contains(&other));

    let response = s
        .console
        .client
        .get(format!("{}{query}", s.console.base_url))
        .header("cookie", format!("lb_session={}", s.console.session))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.headers().get("vary").and_then(|v| v.to_str().ok()),
        Some("HX-Request")
    );

    let none = s
        .console
        .get_htmx(&format!("/lists/{}?search=zz-nobody-zz", s.list))
        .await;
    none.assert_shows("No member has an email containing “zz-nobody-zz”.");

    // The script-named lead: found, and shown as text everywhere.
    let xss = s
        .console
        .get(&format!("/lists/{}?search=xss%40", s.list))
        .await;
    assert_no_raw_script(&xss);
    assert!(
        xss.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    );
    assert_no_raw_script(
        &s.console
            .get_htmx(&format!("/lists/{}?search=xss", s.list))
            .await,
    );
    let xss_id = api_member(&s, XSS_EMAIL).await.expect("XSS member")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let member = s
        .console
        .get(&format!("/lists/{}/members/{xss_id}", s.list))
        .await;
    assert_eq!(member.status, 200);
    assert_no_raw_script(&member);
    assert!(
        member
            .body
            .contains("value=\"&#60;script&#62;alert(1)&#60;/script&#62;\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_go_forward_and_back_by_the_email_cursor() {
    let s = setup(11).await;
    let emails: Vec<String> = all_members(&s.env.app, &s.env.key, &s.list)
        .await
        .iter()
        .map(|m| m["email"].as_str().expect("email").to_string())
        .collect();
    assert!(emails.len() > 10 && emails.len() <= 15, "{emails:?}");

    let first = s.console.get(&format!("/lists/{}?limit=5", s.list)).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(emails_shown(&first.body), emails[0..5]);
    assert_eq!(
        pager_link(&first.body, "prev"),
        None,
        "the first page has no Previous"
    );
    let next = pager_link(&first.body, "next").expect("a Next link");
    assert_eq!(
        next,
        format!("/lists/{}?after={}&limit=5", s.list, urlencode(&emails[4]))
    );

    let second = s.console.get(&next).await;
    assert_eq!(emails_shown(&second.body), emails[5..10]);
    // The pager works in place too.
    let second_htmx = s.console.get_htmx(&next).await;
    assert_eq!(emails_shown(&second_htmx.body), emails[5..10]);
    assert!(second_htmx.body.contains("hx-get=\"/lists/"));

    let third = s
        .console
        .get(&pager_link(&second.body, "next").expect("a Next link"))
        .await;
    assert_eq!(emails_shown(&third.body), emails[10..]);
    assert_eq!(
        pager_link(&third.body, "next"),
        None,
        "the last page has no Next"
    );

    let back = s
        .console
        .get(&pager_link(&third.body, "prev").expect("a Previous link"))
        .await;
    assert_eq!(emails_shown(&back.body), emails[5..10]);
    let start = s
        .console
        .get(&pager_link(&back.body, "prev").expect("a Previous link"))
        .await;
    assert_eq!(emails_shown(&start.body), emails[0..5]);
    assert_eq!(pager_link(&start.body, "prev"), None);

    // Search and paging together.
    let searched = s
        .console
        .get(&format!("/lists/{}?search=%40&limit=5", s.list))
        .await;
    let link = pager_link(&searched.body, "next").expect("a Next link");
    assert!(link.contains("search=%40"), "{link}");

    let refused = s
        .console
        .get(&format!("/lists/{}?limit=5000", s.list))
        .await;
    assert_eq!(refused.status, 422);
    refused.assert_shows("use 1 to 1000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_edited_added_and_removed_with_messages_beside_the_fields() {
    let s = setup(5).await;
    let members = all_members(&s.env.app, &s.env.key, &s.list).await;
    let member = members
        .iter()
        .find(|m| m["email"] != XSS_EMAIL)
        .expect("a member");
    let (id, email) = (
        member["id"].as_str().expect("id").to_string(),
        member["email"].as_str().expect("email").to_string(),
    );
    let path = format!("/lists/{}/members/{id}", s.list);

    let shown = s.console.get(&path).await;
    assert_eq!(shown.status, 200, "{shown:?}");
    assert!(
        shown.body.contains("name=\"v.Company\""),
        "every column has an input"
    );
    assert!(shown.body.contains(&format!(
        "lead {}",
        member["crm"]["key"].as_str().expect("key")
    )));

    // Edit a value: saved, shown, and the API has it.
    let saved = s
        .console
        .post(
            &path,
            &[
                ("v.Company", "Globex & Sons"),
                (
                    "v.FirstName",
                    member["values"]["FirstName"].as_str().unwrap_or_default(),
                ),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{saved:?}");
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("{path}?done=member_saved").as_str())
    );
    let after = s.console.get(&format!("{path}?done=member_saved")).await;
    assert!(after.body.contains("Member saved."));
    after.assert_shows("value=\"Globex &#38; Sons\"");
    let api = api_member(&s, &email).await.expect("member in the API");
    assert_eq!(api["values"]["Company"], "Globex & Sons");
    assert_eq!(
        api["values"]["FirstName"], member["values"]["FirstName"],
        "untouched values stay"
    );

    // A column the list does not have: the message beside it, the typed values kept.
    let unknown = s
        .console
        .post(&path, &[("v.Company", "Typed Co"), ("v.Shoe Size", "44")])
        .await;
    assert_eq!(unknown.status, 422, "{unknown:?}");
    assert!(unknown.body.contains("value=\"Typed Co\"") && unknown.body.contains("value=\"44\""));
    let beside = unknown
        .body
        .split("name=\"v.Shoe Size\"")
        .nth(1)
        .expect("an input for the unknown column");
    let input = beside.split('>').next().unwrap_or_default();
    assert!(input.contains("aria-invalid=\"true\""), "{input}");
    unknown.assert_shows("This list has no column “Shoe Size”");
    let api = api_member(&s, &email).await.expect("member in the API");
    assert_eq!(
        api["values"]["Company"], "Globex & Sons",
        "nothing half-saved"
    );

    // Add a member.
    let form = s
        .console
        .get(&format!("/lists/{}/members/new", s.list))
        .await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"email\"") && form.body.contains("name=\"v.LastName\""));
    let added = s
        .console
        .post(
            &format!("/lists/{}/members", s.list),
            &[
                ("email", " New.Person@Example.com "),
                ("v.FirstName", "New"),
                ("v.Company", ""),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{added:?}");
    let location = added.location.expect("redirect to the member");
    assert!(location.ends_with("?done=member_added"), "{location}");
    let new_page = s.console.get(&location).await;
    assert!(
        new_page.body.contains("Member added.") && new_page.body.contains("new.person@example.com")
    );
    let api = api_member(&s, "new.person@example.com")
        .await
        .expect("added in the API");
    assert_eq!(api["values"]["FirstName"], "New");
    let list_page = s.console.get(&format!("/lists/{}", s.list)).await;
    assert!(
        list_page
            .body
            .contains(&format!("{} members", members.len() + 1))
    );

    // A bad email: the message beside it, what was typed kept.
    let bad = s
        .console
        .post(
            &format!("/lists/{}/members", s.list),
            &[("email", "not-an-email"), ("v.FirstName", "Kept Name")],
        )
        .await;
    assert_eq!(bad.status, 422, "{bad:?}");
    let message = bad
        .message("email-error")
        .expect("a message beside the email");
    assert!(message.contains("email"), "{message}");
    assert!(
        bad.body.contains("value=\"not-an-email\"") && bad.body.contains("value=\"Kept Name\"")
    );
    assert!(bad.body.contains("aria-describedby=\"email-error\""));
    // An email the list has.
    let twice = s
        .console
        .post(&format!("/lists/{}/members", s.list), &[("email", &email)])
        .await;
    assert_eq!(twice.status, 409, "{twice:?}");
    twice.assert_message("email-error", "already exists");

    // Remove: the confirmation says the CRM record is kept.
    let confirm = s.console.get(&format!("{path}/remove")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("The CRM record is kept."));
    assert!(confirm.body.contains("Nothing is deleted in the CRM"));
    assert!(
        api_member(&s, &email).await.is_some(),
        "a GET removes nothing"
    );
    let removed = s.console.post(&format!("{path}/remove"), &[]).await;
    assert_eq!(removed.status, 303);
    assert_eq!(
        removed.location.as_deref(),
        Some(format!("/lists/{}?done=member_removed", s.list).as_str())
    );
    assert!(
        api_member(&s, &email).await.is_none(),
        "removed from the list"
    );
    let key = member["crm"]["key"].as_str().expect("key");
    assert!(
        s.env.crm.state().record(Kind::Lead, key).is_some(),
        "the CRM lead is kept"
    );
    let gone = s.console.get(&path).await;
    assert_eq!(gone.status, 404);
}
