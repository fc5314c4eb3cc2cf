//! The connector contract (`connector-contract`) against the fake Salesforce: the same
//! cases every CRM connector passes against its own fake.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{SecondsFormat, TimeDelta};
use connector_contract::{ContractFault, FaultScope, Harness};
use listbridge_connector::{CrmConnector, EntityKind, FieldValues};
use salesforce_fake::{
    ConvertSpec, FakeSalesforce, Fault, FaultRule, RecordUpdate, SObject, UpdateSpec,
};

use common::{connector, fake, json};

/// Records per page the fake answers: small, so every case crosses pages.
const PAGE_CAP: usize = 25;

/// An empty fake Salesforce on a pinned clock and a connector to it.
struct Sf {
    fake: FakeSalesforce,
    connector: Arc<dyn CrmConnector>,
}

async fn salesforce() -> Sf {
    let fake = fake(PAGE_CAP).await;
    let connector: Arc<dyn CrmConnector> = Arc::new(connector(&fake));
    Sf { fake, connector }
}

fn object(entity: EntityKind) -> SObject {
    match entity {
        EntityKind::Lead => SObject::Lead,
        EntityKind::Contact => SObject::Contact,
    }
}

#[async_trait]
impl Harness for Sf {
    fn connector(&self) -> Arc<dyn CrmConnector> {
        Arc::clone(&self.connector)
    }

    fn page_cap(&self) -> usize {
        PAGE_CAP
    }

    async fn add_people(&self, entity: EntityKind, people: &[FieldValues]) -> Vec<String> {
        let state = self.fake.state();
        people
            .iter()
            .map(|p| {
                state
                    .insert_record(object(entity), &json(p))
                    .unwrap_or_else(|e| panic!("inserting a {entity}: {e}"))
            })
            .collect()
    }

    async fn change_together(&self, entity: EntityKind, keys: &[String], fields: &FieldValues) {
        let state = self.fake.state();
        state.clock().advance(TimeDelta::minutes(1));
        let at = state
            .clock()
            .now()
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        let spec = UpdateSpec {
            updates: keys
                .iter()
                .map(|id| RecordUpdate {
                    sobject: object(entity).name().to_string(),
                    id: id.clone(),
                    fields: json(fields),
                })
                .collect(),
            system_modstamp: Some(at),
        };
        state
            .update_records(&spec)
            .unwrap_or_else(|e| panic!("updating {entity}s: {e}"));
    }

    async fn count_with_email(&self, entity: EntityKind, email: &str) -> usize {
        self.fake
            .state()
            .records(object(entity))
            .iter()
            .filter(|r| !r.is_deleted())
            .filter(|r| {
                r.field("Email")
                    .as_text()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .count()
    }

    async fn notes_on(&self, _entity: EntityKind, key: &str) -> usize {
        self.fake
            .state()
            .records(SObject::Task)
            .iter()
            .filter(|r| r.field("WhoId").as_id().is_some_and(|id| id.to_18() == key))
            .count()
    }

    async fn requests(&self) -> u64 {
        self.fake.state().stats().total
    }

    /// Salesforce keeps the lead, marked converted, naming its contact.
    async fn convert_lead(&self, key: &str) -> Option<String> {
        let state = self.fake.state();
        state.clock().advance(TimeDelta::minutes(1));
        let conversion = state
            .convert_lead(&ConvertSpec {
                lead_id: key.to_string(),
                contact_id: None,
            })
            .unwrap_or_else(|e| panic!("converting lead {key}: {e}"));
        Some(conversion.contact_id)
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
        // Reads are query requests (first pages and `nextRecordsUrl` pages); creates are
        // POSTs of sObjects, single or through Collections.
        let rule = match scope {
            FaultScope::Reads => FaultRule::next(times, fault)
                .with_method("GET")
                .with_path("/query"),
            FaultScope::Creates => FaultRule::next(times, fault)
                .with_method("POST")
                .with_path("/sobjects"),
        };
        let state = self.fake.state();
        let mut faults = state.faults();
        faults.rules.push(rule);
        state.set_faults(faults);
    }
}

connector_contract::contract_tests!(salesforce());
