//! Schedules: when lists and segments sync by themselves.

pub mod recurrence;
