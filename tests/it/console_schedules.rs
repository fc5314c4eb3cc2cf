//! The *Schedule* tab of a list and of a segment over HTTP: the next three runs in the
//! schedule's own time zone (on a pinned clock), the "n of 10 lists scheduled" count,
//! an eleventh list refused naming and linking the ten, removal, refusals beside the
//! field, and another account's list or segment as the 404 page.

use listbridge::store::Role;

use crate::support::{
    console::Console,
    schedules::{World, world},
};

/// A clock two days before London moves to summer time (30 Mar 2025).
const NOW: &str = "2025-03-28T12:00:00Z";

async fn marketer(w: &World) -> Console {
    w.app
        .signed_in("acme", "marketer@acme.test", Role::Marketer)
        .await
}

fn daily_at(time: &str, zone: &str) -> Vec<(&'static str, String)> {
    vec![
        ("frequency", "daily".into()),
        ("interval", "1".into()),
        ("time_of_day", time.into()),
        ("time_zone", zone.into()),
        ("start_date", String::new()),
        ("enabled", "on".into()),
        ("action", "save".into()),
    ]
}

fn fields<'a>(owned: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    owned.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_at_six_london_shows_three_next_runs_in_london_time() {
    let w = world(NOW).await;
    let list = w.list("Newsletter").await;
    let console = marketer(&w).await;
    let path = format!("/lists/{list}/schedule");

    let blank = console.get(&path).await;
    assert_eq!(blank.status, 200, "{blank:?}");
    blank.assert_shows("0 of 10 lists scheduled");
    blank.assert_shows("data-browser-zone");
    assert!(blank.text().contains("Not scheduled"));

    let saved = console
        .post(&path, &fields(&daily_at("06:00", "Europe/London")))
        .await;
    assert_eq!(saved.status, 303, "{saved:?}");
    assert_eq!(
        saved.location.as_deref(),
        Some(&*format!("{path}?done=saved"))
    );

    let page = console.get(&format!("{path}?done=saved")).await;
    assert_eq!(page.status, 200);
    page.assert_shows("Schedule saved.");
    page.assert_shows("1 of 10 lists scheduled");
    // 06:00 in London: GMT before the clocks change, BST after — never 06:00 UTC.
    let text = page.text();
    for at in [
        "Sat 29 Mar 2025, 06:00 GMT",
        "Sun 30 Mar 2025, 06:00 BST",
        "Mon 31 Mar 2025, 06:00 BST",
    ] {
        assert!(text.contains(at), "no {at} in {text}");
    }
    page.assert_shows("value=\"Europe/London\"");
    page.assert_shows("value=\"06:00\"");

    // The API reads the same schedule.
    let (status, api) = w.get_schedule(&format!("/v1/lists/{list}")).await;
    assert_eq!(status, 200, "{api}");
    assert_eq!(api["next_runs"][0], "2025-03-29T06:00:00Z");
    assert_eq!(api["next_runs"][1], "2025-03-30T05:00:00Z");

    let removed = console.post(&path, &[("action", "remove")]).await;
    assert_eq!(removed.status, 303, "{removed:?}");
    let page = console.get(&format!("{path}?done=removed")).await;
    page.assert_shows("0 of 10 lists scheduled");
    assert!(page.text().contains("Schedule removed."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eleventh_schedule_is_refused_naming_and_linking_the_ten() {
    let w = world(NOW).await;
    let console = marketer(&w).await;
    let mut lists = Vec::new();
    for i in 1..=10 {
        let list = w.list(&format!("List <{i}>")).await;
        let saved = console
            .post(
                &format!("/lists/{list}/schedule"),
                &fields(&daily_at("07:30", "Europe/Berlin")),
            )
            .await;
        assert_eq!(saved.status, 303, "list {i}: {saved:?}");
        lists.push(list);
    }
    let seventh = console.get(&format!("/lists/{}/schedule", lists[6])).await;
    seventh.assert_shows("10 of 10 lists scheduled");

    let eleventh = w.list("The eleventh").await;
    let segment = w.segment(eleventh, "Eleventh's segment").await;
    for path in [
        format!("/lists/{eleventh}/schedule"),
        format!("/segments/{segment}/schedule"),
    ] {
        let refused = console
            .post(&path, &fields(&daily_at("08:00", "Europe/Berlin")))
            .await;
        assert_eq!(refused.status, 409, "{refused:?}");
        refused.assert_message("enabled-error", "10 lists are already scheduled");
        for (i, list) in lists.iter().enumerate() {
            // Each name is shown escaped and links to that list's schedule.
            let link = format!("<a href=\"/lists/{list}/schedule\">List <{}></a>", i + 1);
            assert!(
                refused.text().contains(&link),
                "no {link} in {}",
                refused.body
            );
            assert!(
                !refused.body.contains(&format!("List <{}>", i + 1)),
                "unescaped"
            );
        }
        // What was typed is kept.
        refused.assert_shows("value=\"08:00\"");
    }

    // A disabled schedule takes no place, so it may be saved.
    let mut off = daily_at("08:00", "Europe/Berlin");
    off.retain(|(k, _)| *k != "enabled");
    let saved = console
        .post(&format!("/lists/{eleventh}/schedule"), &fields(&off))
        .await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let page = console.get(&format!("/lists/{eleventh}/schedule")).await;
    assert!(page.text().contains("switched off"), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_beside_their_field_and_other_accounts_are_not_found() {
    let w = world(NOW).await;
    let list = w.list("Newsletter").await;
    let segment = w.segment(list, "Chicago").await;
    let console = marketer(&w).await;

    let bad_zone = console
        .post(
            &format!("/segments/{segment}/schedule"),
            &fields(&daily_at("06:00", "Mars/Olympus")),
        )
        .await;
    assert_eq!(bad_zone.status, 422, "{bad_zone:?}");
    bad_zone.assert_message("time_zone-error", "Mars/Olympus");
    bad_zone.assert_shows("value=\"Mars/Olympus\"");
    bad_zone.assert_shows("Members</a>");

    let mut weekly = daily_at("06:00", "UTC");
    weekly[0].1 = "weekly".into();
    let no_days = console
        .post(&format!("/lists/{list}/schedule"), &fields(&weekly))
        .await;
    assert_eq!(no_days.status, 422, "{no_days:?}");
    assert!(no_days.message("days-error").is_some(), "{}", no_days.body);

    // Without a zone (no script), the account's zone is used.
    let no_zone = console
        .post(
            &format!("/segments/{segment}/schedule"),
            &fields(&daily_at("06:00", "")),
        )
        .await;
    assert_eq!(no_zone.status, 303, "{no_zone:?}");
    let page = console.get(&format!("/segments/{segment}/schedule")).await;
    page.assert_shows("value=\"UTC\"");
    page.assert_shows("1 of 10 lists scheduled");

    w.app.create_account("other").await;
    let stranger = w
        .app
        .signed_in("other", "admin@other.test", Role::Admin)
        .await;
    for path in [
        format!("/lists/{list}/schedule"),
        format!("/segments/{segment}/schedule"),
        "/segments/not-an-id/schedule".to_string(),
    ] {
        assert_eq!(stranger.get(&path).await.status, 404, "{path}");
    }
    let post = stranger
        .post(
            &format!("/segments/{segment}/schedule"),
            &fields(&daily_at("06:00", "UTC")),
        )
        .await;
    assert_eq!(post.status, 404);
}
