//! The list-page tests' world: an account connected to a fake CRM whose leads
//! include one with script in its names, imported, with an admin signed in.

use infor_crm_fake::{FakeConfig, Kind};
use listbridge::store::Role;
use serde_json::{Map, json};

use crate::support::console::Console;
use crate::support::world::{World, world};

/// The lead whose names must only ever show as text.
pub const XSS: &str = "<script>alert(1)</script>";
/// Its email.
pub const XSS_EMAIL: &str = "xss@example.com";

/// An account connected to a fake CRM with `leads` leads plus the XSS lead, its leads
/// imported (with Company) through the API, and an admin signed in to the console.
pub struct Setup {
    /// The app and fake CRM.
    pub env: World,
    /// The admin's console.
    pub console: Console,
    /// The imported list's id.
    pub list: String,
}

pub async fn setup(leads: usize) -> Setup {
    let env = world(FakeConfig {
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
    let console = env
        .app
        .signed_in("acme", "ann@acme.example", Role::Admin)
        .await;
    Setup {
        env,
        console,
        list: list.to_string(),
    }
}
