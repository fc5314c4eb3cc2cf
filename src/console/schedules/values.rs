//! What the schedule form shows and posts: the typed values (kept whole when a save is
//! refused), how they become the service's [`ScheduleRequest`], and where each refusal
//! is shown.

use chrono::NaiveDate;

use crate::{
    console::form::FieldErrors,
    error::ApiError,
    scheduling::{DayOfWeek, Rule, ScheduleRequest, recurrence::Frequency},
};

/// The frequencies a marketer chooses from, with their names in the form.
pub const FREQUENCIES: [(&str, &str); 4] = [
    ("hourly", "Every hour"),
    ("daily", "Every day"),
    ("weekly", "Every week, on the days ticked"),
    ("monthly", "Every month, on one day"),
];

/// The days of a weekly schedule: the posted value and the label.
pub const DAYS: [(&str, &str); 7] = [
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
];

/// The schedule form as typed.
#[derive(Debug, Clone)]
pub struct ScheduleValues {
    /// `hourly`, `daily`, `weekly` or `monthly`.
    pub frequency: String,
    /// Every this many hours, days, weeks or months.
    pub interval: String,
    /// `HH:MM`.
    pub time_of_day: String,
    /// Ticked days of a weekly schedule (`mon` … `sun`).
    pub days: Vec<String>,
    /// Day of a monthly schedule.
    pub day_of_month: String,
    /// IANA time zone; empty until the browser (or, without script, the account's
    /// zone on saving) fills it.
    pub time_zone: String,
    /// `YYYY-MM-DD`, or empty for today.
    pub start_date: String,
    /// Switched on.
    pub enabled: bool,
    /// `save` or `remove`.
    pub action: String,
}

impl ScheduleValues {
    /// A new schedule: every day at 09:00, on.
    pub fn blank() -> Self {
        ScheduleValues {
            frequency: "daily".into(),
            interval: "1".into(),
            time_of_day: "09:00".into(),
            days: Vec::new(),
            day_of_month: String::new(),
            time_zone: String::new(),
            start_date: String::new(),
            enabled: true,
            action: String::new(),
        }
    }

    /// The form of a saved rule.
    pub fn of(rule: &Rule, enabled: bool) -> Self {
        ScheduleValues {
            frequency: frequency_name(rule.frequency).into(),
            interval: rule.interval.to_string(),
            time_of_day: rule.time_of_day.clone(),
            days: rule
                .days_of_week
                .iter()
                .map(|d| day_name(*d).to_string())
                .collect(),
            day_of_month: rule.day_of_month.map(|d| d.to_string()).unwrap_or_default(),
            time_zone: rule.time_zone.clone(),
            start_date: rule.start_date.format("%Y-%m-%d").to_string(),
            enabled,
            action: String::new(),
        }
    }

    /// The posted form (`days` may repeat; an unticked `enabled` is absent).
    pub fn parse(pairs: &[(String, String)]) -> Self {
        let mut values = ScheduleValues {
            enabled: false,
            interval: String::new(),
            time_of_day: String::new(),
            frequency: String::new(),
            ..Self::blank()
        };
        for (key, value) in pairs {
            match key.as_str() {
                "frequency" => values.frequency = value.clone(),
                "interval" => values.interval = value.clone(),
                "time_of_day" => values.time_of_day = value.clone(),
                "days" => values.days.push(value.clone()),
                "day_of_month" => values.day_of_month = value.clone(),
                "time_zone" => values.time_zone = value.clone(),
                "start_date" => values.start_date = value.clone(),
                "enabled" => values.enabled = true,
                "action" => values.action = value.clone(),
                _ => {}
            }
        }
        values
    }

    /// Whether the day `day` is ticked.
    pub fn has_day(&self, day: &str) -> bool {
        self.days.iter().any(|d| d == day)
    }

    /// The service's request, with `fallback_zone` when no time zone was given; or the
    /// messages of the fields that are not even of the right form (the service checks
    /// the rest).
    pub fn request(&self, fallback_zone: &str) -> Result<ScheduleRequest, FieldErrors> {
        let mut errors = FieldErrors::none();
        let frequency = match self.frequency.as_str() {
            "hourly" => Frequency::Hourly,
            "daily" => Frequency::Daily,
            "weekly" => Frequency::Weekly,
            "monthly" => Frequency::Monthly,
            _ => {
                errors.add("frequency", "Choose how often it runs.");
                Frequency::Daily
            }
        };
        let interval = match self.interval.trim() {
            "" => 1,
            raw => raw.parse().unwrap_or_else(|_| {
                errors.add("interval", "Enter a whole number, such as 1 or 2.");
                1
            }),
        };
        let day_of_month = match self.day_of_month.trim() {
            "" => None,
            raw => match raw.parse() {
                Ok(day) => Some(day),
                Err(_) => {
                    errors.add("day_of_month", "Enter a day of the month from 1 to 31.");
                    None
                }
            },
        };
        let start_date = match self.start_date.trim() {
            "" => None,
            raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(date) => Some(date),
                Err(_) => {
                    errors.add("start_date", "Enter a date such as 2026-03-31.");
                    None
                }
            },
        };
        let days_of_week = self.days.iter().filter_map(|d| parse_day(d)).collect();
        let time_zone = match self.time_zone.trim() {
            "" => fallback_zone.to_string(),
            zone => zone.to_string(),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ScheduleRequest {
            frequency,
            interval,
            time_of_day: self.time_of_day.trim().to_string(),
            days_of_week,
            day_of_month,
            start_date,
            time_zone,
            enabled: self.enabled,
        })
    }
}

/// The message of a refused rule beside the control it is about.
pub fn errors_for(api: &ApiError) -> FieldErrors {
    FieldErrors::from_api(api, "frequency", |field| match field {
        "time_of_day" => Some("time_of_day"),
        "time_zone" => Some("time_zone"),
        "day_of_month" => Some("day_of_month"),
        "interval" => Some("interval"),
        "days_of_week" => Some("days"),
        _ => None,
    })
}

fn frequency_name(frequency: Frequency) -> &'static str {
    match frequency {
        Frequency::Hourly => "hourly",
        Frequency::Daily => "daily",
        Frequency::Weekly => "weekly",
        Frequency::Monthly => "monthly",
    }
}

fn day_name(day: DayOfWeek) -> &'static str {
    match day {
        DayOfWeek::Mon => "mon",
        DayOfWeek::Tue => "tue",
        DayOfWeek::Wed => "wed",
        DayOfWeek::Thu => "thu",
        DayOfWeek::Fri => "fri",
        DayOfWeek::Sat => "sat",
        DayOfWeek::Sun => "sun",
    }
}

fn parse_day(raw: &str) -> Option<DayOfWeek> {
    [
        DayOfWeek::Mon,
        DayOfWeek::Tue,
        DayOfWeek::Wed,
        DayOfWeek::Thu,
        DayOfWeek::Fri,
        DayOfWeek::Sat,
        DayOfWeek::Sun,
    ]
    .into_iter()
    .find(|d| day_name(*d) == raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::form::pairs;

    #[test]
    fn a_weekly_form_becomes_a_request_and_an_empty_zone_takes_the_fallback() {
        let values = ScheduleValues::parse(&pairs(&[
            ("frequency", "weekly"),
            ("time_of_day", "06:30"),
            ("days", "mon"),
            ("days", "fri"),
            ("time_zone", ""),
            ("enabled", "on"),
        ]));
        let request = values.request("Europe/Paris").unwrap();
        assert_eq!(request.frequency, Frequency::Weekly);
        assert_eq!(request.days_of_week, vec![DayOfWeek::Mon, DayOfWeek::Fri]);
        assert_eq!(request.time_zone, "Europe/Paris");
        assert!(request.enabled);
        assert_eq!(request.interval, 1);
    }

    #[test]
    fn malformed_numbers_and_dates_are_refused_beside_their_field() {
        let values = ScheduleValues::parse(&pairs(&[
            ("frequency", "monthly"),
            ("day_of_month", "first"),
            ("start_date", "tomorrow"),
        ]));
        let errors = values.request("UTC").unwrap_err();
        assert!(!errors.get("day_of_month").is_empty());
        assert!(!errors.get("start_date").is_empty());
        assert!(!values.enabled);
    }
}
