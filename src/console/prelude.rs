//! The names every console page handler needs, in one glob import.
//!
//! Each page module takes the application state, a session extractor ([`Viewer`] or
//! [`Admin`]), renders an askama template inside the [`Layout`], answers a refusal with
//! [`ConsoleError`] or the form again with [`FieldErrors`], and replies through
//! [`Respond`] or a redirect. Without this module every page repeated the same
//! dozen-line `use` block; `use crate::console::prelude::*;` says "this is a page
//! handler" once, and each module keeps only its own imports explicit.

pub(super) use askama::Template;
pub(super) use axum::{
    Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

pub(super) use crate::{
    app::AppState,
    console::{
        error::ConsoleError,
        form::FieldErrors,
        layout::{Layout, Section},
        page::Respond,
        session::{Admin, Viewer},
        words,
    },
};
