//! What a call note says: the one-line subject ("regarding", fitted to what the CRM
//! keeps) and the full text with direction, numbers, agent, start, duration, outcome, notes and the
//! recording link. The regarding line and start time are also how an interrupted write
//! is found again, so they depend only on the stored interaction.

use crate::{
    notes::fit_subject,
    store::{CallDirection, Interaction},
};

/// `3m 07s`, `1h 02m 00s`, `45s`.
pub fn duration_text(seconds: i64) -> String {
    let s = seconds.max(0);
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

fn direction_word(direction: CallDirection) -> &'static str {
    match direction {
        CallDirection::Inbound => "Inbound",
        CallDirection::Outbound => "Outbound",
    }
}

/// `Inbound call, 3m 07s: answered`, fitted to `max` characters.
pub fn call_regarding(i: &Interaction, max: usize) -> String {
    let mut full = format!(
        "{} call, {}",
        direction_word(i.direction),
        duration_text(i.duration_seconds)
    );
    if let Some(outcome) = i.outcome.as_deref().filter(|o| !o.trim().is_empty()) {
        full.push_str(": ");
        full.push_str(outcome.trim());
    }
    fit_subject(full, max)
}

/// The note's full text.
pub fn call_text(i: &Interaction) -> String {
    let mut text = format!(
        "{} call from {} to {}",
        direction_word(i.direction),
        i.caller,
        i.callee
    );
    if let Some(agent) = &i.agent {
        text.push_str(&format!(" (agent {agent})"));
    }
    text.push_str(&format!(
        ".\nStarted: {}\nDuration: {}",
        i.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        duration_text(i.duration_seconds)
    ));
    if let Some(outcome) = &i.outcome {
        text.push_str(&format!("\nOutcome: {outcome}"));
    }
    if let Some(url) = &i.recording_url {
        text.push_str(&format!("\nRecording: {url}"));
    }
    if let Some(notes) = i.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        text.push_str(&format!("\nNotes: {}", notes.trim()));
    }
    text.push_str(&format!("\nInteraction: {}", i.interaction_id));
    text
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::store::{AccountId, InteractionStatus};

    fn call(outcome: Option<&str>) -> Interaction {
        Interaction {
            id: "r".into(),
            account_id: AccountId(uuid::Uuid::nil()),
            connector_id: None,
            interaction_id: "call-1".into(),
            direction: CallDirection::Outbound,
            caller: "200".into(),
            callee: "+44 20 7946 0018".into(),
            agent: Some("Ann".into()),
            started_at: DateTime::parse_from_rfc3339("2025-03-01T09:30:00Z")
                .map(|d| d.to_utc())
                .unwrap_or_default(),
            duration_seconds: 187,
            outcome: outcome.map(String::from),
            notes: Some("Wants a callback".into()),
            recording_url: Some("https://pbx.example/rec/1.wav".into()),
            status: InteractionStatus::Pending,
            reason: None,
            crm: None,
            note_key: None,
            batch_id: None,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(45), "45s");
        assert_eq!(duration_text(187), "3m 07s");
        assert_eq!(duration_text(3720), "1h 02m 00s");
    }

    #[test]
    fn regarding_names_direction_duration_outcome_and_is_capped() {
        assert_eq!(
            call_regarding(&call(Some("answered")), 64),
            "Outbound call, 3m 07s: answered"
        );
        assert_eq!(call_regarding(&call(None), 64), "Outbound call, 3m 07s");
        let long = call_regarding(&call(Some(&"x".repeat(100))), 64);
        assert_eq!(long.chars().count(), 64);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn text_carries_every_detail() {
        let text = call_text(&call(Some("answered")));
        for part in [
            "Outbound call from 200 to +44 20 7946 0018 (agent Ann)",
            "Started: 2025-03-01 09:30:00 UTC",
            "Duration: 3m 07s",
            "Outcome: answered",
            "Recording: https://pbx.example/rec/1.wav",
            "Notes: Wants a callback",
            "Interaction: call-1",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
    }
}
