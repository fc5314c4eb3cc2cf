//! The connector contract (`connector-contract`) against the fake Infor CRM, in JSON and
//! in Atom: the same cases every CRM connector passes against its own fake.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{TimeDelta, TimeZone, Utc};
use connector_contract::{ContractFault, FaultScope, Harness};
use infor_crm::WireFormat;
use infor_crm_fake::{FakeConfig, FakeCrm, Fault, FaultRule, Kind, UpdateSpec};
use listbridge_connector::{CrmConnector, EntityKind, FieldValues};
use serde_json::{Map, Value};

use common::{connector, fake_with};

/// Records per page the fake answers: small, so every case crosses pages.
const PAGE_CAP: usize = 25;

/// An empty fake Infor CRM on a pinned clock and a connector to it.
struct Infor {
    fake: FakeCrm,
    connector: Arc<dyn CrmConnector>,
}

async fn infor(format: WireFormat) -> Infor {
    let fake = fake_with(FakeConfig {
        leads: 0,
        contacts: 0,
        accounts: 0,
        page_cap: PAGE_CAP,
        now: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).single(),
        ..FakeConfig::default()
    })
    .await;
    let connector: Arc<dyn CrmConnector> = Arc::new(connector(&fake, format));
    Infor { fake, connector }
}

fn kind(entity: EntityKind) -> Kind {
    match entity {
        EntityKind::Lead => Kind::Lead,
        EntityKind::Contact => Kind::Contact,
    }
}

fn json(fields: &FieldValues) -> Map<String, Value> {
    fields
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.clone().map(Value::String).unwrap_or(Value::Null),
            )
        })
        .collect()
}

#[async_trait]
impl Harness for Infor {
    fn connector(&self) -> Arc<dyn CrmConnector> {
        Arc::clone(&self.connector)
    }

    fn page_cap(&self) -> usize {
        PAGE_CAP
    }

    async fn add_people(&self, entity: EntityKind, people: &[FieldValues]) -> Vec<String> {
        let records: Vec<Map<String, Value>> = people.iter().map(json).collect();
        self.fake
            .state()
            .insert_records(kind(entity), &records)
            .unwrap_or_else(|e| panic!("inserting {entity}s: {e:?}"))
            .into_iter()
            .map(|r| r.key.to_string())
            .collect()
    }

    async fn change_together(&self, entity: EntityKind, keys: &[String], fields: &FieldValues) {
        let state = self.fake.state();
        state.clock().advance(TimeDelta::minutes(1));
        let spec = UpdateSpec {
            keys: keys.to_vec(),
            set: json(fields),
            modify_date: Some(state.clock().now()),
            ..UpdateSpec::default()
        };
        state
            .update_records(kind(entity), &spec)
            .unwrap_or_else(|e| panic!("updating {entity}s: {e:?}"));
    }

    async fn count_with_email(&self, entity: EntityKind, email: &str) -> usize {
        self.fake
            .state()
            .records(kind(entity))
            .iter()
            .filter(|r| {
                r.text("Email")
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .count()
    }

    async fn notes_on(&self, entity: EntityKind, key: &str) -> usize {
        let link = match entity {
            EntityKind::Lead => "LeadId",
            EntityKind::Contact => "ContactId",
        };
        self.fake
            .state()
            .records(Kind::History)
            .iter()
            .filter(|r| r.text(link) == Some(key))
            .count()
    }

    async fn requests(&self) -> u64 {
        self.fake.state().stats().total
    }

    /// Infor CRM makes a contact of the person and removes the lead; nothing records
    /// which contact a lead became.
    async fn convert_lead(&self, key: &str) -> Option<String> {
        let state = self.fake.state();
        let lead = state
            .records(Kind::Lead)
            .into_iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| panic!("no lead {key}"));
        let mut contact = Map::new();
        for field in ["Email", "FirstName", "LastName"] {
            contact.insert(
                field.into(),
                Value::from(lead.text(field).unwrap_or_default()),
            );
        }
        state.clock().advance(TimeDelta::minutes(1));
        state
            .insert_records(Kind::Contact, &[contact])
            .unwrap_or_else(|e| panic!("inserting the contact: {e:?}"));
        assert_eq!(
            state.delete_records(Kind::Lead, &[key.to_string()]).len(),
            1
        );
        None
    }

    async fn inject(&self, scope: FaultScope, fault: ContractFault, times: u32) {
        let fault = match fault {
            ContractFault::ServerError => Fault::Status {
                status: 500,
                retry_after: None,
            },
            ContractFault::TooManyRequests {
                retry_after_seconds,
            } => Fault::Status {
                status: 429,
                retry_after: Some(retry_after_seconds),
            },
            ContractFault::Timeout => Fault::Hang {
                ms: 4_000,
                apply: true,
            },
            ContractFault::DroppedAfterApplying => Fault::Drop { apply: true },
        };
        let method = match scope {
            FaultScope::Reads => "GET",
            FaultScope::Creates => "POST",
        };
        let state = self.fake.state();
        let mut faults = state.faults();
        faults.rules.push(FaultRule {
            method: Some(method.into()),
            kind: Some("leads".into()),
            ..FaultRule::next(times, fault)
        });
        state.set_faults(faults);
    }
}

mod json {
    connector_contract::contract_tests!(super::infor(infor_crm::WireFormat::Json));
}

mod atom {
    connector_contract::contract_tests!(super::infor(infor_crm::WireFormat::Atom));
}
