//! *Schedule* of a list or a segment: frequency, time of day, time zone, start date,
//! enabled; the next three run times in the marketer's time zone; how many of the
//! account's ten places are used, and an eleventh refused naming the ten. Calls
//! `crate::scheduling::ScheduleService`, the same service as the JSON API.

mod page;
mod values;

use axum::{Router, routing::get};

use crate::app::AppState;

/// The routes of the schedule pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/lists/{id}/schedule",
            get(page::show_list).post(page::save_list),
        )
        .route(
            "/segments/{id}/schedule",
            get(page::show_segment).post(page::save_segment),
        )
}
