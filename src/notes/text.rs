//! What a "message sent" note says: the one-line subject ("regarding", as long as the
//! CRM keeps: `Capabilities::note_subject_max`) and the full text with subject, send
//! time and preview link.

use chrono::{DateTime, Utc};

/// `text` in at most `max` characters: cut with an ellipsis when longer, so a reader
/// sees it was cut (every note subject is fitted this way).
pub fn fit_subject(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `Email sent: <subject>`, fitted to `max` characters.
pub fn note_regarding(subject: &str, max: usize) -> String {
    fit_subject(format!("Email sent: {}", subject.trim()), max)
}

/// The note's text: that the message was sent, its subject, when, and the preview link.
pub fn note_text(
    subject: &str,
    sent_at: DateTime<Utc>,
    campaign_id: &str,
    preview_url: Option<&str>,
) -> String {
    let mut text = format!(
        "The email \"{}\" was sent on {} (campaign {}).",
        subject.trim(),
        sent_at.format("%Y-%m-%d %H:%M:%S UTC"),
        campaign_id
    );
    if let Some(url) = preview_url {
        text.push_str(&format!(
            "\nView the message as the recipient received it: {url}"
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regarding_is_fitted_to_what_the_crm_keeps() {
        assert_eq!(
            note_regarding(" Spring sale ", 64),
            "Email sent: Spring sale"
        );
        let long = note_regarding(&"é".repeat(100), 64);
        assert_eq!(long.chars().count(), 64);
        assert!(long.ends_with('…'));
        let other_crm = note_regarding(&"é".repeat(300), 255);
        assert_eq!(other_crm.chars().count(), 255);
        assert_eq!(fit_subject("exactly".into(), 7), "exactly");
    }

    #[test]
    fn text_names_subject_time_and_link() {
        let at = DateTime::parse_from_rfc3339("2025-03-01T09:30:00Z")
            .map(|d| d.to_utc())
            .unwrap_or_default();
        let text = note_text("Hello", at, "c-1", Some("https://mail.example/p/1"));
        assert!(
            text.contains("\"Hello\" was sent on 2025-03-01 09:30:00 UTC"),
            "{text}"
        );
        assert!(text.contains("https://mail.example/p/1"), "{text}");
    }
}
