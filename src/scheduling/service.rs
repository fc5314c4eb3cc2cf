//! Saving, reading and removing the schedule of a list or segment, and pausing the
//! schedules of a reset connector. The API calls this; the store holds the limit.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    recurrence::Frequency,
    rule::{DayOfWeek, Rule, RuleError, parse_zone},
};
use crate::{
    app::AppState,
    store::{
        AccountId, ConnectorId, ConnectorStatus, List, ListRepo, SCHEDULE_LIMIT, Schedule,
        ScheduleRepo, ScheduleTarget, ScheduleWrite, ScheduledTarget, SegmentRepo, StoreError,
        Upsert,
    },
};

/// How many upcoming runs a schedule shows.
const UPCOMING: usize = 3;

/// A schedule as the marketer sets it (`PUT …/schedule`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// `hourly`, `daily`, `weekly` or `monthly`.
    pub frequency: Frequency,
    /// Every this many hours, days, weeks or months (1 to 1000); 1 when absent.
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 1000)]
    pub interval: u32,
    /// Local time of the run, `HH:MM` (hourly: the minute past each hour).
    #[schema(example = "09:00", pattern = r"^\s*([01]?[0-9]|2[0-3]):[0-5][0-9]\s*$")]
    pub time_of_day: String,
    /// Weekly: the days to run on (`mon` … `sun`).
    #[serde(default)]
    pub days_of_week: Vec<DayOfWeek>,
    /// Monthly: the day to run on (1–31; short months use their last day). Ignored for
    /// the other frequencies (any unsigned 32-bit number is read).
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 4_294_967_295_u32)]
    pub day_of_month: Option<u32>,
    /// The first date a run may happen (in `time_zone`); today when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<NaiveDate>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    /// Whether it runs; an enabled schedule counts toward the limit of ten. True when absent.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

/// A saved schedule with its rule and the runs it will start next.
#[derive(Debug, Clone)]
pub struct ScheduleDetails {
    /// The stored schedule.
    pub schedule: Schedule,
    /// Its rule.
    pub rule: Rule,
    /// The next runs (up to three); empty while disabled or paused.
    pub next_runs: Vec<DateTime<Utc>>,
}

/// Why a schedule action failed.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The list, segment or schedule does not exist in the account.
    #[error("{0} was not found")]
    NotFound(String),
    /// A field of the rule is invalid.
    #[error(transparent)]
    Invalid(#[from] RuleError),
    /// Enabling would make an eleventh scheduled list or segment.
    #[error(
        "at most {SCHEDULE_LIMIT} lists and segments can be scheduled at a time; these are \
         scheduled: {}; disable or delete one of their schedules first",
        names(.scheduled)
    )]
    LimitReached {
        /// The ten scheduled targets.
        scheduled: Vec<ScheduledTarget>,
    },
    /// Concurrent changes kept winning; nothing was saved.
    #[error("the schedule of {0} was changed concurrently; try again")]
    Busy(ScheduleTarget),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn names(scheduled: &[ScheduledTarget]) -> String {
    scheduled
        .iter()
        .map(|s| format!("'{}'", s.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Schedule actions for one application state.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleService<'a> {
    state: &'a AppState,
}

impl<'a> ScheduleService<'a> {
    /// Wraps the state.
    pub fn new(state: &'a AppState) -> Self {
        ScheduleService { state }
    }

    /// The schedule of a list or segment.
    pub async fn get(
        &self,
        account: AccountId,
        target: ScheduleTarget,
    ) -> Result<ScheduleDetails, ScheduleError> {
        self.target_list(account, target).await?;
        let schedule = ScheduleRepo
            .get(self.state.store.conn(), account, target)
            .await?
            .ok_or_else(|| ScheduleError::NotFound(format!("a schedule for {target}")))?;
        details(schedule)
    }

    /// Creates or replaces the schedule of a list or segment. The next run is computed
    /// from now by the new rule, so a change takes effect at once on every instance.
    pub async fn put(
        &self,
        account: AccountId,
        target: ScheduleTarget,
        request: ScheduleRequest,
    ) -> Result<ScheduleDetails, ScheduleError> {
        let list = self.target_list(account, target).await?;
        let zone = parse_zone(&request.time_zone)?;
        let now = self.state.clock.now();
        let rule = Rule {
            frequency: request.frequency,
            interval: request.interval,
            time_of_day: request.time_of_day,
            days_of_week: request.days_of_week,
            day_of_month: request.day_of_month,
            start_date: request
                .start_date
                .unwrap_or_else(|| now.with_timezone(&zone).date_naive()),
            time_zone: request.time_zone.trim().to_string(),
        };
        let (rule, recurrence) = rule.normalize()?;
        let write = ScheduleWrite {
            target,
            rule: rule.to_json(),
            enabled: request.enabled,
            next_run_at: recurrence.next_after(now),
            paused_if_new: self.connector_reset(account, &list).await?,
            id_if_new: self.state.random.uuid().into(),
        };
        match ScheduleRepo
            .upsert(self.state.store.conn(), account, &write, now)
            .await?
        {
            Upsert::Saved(schedule) => {
                tracing::info!(%target, enabled = schedule.enabled, slot = ?schedule.slot, "schedule saved");
                details(schedule)
            }
            Upsert::Full(scheduled) => Err(ScheduleError::LimitReached { scheduled }),
            Upsert::Contended => Err(ScheduleError::Busy(target)),
        }
    }

    /// Removes the schedule of a list or segment, freeing its place.
    pub async fn delete(
        &self,
        account: AccountId,
        target: ScheduleTarget,
    ) -> Result<(), ScheduleError> {
        self.target_list(account, target).await?;
        if ScheduleRepo
            .delete(self.state.store.conn(), account, target)
            .await?
        {
            tracing::info!(%target, "schedule deleted");
            Ok(())
        } else {
            Err(ScheduleError::NotFound(format!("a schedule for {target}")))
        }
    }

    /// The account's enabled schedules' lists and segments with their names, in the
    /// order they took their places among the ten: how many places are used, and which.
    pub async fn scheduled(
        &self,
        account: AccountId,
    ) -> Result<Vec<ScheduledTarget>, ScheduleError> {
        Ok(ScheduleRepo
            .scheduled(self.state.store.conn(), account)
            .await?)
    }

    /// Pauses the schedules that sync through a connector that was just reset; they keep
    /// their places among the ten.
    pub async fn pause_for_connector(
        &self,
        account: AccountId,
        connector: ConnectorId,
    ) -> Result<u64, StoreError> {
        let paused = ScheduleRepo
            .pause_for_connector(
                self.state.store.conn(),
                account,
                connector,
                self.state.clock.now(),
            )
            .await?;
        tracing::info!(%connector, paused, "schedules paused by connector reset");
        Ok(paused)
    }

    /// Resumes the schedules paused by a connector reset, from their next regular slot
    /// (slots that passed while paused are not made up).
    pub async fn resume_for_connector(
        &self,
        account: AccountId,
        connector: ConnectorId,
    ) -> Result<u64, StoreError> {
        let db = self.state.store.conn();
        let now = self.state.clock.now();
        let mut resumed = 0;
        for schedule in ScheduleRepo
            .paused_for_connector(db, account, connector)
            .await?
        {
            let next = match Rule::from_json(&schedule.rule).and_then(|r| r.recurrence()) {
                Ok(recurrence) => recurrence.next_after(now),
                Err(e) => {
                    tracing::error!(schedule = %schedule.id, error = %e, "cannot resume a schedule with an unreadable rule");
                    continue;
                }
            };
            if ScheduleRepo.resume(db, &schedule, next, now).await? {
                resumed += 1;
            }
        }
        tracing::info!(%connector, resumed, "schedules resumed by reconfirmed login");
        Ok(resumed)
    }

    /// The target's list (a segment's list), or not found.
    async fn target_list(
        &self,
        account: AccountId,
        target: ScheduleTarget,
    ) -> Result<List, ScheduleError> {
        let db = self.state.store.conn();
        let list_id = match target {
            ScheduleTarget::List(id) => id,
            ScheduleTarget::Segment(id) => {
                SegmentRepo
                    .get(db, account, id)
                    .await?
                    .ok_or_else(|| ScheduleError::NotFound(format!("segment {id}")))?
                    .list_id
            }
        };
        ListRepo
            .get(db, account, list_id)
            .await?
            .ok_or_else(|| ScheduleError::NotFound(format!("list {list_id}")))
    }

    /// Whether the connector the list syncs through (as the engine chooses it) has been
    /// reset.
    async fn connector_reset(&self, account: AccountId, list: &List) -> Result<bool, StoreError> {
        let connector = self.state.store.connectors().of_list(account, list).await?;
        Ok(connector
            .found()
            .is_some_and(|c| c.status == ConnectorStatus::Reset))
    }
}

/// A schedule with its parsed rule and upcoming runs.
fn details(schedule: Schedule) -> Result<ScheduleDetails, ScheduleError> {
    let corrupt = |e: RuleError| {
        ScheduleError::Store(StoreError::Corrupt {
            table: "schedules",
            id: schedule.id.as_db(),
            message: e.to_string(),
        })
    };
    let rule = Rule::from_json(&schedule.rule).map_err(corrupt)?;
    let recurrence = rule.recurrence().map_err(corrupt)?;
    let next_runs = match schedule.next_run_at {
        Some(next) => std::iter::once(next)
            .chain(recurrence.next_n(next, UPCOMING - 1))
            .collect(),
        None => Vec::new(),
    };
    Ok(ScheduleDetails {
        schedule,
        rule,
        next_runs,
    })
}
