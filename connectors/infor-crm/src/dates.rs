//! SData date values in both wire forms, turned into listbridge's canonical form.
//!
//! Atom (and some JSON) carries ISO 8601 with an offset or `Z`; Saleslogix JSON often
//! carries the Microsoft form `/Date(ms)/` or `/Date(ms±hhmm)/`. Inside listbridge every
//! instant is an RFC 3339 UTC string such as `2024-05-01T10:00:00Z`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// Parses an SData date-time in either wire form into UTC.
///
/// A value without any zone (`2024-05-01T10:00:00`) is provider-local time in SData; the
/// connector cannot know the provider's zone, so it reads such values as UTC (the fake and
/// Saleslogix cloud both serve UTC).
pub(crate) fn parse_datetime(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Some(inner) = raw
        .strip_prefix("/Date(")
        .and_then(|s| s.strip_suffix(")/"))
    {
        return parse_microsoft(inner);
    }
    if let Ok(parsed) = DateTime::parse_from_rfc3339(raw) {
        return Some(parsed.with_timezone(&Utc));
    }
    // ISO 8601 variants RFC 3339 does not cover: no zone, or a zone without a colon.
    if let Ok(parsed) = DateTime::<FixedOffset>::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(parsed.with_timezone(&Utc));
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(Utc.from_utc_datetime(&naive));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|naive| Utc.from_utc_datetime(&naive))
}

/// `ms` or `ms±hhmm`: the milliseconds are UTC; the offset only says where it was shown.
fn parse_microsoft(inner: &str) -> Option<DateTime<Utc>> {
    // The sign of the offset is the last '+' or '-' that is not the leading sign of ms.
    let split = inner
        .char_indices()
        .skip(1)
        .filter(|(_, c)| *c == '+' || *c == '-')
        .map(|(i, _)| i)
        .last();
    let millis_text = match split {
        Some(i) => {
            let offset = &inner[i + 1..];
            if offset.len() != 4 || !offset.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            &inner[..i]
        }
        None => inner,
    };
    let millis: i64 = millis_text.parse().ok()?;
    DateTime::from_timestamp_millis(millis)
}

/// Parses a calendar date from either wire form; a date-time keeps its own local date.
pub(crate) fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.starts_with("/Date(") {
        return parse_datetime(raw).map(|dt| dt.date_naive());
    }
    let date_part = raw.get(..10)?;
    NaiveDate::parse_from_str(date_part, "%Y-%m-%d").ok()
}

/// The canonical listbridge form of an instant: RFC 3339, UTC, `Z`, fractions only when present.
pub(crate) fn canonical(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An instant as a `where` literal: `@2024-05-01T10:00:00Z@` (always explicit UTC).
pub(crate) fn where_literal(instant: DateTime<Utc>) -> String {
    format!("@{}@", instant.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// An instant as written into a payload: `+00:00` rather than `Z`, which older SData
/// servers do not understand in payloads.
pub(crate) fn payload_value(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(raw: &str) -> Option<String> {
        parse_datetime(raw).map(canonical)
    }

    #[test]
    fn iso_with_offset_and_zulu() {
        assert_eq!(
            canon("2013-02-01T10:00:00+00:00").as_deref(),
            Some("2013-02-01T10:00:00Z")
        );
        assert_eq!(
            canon("2002-06-01T07:00:00-07:00").as_deref(),
            Some("2002-06-01T14:00:00Z")
        );
        assert_eq!(
            canon("2024-05-01T10:00:00Z").as_deref(),
            Some("2024-05-01T10:00:00Z")
        );
        assert_eq!(
            canon("2024-05-01T10:00:00.250Z").as_deref(),
            Some("2024-05-01T10:00:00.250Z")
        );
        assert_eq!(
            canon("2024-05-01T12:00:00+0200").as_deref(),
            Some("2024-05-01T10:00:00Z")
        );
    }

    #[test]
    fn zoneless_is_read_as_utc() {
        assert_eq!(
            canon("2024-05-01T10:00:00").as_deref(),
            Some("2024-05-01T10:00:00Z")
        );
        assert_eq!(canon("2024-05-01").as_deref(), Some("2024-05-01T00:00:00Z"));
    }

    #[test]
    fn microsoft_forms() {
        assert_eq!(
            canon("/Date(1293870600000)/").as_deref(),
            Some("2011-01-01T08:30:00Z")
        );
        // The offset is informational: the milliseconds are already UTC.
        assert_eq!(
            canon("/Date(1371247200000+0300)/").as_deref(),
            Some("2013-06-14T22:00:00Z")
        );
        assert_eq!(
            canon("/Date(1371247200000-0500)/").as_deref(),
            Some("2013-06-14T22:00:00Z")
        );
        assert_eq!(
            canon("/Date(-86400000)/").as_deref(),
            Some("1969-12-31T00:00:00Z")
        );
    }

    #[test]
    fn garbage_is_not_a_date() {
        for raw in [
            "",
            "tomorrow",
            "/Date(abc)/",
            "/Date(123+03)/",
            "2024-13-45T00:00:00Z",
        ] {
            assert_eq!(parse_datetime(raw), None, "{raw}");
        }
    }

    #[test]
    fn calendar_dates() {
        let d = NaiveDate::from_ymd_opt(2004, 7, 31);
        assert_eq!(parse_date("2004-07-31T00:00:00-07:00"), d);
        assert_eq!(parse_date("2004-07-31"), d);
        assert_eq!(parse_date("/Date(1091232000000)/"), d);
        assert_eq!(parse_date("31/07/2004"), None);
    }

    #[test]
    fn wire_forms_of_an_instant() {
        let t = parse_datetime("2024-01-01T00:00:00Z").unwrap_or_default();
        assert_eq!(where_literal(t), "@2024-01-01T00:00:00Z@");
        assert_eq!(payload_value(t), "2024-01-01T00:00:00+00:00");
    }
}
