//! Deterministic generated data: the same seed always yields the same records, Ids and
//! dates.
//!
//! Realism that matters to a sync: names and companies; emails mostly
//! `first.last@company.example`, some in mixed case, some missing; leads sharing an email
//! with a contact or another lead in a different case; converted leads pointing at an
//! existing contact (with that contact's email); opted-out people; the custom fields; and
//! one record in ten sharing one of twelve bulk-update SystemModstamps.

use chrono::{TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use crate::id::SfId;
use crate::record::Record;
use crate::schema::{LEAD_SOURCES, SObject};
use crate::store::Store;
use crate::time::{Millis, date_of};
use crate::value::Value;

/// How many records to generate, and from which seed.
#[derive(Debug, Clone, Copy)]
pub struct SeedSpec {
    /// Leads.
    pub leads: usize,
    /// Contacts.
    pub contacts: usize,
    /// Tasks (email notes on generated leads and contacts).
    pub tasks: usize,
    /// The random seed.
    pub seed: u64,
}

const FIRST: &[&str] = &[
    "Ann", "Brian", "Carla", "David", "Elena", "Frank", "Grace", "Henry", "Isabel", "James",
    "Karen", "Liam", "Maria", "Nathan", "Olivia", "Peter", "Quinn", "Rachel", "Samuel", "Tara",
    "Umar", "Vera", "William", "Yusuf", "Zoe", "Chen", "Dmitri", "Fatima", "Kenji", "Priya",
];
const LAST: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Martinez",
    "Wilson", "Anderson", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Walker", "Young", "King", "Wright", "Nguyen", "O'Brien", "Müller",
    "Kowalski", "Tanaka",
];
const COMPANY_A: &[&str] = &[
    "Blue",
    "Cedar",
    "Delta",
    "Falcon",
    "Granite",
    "Harbor",
    "Juniper",
    "Maple",
    "Northwind",
    "Orion",
    "Quartz",
    "Summit",
    "Vertex",
    "Zenith",
];
const COMPANY_B: &[&str] = &[
    "Labs",
    "Systems",
    "Logistics",
    "Foods",
    "Health",
    "Energy",
    "Media",
    "Capital",
    "Works",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("Chicago", "IL", "60601"),
    ("Austin", "TX", "73301"),
    ("Boston", "MA", "02108"),
    ("Denver", "CO", "80202"),
    ("Seattle", "WA", "98101"),
    ("Atlanta", "GA", "30303"),
];
const TITLES: &[&str] = &[
    "CEO",
    "CTO",
    "Buyer",
    "Marketing Manager",
    "Engineer",
    "Director",
];

/// The instant the generated history is built around: 2026-01-01T00:00:00Z.
fn base() -> Millis {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .map_or(0, |t| t.timestamp_millis())
}

const DAY: Millis = 86_400_000;

/// The twelve bulk-update stamps, an hour apart, after every ordinary modification.
fn bulk_stamp(k: usize) -> Millis {
    base() + 290 * DAY + (k as Millis % 12) * 3_600_000
}

struct Gen {
    rng: StdRng,
}

struct Person {
    first: &'static str,
    last: &'static str,
    company: String,
    email: Option<String>,
}

impl Gen {
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items.choose(&mut self.rng).unwrap_or(&items[0]).clone()
    }

    fn person(&mut self) -> Person {
        let first = self.pick(FIRST);
        let last = self.pick(LAST);
        let company = format!("{} {}", self.pick(COMPANY_A), self.pick(COMPANY_B));
        let domain: String = company
            .to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let local: String = format!("{first}.{last}")
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let n = self.rng.random_range(0..1000);
        let email = match self.rng.random_range(0..100) {
            0..3 => None,
            3..8 => Some(format!(
                "{}{n}@{}.example",
                capitalise(&local),
                capitalise(&domain)
            )),
            _ => Some(format!("{local}{n}@{domain}.example")),
        };
        Person {
            first,
            last,
            company,
            email,
        }
    }

    /// (CreatedDate, SystemModstamp) of the `i`th record: one in ten gets a bulk stamp.
    fn dates(&mut self, i: usize) -> (Millis, Millis) {
        let created = base() + self.rng.random_range(0..250 * 86_400) * 1000;
        let modified = if i % 10 == 7 {
            bulk_stamp(i / 10)
        } else {
            created + self.rng.random_range(0..30 * 86_400) * 1000
        };
        (created, modified)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A changed-case form of an email: the same address to Salesforce's comparisons.
fn recase(email: &str) -> String {
    email
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn stamp(rec: &mut Record, created: Millis, modified: Millis) {
    rec.set_field("IsDeleted", Value::Bool(false));
    rec.set_field("CreatedDate", Value::DateTime(created));
    rec.set_field("LastModifiedDate", Value::DateTime(modified));
    rec.set_field("SystemModstamp", Value::DateTime(modified));
}

/// Fills `store` with `spec`'s records.
pub fn generate(store: &mut Store, spec: SeedSpec) {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(spec.seed),
    };
    let accounts: Vec<SfId> = (0..spec.contacts / 5 + 1)
        .map(|_| store.next_account_id())
        .collect();
    let mut contacts: Vec<(SfId, Option<String>, SfId)> = Vec::new();
    for i in 0..spec.contacts {
        let p = g.person();
        let (created, modified) = g.dates(i);
        let id = store.table_mut(SObject::Contact).next_id();
        let account = g.pick(&accounts);
        let mut rec = Record::new(SObject::Contact, id);
        common(&mut g, &mut rec, &p);
        rec.set_field("AccountId", Value::Id(account));
        let (city, state, zip) = g.pick(CITIES);
        rec.set_field(
            "MailingStreet",
            Value::text(&format!("{} Main St", 100 + i)),
        );
        rec.set_field("MailingCity", Value::text(city));
        rec.set_field("MailingState", Value::text(state));
        rec.set_field("MailingPostalCode", Value::text(zip));
        rec.set_field("MailingCountry", Value::text("USA"));
        stamp(&mut rec, created, modified);
        contacts.push((id, p.email.clone(), account));
        store.table_mut(SObject::Contact).put(rec);
    }
    let mut lead_emails: Vec<String> = Vec::new();
    let mut leads: Vec<SfId> = Vec::new();
    for i in 0..spec.leads {
        let mut p = g.person();
        let (created, modified) = g.dates(i);
        let id = store.table_mut(SObject::Lead).next_id();
        let mut rec = Record::new(SObject::Lead, id);
        let roll = g.rng.random_range(0..100);
        let converted = (roll < 5 && !contacts.is_empty()).then(|| g.pick(&contacts));
        if let Some((_, email, _)) = &converted {
            p.email.clone_from(email);
        } else if roll < 9 && !contacts.is_empty() {
            // Shares a contact's email, in another case.
            let (_, email, _) = g.pick(&contacts);
            p.email = email.as_deref().map(recase);
        } else if roll < 11 && !lead_emails.is_empty() {
            let email = g
                .pick(&lead_emails.iter().map(String::as_str).collect::<Vec<_>>())
                .to_string();
            p.email = Some(recase(&email));
        }
        common(&mut g, &mut rec, &p);
        rec.set_field("Company", Value::text(&p.company));
        let (city, state, zip) = g.pick(CITIES);
        rec.set_field("Street", Value::text(&format!("{} Oak Ave", 10 + i)));
        rec.set_field("City", Value::text(city));
        rec.set_field("State", Value::text(state));
        rec.set_field("PostalCode", Value::text(zip));
        rec.set_field("Country", Value::text("USA"));
        let status = g.pick(&[
            "Open - Not Contacted",
            "Working - Contacted",
            "Closed - Not Converted",
        ]);
        rec.set_field("Status", Value::text(status));
        rec.set_field("IsConverted", Value::Bool(false));
        if let Some((contact, _, account)) = converted {
            rec.set_field("IsConverted", Value::Bool(true));
            rec.set_field("Status", Value::text("Closed - Converted"));
            rec.set_field("ConvertedContactId", Value::Id(contact));
            rec.set_field("ConvertedAccountId", Value::Id(account));
            if let Some(d) = date_of(modified) {
                rec.set_field("ConvertedDate", Value::Date(d));
            }
        }
        stamp(&mut rec, created, modified);
        if let Some(e) = &p.email {
            lead_emails.push(e.clone());
        }
        leads.push(id);
        store.table_mut(SObject::Lead).put(rec);
    }
    tasks(&mut g, store, spec.tasks, &leads, &contacts);
}

/// Fields leads and contacts share.
fn common(g: &mut Gen, rec: &mut Record, p: &Person) {
    rec.set_field("FirstName", Value::text(p.first));
    rec.set_field("LastName", Value::text(p.last));
    if let Some(e) = &p.email {
        rec.set_field("Email", Value::text(e));
    }
    rec.set_field(
        "Phone",
        Value::text(&format!("+1 555 {:04}", g.rng.random_range(0..10_000))),
    );
    rec.set_field("Title", Value::text(g.pick(TITLES)));
    rec.set_field("LeadSource", Value::text(g.pick(LEAD_SOURCES)));
    rec.set_field(
        "HasOptedOutOfEmail",
        Value::Bool(g.rng.random_range(0..100) < 5),
    );
    if g.rng.random_range(0..100) < 60 {
        rec.set_field(
            "Score__c",
            Value::Num(f64::from(g.rng.random_range(0..100u32))),
        );
    }
    if g.rng.random_range(0..100) < 10 {
        rec.set_field(
            "CallReference__c",
            Value::text(&format!("CALL-{:06}", g.rng.random_range(0..1_000_000))),
        );
    }
}

fn tasks(
    g: &mut Gen,
    store: &mut Store,
    n: usize,
    leads: &[SfId],
    contacts: &[(SfId, Option<String>, SfId)],
) {
    let people: Vec<SfId> = leads
        .iter()
        .copied()
        .chain(contacts.iter().map(|c| c.0))
        .collect();
    if people.is_empty() {
        return;
    }
    for i in 0..n {
        let who = g.pick(&people);
        let (created, modified) = g.dates(i);
        let id = store.table_mut(SObject::Task).next_id();
        let mut rec = Record::new(SObject::Task, id);
        rec.set_field("WhoId", Value::Id(who));
        rec.set_field(
            "Subject",
            Value::text(&format!("Email: Newsletter {}", i % 12 + 1)),
        );
        if let Some(d) = date_of(created) {
            rec.set_field("ActivityDate", Value::Date(d));
        }
        rec.set_field("Status", Value::text("Completed"));
        rec.set_field("Priority", Value::text("Normal"));
        rec.set_field(
            "Description",
            Value::text("Sent by the marketing platform."),
        );
        stamp(&mut rec, created, modified);
        store.table_mut(SObject::Task).put(rec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(seed: u64) -> Store {
        let mut store = Store::new();
        generate(
            &mut store,
            SeedSpec {
                leads: 400,
                contacts: 200,
                tasks: 20,
                seed,
            },
        );
        store
    }

    #[test]
    fn generation_is_deterministic_and_has_the_hard_cases() {
        let a = build(7);
        let b = build(7);
        let leads: Vec<Record> = a.table(SObject::Lead).iter().cloned().collect();
        let again: Vec<Record> = b.table(SObject::Lead).iter().cloned().collect();
        assert_eq!(leads, again);
        assert_eq!(leads.len(), 400);
        let converted: Vec<&Record> = leads.iter().filter(|r| r.is_converted()).collect();
        assert!(!converted.is_empty());
        for r in &converted {
            let Some(c) = r.field("ConvertedContactId").as_id() else {
                panic!("converted lead without contact");
            };
            assert!(a.get(c).is_some(), "converted to a contact that exists");
        }
        assert!(
            leads
                .iter()
                .any(|r| r.field("HasOptedOutOfEmail").is_true())
        );
        let bulk = leads.iter().filter(|r| r.stamp() == bulk_stamp(0)).count();
        assert!(bulk >= 2, "a bulk group shares one stamp ({bulk})");
        let mixed_shared = leads.iter().any(|l| {
            l.field("Email").as_text().is_some_and(|e| {
                a.table(SObject::Contact).ids_by_email(e).iter().any(|c| {
                    a.get(*c)
                        .and_then(|c| c.field("Email").as_text().map(|ce| ce != e))
                        == Some(true)
                })
            })
        });
        assert!(
            mixed_shared,
            "a lead shares a contact's email in another case"
        );
        assert_eq!(a.verify_indexes(), Ok(()));
    }
}
