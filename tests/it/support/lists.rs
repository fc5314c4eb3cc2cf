//! What list tests add to the [`World`]: member paging through the API, uploads, and
//! the comparison of a list with the fake CRM's own records.

use std::{collections::BTreeMap, fmt::Display};

use infor_crm_fake::{FakeCrm, Kind, Record, Value as CrmValue};
use serde_json::Value;

use crate::support::{TestApp, json as read_json, world::World};

impl World {
    /// Every member of a list as the API shows them.
    pub async fn api_members(&self, list: impl Display) -> Vec<Value> {
        all_members(&self.app, &self.key, list).await
    }
}

/// Every member of a list, through `GET /v1/lists/{id}/members` pages of 1,000.
pub async fn all_members(app: &TestApp, key: &str, list: impl Display) -> Vec<Value> {
    let mut out = Vec::new();
    let mut path = format!("/v1/lists/{list}/members?limit=1000");
    loop {
        let (status, body) = read_json(app.get(&path, key).await).await;
        assert_eq!(status, 200, "{body}");
        out.extend(body["members"].as_array().cloned().unwrap_or_default());
        match body["next"].as_str() {
            Some(next) => {
                path = format!(
                    "/v1/lists/{list}/members?limit=1000&after={}",
                    urlencode(next)
                )
            }
            None => return out,
        }
    }
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `POST /v1/lists/upload` with a CSV body; returns `(status, body)`.
pub async fn upload(
    app: &TestApp,
    key: &str,
    query: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/v1/lists/upload?{query}")))
        .bearer_auth(key)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .expect("request sent");
    read_json(response).await
}

/// A CRM value as the connector renders it.
pub fn crm_text(value: &CrmValue) -> String {
    match value {
        CrmValue::Text(s) => s.to_string(),
        CrmValue::Int(n) => n.to_string(),
        CrmValue::Decimal(d) => d.to_string(),
        CrmValue::Bool(b) => b.to_string(),
        CrmValue::DateTime(t) => t.to_rfc3339(),
        CrmValue::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

/// What a CRM list of one entity must hold for these records: by normalised email, the
/// record whose member it is (of records sharing an email, the most recently modified,
/// then the smaller key), the records the import must reject as invalid, and how many
/// records lose their email to another.
pub struct Expected<'a> {
    pub by_email: BTreeMap<String, &'a Record>,
    pub invalid_keys: Vec<String>,
    pub duplicates: usize,
    /// Emails more than one record has (their opt-out depends on reading order).
    pub shared: std::collections::BTreeSet<String>,
}

/// Splits records into members, invalid ones (missing or malformed email) and losers.
pub fn expected(records: &[Record]) -> Expected<'_> {
    let mut by_email: BTreeMap<String, &Record> = BTreeMap::new();
    let mut invalid_keys = Vec::new();
    let mut duplicates = 0;
    let mut shared = std::collections::BTreeSet::new();
    for record in records {
        match record.text("Email").map(str::trim) {
            Some(email) if looks_valid(email) => {
                let slot = by_email.entry(email.to_lowercase()).or_insert(record);
                if slot.key != record.key {
                    duplicates += 1;
                    shared.insert(email.to_lowercase());
                    let better = (record.modify_date, std::cmp::Reverse(&record.key))
                        > (slot.modify_date, std::cmp::Reverse(&slot.key));
                    if better {
                        *slot = record;
                    }
                }
            }
            _ => invalid_keys.push(record.key.clone()),
        }
    }
    Expected {
        by_email,
        invalid_keys,
        duplicates,
        shared,
    }
}

fn looks_valid(email: &str) -> bool {
    email
        .rsplit_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.contains(' ')
}

/// Asserts every member matches its CRM record on the email, the key and each field,
/// and that the list holds exactly the expected emails.
pub fn assert_members_match(members: &[Value], expected: &Expected<'_>, fields: &[&str]) {
    let got: BTreeMap<String, &Value> = members
        .iter()
        .map(|m| (m["email"].as_str().expect("email").to_string(), m))
        .collect();
    assert_eq!(got.len(), members.len(), "duplicate members");
    let missing: Vec<_> = expected
        .by_email
        .keys()
        .filter(|e| !got.contains_key(*e))
        .take(5)
        .collect();
    assert!(missing.is_empty(), "members missing: {missing:?}");
    let extra: Vec<_> = got
        .keys()
        .filter(|e| !expected.by_email.contains_key(*e))
        .take(5)
        .collect();
    assert!(extra.is_empty(), "unexpected members: {extra:?}");
    for (email, record) in &expected.by_email {
        let member = got[email];
        assert_eq!(member["crm"]["key"], record.key.as_str(), "{email}");
        let modified = member["crm"]["modify_date"]
            .as_str()
            .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&chrono::Utc));
        assert_eq!(
            modified,
            Some(record.modify_date),
            "{email}: CRM modify date"
        );
        let opted_out = matches!(record.get("DoNotEmail"), Some(CrmValue::Bool(true)));
        if !expected.shared.contains(email) {
            assert_eq!(member["opted_out"], opted_out, "{email}: DoNotEmail");
        }
        for field in fields {
            let want = record.get(field).map(crm_text);
            let have = member["values"][*field].as_str().map(String::from);
            assert_eq!(have, want, "{email} ({}) field {field}", record.key);
        }
    }
}

/// The fake's records of a kind.
pub fn records(crm: &FakeCrm, kind: Kind) -> Vec<Record> {
    crm.state().records(kind)
}
