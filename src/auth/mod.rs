//! Authentication of API requests by account API keys.
//!
//! Every `/v1` route sits behind [`require_account`]; handlers take
//! [`AuthedAccount`] to learn whose data they may touch.

mod extractor;

pub use extractor::{AuthedAccount, require_account};
