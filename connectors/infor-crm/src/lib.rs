//! The Infor CRM (Saleslogix) connector for listbridge, speaking Sage SData 1.1.

mod atom;
mod dates;
mod diagnoses;
mod json;
mod record;
mod schema;
mod wire;
mod xml;
