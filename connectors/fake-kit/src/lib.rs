//! What listbridge's fake CRMs (`infor-crm-fake`, `salesforce-fake`) share, so each fake
//! is about its CRM's protocol and not about plumbing: a [`Clock`] tests can pin (many
//! records sharing one modified-at, deterministic dates), and a [`CuttableListener`]
//! whose connections a fault can cut without an answer (a dropped connection, a body
//! stopped half way).

#![warn(missing_docs)]

mod clock;
mod conn;

pub use clock::Clock;
pub use conn::{ConnHandle, ConnIo, CuttableListener};
