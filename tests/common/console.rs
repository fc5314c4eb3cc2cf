//! Driving the web console over plain HTTP (no browser): a signed-in session with its
//! cookie and CSRF token, for tests of pages, forms and their refusals. Browser tests
//! are in `tests/console_browser.rs`.

use listbridge::{people::People, store::Role};
use secrecy::SecretString;

use super::TestApp;

/// The password every console test user gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A console user's signed-in session.
pub struct Console {
    /// The app's base URL.
    pub base_url: String,
    /// A client that does not follow redirects (tests look at them).
    pub client: reqwest::Client,
    /// The `lb_session` cookie value.
    pub session: String,
    /// The session's CSRF token, as the pages carry it.
    pub csrf: String,
}

/// A response read whole: status, `Location` (for redirects) and body text.
#[derive(Debug)]
pub struct Page {
    /// HTTP status.
    pub status: u16,
    /// The redirect target, if any.
    pub location: Option<String>,
    /// The body.
    pub body: String,
}

/// A client that never follows redirects.
pub fn no_redirect_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

impl TestApp {
    /// Creates a console user in the account named `account` (which must exist).
    pub async fn create_user(&self, account: &str, email: &str, role: Role) {
        People::of(&self.state)
            .create_user(
                account,
                email,
                role,
                Some(SecretString::from(PASSWORD.to_string())),
            )
            .await
            .expect("user created");
    }

    /// Signs `email` in through the sign-in form and returns the session.
    pub async fn sign_in(&self, email: &str) -> Console {
        let client = no_redirect_client();
        let form = read(client.get(self.url("/sign-in")).send().await.expect("sent")).await;
        let (token_cookie, token) = sign_in_token(&form);
        let response = client
            .post(self.url("/sign-in"))
            .header("cookie", token_cookie)
            .form(&[
                ("email", email),
                ("password", PASSWORD),
                ("token", &token),
                ("next", "/lists"),
            ])
            .send()
            .await
            .expect("sent");
        let session = set_cookie_value(&response, "lb_session").expect("session cookie set");
        let mut console = Console {
            base_url: self.base_url.clone(),
            client,
            session,
            csrf: String::new(),
        };
        let lists = console.get("/lists").await;
        console.csrf = hidden_value(&lists.body, "csrf").expect("pages carry a CSRF token");
        console
    }
}

impl Console {
    /// GET a console path with the session cookie.
    pub async fn get(&self, path: &str) -> Page {
        read(
            self.client
                .get(format!("{}{path}", self.base_url))
                .header("cookie", format!("lb_session={}", self.session))
                .send()
                .await
                .expect("sent"),
        )
        .await
    }

    /// POST a url-encoded form with the session cookie and its CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &self.csrf));
        self.post_raw(path, &all).await
    }

    /// POST a url-encoded form exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        read(
            self.client
                .post(format!("{}{path}", self.base_url))
                .header("cookie", format!("lb_session={}", self.session))
                .form(fields)
                .send()
                .await
                .expect("sent"),
        )
        .await
    }
}

/// Reads a response whole.
pub async fn read(response: reqwest::Response) -> Page {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.text().await.expect("body read");
    Page {
        status,
        location,
        body,
    }
}

/// The `Set-Cookie` value of cookie `name` in a response.
pub fn set_cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, v)| *n == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}

/// The `value` of the hidden input named `name` in a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// The sign-in form's double-submit cookie header and token, from the sign-in page.
fn sign_in_token(page: &Page) -> (String, String) {
    let token = hidden_value(&page.body, "token").expect("sign-in token in the form");
    (format!("lb_sign_in={token}"), token)
}
