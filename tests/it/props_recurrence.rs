//! Property tests of schedule recurrences, around daylight-saving changes in zones with
//! one-hour, half-hour and midnight shifts, a zone without DST and one that skipped a
//! whole day: runs always move forward, none is skipped, a daily, weekly or monthly
//! run is at the rule's wall-clock time (the first of a repeated hour) or, when that
//! time does not exist, right where the clock jumps past it, and hourly runs are
//! exactly the interval apart in real time.

use chrono::{
    DateTime, Duration, LocalResult, NaiveDate, NaiveTime, Offset, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use listbridge::scheduling::recurrence::{Frequency, Recurrence};
use proptest::{prelude::*, test_runner::Config};

/// Zones whose clocks change in different ways.
const ZONES: [&str; 12] = [
    "Europe/London",       // one hour at 01:00 UTC
    "America/New_York",    // one hour at 02:00 local
    "Australia/Lord_Howe", // half an hour
    "Asia/Kolkata",        // no DST, half-hour offset
    "Europe/Berlin",
    "America/Santiago", // at midnight
    "America/Havana",   // at midnight, into a missing 00:xx
    "Pacific/Chatham",  // 45-minute offset, DST
    "Asia/Tehran",      // DST until 2022
    "America/St_Johns", // half-hour offset, DST
    "Pacific/Apia",     // skipped 2011-12-30 entirely
    "Australia/Sydney", // southern hemisphere
];

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// A valid rule in one of [`ZONES`], starting between 2009 and 2030.
fn recurrence(max_interval: u32) -> impl Strategy<Value = Recurrence> {
    (
        prop_oneof![
            Just(Frequency::Hourly),
            Just(Frequency::Daily),
            Just(Frequency::Weekly),
            Just(Frequency::Monthly),
        ],
        1..=max_interval,
        (0u32..24, 0u32..60),
        prop::collection::btree_set(0..7usize, 1..=7),
        1u32..=31,
        0i64..(22 * 366),
        0..ZONES.len(),
    )
        .prop_map(
            |(frequency, interval, (h, m), days, day_of_month, start, zone)| Recurrence {
                frequency,
                interval,
                time_of_day: NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN),
                days_of_week: days.into_iter().map(|d| WEEKDAYS[d]).collect(),
                day_of_month,
                start_date: NaiveDate::from_ymd_opt(2009, 1, 1).unwrap_or_default()
                    + Duration::days(start),
                time_zone: ZONES[zone].parse().unwrap_or(Tz::UTC),
            },
        )
}

/// The instants within a year from `from` at which the zone's offset changes.
fn transitions(tz: Tz, from: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
    let mut out = Vec::new();
    let mut t = from;
    while t < from + Duration::days(366) {
        let next = t + Duration::minutes(15);
        if offset(t) != offset(next) {
            out.push(next);
        }
        t = next;
    }
    out
}

/// An instant near a clock change of the rule's zone (or anywhere in the year when the
/// zone has none), from the rule's start onwards or a little before it.
fn after_for(rule: &Recurrence, pick: prop::sample::Index, hours: i64) -> DateTime<Utc> {
    let year_start =
        Utc.from_utc_datetime(&rule.start_date.and_time(NaiveTime::MIN)) - Duration::days(30);
    let changes = transitions(rule.time_zone, year_start);
    match changes.len() {
        0 => year_start + Duration::hours(hours.rem_euclid(366 * 24)),
        n => changes[pick.index(n)] + Duration::hours(hours),
    }
}

/// The run is at the rule's wall-clock time on its local date (the first of a repeated
/// hour) or, when that time does not exist, where the clock jumps past a gap.
fn at_wall_clock_time(rule: &Recurrence, run: DateTime<Utc>) -> Result<(), TestCaseError> {
    let tz = rule.time_zone;
    let local = run.with_timezone(&tz).naive_local();
    let wanted = local.date().and_time(rule.time_of_day);
    match tz.from_local_datetime(&wanted) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) if t.with_timezone(&Utc) == run => {
            return Ok(());
        }
        _ => {}
    }
    // Otherwise the minute before the run must not exist: the run is where a gap ends.
    prop_assert!(
        matches!(
            tz.from_local_datetime(&(local - Duration::minutes(1))),
            LocalResult::None
        ),
        "{run} ({local} in {tz}) is neither at {} nor at the end of a clock gap: {rule:?}",
        rule.time_of_day
    );
    Ok(())
}

fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn runs_move_forward_without_skipping_one_across_clock_changes(
        rule in recurrence(12),
        pick in any::<prop::sample::Index>(),
        hours in -72i64..72,
        between in 0.0f64..1.0,
    ) {
        let after = after_for(&rule, pick, hours);
        let runs = rule.next_n(after, 6);
        prop_assert_eq!(runs.len(), 6, "a repeating rule always has a next run: {:?}", rule);
        let mut previous = after;
        for &run in &runs {
            prop_assert!(run > previous, "{} is not after {}: {:?}", run, previous, rule);
            // Any instant from the previous run up to this one leads to this one.
            let span = (run - previous).num_seconds();
            let inside = previous + Duration::seconds((span as f64 * between) as i64);
            prop_assert_eq!(rule.next_after(inside), Some(run), "from {}: {:?}", inside, rule);
            match rule.frequency {
                Frequency::Hourly if previous != after => prop_assert_eq!(
                    run - previous,
                    Duration::hours(i64::from(rule.interval)),
                    "hourly runs are the interval apart in real time: {:?}", rule
                ),
                Frequency::Hourly => {}
                _ => at_wall_clock_time(&rule, run)?,
            }
            previous = run;
        }
    }

    #[test]
    fn any_valid_interval_only_moves_forward(
        rule in recurrence(1000),
        pick in any::<prop::sample::Index>(),
        hours in -72i64..72,
    ) {
        let after = after_for(&rule, pick, hours);
        let mut previous = after;
        for run in rule.next_n(after, 3) {
            prop_assert!(run > previous, "{} is not after {}: {:?}", run, previous, rule);
            previous = run;
        }
    }
}

/// Samoa skipped Friday 2011-12-30 (from UTC−10 to UTC+14): that day's 09:00 run is
/// where the clock resumed, midnight of the 31st, not a time on the 29th.
#[test]
fn a_skipped_day_runs_where_the_clock_resumes() {
    let rule = Recurrence {
        frequency: Frequency::Daily,
        interval: 1,
        time_of_day: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
        days_of_week: vec![],
        day_of_month: 1,
        start_date: NaiveDate::from_ymd_opt(2011, 12, 1).unwrap_or_default(),
        time_zone: "Pacific/Apia".parse().unwrap_or(Tz::UTC),
    };
    let from = Utc.with_ymd_and_hms(2011, 12, 29, 0, 0, 0).unwrap();
    let local: Vec<String> = rule
        .next_n(from, 3)
        .iter()
        .map(|t| t.with_timezone(&rule.time_zone).format("%F %R").to_string())
        .collect();
    assert_eq!(
        local,
        ["2011-12-29 09:00", "2011-12-31 00:00", "2011-12-31 09:00"]
    );
}
