//! A schedule's rule as the marketer states it and as it is stored (JSON in
//! `schedules.rule`): plain fields such as `"09:00"` and `"Europe/Berlin"`, checked and
//! turned into a [`Recurrence`] the calendar maths works on.

use chrono::{NaiveDate, NaiveTime, Timelike, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::recurrence::{Frequency, Recurrence, RecurrenceError};

/// A weekday as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DayOfWeek {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl From<DayOfWeek> for Weekday {
    fn from(day: DayOfWeek) -> Self {
        match day {
            DayOfWeek::Mon => Weekday::Mon,
            DayOfWeek::Tue => Weekday::Tue,
            DayOfWeek::Wed => Weekday::Wed,
            DayOfWeek::Thu => Weekday::Thu,
            DayOfWeek::Fri => Weekday::Fri,
            DayOfWeek::Sat => Weekday::Sat,
            DayOfWeek::Sun => Weekday::Sun,
        }
    }
}

/// A schedule rule: when a list or segment syncs by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rule {
    /// `hourly`, `daily`, `weekly` or `monthly`.
    pub frequency: Frequency,
    /// Every this many hours, days, weeks or months (1–1000).
    pub interval: u32,
    /// Local time of the run, `HH:MM` (for hourly schedules only the minute counts).
    #[schema(example = "09:00")]
    pub time_of_day: String,
    /// Days of a weekly schedule; empty for the other frequencies.
    pub days_of_week: Vec<DayOfWeek>,
    /// Day of a monthly schedule (1–31; the 29th–31st run on the last day of shorter
    /// months); absent for the other frequencies.
    pub day_of_month: Option<u32>,
    /// The first local date a run may happen.
    #[schema(value_type = String, format = Date)]
    pub start_date: NaiveDate,
    /// IANA time zone the times are in, e.g. `Europe/Berlin`.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
}

/// Why a rule cannot be saved; each names the request field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Not `HH:MM`.
    #[error("time_of_day must be HH:MM between 00:00 and 23:59, got '{0}'")]
    TimeOfDay(String),
    /// Not an IANA zone name.
    #[error("time_zone '{0}' is not an IANA time zone name such as 'Europe/Berlin'")]
    TimeZone(String),
    /// Monthly without a day.
    #[error("a monthly schedule needs day_of_month (1-31)")]
    NoDayOfMonth,
    /// Interval, days or day of month out of range.
    #[error(transparent)]
    Recurrence(#[from] RecurrenceError),
    /// A stored rule that is not valid JSON of this shape.
    #[error("stored schedule rule is unreadable: {0}")]
    Stored(String),
}

impl RuleError {
    /// The request field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            RuleError::TimeOfDay(_) => "time_of_day",
            RuleError::TimeZone(_) => "time_zone",
            RuleError::NoDayOfMonth | RuleError::Recurrence(RecurrenceError::DayOfMonth(_)) => {
                "day_of_month"
            }
            RuleError::Recurrence(RecurrenceError::Interval(_)) => "interval",
            RuleError::Recurrence(RecurrenceError::NoDays) => "days_of_week",
            RuleError::Stored(_) => "rule",
        }
    }
}

impl Rule {
    /// Checks every field and returns the rule in canonical form (days sorted and
    /// deduplicated, fields that do not apply to the frequency dropped) with its
    /// recurrence.
    pub fn normalize(mut self) -> Result<(Rule, Recurrence), RuleError> {
        if self.frequency != Frequency::Weekly {
            self.days_of_week.clear();
        }
        if self.frequency != Frequency::Monthly {
            self.day_of_month = None;
        }
        self.days_of_week.sort();
        self.days_of_week.dedup();
        self.time_of_day = format_time(parse_time(&self.time_of_day)?);
        let recurrence = self.recurrence()?;
        Ok((self, recurrence))
    }

    /// The recurrence this rule describes, validated.
    pub fn recurrence(&self) -> Result<Recurrence, RuleError> {
        let day_of_month = match (self.frequency, self.day_of_month) {
            (Frequency::Monthly, None) => return Err(RuleError::NoDayOfMonth),
            (_, day) => day.unwrap_or(1),
        };
        let recurrence = Recurrence {
            frequency: self.frequency,
            interval: self.interval,
            time_of_day: parse_time(&self.time_of_day)?,
            days_of_week: self
                .days_of_week
                .iter()
                .copied()
                .map(Weekday::from)
                .collect(),
            day_of_month,
            start_date: self.start_date,
            time_zone: parse_zone(&self.time_zone)?,
        };
        recurrence.validate()?;
        Ok(recurrence)
    }

    /// The stored JSON form.
    pub fn to_json(&self) -> String {
        // A struct of strings, numbers and enums always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored rule.
    pub fn from_json(raw: &str) -> Result<Rule, RuleError> {
        serde_json::from_str(raw).map_err(|e| RuleError::Stored(e.to_string()))
    }
}

impl Rule {
    /// The rule in a few words for tables and summaries, e.g. `daily 06:00 Europe/London`,
    /// `every 2 weeks Mon, Fri 09:30 Europe/Berlin`, `hourly at :15 UTC`.
    pub fn summary(&self) -> String {
        let every = |one: &str, unit: &str| match self.interval {
            1 => one.to_string(),
            n => format!("every {n} {unit}"),
        };
        let minute = self.time_of_day.split_once(':').map_or("00", |(_, m)| m);
        let zone = &self.time_zone;
        let time = &self.time_of_day;
        match self.frequency {
            Frequency::Hourly => format!("{} at :{minute} {zone}", every("hourly", "hours")),
            Frequency::Daily => format!("{} {time} {zone}", every("daily", "days")),
            Frequency::Weekly => {
                let days: Vec<&str> = self.days_of_week.iter().map(|d| d.short_name()).collect();
                format!(
                    "{} {} {time} {zone}",
                    every("weekly", "weeks"),
                    days.join(", ")
                )
            }
            Frequency::Monthly => format!(
                "{} on day {} {time} {zone}",
                every("monthly", "months"),
                self.day_of_month.unwrap_or(1)
            ),
        }
    }
}

impl DayOfWeek {
    /// The day's three-letter English name, e.g. `Mon`.
    pub fn short_name(self) -> &'static str {
        match self {
            DayOfWeek::Mon => "Mon",
            DayOfWeek::Tue => "Tue",
            DayOfWeek::Wed => "Wed",
            DayOfWeek::Thu => "Thu",
            DayOfWeek::Fri => "Fri",
            DayOfWeek::Sat => "Sat",
            DayOfWeek::Sun => "Sun",
        }
    }
}

/// Parses an IANA zone name (exact spelling, as the tz database has it).
pub fn parse_zone(raw: &str) -> Result<Tz, RuleError> {
    raw.trim()
        .parse::<Tz>()
        .map_err(|_| RuleError::TimeZone(raw.to_string()))
}

fn parse_time(raw: &str) -> Result<NaiveTime, RuleError> {
    let bad = || RuleError::TimeOfDay(raw.to_string());
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let hour: u32 = h.parse().map_err(|_| bad())?;
    let minute: u32 = m.parse().map_err(|_| bad())?;
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or_else(bad)
}

fn format_time(t: NaiveTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(frequency: Frequency) -> Rule {
        Rule {
            frequency,
            interval: 1,
            time_of_day: "9:05".into(),
            days_of_week: vec![DayOfWeek::Fri, DayOfWeek::Mon, DayOfWeek::Fri],
            day_of_month: Some(31),
            start_date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            time_zone: "Europe/Berlin".into(),
        }
    }

    #[test]
    fn normalizing_keeps_only_what_the_frequency_uses() {
        let (weekly, _) = rule(Frequency::Weekly).normalize().unwrap();
        assert_eq!(weekly.time_of_day, "09:05");
        assert_eq!(weekly.days_of_week, [DayOfWeek::Mon, DayOfWeek::Fri]);
        assert_eq!(weekly.day_of_month, None);
        let (daily, _) = rule(Frequency::Daily).normalize().unwrap();
        assert!(daily.days_of_week.is_empty());
        let (monthly, rec) = rule(Frequency::Monthly).normalize().unwrap();
        assert_eq!((monthly.day_of_month, rec.day_of_month), (Some(31), 31));
        assert_eq!(Rule::from_json(&monthly.to_json()).unwrap(), monthly);
    }

    #[test]
    fn summaries_read_as_words() {
        let (daily, _) = rule(Frequency::Daily).normalize().unwrap();
        assert_eq!(daily.summary(), "daily 09:05 Europe/Berlin");
        let (mut weekly, _) = rule(Frequency::Weekly).normalize().unwrap();
        weekly.interval = 2;
        assert_eq!(
            weekly.summary(),
            "every 2 weeks Mon, Fri 09:05 Europe/Berlin"
        );
        let (hourly, _) = rule(Frequency::Hourly).normalize().unwrap();
        assert_eq!(hourly.summary(), "hourly at :05 Europe/Berlin");
        let (monthly, _) = rule(Frequency::Monthly).normalize().unwrap();
        assert_eq!(monthly.summary(), "monthly on day 31 09:05 Europe/Berlin");
    }

    #[test]
    fn bad_fields_are_named() {
        for (time, ok) in [
            ("24:00", false),
            ("12:60", false),
            ("1200", false),
            ("23:59", true),
        ] {
            let mut r = rule(Frequency::Daily);
            r.time_of_day = time.into();
            assert_eq!(r.normalize().is_ok(), ok, "{time}");
        }
        let mut r = rule(Frequency::Daily);
        r.time_zone = "Mars/Olympus".into();
        assert_eq!(r.normalize().unwrap_err().field(), "time_zone");
        let mut r = rule(Frequency::Monthly);
        r.day_of_month = None;
        assert_eq!(r.normalize().unwrap_err().field(), "day_of_month");
        let mut r = rule(Frequency::Weekly);
        r.days_of_week.clear();
        assert_eq!(r.normalize().unwrap_err().field(), "days_of_week");
        let mut r = rule(Frequency::Hourly);
        r.interval = 0;
        assert_eq!(r.normalize().unwrap_err().field(), "interval");
    }
}
