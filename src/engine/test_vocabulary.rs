//! A CRM-neutral [`Vocabulary`] for unit tests: each Standard Field Name is a field of
//! the same name (`first_name`, `business_city`), the email is `email` and the opt-out
//! `do_not_email`, so engine tests name no real CRM's fields.

use listbridge_connector::{EntityKind, SystemUsage, Vocabulary};

/// Field names that are the usages' own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TestVocabulary;

impl Vocabulary for TestVocabulary {
    fn email_field(&self, _entity: EntityKind) -> &'static str {
        "email"
    }

    fn opt_out_field(&self, _entity: EntityKind) -> &'static str {
        "do_not_email"
    }

    fn owner_field(&self, _entity: EntityKind) -> Option<&'static str> {
        Some("owner")
    }

    fn usage_field(&self, _entity: EntityKind, usage: SystemUsage) -> Option<&'static str> {
        Some(usage.as_str())
    }

    fn always_imported(&self, _entity: EntityKind) -> &'static [&'static str] {
        &["first_name", "last_name"]
    }

    fn contact_lead_pairs(&self) -> &'static [(&'static str, &'static str)] {
        &[("account_name", "company")]
    }
}
