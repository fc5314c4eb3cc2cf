//! The segment pages over HTTP: the builder (rows added without script, refusals
//! beside the name or the row), the live count fragment, the segment's members under
//! its header, the list's segments with counts, edit, delete behind a confirmation,
//! and another account's segment as the 404 page.

use listbridge::store::Role;

use crate::support::{
    TestApp,
    console::Console,
    lists::{all_members, upload, urlencode},
    spawn_app,
};

const PEOPLE: &str = "Email,Title,City\n\
    ann@example.com,CTO,Chicago\n\
    bo@example.com,Deputy cto <b>,Boston\n\
    cy@example.com,Marketing Manager,Chicago\n\
    di@example.com,,Denver\n";

/// An account `acme` with an uploaded list of four people, and a signed-in marketer.
async fn setup() -> (TestApp, String, String, Console) {
    let app = spawn_app().await;
    let key = app.create_account("acme").await;
    let (status, report) = upload(&app, &key, "name=People", PEOPLE).await;
    assert_eq!(status, 201, "{report}");
    let list = report["list"]["id"].as_str().expect("list id").to_string();
    let console = app
        .signed_in("acme", "marketer@acme.test", Role::Marketer)
        .await;
    (app, key, list, console)
}

/// The builder's fields for one condition.
fn cto(name: &str, action: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_string()),
        ("combine", "all".into()),
        ("column", "Title".into()),
        ("op", "contains".into()),
        ("value", "CTO".into()),
        ("action", action.into()),
    ]
}

fn fields<'a>(owned: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    owned.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Saves the "CTOs" segment through the builder; its id.
async fn save_ctos(console: &Console, list: &str) -> String {
    let saved = console
        .post(
            &format!("/lists/{list}/segments/new"),
            &fields(&cto("Title contains CTO", "save")),
        )
        .await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let location = saved.location.expect("redirect");
    let id = location
        .strip_prefix("/segments/")
        .and_then(|rest| rest.strip_suffix("?done=created"))
        .unwrap_or_else(|| panic!("unexpected redirect {location}"));
    id.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn title_contains_cto_counts_and_lists_its_members() {
    let (_app, _key, list, console) = setup().await;

    let blank = console.get(&format!("/lists/{list}/segments/new")).await;
    assert_eq!(blank.status, 200, "{blank:?}");
    blank.assert_shows("<option value=\"Title\">Title</option>");
    blank.assert_shows("hx-get=\"/segments/count\"");
    blank.assert_shows("hx-trigger=\"input changed delay:300ms\"");
    // A blank filter selects everyone.
    blank.assert_message("segment-count", "4 members match");

    // *Add condition* without script: the same form with one more row, typed values kept.
    let more = console
        .post(
            &format!("/lists/{list}/segments/new"),
            &fields(&cto("Title contains CTO", "more")),
        )
        .await;
    assert_eq!(more.status, 200, "{more:?}");
    more.assert_shows("id=\"column-1\"");
    more.assert_shows("value=\"Title contains CTO\"");
    more.assert_message("segment-count", "2 members match");

    // The live count fragment.
    let count = console
        .get_htmx(&format!(
            "/segments/count?list={list}&combine=all&column=Title&op=contains&value={}",
            urlencode("cto")
        ))
        .await;
    assert_eq!(count.status, 200, "{count:?}");
    assert!(!count.body.contains("<html"), "a fragment: {}", count.body);
    count.assert_message("segment-count", "2 members match");
    let any = console
        .get_htmx(&format!(
            "/segments/count?list={list}&combine=any&column=Title&op=contains&value=cto\
             &column=City&op=equals&value=denver"
        ))
        .await;
    any.assert_message("segment-count", "3 members match");

    let id = save_ctos(&console, &list).await;
    let members = console.get(&format!("/segments/{id}?done=created")).await;
    assert_eq!(members.status, 200, "{members:?}");
    members.assert_shows("Segment saved.");
    members.assert_shows(&format!("<a href=\"/lists/{list}\">People</a>"));
    members.assert_shows(&format!("href=\"/segments/{id}/schedule\""));
    members.assert_shows("ann@example.com");
    members.assert_shows("bo@example.com");
    members.assert_shows("Deputy cto &#60;b&#62;");
    assert!(!members.body.contains("<b>"), "values are escaped");
    assert!(!members.body.contains("cy@example.com"));
    assert!(!members.body.contains("di@example.com"));

    let index = console.get(&format!("/lists/{list}/segments")).await;
    assert_eq!(index.status, 200, "{index:?}");
    index.assert_shows(&format!(
        "<a href=\"/segments/{id}\">Title contains CTO</a>"
    ));
    index.assert_shows("2 members");
    index.assert_shows("New segment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_beside_the_name_or_the_row() {
    let (_app, _key, list, console) = setup().await;
    let path = format!("/lists/{list}/segments/new");

    let unnamed = console.post(&path, &fields(&cto("  ", "save"))).await;
    assert_eq!(unnamed.status, 422, "{unnamed:?}");
    unnamed.assert_message("name-error", "must not be empty");

    // A blank first row, then a value-less "contains": the message is beside row 2.
    let no_value = console
        .post(
            &path,
            &[
                ("name", "Half done"),
                ("column", ""),
                ("op", "equals"),
                ("value", ""),
                ("column", "City"),
                ("op", "contains"),
                ("value", ""),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(no_value.status, 422, "{no_value:?}");
    no_value.assert_message("row1-error", "needs a value");
    no_value.assert_shows("value=\"Half done\"");
    assert!(no_value.message("row0-error").is_none());

    save_ctos(&console, &list).await;
    let duplicate = console
        .post(&path, &fields(&cto("Title contains CTO", "save")))
        .await;
    assert_eq!(duplicate.status, 422, "{duplicate:?}");
    duplicate.assert_message("name-error", "already has a segment with this name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_then_delete_behind_a_confirmation() {
    let (app, key, list, console) = setup().await;
    let id = save_ctos(&console, &list).await;

    let edit = console.get(&format!("/segments/{id}/edit")).await;
    assert_eq!(edit.status, 200, "{edit:?}");
    edit.assert_shows("value=\"Title contains CTO\"");
    edit.assert_shows("value=\"CTO\"");
    let mut chicago = cto("Chicago CTOs", "save");
    chicago.extend([
        ("column", "City".to_string()),
        ("op", "equals".to_string()),
        ("value", "chicago".to_string()),
    ]);
    let saved = console
        .post(&format!("/segments/{id}/edit"), &fields(&chicago))
        .await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let members = console.get(&format!("/segments/{id}")).await;
    members.assert_shows("Chicago CTOs");
    members.assert_shows("ann@example.com");
    assert!(!members.body.contains("bo@example.com"));

    let confirm = console.get(&format!("/segments/{id}/delete")).await;
    assert_eq!(confirm.status, 200, "{confirm:?}");
    assert!(
        confirm
            .text()
            .contains("Delete the segment “Chicago CTOs”?")
    );
    let deleted = console.post(&format!("/segments/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, 303, "{deleted:?}");
    assert_eq!(
        deleted.location.as_deref(),
        Some(&*format!("/lists/{list}/segments?done=deleted"))
    );
    assert_eq!(console.get(&format!("/segments/{id}")).await.status, 404);
    let index = console
        .get(&format!("/lists/{list}/segments?done=deleted"))
        .await;
    index.assert_shows("Segment deleted.");
    // The list is untouched.
    assert_eq!(all_members(&app, &key, &list).await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_segment_is_not_found() {
    let (app, _key, list, console) = setup().await;
    let id = save_ctos(&console, &list).await;
    app.create_account("other").await;
    let stranger = app
        .signed_in("other", "admin@other.test", Role::Admin)
        .await;
    for path in [
        format!("/segments/{id}"),
        format!("/segments/{id}/edit"),
        format!("/segments/{id}/delete"),
        format!("/lists/{list}/segments"),
        format!("/lists/{list}/segments/new"),
        format!("/segments/count?list={list}&column=Title&op=contains&value=CTO"),
        "/segments/not-an-id".to_string(),
    ] {
        let page = stranger.get(&path).await;
        assert_eq!(page.status, 404, "{path}: {page:?}");
        assert!(!page.body.contains("ann@example.com"));
    }
    let post = stranger.post(&format!("/segments/{id}/delete"), &[]).await;
    assert_eq!(post.status, 404);
    let edit = stranger
        .post(
            &format!("/segments/{id}/edit"),
            &fields(&cto("Mine now", "save")),
        )
        .await;
    assert_eq!(edit.status, 404);
    // Still there, unchanged, for its own account.
    let mine = console.get(&format!("/segments/{id}")).await;
    assert_eq!(mine.status, 200);
    mine.assert_shows("Title contains CTO");
}
