//! Server-computed fields (upper-case copies, display names, full addresses), refreshed
//! on every write like the CRM's calculated properties.

use crate::model::{Kind, Record, Value};

/// Recomputes every derived field of `record`.
pub(crate) fn apply(kind: Kind, record: &mut Record) {
    match kind {
        Kind::Lead => {
            upper(record, "LastName", "LastNameUpper");
            upper(record, "Company", "CompanyUpper");
            let last_first = join(record, &["LastName", "FirstName"], ", ");
            let first_last = join(record, &["FirstName", "LastName"], " ");
            let full = join(
                record,
                &["Prefix", "FirstName", "MiddleName", "LastName", "Suffix"],
                " ",
            );
            set(record, "LeadNameLastFirst", last_first);
            set(record, "LeadNameFirstLast", first_last);
            set(record, "LeadFullName", full);
        }
        Kind::Contact => {
            upper(record, "LastName", "LastNameUpper");
            let name_lf = join(record, &["LastName", "FirstName"], ", ");
            let name = join(record, &["FirstName", "LastName"], " ");
            let full = join(
                record,
                &["Prefix", "FirstName", "MiddleName", "LastName", "Suffix"],
                " ",
            );
            set(record, "NameLF", name_lf);
            set(record, "Name", name);
            set(record, "FullName", full);
        }
        Kind::Account => upper(record, "AccountName", "AccountNameUpper"),
        Kind::LeadAddress | Kind::Address => {
            let street = join(
                record,
                &["Address1", "Address2", "Address3", "Address4"],
                "\n",
            );
            let city_line = city_state_zip(record);
            let full = [street.clone(), city_line.clone(), text(record, "Country")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            set(record, "FullAddress", full);
            if kind == Kind::Address {
                set(record, "StreetAddress", street);
                set(record, "CityStateZip", city_line);
            }
        }
        Kind::History => {}
        Kind::OpportunityContact => {
            // The flag is a SalesLogix bit column: never empty, `F` until said otherwise.
            if !matches!(record.get("IsPrimary"), Some(Value::Bool(_))) {
                record.fields.insert("IsPrimary", Value::Bool(false));
            }
        }
        Kind::Opportunity => {
            // SalesLogix keeps the weighted potential and the closed flag in step with
            // the amounts and the status on every save.
            let weighted = match (record.get("SalesPotential"), record.get("CloseProbability")) {
                (Some(Value::Decimal(potential)), Some(Value::Int(probability))) => {
                    Some(potential * (*probability as f64) / 100.0)
                }
                _ => None,
            };
            match weighted {
                Some(w) => record.fields.insert("Weighted", Value::Decimal(w)),
                None => record.fields.remove("Weighted"),
            };
            let closed = record
                .text("Status")
                .is_some_and(|s| s.trim_start().to_ascii_lowercase().starts_with("closed"));
            record.fields.insert("Closed", Value::Bool(closed));
        }
    }
}

/// The display title of a record (Atom `<title>`, JSON `$descriptor`).
pub(crate) fn descriptor(kind: Kind, record: &Record) -> String {
    let name = match kind {
        Kind::Lead => "LeadNameLastFirst",
        Kind::Contact => "NameLF",
        Kind::Account => "AccountName",
        Kind::LeadAddress | Kind::Address => "FullAddress",
        Kind::History | Kind::Opportunity => "Description",
        // The link has no name of its own; Infor CRM Mobile titles it by the contact's
        // name, which lives on another record, so the role stands in (inferred).
        Kind::OpportunityContact => "SalesRole",
    };
    text(record, name)
}

fn text(record: &Record, name: &str) -> String {
    record.text(name).unwrap_or_default().to_string()
}

fn upper(record: &mut Record, from: &str, to: &'static str) {
    let value = text(record, from).to_uppercase();
    set(record, to, value);
}

fn join(record: &Record, names: &[&str], sep: &str) -> String {
    names
        .iter()
        .filter_map(|n| record.text(n))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(sep)
}

fn city_state_zip(record: &Record) -> String {
    let city = text(record, "City");
    let state_zip = join(record, &["State", "PostalCode"], " ");
    match (city.is_empty(), state_zip.is_empty()) {
        (false, false) => format!("{city}, {state_zip}"),
        (false, true) => city,
        _ => state_zip,
    }
}

fn set(record: &mut Record, name: &'static str, value: String) {
    if value.is_empty() {
        record.fields.remove(name);
    } else {
        record.fields.insert(name, Value::Text(value.into()));
    }
}
