//! A list's *Segments*: saved filters (column, operator, value; all or any) built
//! without code, the live member count while building, the segment's members, delete
//! behind a confirmation, and the header every segment page shares (its sync,
//! schedule and runs pages include it). Every step calls `crate::lists::segments`,
//! the same service as the JSON API.

mod builder;
mod builder_values;
mod delete;
mod head;
mod index;
mod members;

use axum::{Router, routing::get};

use crate::app::AppState;

pub use head::{SegmentHead, SegmentPath, SegmentTab};

/// The routes of the segment pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lists/{id}/segments", get(index::show))
        .route(
            "/lists/{id}/segments/new",
            get(builder::new_form).post(builder::create),
        )
        .route("/segments/count", get(builder::count))
        .route("/segments/{id}", get(members::show))
        .route(
            "/segments/{id}/edit",
            get(builder::edit_form).post(builder::update),
        )
        .route(
            "/segments/{id}/delete",
            get(delete::confirm).post(delete::delete),
        )
}
