//! Waiting on the service's own state instead of sleeping: a test polls what it can
//! observe (a run's status, a page of jobs, a process answering) until it shows the
//! outcome. The one deadline here only turns a hang into a failure message that says
//! what was last seen; it is not a time limit on the product, so it is generous.

use std::time::Duration;

/// How long any wait may take before the test is failed as hung.
pub const HANG_AFTER: Duration = Duration::from_secs(120);

/// How long a wait pauses between two looks.
const POLL_EVERY: Duration = Duration::from_millis(25);

/// Polls `probe` until it returns `Ok`. `Err` carries what was seen, shown when the
/// wait gives up after [`HANG_AFTER`].
pub async fn until<T>(what: &str, mut probe: impl AsyncFnMut() -> Result<T, String>) -> T {
    let deadline = tokio::time::Instant::now() + HANG_AFTER;
    loop {
        match probe().await {
            Ok(done) => return done,
            Err(seen) => assert!(
                tokio::time::Instant::now() < deadline,
                "{what} did not happen; last seen: {seen}"
            ),
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Polls `seen` until it holds at least `n` items (messages a sink took, calls a
/// receiver got); returns them.
pub async fn at_least<T>(what: &str, n: usize, seen: impl Fn() -> Vec<T>) -> Vec<T> {
    until(&format!("{n} {what}"), async || {
        let got = seen();
        if got.len() >= n {
            Ok(got)
        } else {
            Err(format!("{} {what}", got.len()))
        }
    })
    .await
}
