//! Deterministic generated data: the same seed always yields the same records, keys,
//! etags and dates.
//!
//! Realism that matters to a sync: names and companies, emails that are mostly
//! `first.last@company`, a few in mixed case, a few shared between a lead and a contact
//! (some differing only in case), opted-out records, addresses, the custom fields, and
//! clusters of records sharing one ModifyDate (as a bulk update leaves them).

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use crate::model::{Fields, Kind, Record, Value};
use crate::store::Store;

/// How many records of each kind to generate, and from which seed.
#[derive(Debug, Clone, Copy)]
pub struct SeedSpec {
    /// Number of leads (each with a LeadAddress).
    pub leads: usize,
    /// Number of contacts (each with an Address, linked to an account when any exist).
    pub contacts: usize,
    /// Number of accounts (each with an Address).
    pub accounts: usize,
    /// Number of opportunities (each sold to an account when any exist), generated after
    /// everything else so the people of a seed are the same with or without them.
    pub opportunities: usize,
    /// The random seed.
    pub seed: u64,
}

const FIRST: &[&str] = &[
    "Ann", "Brian", "Carla", "David", "Elena", "Frank", "Grace", "Henry", "Isabel", "James",
    "Karen", "Liam", "Maria", "Nathan", "Olivia", "Peter", "Quinn", "Rachel", "Samuel", "Tara",
    "Umar", "Vera", "William", "Ximena", "Yusuf", "Zoe", "Aaron", "Bianca", "Chen", "Dmitri",
    "Erin", "Fatima", "George", "Hana", "Ivan", "Julia", "Kenji", "Laura", "Marco", "Nadia",
    "Oscar", "Priya", "Rafael", "Sofia", "Thomas", "Ursula", "Victor", "Wendy", "Jürgen", "Zoë",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "O'Brien",
    "Müller",
    "Kowalski",
    "Tanaka",
    "Rossi",
    "Dubois",
    "Novak",
    "Larsen",
    "Silva",
    "Okafor",
];
const COMPANY_A: &[&str] = &[
    "Above",
    "Blue",
    "Cedar",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Maple",
    "Northwind",
    "Orion",
    "Pioneer",
    "Quartz",
    "Redwood",
    "Summit",
    "Tidewater",
    "Union",
    "Vertex",
    "Westfield",
    "Zenith",
];
const COMPANY_B: &[&str] = &[
    "Marine",
    "Logistics",
    "Software",
    "Foods",
    "Health",
    "Energy",
    "Capital",
    "Design",
    "Builders",
    "Analytics",
    "Textiles",
    "Robotics",
    "Media",
    "Pharma",
    "Travel",
    "Motors",
];
const COMPANY_C: &[&str] = &[
    "Inc.", "LLC", "Ltd", "Group", "& Co.", "GmbH", "Partners", "Corp.",
];
const TITLES: &[&str] = &[
    "CEO",
    "CFO",
    "Marketing Manager",
    "Sales Director",
    "Buyer",
    "IT Manager",
    "Office Manager",
    "VP Operations",
    "Account Executive",
    "Engineer",
    "Consultant",
];
const INDUSTRIES: &[&str] = &[
    "Manufacturing",
    "Retail",
    "Finance",
    "Healthcare",
    "Technology",
    "Education",
    "Transportation",
    "Hospitality",
    "Construction",
    "Energy",
];
const STREETS: &[&str] = &[
    "Main St",
    "Oak Ave",
    "Pine Rd",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Lake View Blvd",
    "Hillcrest Rd",
    "Park Ave",
    "2nd St",
    "Sunset Blvd",
    "River Rd",
];
const CITIES: &[(&str, &str, &str, &str)] = &[
    ("Chicago", "IL", "606", "USA"),
    ("Scottsdale", "AZ", "852", "USA"),
    ("Austin", "TX", "787", "USA"),
    ("Seattle", "WA", "981", "USA"),
    ("Boston", "MA", "021", "USA"),
    ("Denver", "CO", "802", "USA"),
    ("Atlanta", "GA", "303", "USA"),
    ("Portland", "OR", "972", "USA"),
    ("Toronto", "ON", "M5V", "Canada"),
    ("London", "", "EC1", "United Kingdom"),
    ("München", "BY", "803", "Germany"),
];
const REGIONS: &[&str] = &["North", "South", "East", "West", "EMEA", "APAC"];
const LEAD_STATUS: &[&str] = &["New", "Contacted", "Qualified", "Nurture", "Unqualified"];
const CONTACT_TYPES: &[&str] = &["Customer", "Prospect", "Partner", "Vendor", "Other"];

/// The user that owns audit fields (`CreateUser`, `ModifyUser`); space-padded like SLX.
pub const ADMIN_USER_ID: &str = "ADMIN       ";
const OWNER_KEY: &str = "SYST00000001";
const LEAD_SOURCE_KEY: &str = "LDEMOA000001";

struct Gen {
    rng: StdRng,
    base: DateTime<Utc>,
    clusters: Vec<DateTime<Utc>>,
    used_emails: HashSet<String>,
}

/// Fills `store` with generated accounts, leads and contacts (and their addresses).
pub fn generate(store: &mut Store, spec: SeedSpec) {
    let base = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let clusters = (0..12)
        .map(|_| base - TimeDelta::seconds(rng.random_range(3_600..60 * 86_400)))
        .collect();
    let mut g = Gen {
        rng,
        base,
        clusters,
        used_emails: HashSet::new(),
    };
    let mut accounts = Vec::with_capacity(spec.accounts);
    for _ in 0..spec.accounts {
        accounts.push(account(store, &mut g));
    }
    let mut lead_people = Vec::with_capacity(spec.leads);
    for _ in 0..spec.leads {
        lead_people.push(lead(store, &mut g));
    }
    for _ in 0..spec.contacts {
        contact(store, &mut g, &accounts, &lead_people);
    }
    for _ in 0..spec.opportunities {
        opportunity(store, &mut g, &accounts);
    }
}

/// A person's generated identity, kept so contacts can share a lead's email.
struct Person {
    first: String,
    last: String,
    email: String,
}

/// (key, name, domain) of a generated account.
type AccountInfo = (String, String, String);

impl Gen {
    fn pick<'a>(&mut self, list: &'a [&'a str]) -> &'a str {
        list.choose(&mut self.rng).copied().unwrap_or_default()
    }

    fn company(&mut self) -> (String, String) {
        let a = self.pick(COMPANY_A);
        let b = self.pick(COMPANY_B);
        let c = self.pick(COMPANY_C);
        let domain = format!("{}-{}.com", a.to_lowercase(), b.to_lowercase());
        (format!("{a} {b} {c}"), domain)
    }

    /// (CreateDate, ModifyDate), whole seconds; ~10% share a bulk-update timestamp.
    fn dates(&mut self) -> (DateTime<Utc>, DateTime<Utc>) {
        let created =
            self.base - TimeDelta::seconds(self.rng.random_range(60 * 86_400..730 * 86_400));
        let modified = if self.rng.random_bool(0.1) {
            self.clusters
                .choose(&mut self.rng)
                .copied()
                .unwrap_or(self.base)
        } else {
            created + TimeDelta::seconds(self.rng.random_range(0..50 * 86_400))
        };
        (created, modified.max(created))
    }

    fn email(&mut self, first: &str, last: &str, domain: &str) -> String {
        let local: String = format!("{first}.{last}")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let mut email = format!("{local}@{domain}");
        let mut n = 1;
        while !self.used_emails.insert(email.to_lowercase()) {
            n += 1;
            email = format!("{local}{n}@{domain}");
        }
        if self.rng.random_bool(0.05) {
            email
        } else {
            email.to_lowercase()
        }
    }

    fn phone(&mut self) -> String {
        format!(
            "{:03}-{:03}-{:04}",
            self.rng.random_range(201..990),
            self.rng.random_range(200..999),
            self.rng.random_range(0..10_000)
        )
    }

    fn record(&mut self, store: &mut Store, kind: Kind) -> Record {
        let (create_date, modify_date) = self.dates();
        let mut fields = Fields::new();
        fields.insert("CreateUser", text(ADMIN_USER_ID));
        fields.insert("ModifyUser", text(ADMIN_USER_ID));
        Record {
            key: store.new_key(kind),
            etag: store.new_etag(),
            create_date,
            modify_date,
            fields,
        }
    }

    /// Creates an address of `kind` and returns its key.
    fn address(
        &mut self,
        store: &mut Store,
        kind: Kind,
        owner_field: &'static str,
        owner: &str,
    ) -> String {
        let mut rec = self.record(store, kind);
        let (city, state, zip, country) =
            CITIES.choose(&mut self.rng).copied().unwrap_or(CITIES[0]);
        let number = self.rng.random_range(1..9_999);
        let street = self.pick(STREETS);
        let f = &mut rec.fields;
        f.insert(
            "Address1",
            Value::Text(compact_str::format_compact!("{number} {street}")),
        );
        f.insert("City", text(city));
        if !state.is_empty() {
            f.insert("State", text(state));
        }
        f.insert(
            "PostalCode",
            Value::Text(compact_str::format_compact!("{zip}{:02}", number % 100)),
        );
        f.insert("Country", text(country));
        f.insert("Description", text("Mailing"));
        f.insert("IsPrimary", Value::Bool(true));
        f.insert("IsMailing", Value::Bool(true));
        f.insert(owner_field, text(owner));
        let key = rec.key.clone();
        store.put(kind, rec);
        key
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn account(store: &mut Store, g: &mut Gen) -> AccountInfo {
    let mut rec = g.record(store, Kind::Account);
    let (name, domain) = g.company();
    let phone = g.phone();
    let industry = g.pick(INDUSTRIES);
    let kind = g.pick(CONTACT_TYPES);
    let address = g.address(store, Kind::Address, "EntityId", &rec.key);
    let f = &mut rec.fields;
    f.insert("AccountName", Value::Text(name.as_str().into()));
    f.insert("MainPhone", Value::Text(phone.into()));
    f.insert(
        "WebAddress",
        Value::Text(compact_str::format_compact!("www.{domain}")),
    );
    f.insert(
        "Email",
        Value::Text(compact_str::format_compact!("info@{domain}")),
    );
    f.insert("Industry", text(industry));
    f.insert("Type", text(kind));
    f.insert("Status", text("Active"));
    f.insert("Address", Value::Text(address.into()));
    f.insert("Owner", text(OWNER_KEY));
    let info = (rec.key.clone(), name, domain);
    store.put(Kind::Account, rec);
    info
}

fn person_fields(g: &mut Gen, rec: &mut Record, first: &str, last: &str, email: &str) {
    let title = g.pick(TITLES);
    let phone = g.phone();
    let score = g.rng.random_range(0..101);
    let region = g.pick(REGIONS);
    let newsletter = g.rng.random_bool(0.4);
    let opted_out = g.rng.random_bool(0.05);
    let f = &mut rec.fields;
    f.insert("FirstName", text(first));
    f.insert("LastName", text(last));
    f.insert("Title", text(title));
    f.insert("Email", text(email));
    f.insert("WorkPhone", Value::Text(phone.into()));
    f.insert("DoNotEmail", Value::Bool(opted_out));
    f.insert("LeadScore", Value::Int(score));
    f.insert("Region", text(region));
    f.insert("Newsletter", Value::Bool(newsletter));
    f.insert("Owner", text(OWNER_KEY));
}

fn lead(store: &mut Store, g: &mut Gen) -> Person {
    let mut rec = g.record(store, Kind::Lead);
    let first = g.pick(FIRST).to_string();
    let last = g.pick(LAST).to_string();
    let (company, domain) = g.company();
    let email = g.email(&first, &last, &domain);
    person_fields(g, &mut rec, &first, &last, &email);
    let industry = g.pick(INDUSTRIES);
    let status = g.pick(LEAD_STATUS);
    let address = g.address(store, Kind::LeadAddress, "LeadId", &rec.key);
    let f = &mut rec.fields;
    f.insert("Company", Value::Text(company.into()));
    f.insert("Industry", text(industry));
    f.insert("Status", text(status));
    f.insert("LeadSource", text(LEAD_SOURCE_KEY));
    f.insert("Address", Value::Text(address.into()));
    store.put(Kind::Lead, rec);
    Person { first, last, email }
}

fn contact(store: &mut Store, g: &mut Gen, accounts: &[AccountInfo], leads: &[Person]) {
    let mut rec = g.record(store, Kind::Contact);
    let account = accounts.choose(&mut g.rng);
    let shared = if g.rng.random_bool(0.08) {
        leads.choose(&mut g.rng)
    } else {
        None
    };
    let (first, last, email) = match shared {
        Some(p) if g.rng.random_bool(0.3) => {
            (p.first.clone(), p.last.clone(), p.email.to_uppercase())
        }
        Some(p) => (p.first.clone(), p.last.clone(), p.email.clone()),
        None => {
            let first = g.pick(FIRST).to_string();
            let last = g.pick(LAST).to_string();
            let domain = account.map_or_else(|| g.company().1, |a| a.2.clone());
            let email = g.email(&first, &last, &domain);
            (first, last, email)
        }
    };
    person_fields(g, &mut rec, &first, &last, &email);
    if g.rng.random_bool(0.2) {
        let personal = g.email(&first, &last, "gmail.com");
        rec.fields
            .insert("SecondaryEmail", Value::Text(personal.into()));
    }
    if g.rng.random_bool(0.05) {
        let other = g.email(&first, &last, "outlook.com");
        rec.fields.insert("Email3", Value::Text(other.into()));
    }
    let kind = g.pick(CONTACT_TYPES);
    rec.fields.insert("Type", text(kind));
    if let Some((key, name, _)) = account {
        rec.fields.insert("Account", text(key));
        rec.fields.insert("AccountName", text(name));
    }
    let address = g.address(store, Kind::Address, "EntityId", &rec.key);
    rec.fields.insert("Address", Value::Text(address.into()));
    store.put(Kind::Contact, rec);
}

const PRODUCTS: &[&str] = &[
    "Renewal",
    "Expansion",
    "Pilot",
    "Platform",
    "Support Plan",
    "Upgrade",
];
/// (currency, rate to the base currency USD).
const CURRENCIES: &[(&str, f64)] = &[("USD", 1.0), ("EUR", 1.08), ("GBP", 1.27)];

/// An opportunity: mostly open, about a quarter won (with an actual amount and close
/// date) and some lost; a third carry a call reference or a visitor id.
fn opportunity(store: &mut Store, g: &mut Gen, accounts: &[AccountInfo]) {
    let mut rec = g.record(store, Kind::Opportunity);
    let account = accounts.choose(&mut g.rng);
    let product = g.pick(PRODUCTS);
    let name = match account {
        Some((_, name, _)) => format!("{name} {product}"),
        None => format!("{} {product}", g.company().0),
    };
    let roll = g.rng.random_range(0..100);
    let (status, stage, probability) = match roll {
        0..60 => ("Open", "3-Qualification", g.rng.random_range(1..9) * 10),
        60..85 => ("Closed - Won", "7-Closed", 100),
        _ => ("Closed - Lost", "7-Closed", 0),
    };
    let potential = f64::from(g.rng.random_range(10..2_000_u32)) * 50.0;
    let &(currency, rate) = CURRENCIES.choose(&mut g.rng).unwrap_or(&("USD", 1.0));
    let estimated = rec.modify_date + TimeDelta::days(g.rng.random_range(-30..90));
    let call = g.rng.random_bool(0.33);
    let visitor = g.rng.random_bool(0.33);
    let f = &mut rec.fields;
    f.insert("Description", Value::Text(name.into()));
    f.insert("Status", text(status));
    f.insert("Stage", text(stage));
    f.insert("Type", text("New"));
    f.insert("CloseProbability", Value::Int(probability));
    f.insert("SalesPotential", Value::Decimal(potential));
    f.insert("ExchangeRateCode", text(currency));
    f.insert("ExchangeRate", Value::Decimal(rate));
    f.insert("ExchangeRateLocked", Value::Bool(false));
    f.insert("EstimatedClose", Value::DateTime(estimated));
    f.insert("Owner", text(OWNER_KEY));
    f.insert("LeadSource", text(LEAD_SOURCE_KEY));
    if status != "Open" {
        f.insert("ActualClose", Value::DateTime(rec.modify_date));
    }
    if status == "Closed - Won" {
        f.insert("ActualAmount", Value::Decimal(potential));
    }
    if let Some((key, _, _)) = account {
        f.insert("Account", text(key));
    }
    let suffix = rec
        .key
        .get(rec.key.len().saturating_sub(6)..)
        .unwrap_or_default()
        .to_string();
    if call {
        rec.fields.insert(
            "CallReference",
            Value::Text(format!("CALL-{suffix}").into()),
        );
    }
    if visitor {
        rec.fields
            .insert("VisitorId", Value::Text(format!("v.{suffix}").into()));
    }
    store.put(Kind::Opportunity, rec);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded(seed: u64) -> Store {
        seeded_with(seed, 0)
    }

    fn seeded_with(seed: u64, opportunities: usize) -> Store {
        let mut store = Store::new(seed);
        let spec = SeedSpec {
            leads: 300,
            contacts: 300,
            accounts: 20,
            opportunities,
            seed,
        };
        generate(&mut store, spec);
        store
    }

    #[test]
    fn opportunities_leave_the_people_of_a_seed_alone_and_close_some_deals() {
        let without = seeded(7);
        let with = seeded_with(7, 200);
        for kind in [Kind::Lead, Kind::Contact, Kind::Account, Kind::Address] {
            let all = |s: &Store| s.records(kind).cloned().collect::<Vec<_>>();
            assert_eq!(all(&without), all(&with), "{kind}");
        }
        let opportunities: Vec<_> = with.records(Kind::Opportunity).collect();
        assert_eq!(opportunities.len(), 200);
        let status = |r: &Record| r.text("Status").unwrap_or_default().to_string();
        let won: Vec<_> = opportunities
            .iter()
            .filter(|r| status(r) == "Closed - Won")
            .collect();
        assert!((20..=80).contains(&won.len()), "{} won", won.len());
        assert!(
            won.iter()
                .all(|r| r.get("ActualAmount").is_some() && r.get("ActualClose").is_some())
        );
        assert!(opportunities.iter().any(|r| status(r) == "Closed - Lost"));
        assert!(opportunities.iter().all(|r| {
            r.key.starts_with('O')
                && r.text("Account").is_some()
                && r.get("Weighted").is_some()
                && r.get("Closed") == Some(&Value::Bool(status(r) != "Open"))
        }));
        assert!(
            opportunities
                .iter()
                .any(|r| r.text("CallReference").is_some())
        );
        assert!(opportunities.iter().any(|r| r.text("VisitorId").is_some()));
        assert_eq!(with.verify_indexes(), Ok(()));
    }

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let a = seeded(42);
        let b = seeded(42);
        let c = seeded(43);
        let leads = |s: &Store| s.records(Kind::Lead).cloned().collect::<Vec<_>>();
        assert_eq!(leads(&a), leads(&b));
        assert_ne!(leads(&a), leads(&c));
        assert_eq!(a.len(Kind::LeadAddress), 300);
        assert_eq!(a.len(Kind::Address), 320);
    }

    #[test]
    fn some_emails_are_shared_or_mixed_case_and_dates_cluster() {
        let store = seeded(1);
        let lead_emails: HashSet<String> = store
            .records(Kind::Lead)
            .filter_map(|r| r.text("Email"))
            .map(str::to_lowercase)
            .collect();
        let shared = store
            .records(Kind::Contact)
            .filter_map(|r| r.text("Email"))
            .filter(|e| lead_emails.contains(&e.to_lowercase()))
            .count();
        assert!(shared > 0, "no email shared between a lead and a contact");
        let mixed = store
            .records(Kind::Lead)
            .filter_map(|r| r.text("Email"))
            .filter(|e| e.chars().any(|c| c.is_ascii_uppercase()))
            .count();
        assert!(mixed > 0, "no mixed-case email");
        let mut dates: Vec<_> = store.records(Kind::Lead).map(|r| r.modify_date).collect();
        let total = dates.len();
        dates.sort();
        dates.dedup();
        assert!(dates.len() < total, "no two leads share a ModifyDate");
    }
}
