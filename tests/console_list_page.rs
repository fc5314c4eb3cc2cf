//! The console's list page over plain HTTP against the fake Infor CRM: members with
//! search (page and htmx fragment) and keyset paging, a member's edit / add / remove,
//! *Add List Columns*, *Standard Field Names*, *Optimize for Infor CRM*, rename,
//! delete behind its confirmation, account isolation and escaping.

mod common;
mod lists_support;

use common::console::{Console, Page, read};
use infor_crm_fake::{FakeConfig, FaultConfig, Kind};
use listbridge::store::Role;
use lists_support::{Env, all_members, env, upload, urlencode};
use serde_json::{Map, Value, json};

/// The lead whose names must only ever show as text.
const XSS: &str = "<script>alert(1)</script>";
/// Its email.
const XSS_EMAIL: &str = "xss@example.com";

/// An account connected to a fake CRM with `leads` leads plus the XSS lead, its leads
/// imported (with Company) through the API, and an admin signed in to the console.
struct Setup {
    env: Env,
    console: Console,
    list: String,
}

async fn setup(leads: usize) -> Setup {
    let env = env(FakeConfig {
        leads,
        seed: 11,
        ..FakeConfig::default()
    })
    .await;
    let mut lead = Map::new();
    lead.insert("FirstName".into(), json!(XSS));
    lead.insert("LastName".into(), json!(XSS));
    lead.insert("Company".into(), json!(XSS));
    lead.insert("Email".into(), json!(XSS_EMAIL));
    env.crm
        .state()
        .insert_record(Kind::Lead, &lead)
        .expect("XSS lead added");
    let (list, report) = env.import("lead", &["Company"]).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    env.app
        .create_user("acme", "ann@acme.example", Role::Admin)
        .await;
    let console = env.app.sign_in("ann@acme.example").await;
    Setup { env, console, list }
}

/// GET as htmx does (the `HX-Request` header).
async fn get_htmx(console: &Console, path: &str) -> Page {
    read(
        console
            .client
            .get(format!("{}{path}", console.base_url))
            .header("cookie", format!("lb_session={}", console.session))
            .header("HX-Request", "true")
            .send()
            .await
            .expect("sent"),
    )
    .await
}

/// Undoes the template's escaping of an attribute value.
fn unescape(raw: &str) -> String {
    raw.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
}

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

/// The text of the error paragraph with this id.
fn error_text(body: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\"");
    let at = body.find(&marker)?;
    let start = at + body[at..].find('>')? + 1;
    let end = start + body[start..].find('<')?;
    Some(unescape(&body[start..end]))
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

    let fragment = get_htmx(&s.console, &query).await;
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

    let none = get_htmx(
        &s.console,
        &format!("/lists/{}?search=zz-nobody-zz", s.list),
    )
    .await;
    assert!(
        none.body
            .contains("No member has an email containing “zz-nobody-zz”."),
        "{}",
        none.body
    );

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
    assert_no_raw_script(&get_htmx(&s.console, &format!("/lists/{}?search=xss", s.list)).await);
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
    let second_htmx = get_htmx(&s.console, &next).await;
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
    assert!(refused.body.contains("use 1 to 1000"), "{}", refused.body);
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
    assert!(
        after.body.contains("value=\"Globex &#38; Sons\""),
        "{}",
        after.body
    );
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
    assert!(
        unknown.body.contains("This list has no column “Shoe Size”"),
        "{}",
        unknown.body
    );
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
    let message = error_text(&bad.body, "email-error").expect("a message beside the email");
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
    assert!(error_text(&twice.body, "email-error").is_some_and(|m| m.contains("already exists")));

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_standard_field_names_and_optimize() {
    let s = setup(5).await;
    let columns_path = format!("/lists/{}/columns", s.list);

    let picker = s.console.get(&columns_path).await;
    assert_eq!(picker.status, 200, "{picker:?}");
    assert!(
        picker.body.contains("value=\"Title\""),
        "CRM fields offered"
    );
    assert!(
        !picker.body.contains("name=\"fields\" value=\"Company\"")
            && !picker.body.contains("name=\"fields\" value=\"Email\""),
        "fields already in the list are left out"
    );

    let none = s.console.post(&columns_path, &[]).await;
    assert_eq!(none.status, 422);
    assert!(error_text(&none.body, "fields-error").is_some_and(|m| m.contains("at least one")));
    let unknown = s
        .console
        .post(
            &columns_path,
            &[("fields", "Title"), ("fields", "NoSuchField")],
        )
        .await;
    assert_eq!(unknown.status, 422, "{unknown:?}");
    assert!(error_text(&unknown.body, "fields-error").is_some_and(|m| m.contains("'NoSuchField'")));
    assert!(
        unknown.body.contains("value=\"Title\" checked"),
        "the ticked field stays ticked"
    );

    let added = s.console.post(&columns_path, &[("fields", "Title")]).await;
    assert_eq!(added.status, 303, "{added:?}");
    let location = added.location.expect("redirect");
    let shown = s.console.get(&location).await;
    assert!(
        shown
            .body
            .contains("Columns added. They are filled from the CRM on the next sync.")
    );
    assert!(shown.body.contains("badge warn\">pending</span>"));
    let (_, detail) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    let title = detail["columns"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "Title"))
        .expect("Title column");
    assert_eq!(title["pending"], true);
    let members = s.console.get(&format!("/lists/{}", s.list)).await;
    assert!(
        members.body.contains("Title <span class=\"badge warn\""),
        "pending in the table head"
    );

    // Standard Field Names.
    let fields_path = format!("/lists/{}/fields", s.list);
    let page = s.console.get(&fields_path).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<option value=\"business_postal_code\">Business Postal Code</option>")
    );
    let saved = s
        .console
        .post(&fields_path, &[("column", "Company"), ("usage", "company")])
        .await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let page = s.console.get(&saved.location.expect("redirect")).await;
    assert!(page.body.contains("Standard Field Name saved."));
    assert!(page.body.contains("<option value=\"company\" selected>"));
    let (_, usages) = s.env.get("/v1/field-usages").await;
    assert!(
        usages["usages"]
            .as_array()
            .is_some_and(|u| u.contains(&json!({ "column": "Company", "usage": "company" }))),
        "{usages}"
    );
    let refused = s
        .console
        .post(
            &fields_path,
            &[("column", "Company"), ("usage", "nickname")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        unescape(&refused.body).contains("'nickname' is not a system usage"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("aria-invalid=\"true\""));
    let removed = s
        .console
        .post(&fields_path, &[("column", "Company"), ("usage", "")])
        .await;
    assert_eq!(removed.status, 303);
    assert!(
        s.console
            .get(&removed.location.expect("redirect"))
            .await
            .body
            .contains("Standard Field Name removed.")
    );
    let (_, usages) = s.env.get("/v1/field-usages").await;
    assert_eq!(usages["usages"], json!([]));

    // Optimize for Infor CRM: the standard address columns added and mapped.
    let optimized = s
        .console
        .post(&format!("/lists/{}/optimize", s.list), &[])
        .await;
    assert_eq!(optimized.status, 303, "{optimized:?}");
    let page = s.console.get(&optimized.location.expect("redirect")).await;
    let notice = page
        .body
        .split("class=\"notice\" role=\"status\">")
        .nth(1)
        .and_then(|n| n.split('<').next())
        .expect("a notice");
    assert!(notice.starts_with("Optimized for Infor CRM."), "{notice}");
    assert!(
        notice.contains("Added: Business Street → Business Street, Business City → Business City")
            && notice.contains("(filled from the CRM on the next sync)"),
        "{notice}"
    );
    let (_, detail) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    let city = detail["columns"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "Business City"))
        .expect("Business City column");
    assert_eq!(city["usage"], "business_city");
    assert_eq!(city["pending"], true);
    let again = s
        .console
        .post(&format!("/lists/{}/optimize", s.list), &[])
        .await;
    let page = s.console.get(&again.location.expect("redirect")).await;
    assert!(
        page.body
            .contains("Already mapped: Business Street → Business Street")
    );
    assert!(page.body.contains("nothing changed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_list_takes_plain_columns_rename_refuses_a_duplicate_and_delete_confirms() {
    let s = setup(5).await;
    let (status, report) = upload(
        &s.env.app,
        &s.env.key,
        "name=Customers",
        "Email,Given\nann@example.com,Ann\n",
    )
    .await;
    assert_eq!(status, 201, "{report}");
    let uploaded = report["list"]["id"].as_str().expect("id").to_string();

    // Plain column names on an uploaded list.
    let page = s.console.get(&format!("/lists/{uploaded}/columns")).await;
    assert!(page.body.contains("<textarea id=\"names\" name=\"names\""));
    let added = s
        .console
        .post(
            &format!("/lists/{uploaded}/columns"),
            &[("names", "Tier, Score\nRegion")],
        )
        .await;
    assert_eq!(added.status, 303, "{added:?}");
    let (_, detail) = s.env.get(&format!("/v1/lists/{uploaded}")).await;
    let names: Vec<&str> = detail["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, vec!["Given", "Tier", "Score", "Region"]);
    let clash = s
        .console
        .post(&format!("/lists/{uploaded}/columns"), &[("names", "given")])
        .await;
    assert_eq!(clash.status, 409);
    assert!(
        error_text(&clash.body, "names-error")
            .is_some_and(|m| m.contains("already has the column"))
    );
    assert!(
        clash.body.contains(">given</textarea>"),
        "the typed names are kept"
    );

    // Rename: a duplicate refused beside the field with the typed name kept.
    let settings = format!("/lists/{}/settings", s.list);
    let rename = format!("/lists/{}/rename", s.list);
    let refused = s.console.post(&rename, &[("name", "Customers")]).await;
    assert_eq!(refused.status, 409, "{refused:?}");
    assert!(
        error_text(&refused.body, "name-error")
            .is_some_and(|m| m.contains("a list named 'Customers' already exists")),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("id=\"name\" name=\"name\" value=\"Customers\"")
    );
    let empty = s.console.post(&rename, &[("name", "  ")]).await;
    assert_eq!(empty.status, 422);
    assert!(error_text(&empty.body, "name-error").is_some_and(|m| m.contains("must not be empty")));
    let renamed = s.console.post(&rename, &[("name", "Leads 2026")]).await;
    assert_eq!(renamed.status, 303);
    assert_eq!(
        renamed.location.as_deref(),
        Some(format!("{settings}?done=renamed").as_str())
    );
    assert!(
        s.console
            .get(&format!("{settings}?done=renamed"))
            .await
            .body
            .contains("List renamed.")
    );
    let (_, detail) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    assert_eq!(detail["name"], "Leads 2026");

    // Delete: the confirmation first, then the list is gone and the CRM untouched.
    let crm_leads = s.env.crm.state().count(Kind::Lead);
    let confirm = s.console.get(&format!("/lists/{}/delete", s.list)).await;
    assert_eq!(confirm.status, 200);
    for words in [
        "Delete the list “Leads 2026”?",
        "members and their values",
        "columns;",
        "its segments (it has none)",
        "its runs and their reports",
        "its schedule (it has none)",
        "Nothing is deleted in the CRM:",
        "the leads this list was imported from stay as they are",
    ] {
        assert!(confirm.body.contains(words), "{words}: {}", confirm.body);
    }
    let (status, _) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    assert_eq!(status, 200, "the confirmation page deletes nothing");
    let deleted = s
        .console
        .post(&format!("/lists/{}/delete", s.list), &[])
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(deleted.location.as_deref(), Some("/lists?done=deleted"));
    let (status, _) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    assert_eq!(status, 404);
    assert_eq!(
        s.env.crm.state().count(Kind::Lead),
        crm_leads,
        "nothing deleted in the CRM"
    );
    assert_eq!(
        s.console.get(&format!("/lists/{}", s.list)).await.status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_list_and_malformed_ids_are_not_found() {
    let s = setup(3).await;
    let member = all_members(&s.env.app, &s.env.key, &s.list).await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    s.env.app.create_account("globex").await;
    s.env
        .app
        .create_user("globex", "gus@globex.example", Role::Admin)
        .await;
    let other = s.env.app.sign_in("gus@globex.example").await;
    for path in [
        format!("/lists/{}", s.list),
        format!("/lists/{}/members/{member}", s.list),
        format!("/lists/{}/members/new", s.list),
        format!("/lists/{}/columns", s.list),
        format!("/lists/{}/fields", s.list),
        format!("/lists/{}/settings", s.list),
        format!("/lists/{}/delete", s.list),
        "/lists/not-a-list-id".to_string(),
        format!("/lists/{}/members/not-a-member-id", s.list),
    ] {
        let page = other.get(&path).await;
        assert_eq!(page.status, 404, "{path}: {page:?}");
        assert!(page.body.contains("Not found"), "{path}: the 404 page");
        assert!(!page.body.contains("All Infor CRM Leads"), "{path}");
    }
    for (path, form) in [
        (
            format!("/lists/{}/rename", s.list),
            vec![("name", "Mine now")],
        ),
        (format!("/lists/{}/delete", s.list), vec![]),
        (
            format!("/lists/{}/members/{member}", s.list),
            vec![("v.Company", "X")],
        ),
        (format!("/lists/{}/members/{member}/remove", s.list), vec![]),
        (format!("/lists/{}/optimize", s.list), vec![]),
    ] {
        let page = other.post(&path, &form).await;
        assert_eq!(page.status, 404, "{path}: {page:?}");
    }
    let (status, detail) = s.env.get(&format!("/v1/lists/{}", s.list)).await;
    assert_eq!(status, 200);
    assert_eq!(detail["name"], "All Infor CRM Leads");
    assert_eq!(s.console.get("/lists/not-a-list-id").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_progress_shows_its_live_progress_in_the_header() {
    let s = setup(3).await;
    // A slow CRM keeps the next import running while the page is read.
    s.env.crm.state().set_faults(FaultConfig {
        latency_ms: 1_500,
        ..FaultConfig::default()
    });
    let (status, body) = s
        .env
        .start_import(
            &json!({ "connector": s.env.connector, "entity": "lead", "name": "Slow leads" }),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let (list, run) = (
        body["list"]["id"].as_str().expect("list id"),
        body["run_id"].as_str().expect("run id"),
    );
    let page = s.console.get(&format!("/lists/{list}")).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.body.contains(&format!(
            "<div hx-get=\"/runs/{run}/progress\" hx-trigger=\"load\" hx-swap=\"outerHTML\"></div>"
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains(">importing</span>"));
    s.env.crm.state().clear_faults();
    let report = s.env.wait_run(run).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    let page = s.console.get(&format!("/lists/{list}")).await;
    assert!(
        !page.body.contains("/progress\""),
        "no progress once the run ended"
    );
    assert!(page.body.contains(">ready</span>"));
}
