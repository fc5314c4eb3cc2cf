//! A faithful fake Salesforce REST API server for listbridge's tests and demo.
//!
//! It serves what a Salesforce connector needs, built to Salesforce's published REST API
//! documentation (API v62.0): the OAuth 2.0 token endpoint (client credentials and JWT
//! bearer flows), `describe`, record reads and writes, SOQL queries with
//! `nextRecordsUrl` paging (a strict subset: what it does not support is a
//! `MALFORMED_QUERY` as Salesforce answers), sObject Collections, Bulk API 2.0 query
//! jobs, the `Sforce-Limit-Info` header and the daily request limit, and errors in
//! Salesforce's JSON shape. Leads, Contacts and Tasks are generated deterministically
//! from a seed. `/_admin/` endpoints add fault injection, CRM-side changes, lead
//! conversion and request statistics. Start it in-process with
//! [`FakeSalesforce::start`] or run the `fake-salesforce` binary; the README lists every
//! place where Salesforce's behaviour had to be guessed.

#![warn(missing_docs)]

mod admin;
mod api;
mod auth;
mod bulk;
mod changes;
mod collections;
mod composite_batch;
mod cursor;
mod describe;
mod errors;
mod fault_apply;
mod faults;
mod id;
mod jwt;
mod limits;
mod query;
mod record;
mod req;
mod retrieve;
mod routes;
mod schema;
mod seed;
mod server;
mod sobjects;
mod soql;
mod state;
mod stats;
mod store;
mod time;
mod value;
mod write;

pub use changes::{Conversion, ConvertSpec, RecordUpdate, UpdateSpec};
pub use errors::{RecordError, SaveResult};
pub use fake_kit::Clock;
pub use faults::{Fault, FaultConfig, FaultRule};
pub use id::SfId;
pub use limits::DEFAULT_DAILY_MAX;
pub use record::Record;
pub use routes::{LATEST_VERSION, OLDEST_VERSION};
pub use schema::{FieldSpec, FieldType, SObject};
pub use server::{FakeConfig, FakeError, FakeSalesforce};
pub use soql::{SoqlError, parse as parse_soql};
pub use state::FakeState;
pub use stats::Stats;
pub use time::{format_rest, parse_datetime};
pub use value::Value;
