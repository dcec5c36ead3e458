//! Cross-instance change detection: the `mlauth_changes` counter.
//!
//! Every write transaction of the store also increments the single row of `mlauth_changes`
//! (same transaction, so the bump is visible exactly when the write is). Every store handle
//! keeps a local *generation* ([`Store::generation`], [`Store::subscribe`]) that moves on its
//! own writes at once and, while a [`ChangeWatcher`] runs, whenever the counter in the
//! database moved (a write by another mlauth process sharing the database) or could not be
//! read (fail closed: caches drop what they hold). Caches of database state compare against
//! the generation; see `docs/multi-instance.md` for the whole design.
//!
//! The poll is one primary-key `SELECT` every [`DEFAULT_POLL_INTERVAL`], identical on
//! PostgreSQL and SQLite (two processes sharing one file).

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Arg, Inner, Result, Session, Store};

/// How often a [`ChangeWatcher`] reads the counter: writes made by another instance reach
/// this one's caches within this interval plus one query.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Increments the counter inside the caller's write transaction.
pub(crate) async fn bump(s: &mut Session) -> Result<()> {
    s.execute(
        "INSERT INTO mlauth_changes (id, version) VALUES ($1, 1) \
         ON CONFLICT (id) DO UPDATE SET version = mlauth_changes.version + 1",
        &[Arg::Int(1)],
    )
    .await?;
    Ok(())
}

async fn read_counter(inner: &Inner) -> Result<i64> {
    let mut s = inner.pool.read().await?;
    let row = s
        .fetch_optional(
            "SELECT version FROM mlauth_changes WHERE id = $1",
            &[Arg::Int(1)],
        )
        .await?;
    Ok(match row {
        Some(row) => row.i64(0)?,
        None => 0,
    })
}

/// Polls the change counter until dropped.
#[derive(Debug)]
pub struct ChangeWatcher {
    task: JoinHandle<()>,
}

impl Drop for ChangeWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Store {
    /// The database's change counter (`mlauth_changes.version`).
    pub async fn change_counter(&self) -> Result<i64> {
        read_counter(&self.inner).await
    }

    /// A receiver that sees every move of [`Store::generation`].
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Moves the local generation (after a write, or when another instance's write or a
    /// failed poll was observed).
    pub(crate) fn bump_generation(&self) {
        bump_local(&self.inner);
    }

    /// Starts polling the counter every `interval` on the current tokio runtime; the poll
    /// stops when the watcher is dropped or the last handle of the store goes away.
    pub fn watch_changes(&self, interval: Duration) -> ChangeWatcher {
        let inner = Arc::downgrade(&self.inner);
        ChangeWatcher {
            task: tokio::spawn(poll(inner, interval)),
        }
    }
}

fn bump_local(inner: &Inner) {
    inner.changes.send_modify(|g| *g = g.wrapping_add(1));
}

async fn poll(inner: Weak<Inner>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<i64> = None;
    let mut failing = false;
    loop {
        ticker.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        match read_counter(&inner).await {
            Ok(version) => {
                if failing {
                    tracing::info!("auth database change counter readable again");
                    failing = false;
                }
                // The first read (and the first after a failure) also bumps: a change made
                // between the previous known state and this read would otherwise be missed.
                if last != Some(version) {
                    tracing::debug!(version, "auth database changed; caches invalidated");
                    bump_local(&inner);
                }
                last = Some(version);
            }
            Err(err) => {
                if !failing {
                    tracing::warn!(error = %err, "auth database change counter unreadable; caches invalidated until it is back");
                    failing = true;
                }
                // Fail closed: whatever changed meanwhile, nothing cached survives.
                last = None;
                bump_local(&inner);
            }
        }
    }
}
