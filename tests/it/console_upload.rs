//! The console's *Upload CSV* page over plain HTTP: the preview, the multipart upload,
//! its result page and rejected rows download, errors beside their field, and CSRF.

use crate::support::{
    TestApp,
    console::{Console, Page, read},
};
use listbridge::{
    field_usages,
    lists::manage,
    store::{AccountId, Role},
};

/// One part of a hand-built `multipart/form-data` body.
enum Part<'a> {
    /// A text field.
    Text(&'a str, &'a str),
    /// A file field: name, file name, contents.
    File(&'a str, &'a str, &'a [u8]),
}

const BOUNDARY: &str = "----listbridge-test-boundary-7MA4YWxkTrZu0gW";

/// The body of a multipart form (the reqwest `multipart` feature is not enabled).
fn multipart_body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(name, file_name, contents) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                         Content-Type: text/csv\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(contents);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// POSTs a multipart form to `path` (which carries the CSRF query, or not) as the
/// signed-in console does.
async fn post_multipart(console: &Console, path: &str, parts: &[Part<'_>]) -> Page {
    read(
        console
            .client
            .post(format!("{}{path}", console.base_url))
            .header("cookie", format!("lb_session={}", console.session))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart_body(parts))
            .send()
            .await
            .expect("sent"),
    )
    .await
}

/// The upload form's action, as the page carries it.
async fn upload_action(console: &Console) -> String {
    let form = console.get("/lists/upload").await;
    assert_eq!(form.status, 200, "{form:?}");
    let marker = "action=\"";
    let start = form
        .body
        .find(&format!("{marker}/lists/upload?csrf="))
        .expect("the form posts to /lists/upload with its CSRF token")
        + marker.len();
    let end = start + form.body[start..].find('"').expect("closing quote");
    form.body[start..end].replace("&amp;", "&")
}

/// POSTs the start of a file to the preview as `console.js` does.
async fn preview(console: &Console, head: &[u8], file_size: usize) -> Page {
    read(
        console
            .client
            .post(format!("{}/lists/upload/preview", console.base_url))
            .header("cookie", format!("lb_session={}", console.session))
            .header("x-csrf-token", &console.csrf)
            .header("content-type", "text/csv")
            .header("x-file-size", file_size.to_string())
            .body(head.to_vec())
            .send()
            .await
            .expect("sent"),
    )
    .await
}

async fn signed_in(app: &TestApp, account: &str, email: &str) -> (Console, AccountId) {
    app.create_account(account).await;
    let console = app.signed_in(account, email, Role::Marketer).await;
    let id = app
        .state
        .store
        .accounts()
        .find_by_name(account)
        .await
        .expect("read")
        .expect("account")
        .id;
    (console, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_shows_the_delimiter_and_first_rows_of_a_semicolon_file_with_a_bom() {
    let app = crate::support::spawn_app().await;
    let (console, account) = signed_in(&app, "acme", "mia@acme.example").await;
    field_usages::set(&app.state, account, "town", "business_city")
        .await
        .expect("usage saved");

    let mut file = "\u{feff}First Name;E-mail;Town\n".to_string();
    for (i, name) in ["Ann", "Bo", "<script>alert(1)</script>", "Di", "Ed", "Fi"]
        .iter()
        .enumerate()
    {
        file.push_str(&format!("{name};person{i}@example.com;Paris\n"));
    }
    let page = preview(&console, file.as_bytes(), file.len()).await;
    assert_eq!(page.status, 200, "{page:?}");
    let body = &page.body;
    assert!(
        body.contains("<strong id=\"delimiter\">semicolon</strong>"),
        "{body}"
    );
    assert!(
        body.contains("<th scope=\"col\">First Name</th>"),
        "the BOM is not part of the first column: {body}"
    );
    for shown in ["Ann", "Bo", "Di", "Ed", "person4@example.com"] {
        assert!(
            body.contains(shown),
            "{shown} is among the first five rows: {body}"
        );
    }
    assert!(
        !body.contains("person5@example.com"),
        "only the first five rows: {body}"
    );
    assert!(
        body.contains("&#60;script&#62;alert(1)&#60;/script&#62;") && !body.contains("<script>"),
        "a cell is text: {body}"
    );
    assert!(
        body.contains("<option value=\"E-mail\" selected>E-mail</option>"),
        "the email column is picked as the upload would: {body}"
    );
    assert!(
        body.contains("<option value=\"business_city\" selected>Business City</option>"),
        "saved Standard Field Names are pre-selected: {body}"
    );

    // Only the first 64 KiB of a larger file: a row cut at the end is left out.
    let head = b"Email,Name\nann@example.com,Ann\nbo@example.com,Bo";
    let page = preview(&console, head, 10 * head.len()).await;
    assert!(
        page.body
            .contains("<strong id=\"delimiter\">comma</strong>"),
        "{page:?}"
    );
    assert!(page.body.contains("ann@example.com"), "{page:?}");
    assert!(
        !page.body.contains("bo@example.com"),
        "the cut row is not shown: {page:?}"
    );

    // A bad header gets the upload's own message.
    let page = preview(&console, b"Email,EMAIL\na@x.com,b@x.com\n", 27).await;
    assert!(
        page.body
            .contains("the header names the column &#39;EMAIL&#39; twice"),
        "{page:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_with_a_malformed_row_keeps_the_rest_names_its_line_and_offers_it_as_csv() {
    let app = crate::support::spawn_app().await;
    let (console, account) = signed_in(&app, "acme", "mia@acme.example").await;
    let action = upload_action(&console).await;
    let file = "Name,Mail,Town\n\
                Ann,ann@example.com,Paris\n\
                Bo,bo@example.com,Lyon\n\
                Cy,<script>alert(1)</script>,Nice\n\
                \"Di, Jr.\",di@example.com,Metz\n";
    // The file first: the other fields are read whatever their order.
    let page = post_multipart(
        &console,
        &action,
        &[
            Part::File("file", "fair.csv", file.as_bytes()),
            Part::Text("name", "Spring fair"),
            Part::Text("email_column", "Mail"),
            Part::Text("map_column", "Name"),
            Part::Text("map_usage", ""),
            Part::Text("map_column", "Town"),
            Part::Text("map_usage", "business_city"),
        ],
    )
    .await;
    assert_eq!(page.status, 303, "{page:?}");
    let result_path = page.location.clone().expect("redirected to the result");
    assert!(result_path.ends_with("/upload-result"), "{result_path}");
    let list_id = result_path
        .trim_start_matches("/lists/")
        .trim_end_matches("/upload-result")
        .to_string();

    let result = console.get(&result_path).await;
    assert_eq!(result.status, 200, "{result:?}");
    let body = &result.body;
    assert!(body.contains("3 members accepted"), "{body}");
    assert!(body.contains("1 row rejected"), "{body}");
    assert!(
        body.contains("<td class=\"num\">4</td>"),
        "the malformed row is named by its line: {body}"
    );
    assert!(
        body.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            && !body.contains("<script>alert"),
        "the bad value shows as text: {body}"
    );
    assert!(
        body.contains(&format!("href=\"/lists/{list_id}\"")),
        "{body}"
    );
    assert!(body.contains("Download rejected rows (CSV)"), "{body}");

    let saved = field_usages::all(&app.state, account)
        .await
        .expect("usages");
    assert!(
        saved
            .iter()
            .any(|u| u.column == "Town" && u.usage == "business_city"),
        "the mapping is saved to the Standard Field Names: {saved:?}"
    );
    let lists = manage::all(&app.state, account).await.expect("lists");
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].member_count, 3);

    // The download works after the result page was shown.
    let csv = console
        .client
        .get(format!("{}/lists/{list_id}/rejected.csv", console.base_url))
        .header("cookie", format!("lb_session={}", console.session))
        .send()
        .await
        .expect("sent");
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/csv")),
        "{csv:?}"
    );
    let text = csv.text().await.expect("body");
    let mut lines = text.split("\r\n");
    assert_eq!(lines.next(), Some("line,reason"), "{text}");
    let row = lines.next().expect("the rejected row");
    assert!(
        row.starts_with("4,") && row.contains("<script>alert(1)</script>"),
        "{text}"
    );

    // Another account sees neither.
    app.create_account("other").await;
    app.create_user("other", "oz@other.example", Role::Admin)
        .await;
    let other = app.sign_in("oz@other.example").await;
    assert_eq!(other.get(&result_path).await.status, 404);
    assert_eq!(
        other
            .get(&format!("/lists/{list_id}/rejected.csv"))
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_a_thousand_rejected_rows_are_counted_and_all_downloadable() {
    let app = crate::support::spawn_app().await;
    let (console, _) = signed_in(&app, "acme", "mia@acme.example").await;
    let action = upload_action(&console).await;
    let mut file = "Email\nok@example.com\n".to_string();
    for i in 0..1_002 {
        file.push_str(&format!("bad{i}\n"));
    }
    let page = post_multipart(
        &console,
        &action,
        &[
            Part::Text("name", "Many bad"),
            Part::File("file", "bad.csv", file.as_bytes()),
        ],
    )
    .await;
    assert_eq!(page.status, 303, "{page:?}");
    let result_path = page.location.expect("result");
    let result = console.get(&result_path).await;
    assert!(result.body.contains("1 member accepted"), "{result:?}");
    assert!(
        result
            .body
            .contains("The first 1000 of 1002 rejected rows are listed here"),
        "{result:?}"
    );
    let csv = console
        .get(&result_path.replace("/upload-result", "/rejected.csv"))
        .await;
    let lines: Vec<&str> = csv.body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 1 + 1_002, "header and every rejected row");
    assert!(lines[1_002].starts_with("1004,"), "{:?}", lines[1_002]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_show_beside_their_field_with_the_name_kept_and_nothing_saved() {
    let app = crate::support::spawn_app().await;
    let (console, account) = signed_in(&app, "acme", "mia@acme.example").await;
    let action = upload_action(&console).await;

    // No email column.
    let page = post_multipart(
        &console,
        &action,
        &[
            Part::Text("name", "Spring fair"),
            Part::File("file", "fair.csv", b"Name,Town\nAnn,Paris\n"),
        ],
    )
    .await;
    assert_eq!(page.status, 422, "{page:?}");
    assert!(
        page.body.contains("value=\"Spring fair\""),
        "the name is kept: {page:?}"
    );
    let error = "<p class=\"error-text\" id=\"email_column-error\">no email column: expected a \
                 column named Email (or E-mail, Email Address); the header has &#39;Name&#39;, \
                 &#39;Town&#39;</p>";
    assert!(
        page.body.contains(error),
        "beside the email column picker: {}",
        page.body
    );
    page.assert_shows("aria-invalid=\"true\" aria-describedby=\"email_column-error");

    // No file chosen: the browser sends an empty part without a file name.
    let page = post_multipart(
        &console,
        &action,
        &[
            Part::Text("name", "Spring fair"),
            Part::File("file", "", b""),
        ],
    )
    .await;
    assert_eq!(page.status, 422, "{page:?}");
    assert!(
        page.body
            .contains("id=\"file-error\">Choose a CSV file to upload.</p>"),
        "{page:?}"
    );
    assert!(page.body.contains("value=\"Spring fair\""), "{page:?}");

    // An unclosed quote part-way: the line is named, and nothing is kept, not even the
    // mapping.
    let mut file =
        b"Email,Town\nfirst@example.com,Paris\nsecond@example.com,\"never closed\n".to_vec();
    for i in 0..60_000 {
        file.extend_from_slice(format!("later{i}@example.com,Somewhere\n").as_bytes());
    }
    let page = post_multipart(
        &console,
        &action,
        &[
            Part::Text("name", "Broken"),
            Part::File("file", "broken.csv", &file),
            Part::Text("email_column", "Email"),
            Part::Text("map_column", "Town"),
            Part::Text("map_usage", "business_city"),
        ],
    )
    .await;
    assert_eq!(page.status, 422, "{page:?}");
    page.assert_shows("id=\"file-error\">the row starting at line 3 is longer than 1 MiB");
    assert!(page.body.contains("value=\"Broken\""), "{page:?}");
    assert!(
        manage::all(&app.state, account)
            .await
            .expect("lists")
            .is_empty()
    );
    assert!(
        field_usages::all(&app.state, account)
            .await
            .expect("usages")
            .is_empty(),
        "a failed upload saves no Standard Field Names"
    );

    // A list name already taken.
    let good = b"Email\nann@example.com\n";
    let first = post_multipart(
        &console,
        &action,
        &[
            Part::Text("name", "Taken"),
            Part::File("file", "a.csv", good),
        ],
    )
    .await;
    assert_eq!(first.status, 303, "{first:?}");
    let page = post_multipart(
        &console,
        &action,
        &[
            Part::Text("name", "Taken"),
            Part::File("file", "a.csv", good),
        ],
    )
    .await;
    assert_eq!(page.status, 409, "{page:?}");
    page.assert_shows("id=\"name-error\">a list named &#39;Taken&#39; already exists</p>");
    assert_eq!(
        manage::all(&app.state, account).await.expect("lists").len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_post_without_the_csrf_query_is_refused() {
    let app = crate::support::spawn_app().await;
    let (console, account) = signed_in(&app, "acme", "mia@acme.example").await;
    let parts = [
        Part::Text("name", "Sneaky"),
        Part::File("file", "a.csv", b"Email\nann@example.com\n"),
    ];
    let page = post_multipart(&console, "/lists/upload", &parts).await;
    assert_eq!(page.status, 403, "{page:?}");
    let page = post_multipart(&console, "/lists/upload?csrf=forged", &parts).await;
    assert_eq!(page.status, 403, "{page:?}");
    assert!(
        manage::all(&app.state, account)
            .await
            .expect("lists")
            .is_empty()
    );
}
