//! File watching (notify): the *directories* of the config file and the plugin file are
//! watched, so editors and deploy tools that write a temporary file and rename it over the
//! original are seen. Events are debounced (a burst of writes is one reload); a reload of
//! a half-written file fails validation and keeps the old version, and the final write
//! triggers the next reload.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::Reloader;

/// Stops watching when dropped.
pub struct WatchHandle {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts watching the reloader's files; each debounced change triggers a reload.
pub fn spawn(reloader: Arc<Reloader>, debounce: Duration) -> notify::Result<WatchHandle> {
    let (tx, mut rx) = mpsc::unbounded_channel::<PathBuf>();
    let mut watcher =
        notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
            Ok(event) if !matches!(event.kind, EventKind::Access(_)) => {
                for path in event.paths {
                    let _ = tx.send(path);
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "file watch error"),
        })?;
    let mut watched = Watched::default();
    watched.update(&mut watcher, reloader.watched_files());
    let task = tokio::spawn(async move {
        // The watcher lives as long as this task.
        let mut watcher = watcher;
        while let Some(path) = rx.recv().await {
            if !watched.files.contains(&path) {
                continue;
            }
            // Debounce: wait until no event arrived for `debounce`.
            while let Ok(Some(_)) = tokio::time::timeout(debounce, rx.recv()).await {}
            let _ = reloader.reload("watch").await;
            watched.update(&mut watcher, reloader.watched_files());
        }
    });
    Ok(WatchHandle { task })
}

/// The files of interest and the directories watched for them.
#[derive(Default)]
struct Watched {
    files: BTreeSet<PathBuf>,
    dirs: BTreeSet<PathBuf>,
}

impl Watched {
    fn update(&mut self, watcher: &mut impl Watcher, files: Vec<PathBuf>) {
        let files: BTreeSet<PathBuf> = files.iter().map(|f| absolute(f)).collect();
        let dirs: BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        for dir in dirs.difference(&self.dirs) {
            match watcher.watch(dir, RecursiveMode::NonRecursive) {
                Ok(()) => tracing::debug!(dir = %dir.display(), "watching for changes"),
                Err(err) => {
                    tracing::warn!(dir = %dir.display(), error = %err, "cannot watch; reload with SIGHUP or `mlauth reload`")
                }
            }
        }
        for dir in self.dirs.difference(&dirs) {
            let _ = watcher.unwatch(dir);
        }
        self.files = files;
        self.dirs = dirs;
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
