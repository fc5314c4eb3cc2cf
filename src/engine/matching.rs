//! Choosing the CRM record a member belongs to when several share its email.
//!
//! The rule: a contact is preferred over a lead, then the most recently modified
//! record; ties go to the smaller key so the choice is stable.

use std::cmp::Ordering;

use listbridge_connector::{CrmRecord, EntityKind};
use serde::Serialize;

use crate::domain::best_match;

/// Why a record was chosen, in words the run report can show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum MatchReason {
    /// The member was already linked to this CRM key.
    LinkedKey,
    /// Only one CRM record has this email.
    OnlyRecord,
    /// Several records share the email; a contact is preferred over leads.
    ContactPreferred {
        /// How many other records had the email.
        others: usize,
    },
    /// Several records of the same kind share the email; the most recently modified won.
    MostRecentlyModified {
        /// How many other records had the email.
        others: usize,
    },
}

impl MatchReason {
    /// A sentence for reports.
    pub fn describe(&self) -> String {
        match self {
            MatchReason::LinkedKey => "already linked to this CRM record".into(),
            MatchReason::OnlyRecord => "the only CRM record with this email".into(),
            MatchReason::ContactPreferred { others } => {
                format!(
                    "{others} other record(s) share this email; the contact is preferred over leads"
                )
            }
            MatchReason::MostRecentlyModified { others } => {
                format!(
                    "{others} other record(s) share this email; the most recently modified was chosen"
                )
            }
        }
    }
}

/// Orders candidates best first: contact before lead, newer before older, then by key
/// ([`crate::domain::best_match`], the rule caller matching shares).
pub fn compare_candidates(a: &CrmRecord, b: &CrmRecord) -> Ordering {
    best_match::compare(candidate(a), candidate(b))
}

fn candidate(r: &CrmRecord) -> best_match::Candidate<'_> {
    best_match::Candidate {
        entity: r.entity,
        modified_at: r.modify_date,
        key: &r.key,
    }
}

/// Picks the best of the records sharing one email, with the reason.
pub fn choose(candidates: &[CrmRecord]) -> Option<(&CrmRecord, MatchReason)> {
    let best = candidates.iter().min_by(|a, b| compare_candidates(a, b))?;
    let others = candidates.len() - 1;
    let reason = if others == 0 {
        MatchReason::OnlyRecord
    } else if best.entity == EntityKind::Contact
        && candidates.iter().any(|c| c.entity == EntityKind::Lead)
    {
        MatchReason::ContactPreferred { others }
    } else {
        MatchReason::MostRecentlyModified { others }
    };
    Some((best, reason))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn rec(entity: EntityKind, key: &str, day: u32) -> CrmRecord {
        CrmRecord {
            entity,
            key: key.into(),
            etag: None,
            modify_date: Some(Utc.with_ymd_and_hms(2024, 1, day, 0, 0, 0).unwrap()),
            fields: Default::default(),
        }
    }

    #[test]
    fn contact_beats_newer_lead() {
        let c = [
            rec(EntityKind::Lead, "L1", 9),
            rec(EntityKind::Contact, "C1", 1),
        ];
        let (best, why) = choose(&c).unwrap();
        assert_eq!(best.key, "C1");
        assert_eq!(why, MatchReason::ContactPreferred { others: 1 });
    }

    #[test]
    fn newest_of_same_kind_wins() {
        let c = [
            rec(EntityKind::Lead, "L1", 1),
            rec(EntityKind::Lead, "L2", 5),
            rec(EntityKind::Lead, "L3", 3),
        ];
        let (best, why) = choose(&c).unwrap();
        assert_eq!(best.key, "L2");
        assert_eq!(why, MatchReason::MostRecentlyModified { others: 2 });
    }

    #[test]
    fn single_and_empty() {
        assert!(choose(&[]).is_none());
        let c = [rec(EntityKind::Lead, "L1", 1)];
        assert_eq!(choose(&c).unwrap().1, MatchReason::OnlyRecord);
    }
}
