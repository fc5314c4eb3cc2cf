//! A faithful fake Infor CRM (Saleslogix) SData server for listbridge's tests, demo and
//! benchmarks.
//!
//! It serves
//! `/sdata/slx/dynamic/-/{leads,contacts,accounts,leadAddresses,addresses,history,opportunities,opportunityContacts}`
//! in Atom and JSON with the paging, `where`, `select`/`include`/`orderBy`, writes,
//! `$batch`, `$template`, `$schema`, errors and Basic authentication of the real server:
//! Sage's SData 1.1 REST protocol as Infor CRM serves it (the public SData specification
//! is at <https://sage.github.io/SData-2.0/>). `/_admin/` endpoints add fault injection,
//! CRM-side changes and request statistics. Start it in-process with [`FakeCrm::start`]
//! or run the `fake-infor-crm` binary.

#![warn(missing_docs)]

mod admin;
mod atom;
mod atom_read;
mod auth;
mod batch;
mod changes;
mod derive;
mod diagnose;
mod email_index;
mod email_plan;
mod fault_apply;
mod faults;
mod fields;
mod filter;
mod index_range;
mod json;
mod load;
mod model;
mod params;
mod path;
mod payload;
mod query;
mod ranked;
mod read;
mod render;
mod routes;
mod rules;
mod schema;
mod seed;
mod selection;
mod server;
mod state;
mod stats;
mod store;
mod users;
mod where_funcs;
mod where_parser;
mod write;
mod xsd;

pub use changes::{NewRecord, RecordUpdate, UpdateSpec};
pub use diagnose::{Diagnosis, SdataCode};
pub use fake_kit::Clock;
pub use faults::{Fault, FaultConfig, FaultRule};
pub use model::{EntityDef, FieldDef, FieldType, Fields, Kind, Record, Value};
pub use render::JsonDates;
pub use rules::WriteRule;
pub use schema::{HISTORY_TYPES, history_type_name};
pub use seed::ADMIN_USER_ID;
pub use server::{FakeConfig, FakeCrm, FakeError};
pub use state::FakeState;
pub use stats::Stats;
pub use users::{Access, FakeUser};
pub use where_parser::{BinOp, Expr, Literal, WhereError, parse as parse_where};
