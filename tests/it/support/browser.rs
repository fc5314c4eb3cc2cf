//! A real headless Chromium for console tests, driven over WebDriver (`chromedriver`
//! from Debian's `chromium-driver`, client `fantoccini`).
//!
//! Where Chromium or chromedriver is missing, [`Browser::launch`] prints a notice and
//! returns `None`, so a developer without them can run the suite; with
//! `LISTBRIDGE_REQUIRE_BROWSER=1` (set by `.ci/run`) a missing browser fails the test
//! instead, so CI cannot pass without having run them.
//!
//! Chromium is started with the flags that keep it from reaching any network but
//! loopback (no background networking, component updates, sync or QUIC).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use super::{TestApp, console, wait};

/// The environment variable that turns a missing browser into a failure.
pub const REQUIRE_ENV: &str = "LISTBRIDGE_REQUIRE_BROWSER";
/// How long to wait for an element or a condition before failing the test.
const WAIT: Duration = Duration::from_secs(30);
/// The desktop window.
const DESKTOP: (u32, u32) = (1280, 900);
/// The phone width the pages must work at.
const PHONE: (u32, u32) = (360, 780);

/// A headless Chromium session and its chromedriver.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

fn find_binary(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([
            PathBuf::from("/usr/bin"),
            PathBuf::from("/usr/lib/chromium"),
        ])
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

impl Browser {
    /// Starts chromedriver on a port it picks and a Chromium session through it; `None`
    /// (with a notice) when they are not installed and not required.
    pub async fn launch() -> Option<Browser> {
        let chromium = find_binary(&["chromium", "chromium-browser", "google-chrome"]);
        let driver = find_binary(&["chromedriver"]);
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
                panic!("{REQUIRE_ENV}=1 but chromium or chromedriver is not installed");
            }
            eprintln!(
                "NOTICE: browser test skipped: install Debian's chromium and chromium-driver \
                 to run it"
            );
            return None;
        };
        let (child, port) = start_driver(&driver).await;
        let profile = std::env::temp_dir().join(format!("lb-chromium-{}", uuid::Uuid::new_v4()));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
                ],
            },
        });
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.as_object().cloned().unwrap_or_default())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session starts");
        Some(Browser {
            client,
            driver: child,
            profile,
        })
    }

    /// Opens `url` and waits for the page's `<main>`.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("navigates");
        self.wait_css("main").await;
    }

    /// Waits for an element matching `css`.
    pub async fn wait_css(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element '{css}' within {WAIT:?}: {e}"))
    }

    /// Waits until the element matching `css` contains `text`; returns its text.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        wait::until(&format!("'{css}' containing '{text}'"), async || {
            if let Ok(el) = self.client.find(Locator::Css(css)).await
                && let Ok(found) = el.text().await
                && found.contains(text)
            {
                return Ok(found);
            }
            let url = self.client.current_url().await.map(|u| u.to_string());
            Err(format!("at {url:?}"))
        })
        .await
    }

    /// Signs in through the sign-in page as `email` with `password` (the page that
    /// answers is left for the test to look at).
    pub async fn sign_in(&self, app: &TestApp, email: &str, password: &str) {
        self.open(&app.url("/sign-in")).await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("#sign-in button[type=submit]").await;
    }

    /// Signs `email` in with the test password and waits for the signed-in header.
    pub async fn signed_in(&self, app: &TestApp, email: &str) {
        self.sign_in(app, email, console::PASSWORD).await;
        self.wait_css("header.top").await;
    }

    /// Types `text` into the field matching `css` (clearing it first).
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.wait_css(css).await;
        field.clear().await.expect("clears");
        field.send_keys(text).await.expect("types");
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.wait_css(css).await.click().await.expect("clicks");
    }

    /// The page's text content (what a person reads).
    pub async fn body_text(&self) -> String {
        self.wait_css("body").await.text().await.expect("body text")
    }

    /// The current path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Saves PNG screenshots of the current page at desktop and phone widths as
    /// `target/console-screenshots/<name>.png` and `<name>-360.png`, and checks the page
    /// does not scroll sideways at 360 px (tables scroll inside their own box).
    pub async fn screenshot(&self, name: &str) {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot saved");
        self.client
            .set_window_size(PHONE.0, PHONE.1)
            .await
            .expect("phone width");
        let overflow = self
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .expect("measures");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(dir.join(format!("{name}-360.png")), png).expect("screenshot saved");
        self.client
            .set_window_size(DESKTOP.0, DESKTOP.1)
            .await
            .expect("desktop width");
        assert!(
            overflow.as_i64().unwrap_or(0) <= 0,
            "page '{name}' scrolls sideways at 360 px by {overflow}"
        );
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `target/console-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("console-screenshots"))
        .expect("target dir")
}

/// Starts chromedriver on a port it picks; returns it and the port. A chromedriver
/// that exits before saying its port (seen once in CI, with many browser tests starting
/// at once) is started again, up to three times; then the test fails with what it said.
async fn start_driver(driver: &Path) -> (Child, u16) {
    let mut said = String::new();
    for attempt in 1..=3 {
        let mut child = Command::new(driver)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let stdout = child.stdout.take().expect("chromedriver stdout");
        let mut stderr = child.stderr.take().expect("chromedriver stderr");
        let port = tokio::time::timeout(WAIT, read_port(stdout))
            .await
            .expect("chromedriver says its port in time");
        if let Some(port) = port {
            // Drained, so a chatty driver never blocks on a full pipe.
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
            });
            return (child, port);
        }
        let _ = child.kill().await;
        said.clear();
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut said).await;
        eprintln!("chromedriver ended without a port (attempt {attempt}): {said}");
        tokio::time::sleep(Duration::from_millis(300 * attempt)).await;
    }
    panic!("chromedriver did not start in three attempts: {said}");
}

async fn read_port(stdout: tokio::process::ChildStdout) -> Option<u16> {
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(rest) = line.split("started successfully on port ").nth(1) {
            return rest.trim_end_matches('.').trim().parse().ok();
        }
    }
    None
}
