//! Log capture: one process-wide tracing subscriber that tests read back as text, to
//! check what the service logs (and what it must never log).
//!
//! nextest runs each test in its own process, `cargo test` runs them as threads of one:
//! so the subscriber is installed once for the process ([`capture`]), writes only while
//! some test holds a [`Capture`], and each test reads what was written since it began.
//! Under `cargo test` that text may also hold other tests' lines, which is why the log
//! tests look for their own values (a password, an email no other test uses) rather
//! than counting lines.

use std::{
    io::Write,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
};

use tracing_subscriber::{
    Layer,
    filter::{FilterExt, LevelFilter, Targets, dynamic_filter_fn},
    fmt::{MakeWriter, format::FmtSpan},
    layer::Filter,
    layer::SubscriberExt,
    util::SubscriberInitExt,
};

/// How many tests are capturing now: the subscriber writes nothing while it is zero.
static CAPTURING: AtomicUsize = AtomicUsize::new(0);

/// Keeps everything written to it; clones share the same buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    fn len(&self) -> usize {
        self.0.lock().map(|b| b.len()).unwrap_or_default()
    }

    fn text_from(&self, start: usize) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(bytes.get(start..).unwrap_or_default()).into_owned()
    }
}

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut bytes) = self.0.lock() {
            bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The three captures the log tests read.
struct Sinks {
    /// Every target at TRACE, plain text with each span's fields when it closes.
    all: Buffer,
    /// Every target at INFO and above (a default deployment's level), same format.
    info: Buffer,
    /// The service's own events at INFO as JSON lines with their current span.
    json: Buffer,
}

fn sinks() -> &'static Sinks {
    static SINKS: OnceLock<Sinks> = OnceLock::new();
    SINKS.get_or_init(|| {
        let sinks = Sinks {
            all: Buffer::default(),
            info: Buffer::default(),
            json: Buffer::default(),
        };
        tracing_subscriber::registry()
            .with(text(sinks.all.clone()).with_filter(capturing(LevelFilter::TRACE)))
            .with(text(sinks.info.clone()).with_filter(capturing(LevelFilter::INFO)))
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_writer(sinks.json.clone())
                    .with_filter(
                        Targets::new()
                            .with_target("listbridge", LevelFilter::INFO)
                            .and(capturing(LevelFilter::INFO)),
                    ),
            )
            .try_init()
            .unwrap_or_else(|e| panic!("another subscriber is installed: {e}"));
        sinks
    })
}

/// Plain text lines into `writer`, with each span's fields when it closes.
fn text<S>(writer: Buffer) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_span_events(FmtSpan::CLOSE)
}

/// Events and spans at `level` or more severe, while some test is capturing.
///
/// Dynamic (asked at every event), as a plain `filter_fn`'s answer is cached per
/// callsite: under `cargo test` a callsite first seen while nobody captured would stay
/// silent for good.
fn capturing<S>(level: LevelFilter) -> impl Filter<S> + Clone {
    dynamic_filter_fn(move |metadata, _| {
        *metadata.level() <= level && CAPTURING.load(Ordering::Relaxed) > 0
    })
}

/// What one test captures: the lines written from [`capture`] on, while it lives.
pub struct Capture {
    starts: [usize; 3],
}

/// Starts capturing the service's logs for the calling test.
pub fn capture() -> Capture {
    let sinks = sinks();
    CAPTURING.fetch_add(1, Ordering::SeqCst);
    Capture {
        starts: [sinks.all.len(), sinks.info.len(), sinks.json.len()],
    }
}

impl Capture {
    /// Everything at TRACE since the capture began.
    pub fn all(&self) -> String {
        sinks().all.text_from(self.starts[0])
    }

    /// Everything at INFO and above since the capture began.
    pub fn info(&self) -> String {
        sinks().info.text_from(self.starts[1])
    }

    /// The service's INFO events as JSON lines since the capture began.
    pub fn json(&self) -> String {
        sinks().json.text_from(self.starts[2])
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURING.fetch_sub(1, Ordering::SeqCst);
    }
}
