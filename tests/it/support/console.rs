//! Driving the web console over plain HTTP (no browser): a signed-in session with its
//! cookie and CSRF token, pages opened without a session, and reading what a page
//! shows (hidden inputs, the message beside a field, escaped text), for tests of
//! pages, forms and their refusals. Browser tests drive it through
//! [`super::browser`].

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

    /// Creates `email` with `role` in the account named `account` (which must exist) and
    /// signs them in.
    pub async fn signed_in(&self, account: &str, email: &str, role: Role) -> Console {
        self.create_user(account, email, role).await;
        self.sign_in(email).await
    }

    /// Signs `email` in through the sign-in form with the test [`PASSWORD`] and returns
    /// the session.
    pub async fn sign_in(&self, email: &str) -> Console {
        self.sign_in_with(email, PASSWORD)
            .await
            .unwrap_or_else(|| panic!("{email} signs in"))
    }

    /// Signs in through the sign-in form with `password`; `None` when refused.
    pub async fn sign_in_with(&self, email: &str, password: &str) -> Option<Console> {
        let client = no_redirect_client();
        let form = read(client.get(self.url("/sign-in")).send().await.expect("sent")).await;
        let token = hidden_value(&form.body, "token").expect("sign-in token in the form");
        let response = client
            .post(self.url("/sign-in"))
            .header("cookie", format!("lb_sign_in={token}"))
            .form(&[
                ("email", email),
                ("password", password),
                ("token", &token),
                ("next", "/lists"),
            ])
            .send()
            .await
            .expect("sent");
        let session = set_cookie_value(&response, "lb_session")?;
        Some(self.console_of(session).await)
    }

    /// The console session of a `lb_session` cookie value, with the CSRF token its
    /// pages carry.
    pub async fn console_of(&self, session: String) -> Console {
        let mut console = Console {
            base_url: self.base_url.clone(),
            client: no_redirect_client(),
            session,
            csrf: String::new(),
        };
        let lists = console.get("/lists").await;
        assert_eq!(lists.status, 200, "{lists:?}");
        console.csrf = hidden_value(&lists.body, "csrf").expect("pages carry a CSRF token");
        console
    }

    /// GET a console path without a session (sign-in, an invitation link).
    pub async fn visit(&self, path: &str) -> Page {
        read(
            no_redirect_client()
                .get(self.url(path))
                .send()
                .await
                .expect("sent"),
        )
        .await
    }

    /// POST a url-encoded form without a session, with `cookie` as the Cookie header
    /// (a form's double-submit token) when given.
    pub async fn visit_post(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Page {
        let mut request = no_redirect_client().post(self.url(path)).form(fields);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        read(request.send().await.expect("sent")).await
    }
}

impl Page {
    /// The body with askama's escapes of the characters messages use undone, so a
    /// test can look for a sentence as the person reads it.
    pub fn text(&self) -> String {
        unescape(&self.body)
    }

    /// The text of the element with `id` (a message beside a field is
    /// `{field}-error`), unescaped; `None` when the page has no such element.
    pub fn message(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker)?;
        let start = at + self.body[at..].find('>')? + 1;
        let end = start + self.body[start..].find('<')?;
        Some(unescape(&self.body[start..end]))
    }

    /// Asserts the page's HTML holds `html` (printing the page when it does not).
    #[track_caller]
    pub fn assert_shows(&self, html: &str) {
        assert!(self.body.contains(html), "no {html:?} in: {}", self.body);
    }

    /// Asserts the element with `id` (a message beside a field is `{field}-error`) says
    /// `part`.
    #[track_caller]
    pub fn assert_message(&self, id: &str, part: &str) {
        let message = self.message(id);
        assert!(
            message.as_deref().is_some_and(|m| m.contains(part)),
            "#{id} should say '{part}', says {message:?}: {}",
            self.body
        );
    }

    /// Whether the answer sends the browser to sign-in (the session is over).
    pub fn is_sign_in_redirect(&self) -> bool {
        self.status == 303
            && self
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with("/sign-in"))
    }
}

impl Console {
    /// GET a console path with the session cookie.
    pub async fn get(&self, path: &str) -> Page {
        self.get_with(path, &[]).await
    }

    /// GET as htmx does (the `HX-Request` header): a fragment where the page has one.
    pub async fn get_htmx(&self, path: &str) -> Page {
        self.get_with(path, &[("HX-Request", "true")]).await
    }

    /// GET a console path with the session cookie and these headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self
            .client
            .get(format!("{}{path}", self.base_url))
            .header("cookie", format!("lb_session={}", self.session));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send().await.expect("sent")).await
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

/// Undoes askama's escaping of the characters our messages and values use.
pub fn unescape(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}
