//! The *List page*: one list's members (search, keyset paging, a member's values with
//! edit / add / remove), *Add List Columns*, *Standard Field Names* with *Optimize for
//! Infor CRM*, rename, and delete behind a confirmation. Every step calls the same
//! `crate::lists` service as the JSON API and shows its errors beside the field.
//! Another account's list, or an id that is not one, is the 404 page.

mod columns;
mod fields;
pub(crate) mod head;
mod member;
mod members;
mod settings;

use axum::{
    Router,
    routing::{get, post},
};

use crate::app::AppState;

/// The routes of the list page, its tabs and its forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lists/{id}", get(members::show))
        .route("/lists/{id}/members", post(member::add))
        .route("/lists/{id}/members/new", get(member::new_form))
        .route(
            "/lists/{id}/members/{member_id}",
            get(member::show).post(member::save),
        )
        .route(
            "/lists/{id}/members/{member_id}/remove",
            get(member::confirm_remove).post(member::remove),
        )
        .route("/lists/{id}/columns", get(columns::show).post(columns::add))
        .route("/lists/{id}/fields", get(fields::show).post(fields::save))
        .route("/lists/{id}/optimize", post(fields::optimize))
        .route("/lists/{id}/settings", get(settings::show))
        .route("/lists/{id}/rename", post(settings::rename))
        .route(
            "/lists/{id}/delete",
            get(settings::confirm_delete).post(settings::delete),
        )
}
