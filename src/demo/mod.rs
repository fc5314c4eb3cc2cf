//! `listbridge demo`: one command that shows the whole product working.
//!
//! It starts a fake Infor CRM in-process on loopback with seeded leads and contacts,
//! starts the service (API and job workers) with a SQLite database, and then does what a
//! new user would do through the public API: connect the CRM, import the leads (with a
//! progress bar), save a push/pull sync setup, run it once, upload a small list and push
//! it as new CRM leads, and create a web form. It prints the API key, the URLs and
//! ready-to-paste `curl` commands, and serves until Ctrl-C (or exits at once with
//! `--exit-after-setup`).
//!
//! The fake CRM keeps its data in memory, so each start begins from the same seeded CRM:
//! the demo account is reused, but its demo lists and form are replaced on every start.

mod client;
mod progress;
mod summary;

use std::{future::Future, net::SocketAddr};

use infor_crm_fake::{FakeConfig, FakeCrm, FakeError, Kind, UpdateSpec};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::{
    AppState,
    accounts::{AccountAdmin, AccountError},
    app::{self, Services, StartupError},
    config::{Config, SecureCookies},
    people::{People, PeopleError},
    store::Role,
};
use secrecy::ExposeSecret;

pub use client::ApiClient;
pub use summary::{DemoForm, DemoSummary};

/// The demo database unless `--database` says otherwise: never the service's own file.
pub const DEMO_DATABASE_URL: &str = "sqlite://listbridge-demo.db?mode=rwc";
/// The prefix of the demo account's name; the fake CRM's port completes it, because an
/// account has one Infor CRM connector and a connector keeps its CRM address.
pub const DEMO_ACCOUNT_PREFIX: &str = "demo-crm-";
/// The imported list.
pub const LEADS_LIST: &str = "Demo: All Infor CRM Leads";
/// The uploaded list that is pushed to the CRM as new leads.
pub const SIGNUPS_LIST: &str = "Demo: Webinar sign-ups";
/// The web form whose submissions become CRM leads.
pub const DEMO_FORM: &str = "Demo: Contact us";
/// The CRM login of the fake CRM.
const CRM_USER: &str = "admin";
/// The CRM password of the fake CRM (a demo value, printed on purpose).
const CRM_PASSWORD: &str = "password";
/// Leads changed in the CRM between the import and the first sync.
const EDITED_LEADS: usize = 25;
/// Rows of the uploaded sign-up list.
const SIGNUPS: usize = 20;

/// The demo's command-line options.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Where the service listens.
    #[arg(long, default_value = crate::config::DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// The demo's database (SQLite file created on first use, or PostgreSQL).
    #[arg(long, default_value = DEMO_DATABASE_URL)]
    pub database: String,
    /// The fake CRM's port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8181)]
    pub crm_port: u16,
    /// Leads seeded in the fake CRM.
    #[arg(long, default_value_t = 3000)]
    pub leads: usize,
    /// Contacts seeded in the fake CRM.
    #[arg(long, default_value_t = 1000)]
    pub contacts: usize,
    /// Set everything up, print the summary and exit instead of serving until Ctrl-C.
    #[arg(long, visible_alias = "no-wait")]
    pub exit_after_setup: bool,
}

/// Why the demo stopped. Each names the step that failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The fake CRM could not start (its port is taken, most likely).
    #[error("the fake Infor CRM could not start: {0} (try --crm-port 0)")]
    Crm(#[from] FakeError),
    /// The service could not start.
    #[error("the service could not start: {0}")]
    Startup(#[from] StartupError),
    /// The demo account or its key could not be made.
    #[error("the demo account could not be prepared: {0}")]
    Account(#[from] AccountError),
    /// The demo's console user could not be made.
    #[error("the demo's console user could not be prepared: {0}")]
    People(#[from] PeopleError),
    /// The service's API could not be reached.
    #[error("{step}: {source}")]
    Http {
        /// What the demo was doing.
        step: &'static str,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The service's API answered with an error.
    #[error("{step}: the API answered {status}: {body}")]
    Api {
        /// What the demo was doing.
        step: &'static str,
        /// The HTTP status.
        status: u16,
        /// The problem JSON (or whatever came back).
        body: String,
    },
    /// A run did not succeed.
    #[error("{what}: {message}")]
    Run {
        /// Which run.
        what: String,
        /// Its status and error.
        message: String,
    },
    /// Something the demo prepares in the fake CRM failed.
    #[error("changing records in the fake CRM: {0}")]
    CrmChange(String),
    /// Ctrl-C came before the set-up was complete.
    #[error("stopped during set-up")]
    Interrupted,
}

/// Runs the demo: starts both servers, sets everything up, prints the summary and then
/// serves until `shutdown` completes (or returns at once with `exit_after_setup`).
/// Both servers are stopped before it returns, whatever happened.
pub async fn run(
    args: DemoArgs,
    mut config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<DemoSummary, DemoError> {
    config.bind = args.bind;
    config.database_url = args.database.clone();
    // The demo is plain HTTP on loopback: a Secure cookie would never come back.
    config.console.secure_cookies = SecureCookies::Never;
    // Its fake CRM listens on loopback, which outbound requests may not reach by default.
    config
        .allow_private_hosts
        .extend(&listbridge_connector::AllowList::loopback());
    let crm = FakeCrm::start(FakeConfig {
        leads: args.leads,
        contacts: args.contacts,
        accounts: 50,
        port: args.crm_port,
        username: CRM_USER.to_string(),
        password: CRM_PASSWORD.to_string(),
        ..FakeConfig::default()
    })
    .await?;
    let service = match start_service(&config).await {
        Ok(service) => service,
        Err(e) => {
            crm.shutdown().await;
            return Err(e);
        }
    };
    let mut shutdown = std::pin::pin!(shutdown);
    let outcome = tokio::select! {
        result = set_up(&service.state, &crm, service.addr, &config.database_url) => result,
        () = &mut shutdown => Err(DemoError::Interrupted),
    };
    if let Ok(summary) = &outcome {
        print!("{summary}");
        if !args.exit_after_setup {
            println!("Press Ctrl-C to stop the service and the fake CRM.");
            shutdown.await;
            println!("stopping…");
        }
    }
    service.stop().await;
    crm.shutdown().await;
    outcome
}

/// The service running in this process.
struct RunningService {
    state: AppState,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningService {
    async fn stop(self) {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the demo service stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "the demo service task failed"),
        }
    }
}

async fn start_service(config: &Config) -> Result<RunningService, DemoError> {
    let mut services = Services::default();
    services.workers.workers = config.workers;
    services.workers.max_running_per_account = config.work.max_running_jobs_per_account;
    let state = app::build_state(config, services).await?;
    let listener = app::bind(config.bind).await?;
    let addr = listener.local_addr().map_err(|source| StartupError::Bind {
        addr: config.bind,
        source,
    })?;
    let (stop, mut stopped) = watch::channel(false);
    let served = state.clone();
    let task = tokio::spawn(async move {
        app::serve(listener, served, async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await
    });
    Ok(RunningService {
        state,
        addr,
        stop,
        task,
    })
}

/// Every step a new user would take, through the API.
async fn set_up(
    state: &AppState,
    crm: &FakeCrm,
    addr: SocketAddr,
    database_url: &str,
) -> Result<DemoSummary, DemoError> {
    let account = format!("{DEMO_ACCOUNT_PREFIX}{}", crm.addr().port());
    let key = demo_key(state, &account).await?;
    let api_url = format!("http://{addr}");
    let api = ApiClient::new(&api_url, &key)?;
    println!(
        "listbridge demo: service at {api_url}, fake Infor CRM at {}",
        crm.base_url()
    );

    let sign_in = console_user(state, &account).await?;
    let connector = connect(&api, &crm.base_url()).await?;
    remove_previous_lists(&api).await?;
    remove_previous_form(&api).await?;

    let imported = api
        .post(
            "importing the CRM leads",
            "/v1/lists/import",
            &json!({
                "connector": connector,
                "entity": "lead",
                "name": LEADS_LIST,
                "fields": ["Title", "Company", "LeadScore", "Region"],
            }),
        )
        .await?;
    let list_id = text(&imported["list"]["id"], "the imported list's id")?;
    let import_run = text(&imported["run_id"], "the import run's id")?;
    let import = progress::follow_run(&api, &import_run, "Importing leads").await?;
    println!(
        "  imported {} leads into '{LEADS_LIST}' in {:.1}s ({} without a usable email, {} duplicates merged)",
        import["counts"]["pulled_new"],
        import["duration_seconds"].as_f64().unwrap_or_default(),
        import["counts"]["invalid"],
        import["counts"]["duplicates"],
    );

    api.put(
        "saving the push/pull sync setup",
        &format!("/v1/lists/{list_id}/sync"),
        &json!({
            "pull": { "enabled": true, "add_new": true, "update_existing": true },
            "push": { "enabled": true, "update_existing": true, "fields": ["Title"] },
            "conflict_rule": "crm_wins",
        }),
    )
    .await?;
    edit_leads_in_crm(crm)?;
    let sync_run = run_now(&api, &list_id).await?;
    let sync = progress::follow_run(&api, &sync_run, "First sync (pull + push)").await?;
    println!(
        "  first sync: {} CRM records read, {} members updated from the CRM ({EDITED_LEADS} leads were edited in the CRM after the import), {} pushed",
        sync["counts"]["read"], sync["counts"]["pulled_updated"], sync["counts"]["pushed_updated"],
    );

    let signups = upload_signups(&api).await?;
    let push_run = run_now(&api, &signups).await?;
    let push = progress::follow_run(&api, &push_run, "Pushing webinar sign-ups").await?;
    println!(
        "  pushed '{SIGNUPS_LIST}': {} new CRM leads created",
        push["counts"]["pushed_new"]
    );

    Ok(DemoSummary {
        api_url,
        account,
        api_key: key,
        crm_url: crm.base_url(),
        crm_user: CRM_USER.to_string(),
        crm_password: CRM_PASSWORD.to_string(),
        database_url: database_url.to_string(),
        leads_list: list_id,
        signups_list: signups,
        sync_run,
        form: create_form(&api).await?,
        console_email: sign_in.0,
        console_password: sign_in.1,
    })
}

/// The demo account's console admin, with a new password on every start (printed, so
/// the console can be tried at once).
async fn console_user(state: &AppState, account: &str) -> Result<(String, String), DemoError> {
    let people = People::of(state);
    let email = format!("admin@{account}.example");
    if let Some((user, password)) = people.reset_password(&email).await? {
        return Ok((user.email, password.expose_secret().to_string()));
    }
    let created = people
        .create_user(account, &email, Role::Admin, None)
        .await?;
    let password = created
        .generated_password
        .map(|p| p.expose_secret().to_string())
        .unwrap_or_default();
    Ok((created.user.email, password))
}

/// A fresh API key for the demo account, creating the account on the first start.
async fn demo_key(state: &AppState, account: &str) -> Result<String, DemoError> {
    let admin = AccountAdmin {
        store: &state.store,
        clock: state.clock.as_ref(),
        random: state.random.as_ref(),
    };
    let existing = state
        .store
        .accounts()
        .find_by_name(account)
        .await
        .map_err(AccountError::from)?;
    let key = match existing {
        Some(_) => admin.create_api_key(account, "listbridge demo").await?,
        None => admin.create_account(account).await?.1,
    };
    Ok(key.expose().to_string())
}

/// The demo account's connector to this fake CRM: reused when one exists, else created
/// through *Connect* (which logs in to the CRM).
async fn connect(api: &ApiClient, crm_url: &str) -> Result<String, DemoError> {
    let connectors = api.get("listing connectors", "/v1/connectors").await?;
    let reusable = connectors.as_array().into_iter().flatten().find(|c| {
        c["base_url"].as_str() == Some(crm_url) && c["status"].as_str() == Some("connected")
    });
    if let Some(found) = reusable {
        return text(&found["id"], "the connector's id");
    }
    let created = api
        .post(
            "connecting the fake Infor CRM",
            "/v1/connectors",
            &json!({
                "kind": "infor-crm",
                "base_url": crm_url,
                "username": CRM_USER,
                "password": CRM_PASSWORD,
            }),
        )
        .await?;
    text(&created["id"], "the new connector's id")
}

/// Deletes the lists an earlier demo start made: they mirror a fake CRM that is gone.
async fn remove_previous_lists(api: &ApiClient) -> Result<(), DemoError> {
    let lists = api.get("listing lists", "/v1/lists").await?;
    for list in lists.as_array().into_iter().flatten() {
        let name = list["name"].as_str().unwrap_or_default();
        if (name == LEADS_LIST || name == SIGNUPS_LIST)
            && let Some(id) = list["id"].as_str()
        {
            api.delete("deleting an earlier demo list", &format!("/v1/lists/{id}"))
                .await?;
        }
    }
    Ok(())
}

/// Deletes the form an earlier demo start made (its submissions went to a CRM that is gone).
async fn remove_previous_form(api: &ApiClient) -> Result<(), DemoError> {
    let forms = api.get("listing forms", "/v1/forms").await?;
    for form in forms.as_array().into_iter().flatten() {
        if form["name"].as_str() == Some(DEMO_FORM)
            && let Some(id) = form["id"].as_str()
        {
            api.delete("deleting the earlier demo form", &format!("/v1/forms/{id}"))
                .await?;
        }
    }
    Ok(())
}

/// A "contact us" form whose submissions are delivered to the CRM as leads.
async fn create_form(api: &ApiClient) -> Result<DemoForm, DemoError> {
    let form = api
        .post(
            "creating the demo form",
            "/v1/forms",
            &json!({
                "name": DEMO_FORM,
                "fields": [
                    { "name": "email", "usage": "email" },
                    { "name": "first_name", "usage": "first_name" },
                    { "name": "last_name", "usage": "last_name" },
                    { "name": "company", "usage": "company" }
                ],
                "update_fields": ["FirstName"],
            }),
        )
        .await?;
    Ok(DemoForm {
        id: text(&form["id"], "the form's id")?,
        submit_path: text(&form["submit_path"], "the form's submit path")?,
    })
}

/// Changes some leads' titles in the CRM, as a sales rep would, so the first sync has
/// something to pull.
fn edit_leads_in_crm(crm: &FakeCrm) -> Result<(), DemoError> {
    let mut set = serde_json::Map::new();
    set.insert("Title".into(), Value::String("VP Marketing".into()));
    crm.state()
        .update_records(
            Kind::Lead,
            &UpdateSpec {
                count: Some(EDITED_LEADS),
                set,
                ..UpdateSpec::default()
            },
        )
        .map_err(|d| DemoError::CrmChange(d.to_string()))?;
    Ok(())
}

/// Uploads the sign-up CSV and saves its push setup (new members become CRM leads).
async fn upload_signups(api: &ApiClient) -> Result<String, DemoError> {
    let mut csv = String::from("Email,First Name,Last Name,Company\n");
    for i in 1..=SIGNUPS {
        csv.push_str(&format!(
            "attendee{i}@webinar.example.com,Attendee{i},Webinar,Example Corp {}\n",
            i % 4 + 1
        ));
    }
    let mapping =
        json!({ "First Name": "first_name", "Last Name": "last_name", "Company": "company" });
    let path = format!(
        "/v1/lists/upload?name={}&mapping={}",
        percent(SIGNUPS_LIST),
        percent(&mapping.to_string())
    );
    let uploaded = api
        .post_csv("uploading the sign-up list", &path, csv)
        .await?;
    let list_id = text(&uploaded["list"]["id"], "the uploaded list's id")?;
    api.put(
        "saving the sign-up list's push setup",
        &format!("/v1/lists/{list_id}/sync"),
        &json!({ "push": { "enabled": true, "add_new": true } }),
    )
    .await?;
    Ok(list_id)
}

/// *Run Now* on a list; returns the run id.
async fn run_now(api: &ApiClient, list_id: &str) -> Result<String, DemoError> {
    let queued = api
        .post(
            "Run Now",
            &format!("/v1/lists/{list_id}/runs"),
            &json!({ "dry_run": false }),
        )
        .await?;
    text(&queued["run"]["id"], "the run's id")
}

fn text(value: &Value, what: &'static str) -> Result<String, DemoError> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| DemoError::Api {
            step: what,
            status: 200,
            body: format!("missing in the answer: {value}"),
        })
}

/// Encodes a query parameter value.
fn percent(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}
