//! Logging set-up: human-readable lines by default, JSON lines on request.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::{Config, LOG_ENV, LogFormat};

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

/// Installs the global subscriber (to stderr, so stdout stays for command
/// output such as a new API key). Calling it twice keeps the first.
pub fn init(config: &Config) -> Result<(), TelemetryError> {
    let filter = EnvFilter::try_new(&config.log).map_err(|e| TelemetryError::BadFilter {
        filter: config.log.clone(),
        message: e.to_string(),
    })?;
    let registry = tracing_subscriber::registry().with(filter);
    let result = match config.log_format {
        LogFormat::Text => registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .try_init(),
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
