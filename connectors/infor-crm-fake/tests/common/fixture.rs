//! The five hand-made leads the query tests run against, known values and ModifyDates:
//! Ann Smith (Acme, 10, Chicago), Bob Smithers (Maxim's, 20, Austin), Cid Jones (Acme, 30,
//! Chicago), Dee O'Brien (Zeta, 40, Boston, DoNotEmail), Eve Brown (Zeta, 50, Denver,
//! DoNotEmail, no Email).
#![allow(dead_code)]

use infor_crm_fake::{FakeConfig, Kind};
use serde_json::json;

use super::{Harness, start};

/// Five hand-made leads with known values and ModifyDates.
pub async fn five_leads() -> Harness {
    let h = start(FakeConfig::default()).await;
    let state = h.crm.state();
    let rows = [
        (
            "Ann",
            "Smith",
            "Acme",
            "ann@acme.com",
            10,
            "2024-01-01T10:00:00Z",
            "Chicago",
        ),
        (
            "Bob",
            "Smithers",
            "Maxim's",
            "BOB@Acme.com",
            20,
            "2024-01-01T10:00:00Z",
            "Austin",
        ),
        (
            "Cid",
            "Jones",
            "Acme",
            "cid@other.org",
            30,
            "2024-01-02T08:00:00Z",
            "Chicago",
        ),
        (
            "Dee",
            "O'Brien",
            "Zeta",
            "dee@zeta.io",
            40,
            "2024-01-03T00:00:00Z",
            "Boston",
        ),
        (
            "Eve",
            "Brown",
            "Zeta",
            "",
            50,
            "2024-01-04T12:30:00Z",
            "Denver",
        ),
    ];
    for (first, last, company, email, score, modified, city) in rows {
        let mut fields = json!({"FirstName": first, "LastName": last, "Company": company,
            "LeadScore": score, "ModifyDate": modified, "CreateDate": "2023-06-01T00:00:00Z",
            "Address": {"City": city}, "DoNotEmail": score > 35});
        if !email.is_empty() {
            fields["Email"] = json!(email);
        }
        let Some(obj) = fields.as_object() else {
            panic!("object")
        };
        if let Err(e) = state.insert_record(Kind::Lead, obj) {
            panic!("insert {last}: {e}");
        }
    }
    h
}

pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
