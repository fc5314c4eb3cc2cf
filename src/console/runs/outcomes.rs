//! The outcomes a run's report records carry (`store::RunRecord::outcome`, written by
//! `crate::engine`), in the marketer's words: the name of each filter tab and group,
//! its badge, and the order groups are shown in (a preview's plans first, then what
//! needs the marketer's attention, then what is only for information).

/// How one outcome reads on the report and the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The engine's name (`failed`, `planned_update`, …).
    pub name: &'static str,
    /// The group's heading and the filter tab's label.
    pub label: &'static str,
    /// The badge class: `ok`, `warn`, `bad` or empty.
    pub class: &'static str,
}

/// Every outcome the engine writes, in the order their groups are shown.
const KNOWN: [Outcome; 13] = [
    Outcome {
        name: "planned_create",
        label: "Would create in the CRM",
        class: "ok",
    },
    Outcome {
        name: "planned_update",
        label: "Would update in the CRM",
        class: "ok",
    },
    Outcome {
        name: "planned_pull_new",
        label: "Would add to the list",
        class: "ok",
    },
    Outcome {
        name: "planned_pull_update",
        label: "Would update from the CRM",
        class: "ok",
    },
    Outcome {
        name: "planned_email_change",
        label: "Would follow a changed email",
        class: "ok",
    },
    Outcome {
        name: "failed",
        label: "Failed or refused by the CRM",
        class: "bad",
    },
    Outcome {
        name: "crm_deleted",
        label: "Deleted in the CRM",
        class: "bad",
    },
    Outcome {
        name: "conflict",
        label: "Conflicts",
        class: "warn",
    },
    Outcome {
        name: "invalid",
        label: "Without a valid email",
        class: "bad",
    },
    Outcome {
        name: "duplicate",
        label: "Duplicate emails",
        class: "warn",
    },
    Outcome {
        name: "email_changed",
        label: "Followed a changed email",
        class: "",
    },
    Outcome {
        name: "converted",
        label: "Followed a converted record",
        class: "",
    },
    Outcome {
        name: "matched",
        label: "Matched by email",
        class: "",
    },
];

/// How `name` reads; an outcome this build does not know reads "Other".
pub fn outcome(name: &str) -> Outcome {
    KNOWN
        .iter()
        .copied()
        .find(|o| o.name == name)
        .unwrap_or(Outcome {
            name: "",
            label: "Other",
            class: "",
        })
}

/// The position of `name`'s group on the page (unknown outcomes last).
pub fn rank(name: &str) -> usize {
    KNOWN
        .iter()
        .position(|o| o.name == name)
        .unwrap_or(KNOWN.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_come_first_and_unknown_outcomes_last() {
        assert!(rank("planned_update") < rank("failed"));
        assert!(rank("failed") < rank("matched"));
        assert_eq!(rank("something_new"), KNOWN.len());
        assert_eq!(outcome("planned_create").class, "ok");
        assert_eq!(outcome("failed").class, "bad");
        assert_eq!(outcome("something_new").label, "Other");
    }
}
