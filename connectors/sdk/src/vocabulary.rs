//! How one CRM names the fields listbridge gives a meaning to. The engine, forms, lists,
//! notes and callers never name a CRM field themselves: they ask the connector's
//! [`Vocabulary`], so adding a CRM is adding a crate.

use crate::{CrmRecord, EntityKind, SystemUsage};

/// A CRM's names, per entity, for the fields listbridge relies on: the email that keys
/// a list member, the opt-out flag, the record's owner, where each Standard Field Name
/// lands, and the fields every import reads. Field names are the connector's flat
/// names (a related record's field dotted, e.g. `Address.City`). Static per connector
/// kind, so it is known without logging in.
pub trait Vocabulary: Send + Sync + std::fmt::Debug {
    /// The field holding a record's primary email: the key of a list member.
    fn email_field(&self, entity: EntityKind) -> &'static str;

    /// The boolean field saying the person must not be emailed. It is read by every
    /// import and pull, and no push ever clears it.
    fn opt_out_field(&self, entity: EntityKind) -> &'static str;

    /// The field naming the CRM user who owns the record, if the entity has one (a
    /// phone system's `field_name=owner`).
    fn owner_field(&self, entity: EntityKind) -> Option<&'static str>;

    /// The field of `entity` a Standard Field Name lands in, if the entity has one.
    fn usage_field(&self, entity: EntityKind, usage: SystemUsage) -> Option<&'static str>;

    /// Fields every import of the entity reads besides those chosen (a member's name),
    /// so a list never shows people without one.
    fn always_imported(&self, entity: EntityKind) -> &'static [&'static str];

    /// Fields of one entity that hold what another field of the other entity holds,
    /// beyond the Standard Field Names: `(contact field, lead field)` pairs, e.g. a
    /// contact's account name and a lead's company. A contact list's member pushed as a
    /// new lead carries them across.
    fn contact_lead_pairs(&self) -> &'static [(&'static str, &'static str)];

    /// The record's primary email, if it has one.
    fn email_of<'r>(&self, record: &'r CrmRecord) -> Option<&'r str> {
        record
            .fields
            .get(self.email_field(record.entity))
            .and_then(|v| v.as_deref())
    }

    /// Whether `field` (any case) is the email field of `entity`.
    fn is_email_field(&self, entity: EntityKind, field: &str) -> bool {
        self.email_field(entity).eq_ignore_ascii_case(field)
    }

    /// The Standard Field Name `field` (any case) of `entity` is the field of, if any.
    fn usage_of(&self, entity: EntityKind, field: &str) -> Option<SystemUsage> {
        SystemUsage::ALL.into_iter().find(|u| {
            self.usage_field(entity, *u)
                .is_some_and(|f| f.eq_ignore_ascii_case(field))
        })
    }

    /// The field of entity `to` known to hold what `field` of entity `from` holds:
    /// through the Standard Field Name it is the field of, else through
    /// [`Vocabulary::contact_lead_pairs`]. `None` when no equivalent is known (`to` may
    /// still have a field of the same name: the caller checks the CRM's definitions).
    fn equivalent_field(
        &self,
        from: EntityKind,
        field: &str,
        to: EntityKind,
    ) -> Option<&'static str> {
        let by_usage = SystemUsage::ALL.into_iter().find_map(|u| {
            self.usage_field(from, u)
                .filter(|f| f.eq_ignore_ascii_case(field))
                .and_then(|_| self.usage_field(to, u))
        });
        let paired = || {
            self.contact_lead_pairs()
                .iter()
                .find_map(|(contact, lead)| match (from, to) {
                    (EntityKind::Contact, EntityKind::Lead)
                        if contact.eq_ignore_ascii_case(field) =>
                    {
                        Some(*lead)
                    }
                    (EntityKind::Lead, EntityKind::Contact) if lead.eq_ignore_ascii_case(field) => {
                        Some(*contact)
                    }
                    _ => None,
                })
        };
        by_usage.or_else(paired)
    }
}
