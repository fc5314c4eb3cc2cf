//! Salesforce's date and time text: `2026-12-05T10:15:30.000+0000` in REST JSON,
//! `2026-12-05T10:15:30.000Z` in Bulk API CSV, and the literals SOQL and writes accept.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// Milliseconds since the Unix epoch: how the store keeps date-times.
pub type Millis = i64;

/// Days since 1970-01-01: how the store keeps dates.
pub type Days = i32;

/// A date-time as REST JSON writes it: `2026-12-05T10:15:30.000+0000`.
pub fn format_rest(ms: Millis) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
        None => String::new(),
    }
}

/// A date-time as Bulk API 2.0 CSV writes it: `2026-12-05T10:15:30.000Z`.
pub fn format_bulk(ms: Millis) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => String::new(),
    }
}

/// Reads a date-time with an explicit zone: `Z`, `+hh:mm`, `-hh:mm`, `+hhmm` or
/// `-hhmm`, with or without fractional seconds (`2026-12-05T10:15:30.000+0000`).
pub fn parse_datetime(text: &str) -> Option<Millis> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(text, fmt) {
            return Some(t.timestamp_millis());
        }
    }
    None
}

/// Reads a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<Days> {
    let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    days_of(d)
}

/// Days since the epoch of a calendar date.
pub fn days_of(d: NaiveDate) -> Option<Days> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((d - epoch).num_days()).ok()
}

/// The UTC calendar date of an instant.
pub fn date_of(ms: Millis) -> Option<Days> {
    days_of(Utc.timestamp_millis_opt(ms).single()?.date_naive())
}

/// A date as `YYYY-MM-DD`.
pub fn format_date(days: Days) -> String {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::TimeDelta::days(i64::from(days))))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_reads_every_accepted_form() {
        let Some(ms) = parse_datetime("2026-12-05T10:15:30.000+0000") else {
            panic!("+0000 form");
        };
        assert_eq!(format_rest(ms), "2026-12-05T10:15:30.000+0000");
        assert_eq!(format_bulk(ms), "2026-12-05T10:15:30.000Z");
        assert_eq!(parse_datetime("2026-12-05T10:15:30Z"), Some(ms));
        assert_eq!(parse_datetime("2026-12-05T11:15:30+01:00"), Some(ms));
        assert_eq!(parse_datetime("2026-12-05T11:15:30.000+0100"), Some(ms));
        assert_eq!(
            parse_datetime("2026-12-05T10:15:30"),
            None,
            "a zone is required"
        );
        let Some(d) = parse_date("2026-12-05") else {
            panic!("date");
        };
        assert_eq!(format_date(d), "2026-12-05");
        assert_eq!(date_of(ms), Some(d));
    }
}
