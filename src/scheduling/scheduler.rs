//! The scheduler: turns due schedule slots into runs.
//!
//! Design: one `tokio-cron-scheduler` job that ticks every few seconds and works from the
//! `schedules` table, rather than one cron job per schedule. The table is the only
//! truth that every instance shares and that survives restarts; per-schedule in-memory
//! jobs would have to be rebuilt on every instance whenever any instance saves a
//! schedule (which still needs polling), would read the wall clock instead of the
//! injected one, and cannot express the calendar rules anyway (DST-correct local times,
//! the 31st in short months, every n weeks). A tick reads the due rows, so a schedule
//! change is picked up on the next tick, and a slot missed while every instance was down
//! is simply due at start-up, once: the next slot is computed from now, not from the
//! missed one.
//!
//! Each due slot is claimed with a conditional update (see
//! `store::ScheduleRepo::claim_slot`), so of several instances ticking together exactly
//! one queues the run; `queue_run` then refuses a second active run for the same list or
//! segment, so Run Now and a slot at the same moment give one run.

use std::{sync::Arc, time::Duration as StdDuration};

use tokio::{
    sync::{Mutex, watch},
    task::JoinHandle,
};
use tokio_cron_scheduler::{Job, JobScheduler};

use super::rule::Rule;
use crate::{
    app::AppState,
    runs::queue_run,
    store::{
        ListRepo, NewRun, Queued, RunId, RunKind, RunTrigger, Schedule, ScheduleRepo,
        ScheduleTarget, SegmentRepo, StoreError,
    },
};

/// How often each instance looks for due slots. Slots are minute-aligned, so a run
/// starts at most this long after its time.
pub const TICK_EVERY: StdDuration =
    StdDuration::from_millis(crate::config::DEFAULT_SCHEDULER_TICK_MS as u64);

/// Due schedules handled per tick; the rest wait for the next tick.
const DUE_BATCH: u64 = 500;

/// What one tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    /// Runs queued for claimed slots.
    pub queued: Vec<RunId>,
    /// Slots claimed while a run of the same target was already active (no new run).
    pub already_active: Vec<RunId>,
    /// Due slots another instance claimed first.
    pub lost: usize,
    /// Schedules removed because their list or segment was deleted.
    pub removed: usize,
    /// Slots whose run could not be queued; they are released and retried next tick.
    pub failed: usize,
}

/// Fires every slot due at the injected clock's "now". Safe to call from any number of
/// instances at once.
pub async fn tick(state: &AppState) -> Result<TickReport, StoreError> {
    let now = state.clock.now();
    let db = state.store.conn();
    let mut report = TickReport::default();
    for schedule in ScheduleRepo.due(db, now, DUE_BATCH).await? {
        let Some(due) = schedule.next_run_at else {
            continue;
        };
        let next = match Rule::from_json(&schedule.rule).and_then(|r| r.recurrence()) {
            Ok(recurrence) => recurrence.next_after(now),
            Err(e) => {
                // Rules are validated on save; an unreadable one stops instead of looping.
                tracing::error!(schedule = %schedule.id, error = %e, "schedule rule unreadable; it will not fire again until saved");
                None
            }
        };
        if !ScheduleRepo
            .claim_slot(db, schedule.id, due, next, now)
            .await?
        {
            report.lost += 1;
            continue;
        }
        match fire(state, &schedule).await {
            Ok(Fired::Queued(run)) => {
                tracing::info!(schedule = %schedule.id, target = %schedule.target, %run, slot = %due, "scheduled run queued");
                report.queued.push(run);
            }
            Ok(Fired::AlreadyActive(run)) => {
                tracing::info!(schedule = %schedule.id, target = %schedule.target, %run, slot = %due, "slot skipped: a run is already active");
                report.already_active.push(run);
            }
            Ok(Fired::TargetGone) => {
                ScheduleRepo
                    .delete(db, schedule.account_id, schedule.target)
                    .await?;
                tracing::info!(schedule = %schedule.id, target = %schedule.target, "schedule removed: its target was deleted");
                report.removed += 1;
            }
            Err(e) => {
                tracing::error!(schedule = %schedule.id, target = %schedule.target, error = %e, "queuing a scheduled run failed; the slot is retried");
                ScheduleRepo
                    .release_slot(db, &schedule, next, state.clock.now())
                    .await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// The result of firing one claimed slot.
enum Fired {
    Queued(RunId),
    AlreadyActive(RunId),
    TargetGone,
}

async fn fire(state: &AppState, schedule: &Schedule) -> Result<Fired, StoreError> {
    let db = state.store.conn();
    let account = schedule.account_id;
    let (list, segment) = match schedule.target {
        ScheduleTarget::List(id) => match ListRepo.get(db, account, id).await? {
            Some(list) => (list.id, None),
            None => return Ok(Fired::TargetGone),
        },
        ScheduleTarget::Segment(id) => match SegmentRepo.get(db, account, id).await? {
            Some(segment) => (segment.list_id, Some(segment.id)),
            None => return Ok(Fired::TargetGone),
        },
    };
    let new = NewRun {
        account_id: account,
        list_id: list,
        segment_id: segment,
        kind: RunKind::Sync,
        trigger: RunTrigger::Schedule,
        dry_run: false,
    };
    Ok(match queue_run(state, new).await? {
        Queued::New(run) => Fired::Queued(run.id),
        Queued::AlreadyActive(run) => Fired::AlreadyActive(run.id),
    })
}

/// Starts this instance's scheduler: one tick at once (slots missed while the service
/// was down), then a tick every `every`. It stops when `shutdown` turns true; the
/// returned handle completes after any tick in progress has finished.
pub fn spawn_scheduler(
    state: AppState,
    every: StdDuration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        // One tick at a time per instance: the cron job fires on schedule even while a
        // slow tick is still running, and overlapping ticks would only contend.
        let gate = Arc::new(Mutex::new(()));
        run_tick(&state, &gate).await;
        let cron = start_cron(state.clone(), gate.clone(), every).await;
        while !*shutdown.borrow() {
            if shutdown.changed().await.is_err() {
                break;
            }
        }
        if let Some(mut cron) = cron
            && let Err(e) = cron.shutdown().await
        {
            tracing::warn!(error = %e, "stopping the cron scheduler failed");
        }
        let _idle = gate.lock().await;
    })
}

async fn start_cron(
    state: AppState,
    gate: Arc<Mutex<()>>,
    every: StdDuration,
) -> Option<JobScheduler> {
    let started = async {
        let cron = JobScheduler::new().await?;
        let job = Job::new_repeated_async(every, move |_id, _cron| {
            let (state, gate) = (state.clone(), gate.clone());
            Box::pin(async move { run_tick(&state, &gate).await })
        })?;
        cron.add(job).await?;
        cron.start().await?;
        Ok::<_, tokio_cron_scheduler::JobSchedulerError>(cron)
    };
    match started.await {
        Ok(cron) => Some(cron),
        Err(e) => {
            tracing::error!(error = %e, "the scheduler could not start; schedules will not fire on this instance");
            None
        }
    }
}

async fn run_tick(state: &AppState, gate: &Mutex<()>) {
    let Ok(_running) = gate.try_lock() else {
        return;
    };
    match tick(state).await {
        Ok(report) if report != TickReport::default() => {
            tracing::debug!(?report, "scheduler tick");
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "scheduler tick failed"),
    }
    match crate::conversions::exports::fire_due(state).await {
        Ok(0) => {}
        Ok(queued) => tracing::debug!(queued, "conversion export runs queued"),
        Err(e) => tracing::error!(error = %e, "queuing due conversion export runs failed"),
    }
}
