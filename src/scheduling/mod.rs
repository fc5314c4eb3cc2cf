//! Schedules: when lists and segments sync by themselves.
//!
//! [`recurrence`] is the calendar maths, [`rule`] the stored and API form of a rule,
//! [`ScheduleService`] saves schedules under the account's limit of ten and pauses them
//! when a connector is reset, and the scheduler ([`tick`], [`spawn_scheduler`]) turns due
//! slots into runs, once per slot across any number of instances.

pub mod recurrence;
pub mod rule;
mod scheduler;
mod service;

pub use rule::{DayOfWeek, Rule, RuleError};
pub use scheduler::{TICK_EVERY, TickReport, spawn_scheduler, tick};
pub use service::{ScheduleDetails, ScheduleError, ScheduleRequest, ScheduleService};
