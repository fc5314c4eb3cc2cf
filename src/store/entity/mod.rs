//! sea-orm entities: one module per table, mirroring `migrations/` exactly.
//! Only the repositories in `store` use them; the rest of the service sees the
//! domain types the repositories return.

pub mod account;
pub mod api_key;
pub mod connector;
