//! Salesforce's names for the fields listbridge gives a meaning to. The only place, with
//! `describe`, where Lead and Contact field names live.
//!
//! A contact's company is its Account's name, a record of its own that this connector
//! does not write: contacts have no Company field here, and no contact↔lead pair carries
//! a company across (a contact pushed as a lead gets no Company; Salesforce then refuses
//! it until one is mapped, which names the field).

use listbridge_connector::{EntityKind, SystemUsage, Vocabulary};

/// The Salesforce vocabulary (Lead and Contact standard fields).
#[derive(Debug, Clone, Copy, Default)]
pub struct SalesforceVocabulary;

/// The one instance the factory and connectors hand out.
pub(crate) static VOCABULARY: SalesforceVocabulary = SalesforceVocabulary;

impl Vocabulary for SalesforceVocabulary {
    fn email_field(&self, _entity: EntityKind) -> &'static str {
        "Email"
    }

    fn opt_out_field(&self, _entity: EntityKind) -> &'static str {
        "HasOptedOutOfEmail"
    }

    fn owner_field(&self, _entity: EntityKind) -> Option<&'static str> {
        Some("OwnerId")
    }

    fn usage_field(&self, entity: EntityKind, usage: SystemUsage) -> Option<&'static str> {
        use SystemUsage as U;
        let lead = entity == EntityKind::Lead;
        match usage {
            U::Email => Some("Email"),
            U::FirstName => Some("FirstName"),
            U::LastName => Some("LastName"),
            U::Company => lead.then_some("Company"),
            U::Title => Some("Title"),
            U::WorkPhone => Some("Phone"),
            U::MobilePhone => Some("MobilePhone"),
            U::HomePhone => (!lead).then_some("HomePhone"),
            U::Website => lead.then_some("Website"),
            U::BusinessStreet => Some(if lead { "Street" } else { "MailingStreet" }),
            U::BusinessCity => Some(if lead { "City" } else { "MailingCity" }),
            U::BusinessState => Some(if lead { "State" } else { "MailingState" }),
            U::BusinessPostalCode => Some(if lead {
                "PostalCode"
            } else {
                "MailingPostalCode"
            }),
            U::BusinessCountry => Some(if lead { "Country" } else { "MailingCountry" }),
        }
    }

    fn always_imported(&self, _entity: EntityKind) -> &'static [&'static str] {
        &["FirstName", "LastName"]
    }

    fn contact_lead_pairs(&self) -> &'static [(&'static str, &'static str)] {
        &[("LeadSource", "LeadSource"), ("Description", "Description")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_map_between_lead_and_contact() {
        let v = SalesforceVocabulary;
        assert_eq!(
            v.equivalent_field(EntityKind::Lead, "city", EntityKind::Contact),
            Some("MailingCity")
        );
        assert_eq!(
            v.usage_field(EntityKind::Contact, SystemUsage::Company),
            None
        );
        assert_eq!(
            v.usage_of(EntityKind::Contact, "homephone"),
            Some(SystemUsage::HomePhone)
        );
    }
}
