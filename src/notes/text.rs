//! What a "message sent" note says: the History "Regarding" line (at most 64
//! characters) and the full text with subject, send time and preview link.

use chrono::{DateTime, Utc};

/// The longest "Regarding" (Infor CRM `History.Description`).
pub const REGARDING_MAX: usize = 64;

/// `Email sent: <subject>`, cut to 64 characters with an ellipsis.
pub fn note_regarding(subject: &str) -> String {
    let full = format!("Email sent: {}", subject.trim());
    if full.chars().count() <= REGARDING_MAX {
        return full;
    }
    let mut cut: String = full.chars().take(REGARDING_MAX - 1).collect();
    cut.push('…');
    cut
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
    fn regarding_is_capped_at_64_characters() {
        assert_eq!(note_regarding(" Spring sale "), "Email sent: Spring sale");
        let long = note_regarding(&"é".repeat(100));
        assert_eq!(long.chars().count(), 64);
        assert!(long.ends_with('…'));
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
