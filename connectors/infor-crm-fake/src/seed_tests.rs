use super::*;

fn seeded(seed: u64) -> Store {
    let mut store = Store::new(seed);
    let spec = SeedSpec {
        leads: 300,
        contacts: 300,
        accounts: 20,
        seed,
    };
    generate(&mut store, spec);
    store
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
