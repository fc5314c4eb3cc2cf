//! Infor CRM's names for the fields listbridge gives a meaning to. Leads and contacts
//! share them (a contact's address is its `Address` like a lead's), except that a
//! contact belongs to an account where a lead names its company.

use listbridge_connector::{EntityKind, SystemUsage, Vocabulary};

/// The field names of Infor CRM leads and contacts.
#[derive(Debug, Clone, Copy, Default)]
pub struct InforVocabulary;

/// The one [`InforVocabulary`] every connector and factory hands out.
pub(crate) static VOCABULARY: InforVocabulary = InforVocabulary;

/// The SData property that holds a record's email.
pub(crate) const EMAIL: &str = "Email";

impl Vocabulary for InforVocabulary {
    fn email_field(&self, _entity: EntityKind) -> &'static str {
        EMAIL
    }

    fn opt_out_field(&self, _entity: EntityKind) -> &'static str {
        "DoNotEmail"
    }

    fn owner_field(&self, _entity: EntityKind) -> Option<&'static str> {
        Some("Owner")
    }

    fn usage_field(&self, _entity: EntityKind, usage: SystemUsage) -> Option<&'static str> {
        Some(match usage {
            SystemUsage::Email => EMAIL,
            SystemUsage::FirstName => "FirstName",
            SystemUsage::LastName => "LastName",
            SystemUsage::Company => "Company",
            SystemUsage::Title => "Title",
            SystemUsage::WorkPhone => "WorkPhone",
            SystemUsage::MobilePhone => "Mobile",
            SystemUsage::HomePhone => "HomePhone",
            SystemUsage::Website => "WebAddress",
            SystemUsage::BusinessStreet => "Address.Address1",
            SystemUsage::BusinessCity => "Address.City",
            SystemUsage::BusinessState => "Address.State",
            SystemUsage::BusinessPostalCode => "Address.PostalCode",
            SystemUsage::BusinessCountry => "Address.Country",
        })
    }

    fn always_imported(&self, _entity: EntityKind) -> &'static [&'static str] {
        &["FirstName", "LastName"]
    }

    fn contact_lead_pairs(&self) -> &'static [(&'static str, &'static str)] {
        &[("AccountName", "Company")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contacts_account_name_is_a_leads_company_and_usages_map_across() {
        let v = InforVocabulary;
        assert_eq!(
            v.equivalent_field(EntityKind::Contact, "accountname", EntityKind::Lead),
            Some("Company")
        );
        assert_eq!(
            v.equivalent_field(EntityKind::Lead, "Company", EntityKind::Contact),
            Some("Company"),
            "a Standard Field Name wins over a pair"
        );
        assert_eq!(
            v.equivalent_field(EntityKind::Contact, "Address.City", EntityKind::Lead),
            Some("Address.City")
        );
        assert_eq!(
            v.equivalent_field(EntityKind::Contact, "Region", EntityKind::Lead),
            None
        );
        assert_eq!(
            v.usage_of(EntityKind::Lead, "mobile"),
            Some(SystemUsage::MobilePhone)
        );
        assert_eq!(v.usage_of(EntityKind::Contact, "Fax"), None);
    }
}
