//! What a failed run asks of the marketer. A run that failed as a whole keeps its
//! reason as text (`store::Run::error`, the engine's words, which carry the
//! connector's); this turns the reasons a marketer can act on into a sentence and,
//! where there is one, the page that fixes it: *Reconfirm Login* after the CRM refused
//! the password, for instance.

use listbridge_connector::ConnectorError;

use crate::store::{ConnectorId, Run, RunStatus};

/// The sentence and the link a failed run's page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    /// What went wrong, in words.
    pub problem: String,
    /// What to do.
    pub action: String,
    /// The page that does it and the link's words (an admin's page: only for admins).
    pub link: Option<(String, &'static str)>,
}

/// The advice for `run` (of a list connected through `connector`), seen by an admin
/// or not; `None` unless the run failed.
pub fn advice(run: &Run, connector: Option<ConnectorId>, admin: bool) -> Option<Advice> {
    if run.status != RunStatus::Failed {
        return None;
    }
    let reason = run.error.clone().unwrap_or_default();
    let reconfirm = |problem: &str| {
        let (action, link) = match (connector, admin) {
            (Some(id), true) => (
                "Reconfirm Login with the CRM's current password, then Run Now again.".to_string(),
                Some((format!("/connectors/{id}/reconfirm"), "Reconfirm Login")),
            ),
            _ => (
                "Ask an admin of your account to Reconfirm Login on the Connectors page, then Run Now again."
                    .to_string(),
                None,
            ),
        };
        Advice {
            problem: problem.to_string(),
            action,
            link,
        }
    };
    let said = |err: &ConnectorError| {
        let words = err.to_string();
        reason.contains(words.trim_end_matches(": "))
    };
    let refused = ConnectorError::Auth {
        message: String::new(),
    };
    // The stored failure kind says it; the words are for runs that ended before it was
    // stored.
    if run.failure_kind.as_deref() == Some(refused.kind()) || said(&refused) {
        return Some(reconfirm("The CRM refused the password."));
    }
    if reason.contains("has been reset; reconfirm its login") {
        return Some(reconfirm(
            "The connector to the CRM was reset: its password is forgotten.",
        ));
    }
    let again = |problem: String, action: &str| Advice {
        problem,
        action: action.to_string(),
        link: None,
    };
    if reason.contains("could not be reached") || reason.contains("temporary CRM failure") {
        return Some(again(
            format!("The CRM could not be reached ({reason})."),
            "Check that the CRM is up (open it in a browser), then Run Now again. Nothing is lost: the run resumes where it stopped.",
        ));
    }
    if reason.contains("rate limiting") {
        return Some(again(
            format!("The CRM kept asking to slow down ({reason})."),
            "Run Now again later, or lower the connector's request budget.",
        ));
    }
    if reason.contains("does not answer as an SData endpoint") {
        return Some(reconfirm(&format!(
            "The CRM's address does not answer as Infor CRM ({reason})."
        )));
    }
    if reason.contains("was deleted") {
        return Some(again(
            format!("The run stopped: {reason}."),
            "Nothing to do: the run cannot finish without it.",
        ));
    }
    Some(again(
        if reason.is_empty() {
            "The run stopped without a reason.".to_string()
        } else {
            format!("The run stopped: {reason}.")
        },
        "Check the sync setup and the connector, then Run Now again; if it fails the same way, send this page to your admin.",
    ))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::store::{AccountId, ListId, RunCounts, RunId, RunKind, RunTrigger};

    fn failed(error: &str) -> Run {
        let nil = uuid::Uuid::nil();
        Run {
            id: RunId::from(nil),
            account_id: AccountId(nil),
            list_id: ListId::from(nil),
            segment_id: None,
            kind: RunKind::Sync,
            trigger: RunTrigger::Manual,
            dry_run: false,
            status: RunStatus::Failed,
            phase: "push".into(),
            progress_done: 0,
            progress_total: None,
            counts: RunCounts::default(),
            resumes: 0,
            error: Some(error.into()),
            failure_kind: None,
            crm_connector_id: None,
            crm_answered: false,
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
            duration_seconds: None,
            checkpoint: None,
        }
    }

    #[test]
    fn the_stored_failure_kind_is_enough_to_tell_a_refused_login() {
        let mut run = failed("the CRM said no");
        assert_ne!(
            advice(&run, None, true).map(|a| a.problem),
            Some("The CRM refused the password.".to_string())
        );
        run.failure_kind = Some("auth".to_string());
        let advice = advice(&run, None, true).expect("advice");
        assert_eq!(advice.problem, "The CRM refused the password.");
    }

    #[test]
    fn a_refused_password_links_admins_to_reconfirm_login() {
        let refused = ConnectorError::Auth {
            message: "Invalid user name or password".into(),
        };
        let run = failed(&refused.to_string());
        let id = ConnectorId::from(uuid::Uuid::nil());
        let advice = advice(&run, Some(id), true).expect("advice");
        assert_eq!(advice.problem, "The CRM refused the password.");
        assert_eq!(
            advice.link,
            Some((format!("/connectors/{id}/reconfirm"), "Reconfirm Login"))
        );
        let marketer = super::advice(&run, Some(id), false).expect("advice");
        assert!(marketer.link.is_none());
        assert!(marketer.action.contains("Ask an admin"));
    }

    #[test]
    fn other_reasons_are_said_in_words_and_ended_runs_need_none() {
        let advice = advice(&failed("the segment was deleted"), None, true).expect("advice");
        assert!(advice.problem.contains("the segment was deleted"));
        let mut ok = failed("");
        ok.status = RunStatus::Succeeded;
        assert!(super::advice(&ok, None, true).is_none());
    }
}
