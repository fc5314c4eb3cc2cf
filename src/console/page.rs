//! How a console handler answers with a page: one rendered template with its status,
//! so every page, its refusals (the same page again with a 4xx status and the
//! messages beside the fields) and the pages that show a secret once answer the same
//! way.

use askama::Template;
use axum::{
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use super::error::ConsoleError;

/// A template as a console answer; implemented for every askama template.
pub trait Respond: Template {
    /// The page as HTML with `status`: `200` for a page asked for, the service's
    /// status when a form is shown again with its messages.
    fn respond(&self, status: StatusCode) -> Result<Response, ConsoleError> {
        Ok((status, Html(self.render()?)).into_response())
    }

    /// The page as HTML with `status` that no cache may keep, for a page that shows a
    /// secret (a new API key, an invitation link or password) or carries a one-time
    /// form token.
    fn respond_no_store(&self, status: StatusCode) -> Result<Response, ConsoleError> {
        let html = self.render()?;
        Ok((status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
    }
}

impl<T: Template> Respond for T {}
