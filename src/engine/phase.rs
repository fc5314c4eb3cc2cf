//! The steps of a run as a type: where a run is, and which scan a push is in.
//!
//! Both are saved in the run's checkpoint (and the phase in the run row, which the
//! console reads), so each step keeps the name it has always been stored under: the
//! names below are stored values, not labels to reword.

use serde::{Deserialize, Serialize};

/// The phase a run is in. A sync goes backfill → pull → push → done, skipping what its
/// list or setup does not need; an import has one phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Phase {
    /// Nothing started yet (also after a backfill: the pull starts afresh).
    #[default]
    #[serde(rename = "")]
    NotStarted,
    /// Filling new CRM columns of a CRM list.
    Backfill,
    /// Filling a new CRM list.
    Import,
    /// Bringing CRM changes into the list.
    Pull,
    /// Sending list changes to the CRM.
    Push,
    /// Every phase has ended.
    Done,
}

impl Phase {
    /// The name the run row stores and the console reads.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Phase::NotStarted => "",
            Phase::Backfill => "backfill",
            Phase::Import => "import",
            Phase::Pull => "pull",
            Phase::Push => "push",
            Phase::Done => "done",
        }
    }

    /// Whether a run at this phase still has to go through `phase` (it has not started,
    /// or it was interrupted in it).
    pub(crate) fn reaches(self, phase: Phase) -> bool {
        self == Phase::NotStarted || self == phase
    }
}

/// Which members a push is scanning: those changed since its last complete push, then
/// the unlinked ones not changed since (matched by email every run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PushStage {
    /// The push has not worked out its scope yet.
    #[default]
    #[serde(rename = "")]
    Unscoped,
    /// Members changed after the change number the last complete push covered.
    Changed,
    /// Unlinked members not changed since.
    Unlinked,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_keep_their_stored_names() {
        for phase in [
            Phase::NotStarted,
            Phase::Backfill,
            Phase::Import,
            Phase::Pull,
            Phase::Push,
            Phase::Done,
        ] {
            let stored = serde_json::to_value(phase).unwrap_or_default();
            assert_eq!(stored, serde_json::json!(phase.as_str()));
            assert_eq!(serde_json::from_value::<Phase>(stored).ok(), Some(phase));
        }
        for (stage, name) in [
            (PushStage::Unscoped, ""),
            (PushStage::Changed, "changed"),
            (PushStage::Unlinked, "unlinked"),
        ] {
            assert_eq!(
                serde_json::to_value(stage).unwrap_or_default(),
                serde_json::json!(name)
            );
            assert_eq!(
                serde_json::from_value(serde_json::json!(name)).ok(),
                Some(stage)
            );
        }
    }
}
