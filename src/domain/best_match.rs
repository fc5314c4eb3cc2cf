//! Which CRM record answers for a person when several share an email or a phone number:
//! a contact before a lead (the lead was most likely converted into it), then the most
//! recently modified, then the key, so the same records always give the same answer.
//! Email matching (the engine) and caller matching (the phone index) both use it.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use listbridge_connector::EntityKind;

/// What the rule reads of a candidate record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// Lead or contact.
    pub entity: EntityKind,
    /// The CRM's modify date, when known (unknown sorts after every known date).
    pub modified_at: Option<DateTime<Utc>>,
    /// The CRM record's key.
    pub key: &'a str,
}

/// Orders two candidates best first.
pub fn compare(a: Candidate<'_>, b: Candidate<'_>) -> Ordering {
    entity_rank(a.entity)
        .cmp(&entity_rank(b.entity))
        .then_with(|| b.modified_at.cmp(&a.modified_at))
        .then_with(|| a.key.cmp(b.key))
}

fn entity_rank(e: EntityKind) -> u8 {
    match e {
        EntityKind::Contact => 0,
        EntityKind::Lead => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(secs, 0)
    }

    #[test]
    fn contact_beats_a_newer_lead_then_newest_then_key() {
        let contact = Candidate {
            entity: EntityKind::Contact,
            modified_at: at(1),
            key: "C",
        };
        let newer_lead = Candidate {
            entity: EntityKind::Lead,
            modified_at: at(9),
            key: "A",
        };
        let older_lead = Candidate {
            modified_at: at(5),
            ..newer_lead
        };
        let undated_lead = Candidate {
            modified_at: None,
            ..newer_lead
        };
        let mut all = [undated_lead, older_lead, newer_lead, contact];
        all.sort_by(|a, b| compare(*a, *b));
        assert_eq!(all, [contact, newer_lead, older_lead, undated_lead]);
        let same_but_key = Candidate {
            key: "B",
            ..newer_lead
        };
        assert_eq!(compare(newer_lead, same_but_key), Ordering::Less);
    }
}
