//! The one direction-aware change builder: for each field of a linked member, compare
//! the list value, the CRM value and the value both sides last agreed on (the base),
//! and decide whether to pull, push, hold, or resolve a conflict.
//!
//! Three-way comparison is what stops ping-pong: a value that arrived by pull becomes the
//! base, so it is never seen as a list change and never pushed back (and vice versa).

use serde::{Deserialize, Serialize};

/// How a field changed on both sides since the last sync is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConflictRule {
    /// The CRM's value is kept and pulled into the list (the default).
    #[default]
    CrmWins,
    /// The list's value is kept and pushed to the CRM.
    ListWins,
    /// Whichever side changed most recently wins.
    NewestWins,
}

/// A side of the sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The marketing list.
    List,
    /// The CRM.
    Crm,
}

/// Which directions a field may flow in this run (from the sync setup).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldPermissions {
    /// The field is a push-update field and pushing updates is on.
    pub push: bool,
    /// The field is a pull-update field and pulling updates is on.
    pub pull: bool,
}

/// The three values compared for one field.
#[derive(Debug, Clone, Copy)]
pub struct FieldSides<'a> {
    /// The value both sides held after the last sync; `None` when the field was never synced.
    pub base: Option<&'a Option<String>>,
    /// The list's current value.
    pub list: &'a Option<String>,
    /// The CRM's current value.
    pub crm: &'a Option<String>,
}

/// What to do with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldAction {
    /// Both sides agree; the base becomes this value.
    InSync,
    /// Write the CRM value into the list.
    Pull {
        /// The list's value before.
        from: Option<String>,
        /// The CRM's value.
        to: Option<String>,
    },
    /// Write the list value to the CRM.
    Push {
        /// The CRM's value before.
        from: Option<String>,
        /// The list's value.
        to: Option<String>,
    },
    /// The sides differ but the winning direction is not allowed by the setup: leave both.
    Hold,
}

/// A field changed on both sides, as the run report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The list's value.
    pub list: Option<String>,
    /// The CRM's value.
    pub crm: Option<String>,
    /// Which side the rule chose.
    pub winner: Side,
}

/// The decision for one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldOutcome {
    /// What to write.
    pub action: FieldAction,
    /// Set when both sides changed.
    pub conflict: Option<Conflict>,
}

/// Decides one field. `newest` says which side changed last (for [`ConflictRule::NewestWins`]).
///
/// An empty list value never clears a CRM value: a blank cell is "no data", not an
/// instruction to erase what the CRM holds.
pub fn decide_field(
    sides: FieldSides<'_>,
    perms: FieldPermissions,
    rule: ConflictRule,
    newest: Side,
) -> FieldOutcome {
    let FieldSides { base, list, crm } = sides;
    let plain = |action| FieldOutcome {
        action,
        conflict: None,
    };
    if list == crm {
        return plain(FieldAction::InSync);
    }
    let list_changed = base.is_none_or(|b| b != list);
    let crm_changed = base.is_none_or(|b| b != crm);
    let pull = || FieldAction::Pull {
        from: list.clone(),
        to: crm.clone(),
    };
    let push = || {
        if list.is_none() {
            FieldAction::Hold
        } else {
            FieldAction::Push {
                from: crm.clone(),
                to: list.clone(),
            }
        }
    };
    match (list_changed, crm_changed) {
        (false, true) | (false, false) => plain(if perms.pull {
            pull()
        } else {
            FieldAction::Hold
        }),
        (true, false) => plain(if perms.push {
            push()
        } else {
            FieldAction::Hold
        }),
        (true, true) => {
            // A field never synced that is empty in the list is simply being filled
            // (a new column): not a conflict.
            if base.is_none() && list.is_none() {
                return plain(if perms.pull {
                    pull()
                } else {
                    FieldAction::Hold
                });
            }
            let winner = match rule {
                ConflictRule::CrmWins => Side::Crm,
                ConflictRule::ListWins => Side::List,
                ConflictRule::NewestWins => newest,
            };
            let action = match winner {
                Side::Crm if perms.pull => pull(),
                Side::List if perms.push => push(),
                _ => FieldAction::Hold,
            };
            FieldOutcome {
                action,
                conflict: Some(Conflict {
                    list: list.clone(),
                    crm: crm.clone(),
                    winner,
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    const BOTH: FieldPermissions = FieldPermissions {
        push: true,
        pull: true,
    };

    fn run(
        base: Option<Option<String>>,
        list: Option<String>,
        crm: Option<String>,
        perms: FieldPermissions,
        rule: ConflictRule,
    ) -> FieldOutcome {
        decide_field(
            FieldSides {
                base: base.as_ref(),
                list: &list,
                crm: &crm,
            },
            perms,
            rule,
            Side::List,
        )
    }

    #[test]
    fn equal_values_are_in_sync() {
        assert_eq!(
            run(Some(s("a")), s("b"), s("b"), BOTH, ConflictRule::CrmWins).action,
            FieldAction::InSync
        );
    }

    #[test]
    fn crm_change_is_pulled_and_list_change_is_pushed() {
        let pulled = run(Some(s("a")), s("a"), s("b"), BOTH, ConflictRule::CrmWins);
        assert_eq!(
            pulled.action,
            FieldAction::Pull {
                from: s("a"),
                to: s("b")
            }
        );
        let pushed = run(Some(s("a")), s("c"), s("a"), BOTH, ConflictRule::CrmWins);
        assert_eq!(
            pushed.action,
            FieldAction::Push {
                from: s("a"),
                to: s("c")
            }
        );
        assert!(pulled.conflict.is_none() && pushed.conflict.is_none());
    }

    #[test]
    fn direction_not_allowed_holds() {
        let only_push = FieldPermissions {
            push: true,
            pull: false,
        };
        assert_eq!(
            run(
                Some(s("a")),
                s("a"),
                s("b"),
                only_push,
                ConflictRule::CrmWins
            )
            .action,
            FieldAction::Hold
        );
        let only_pull = FieldPermissions {
            push: false,
            pull: true,
        };
        assert_eq!(
            run(
                Some(s("a")),
                s("c"),
                s("a"),
                only_pull,
                ConflictRule::CrmWins
            )
            .action,
            FieldAction::Hold
        );
    }

    #[test]
    fn conflicts_follow_the_rule() {
        let crm = run(Some(s("a")), s("l"), s("c"), BOTH, ConflictRule::CrmWins);
        assert_eq!(
            crm.action,
            FieldAction::Pull {
                from: s("l"),
                to: s("c")
            }
        );
        assert_eq!(crm.conflict.unwrap().winner, Side::Crm);
        let list = run(Some(s("a")), s("l"), s("c"), BOTH, ConflictRule::ListWins);
        assert_eq!(
            list.action,
            FieldAction::Push {
                from: s("c"),
                to: s("l")
            }
        );
        let newest_crm = decide_field(
            FieldSides {
                base: Some(&s("a")),
                list: &s("l"),
                crm: &s("c"),
            },
            BOTH,
            ConflictRule::NewestWins,
            Side::Crm,
        );
        assert_eq!(newest_crm.conflict.unwrap().winner, Side::Crm);
    }

    #[test]
    fn blank_list_value_never_clears_the_crm() {
        assert_eq!(
            run(Some(s("a")), None, s("a"), BOTH, ConflictRule::ListWins).action,
            FieldAction::Hold
        );
    }

    #[test]
    fn new_column_is_filled_from_the_crm_without_conflict() {
        let out = run(None, None, s("x"), BOTH, ConflictRule::ListWins);
        assert_eq!(
            out.action,
            FieldAction::Pull {
                from: None,
                to: s("x")
            }
        );
        assert!(out.conflict.is_none());
    }
}
