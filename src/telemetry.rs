//! Logging set-up: human-readable lines by default, JSON lines on request.

use std::{ffi::OsStr, io::IsTerminal};

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::{Config, LOG_ENV, LogFormat};

/// The conventional variable (<https://no-color.org>) that turns colour off even on a
/// terminal when set to anything but the empty string.
pub const NO_COLOR_ENV: &str = "NO_COLOR";

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The filter directives do not parse.
    #[error("{LOG_ENV} '{filter}' is not a valid log filter: {message}")]
    BadFilter {
        /// The directives given.
        filter: String,
        /// The parser's explanation.
        message: String,
    },
}

/// Whether text logs get ANSI colour codes: only when they go to a terminal, and not
/// when `NO_COLOR` is set to something. A log file or a pipe (systemd, docker, `2> file`)
/// would otherwise fill up with escape sequences that no one can read there.
pub fn use_colour(stderr_is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(OsStr::is_empty)
}

/// Installs the global subscriber (to stderr, so stdout stays for command
/// output such as a new API key). Calling it twice keeps the first.
pub fn init(config: &Config) -> Result<(), TelemetryError> {
    let filter = EnvFilter::try_new(&config.log).map_err(|e| TelemetryError::BadFilter {
        filter: config.log.clone(),
        message: e.to_string(),
    })?;
    let registry = tracing_subscriber::registry().with(filter);
    let result = match config.log_format {
        LogFormat::Text => {
            let colour = use_colour(
                std::io::stderr().is_terminal(),
                std::env::var_os(NO_COLOR_ENV).as_deref(),
            );
            registry
                .with(fmt::layer().with_ansi(colour).with_writer(std::io::stderr))
                .try_init()
        }
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    // Already initialised (e.g. by a test harness): keep that subscriber.
    let _ = result;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(
            !use_colour(false, None),
            "a file or pipe gets no escape codes"
        );
        assert!(!use_colour(true, Some(OsStr::new("1"))));
        assert!(!use_colour(false, Some(OsStr::new("1"))));
        // An empty NO_COLOR does not count (as the convention says).
        assert!(use_colour(true, Some(OsStr::new(""))));
        assert!(!use_colour(false, Some(OsStr::new(""))));
    }
}
