//! (being written)

use axum::Router;

use crate::app::AppState;

/// The routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new()
}
