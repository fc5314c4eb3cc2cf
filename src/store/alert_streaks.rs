//! Alert streaks: whether each alert subject of an account (a list's scheduled sync, a
//! job kind's dead jobs, a connector's login) is failing now. The change of state is one conditional `UPDATE … WHERE failing = …`, so
//! of several instances observing the same change only one sees a row change and
//! sends the alert; the caller runs it in the transaction that queues the alert jobs.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};

use super::{AccountId, StoreError, entity::alert_streak};

/// What an observation changed in a subject's streak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreakChange {
    /// The first failure after a success (or ever): alert.
    Started,
    /// Another failure of a streak already alerted: nothing to send.
    Continued,
    /// The first success after a streak: send "recovered".
    Recovered,
    /// A success after a success: nothing to send.
    Steady,
}

/// A subject's streak as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertStreak {
    /// True from the first failure to the next success.
    pub failing: bool,
    /// Failures in the current streak.
    pub failures: i32,
    /// The id of the last run or job observed (its stored text form), so an outcome
    /// observed twice counts once.
    pub last_observed_id: Option<String>,
}

/// Reads and writes `alert_streaks` over a connection or a transaction.
#[derive(Debug)]
pub struct AlertStreakRepo<'a, C> {
    db: &'a C,
}

impl<'a, C: ConnectionTrait> AlertStreakRepo<'a, C> {
    /// The repository over `db`.
    pub fn on(db: &'a C) -> Self {
        AlertStreakRepo { db }
    }

    /// Records that an outcome of `subject` (the run or job `observed`, its id's stored
    /// text form, when there is one) failed (`failed`) or succeeded, and says what
    /// changed. Exactly one observer of a change sees `Started` or `Recovered`.
    pub async fn observe(
        &self,
        account: AccountId,
        subject: &str,
        failed: bool,
        observed: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<StreakChange, StoreError> {
        let fresh = alert_streak::ActiveModel {
            account_id: Set(account.as_db()),
            subject: Set(subject.to_string()),
            failing: Set(false),
            failures: Set(0),
            last_observed_id: Set(None),
            updated_at: Set(now),
        };
        match alert_streak::Entity::insert(fresh)
            .on_conflict(
                OnConflict::columns([
                    alert_streak::Column::AccountId,
                    alert_streak::Column::Subject,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(self.db)
            .await
        {
            Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
        let failures = if failed {
            Expr::col(alert_streak::Column::Failures).add(1)
        } else {
            Expr::value(0)
        };
        let mine = |q: sea_orm::UpdateMany<alert_streak::Entity>| {
            q.col_expr(
                alert_streak::Column::LastObservedId,
                Expr::value(observed.map(str::to_string)),
            )
            .col_expr(alert_streak::Column::UpdatedAt, Expr::value(now))
            .filter(alert_streak::Column::AccountId.eq(account.as_db()))
            .filter(alert_streak::Column::Subject.eq(subject))
        };
        // The state change: only the observer whose UPDATE finds the old state wins.
        let changed = mine(alert_streak::Entity::update_many())
            .col_expr(alert_streak::Column::Failing, Expr::value(failed))
            .col_expr(alert_streak::Column::Failures, failures.clone())
            .filter(alert_streak::Column::Failing.eq(!failed))
            .exec(self.db)
            .await?
            .rows_affected
            == 1;
        if !changed {
            mine(alert_streak::Entity::update_many())
                .col_expr(alert_streak::Column::Failures, failures)
                .exec(self.db)
                .await?;
        }
        Ok(match (failed, changed) {
            (true, true) => StreakChange::Started,
            (true, false) => StreakChange::Continued,
            (false, true) => StreakChange::Recovered,
            (false, false) => StreakChange::Steady,
        })
    }

    /// The account's streak of `subject`, if it was ever observed.
    pub async fn get(
        &self,
        account: AccountId,
        subject: &str,
    ) -> Result<Option<AlertStreak>, StoreError> {
        Ok(
            alert_streak::Entity::find_by_id((account.as_db(), subject.to_string()))
                .one(self.db)
                .await?
                .map(|row| AlertStreak {
                    failing: row.failing,
                    failures: row.failures,
                    last_observed_id: row.last_observed_id,
                }),
        )
    }
}
