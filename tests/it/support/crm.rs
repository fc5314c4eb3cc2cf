//! What tests do to and ask of the fake CRM behind a [`World`]: change records as a
//! CRM user would, add the customer's business rules, and look at the records and at
//! the writes the service asked for.

use infor_crm_fake::{Kind, Record, UpdateSpec, WriteRule};
use serde_json::json;

use crate::support::world::World;

impl World {
    /// CRM records created, updated or deleted (changed) since the last stats reset.
    pub fn crm_writes(&self) -> u64 {
        self.crm.state().stats().record_writes
    }

    /// Requests that ask the CRM to write (POST, PUT, DELETE, `$batch`) since the last
    /// stats reset, whether or not they changed anything. Lookups tunnelled as
    /// `POST` + `X-HTTP-Method-Override: GET` count as reads, and so do `$service` calls
    /// (who am I).
    pub fn crm_write_requests(&self) -> u64 {
        self.crm
            .state()
            .stats()
            .by_kind
            .iter()
            .filter(|(kind, _)| !kind.starts_with("$service"))
            .flat_map(|(_, methods)| methods.iter())
            .filter(|(method, _)| matches!(method.as_str(), "POST" | "PUT" | "DELETE"))
            .map(|(_, n)| n)
            .sum()
    }

    /// Asserts the CRM was neither changed nor even asked to write since the last reset.
    #[track_caller]
    pub fn assert_no_crm_writes(&self, context: &str) {
        assert_eq!(self.crm_writes(), 0, "records changed: {context}");
        assert_eq!(
            self.crm_write_requests(),
            0,
            "write requests sent: {context}"
        );
    }

    /// Changes `fields` of these CRM records through the fake's HTTP admin API
    /// (`POST /_admin/update`), as an operator scripting CRM-side edits would.
    pub async fn crm_update_over_http(&self, kind: Kind, keys: &[String], fields: &[(&str, &str)]) {
        let set: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(field, value)| (field.to_string(), json!(value)))
            .collect();
        let answer = reqwest::Client::new()
            .post(format!("{}/_admin/update", self.crm.base_url()))
            .json(&json!({ "kind": kind, "keys": keys, "set": set }))
            .send()
            .await
            .expect("the fake CRM's admin API answers");
        assert!(
            answer.status().is_success(),
            "admin update refused: {}",
            answer.status()
        );
    }

    /// Changes `fields` of these CRM records as a CRM user would (at the fake's clock).
    pub fn crm_update(&self, kind: Kind, keys: &[String], fields: &[(&str, &str)]) {
        let set = fields
            .iter()
            .map(|(field, value)| (field.to_string(), json!(value)))
            .collect();
        self.crm
            .state()
            .update_records(
                kind,
                &UpdateSpec {
                    keys: keys.to_vec(),
                    set,
                    ..Default::default()
                },
            )
            .expect("CRM records updated");
    }

    /// Leads in the fake CRM.
    pub fn crm_leads(&self) -> Vec<Record> {
        self.crm.state().records(Kind::Lead)
    }

    /// The text of `field` of the CRM lead with this key (`None` when either is missing).
    pub fn crm_lead_text(&self, key: &str, field: &str) -> Option<String> {
        self.crm
            .state()
            .record(Kind::Lead, key)
            .and_then(|r| r.text(field).map(String::from))
    }

    /// Leads in the CRM with this email (case-insensitive).
    pub fn leads_by_email(&self, email: &str) -> Vec<Record> {
        let mut leads = self.crm_leads();
        leads.retain(|r| {
            r.text("Email")
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        });
        leads
    }

    /// How many leads the CRM has with this email (case-insensitive).
    pub fn leads_with_email(&self, email: &str) -> usize {
        self.leads_by_email(email).len()
    }

    /// A business rule of the customer's CRM: valid SData, refused all the same with
    /// `words` when a lead's Company is `company`.
    pub fn crm_refuses_company(&self, company: &str, words: &str) {
        self.crm
            .state()
            .add_write_rule(WriteRule::equals(
                Kind::Lead,
                "Company",
                json!(company),
                words,
            ))
            .expect("rule added");
    }
}
