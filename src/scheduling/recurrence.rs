//! When a schedule fires: hourly, daily, weekly or monthly recurrences in the
//! marketer's own time zone, correct across daylight-saving changes and month ends.
//!
//! Pure computation over an injected "now", so tests can walk any calendar.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How often a schedule repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every `interval` hours, at the minute of `time_of_day`.
    Hourly,
    /// Every `interval` days at `time_of_day`.
    Daily,
    /// Every `interval` weeks on `days_of_week` at `time_of_day`.
    Weekly,
    /// Every `interval` months on `day_of_month` at `time_of_day`.
    Monthly,
}

/// A validated recurrence rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// Repeat unit.
    pub frequency: Frequency,
    /// Repeat every this many units (≥ 1).
    pub interval: u32,
    /// Local wall-clock time of the run (for hourly, only the minute counts).
    pub time_of_day: NaiveTime,
    /// Weekdays for weekly schedules (non-empty for weekly).
    pub days_of_week: Vec<Weekday>,
    /// Day of month for monthly schedules (1–31; short months use their last day).
    pub day_of_month: u32,
    /// First local date the schedule may fire.
    pub start_date: NaiveDate,
    /// The time zone the wall-clock times are in.
    pub time_zone: Tz,
}

/// A rule that cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    /// Interval of zero or absurdly large.
    #[error("interval must be between 1 and 1000, got {0}")]
    Interval(u32),
    /// Weekly without days.
    #[error("a weekly schedule needs at least one day in days_of_week")]
    NoDays,
    /// Day of month out of range.
    #[error("day_of_month must be between 1 and 31, got {0}")]
    DayOfMonth(u32),
}

/// How far ahead a search may look before concluding there is no next run.
const SEARCH_DAYS: i64 = 366 * 12;

impl Recurrence {
    /// Checks the rule's fields.
    pub fn validate(&self) -> Result<(), RecurrenceError> {
        if !(1..=1000).contains(&self.interval) {
            return Err(RecurrenceError::Interval(self.interval));
        }
        match self.frequency {
            Frequency::Weekly if self.days_of_week.is_empty() => Err(RecurrenceError::NoDays),
            Frequency::Monthly if !(1..=31).contains(&self.day_of_month) => {
                Err(RecurrenceError::DayOfMonth(self.day_of_month))
            }
            _ => Ok(()),
        }
    }

    /// The first run strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.frequency == Frequency::Hourly {
            return self.next_hourly(after);
        }
        let after_local = after.with_timezone(&self.time_zone).date_naive();
        let mut date = self.start_date.max(after_local - Duration::days(1));
        for _ in 0..SEARCH_DAYS {
            if self.fires_on(date) {
                let at = resolve_local(&self.time_zone, date.and_time(self.time_of_day));
                if at > after {
                    return Some(at);
                }
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// The next `n` runs after `after`.
    pub fn next_n(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(n);
        let mut cursor = after;
        while out.len() < n {
            match self.next_after(cursor) {
                Some(t) => {
                    out.push(t);
                    cursor = t;
                }
                None => break,
            }
        }
        out
    }

    fn fires_on(&self, date: NaiveDate) -> bool {
        if date < self.start_date {
            return false;
        }
        let interval = i64::from(self.interval);
        match self.frequency {
            Frequency::Hourly => true,
            Frequency::Daily => (date - self.start_date).num_days() % interval == 0,
            Frequency::Weekly => {
                let week = |d: NaiveDate| {
                    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
                };
                let weeks = (week(date) - week(self.start_date)).num_days() / 7;
                weeks % interval == 0 && self.days_of_week.contains(&date.weekday())
            }
            Frequency::Monthly => {
                let months = i64::from(date.year() - self.start_date.year()) * 12
                    + i64::from(date.month())
                    - i64::from(self.start_date.month());
                months % interval == 0
                    && date.day() == self.day_of_month.min(last_day_of_month(date))
            }
        }
    }

    fn next_hourly(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let anchor = resolve_local(&self.time_zone, self.start_date.and_time(self.time_of_day));
        let step = Duration::hours(i64::from(self.interval));
        if after < anchor {
            return Some(anchor);
        }
        let steps = (after - anchor).num_seconds() / step.num_seconds() + 1;
        Some(anchor + step * i32::try_from(steps).ok()?)
    }
}

/// The last day of `date`'s month.
fn last_day_of_month(date: NaiveDate) -> u32 {
    let (y, m) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

/// The longest a zone's clock has ever jumped forward: Samoa skipped all of 2011-12-30.
const LONGEST_GAP_MINUTES: u32 = 48 * 60;

/// A local wall-clock time as an instant: in a gap (a DST change, or a day a zone
/// skipped) the clock is moved forward to where the gap ends; in a repeated hour the
/// first occurrence is used (a run never fires twice).
fn resolve_local(tz: &Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..=LONGEST_GAP_MINUTES {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => probe += Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&local)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        frequency: Frequency,
        interval: u32,
        tz: &str,
        start: (i32, u32, u32),
        hm: (u32, u32),
    ) -> Recurrence {
        Recurrence {
            frequency,
            interval,
            time_of_day: NaiveTime::from_hms_opt(hm.0, hm.1, 0).unwrap(),
            days_of_week: vec![],
            day_of_month: 1,
            start_date: NaiveDate::from_ymd_opt(start.0, start.1, start.2).unwrap(),
            time_zone: tz.parse().unwrap(),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn fmt(ts: &[DateTime<Utc>]) -> Vec<String> {
        ts.iter()
            .map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
            .collect()
    }

    #[test]
    fn daily_across_spring_forward_keeps_local_time() {
        // New York springs forward on 2025-03-09: 09:00 local is 14:00Z before, 13:00Z after.
        let r = rule(
            Frequency::Daily,
            1,
            "America/New_York",
            (2025, 3, 1),
            (9, 0),
        );
        let runs = r.next_n(utc("2025-03-08T00:00:00Z"), 3);
        assert_eq!(
            fmt(&runs),
            [
                "2025-03-08T14:00Z",
                "2025-03-09T13:00Z",
                "2025-03-10T13:00Z"
            ]
        );
    }

    #[test]
    fn a_time_in_the_gap_moves_past_it_and_a_repeated_hour_fires_once() {
        let r = rule(Frequency::Daily, 1, "Europe/Berlin", (2025, 3, 29), (2, 30));
        // 2025-03-30 02:30 does not exist in Berlin: runs at 03:00 CEST = 01:00Z.
        assert_eq!(
            fmt(&r.next_n(utc("2025-03-29T12:00:00Z"), 1)),
            ["2025-03-30T01:00Z"]
        );
        // 2025-10-26 02:30 happens twice: only the first (CEST, 00:30Z).
        let r = rule(
            Frequency::Daily,
            1,
            "Europe/Berlin",
            (2025, 10, 25),
            (2, 30),
        );
        assert_eq!(
            fmt(&r.next_n(utc("2025-10-25T12:00:00Z"), 2)),
            ["2025-10-26T00:30Z", "2025-10-27T01:30Z"]
        );
    }

    #[test]
    fn weekly_every_two_weeks_on_chosen_days() {
        let mut r = rule(Frequency::Weekly, 2, "UTC", (2025, 1, 6), (8, 0)); // a Monday
        r.days_of_week = vec![Weekday::Mon, Weekday::Thu];
        let runs = r.next_n(utc("2025-01-01T00:00:00Z"), 4);
        assert_eq!(
            fmt(&runs),
            [
                "2025-01-06T08:00Z",
                "2025-01-09T08:00Z",
                "2025-01-20T08:00Z",
                "2025-01-23T08:00Z"
            ]
        );
    }

    #[test]
    fn monthly_on_the_31st_uses_the_last_day_of_short_months() {
        let mut r = rule(Frequency::Monthly, 1, "UTC", (2025, 1, 1), (6, 0));
        r.day_of_month = 31;
        let runs = r.next_n(utc("2025-01-01T00:00:00Z"), 4);
        assert_eq!(
            fmt(&runs),
            [
                "2025-01-31T06:00Z",
                "2025-02-28T06:00Z",
                "2025-03-31T06:00Z",
                "2025-04-30T06:00Z"
            ]
        );
        r.day_of_month = 29;
        let leap = r.next_n(utc("2024-02-01T00:00:00Z"), 1);
        assert_eq!(
            fmt(&leap),
            ["2025-01-29T06:00Z"],
            "never before the start date"
        );
        r.start_date = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        assert_eq!(
            fmt(&r.next_n(utc("2024-02-01T00:00:00Z"), 1)),
            ["2024-02-29T06:00Z"]
        );
    }

    #[test]
    fn hourly_counts_real_hours_across_fall_back() {
        let r = rule(
            Frequency::Hourly,
            1,
            "America/New_York",
            (2025, 11, 2),
            (0, 15),
        );
        // 2025-11-02: 01:15 EDT (05:15Z), 01:15 EST (06:15Z): hourly means every real hour.
        let runs = r.next_n(utc("2025-11-02T04:30:00Z"), 3);
        assert_eq!(
            fmt(&runs),
            [
                "2025-11-02T05:15Z",
                "2025-11-02T06:15Z",
                "2025-11-02T07:15Z"
            ]
        );
    }

    #[test]
    fn validation() {
        let mut r = rule(Frequency::Weekly, 1, "UTC", (2025, 1, 1), (0, 0));
        assert_eq!(r.validate(), Err(RecurrenceError::NoDays));
        r.frequency = Frequency::Monthly;
        r.day_of_month = 32;
        assert_eq!(r.validate(), Err(RecurrenceError::DayOfMonth(32)));
        r.interval = 0;
        assert_eq!(r.validate(), Err(RecurrenceError::Interval(0)));
    }
}
