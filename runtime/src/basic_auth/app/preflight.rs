//! Start-up checks of a SQLite auth database's location, so a missing or read-only
//! directory, a read-only file or a full disk stops the start with the path and the fix
//! instead of a bare SQLite result code.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use crate::store::StoreError;

/// What to tell the operator at the end of every message.
const WHERE: &str =
    "or set database_uri in basic_auth.ini (MLFLOW_AUTH_CONFIG_PATH) to a writable location";

/// The database path made absolute (for messages), against the working directory.
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Checks that the directory of `db` exists and accepts new files (SQLite creates the
/// database, `-wal` and `-shm` files there), and that an existing database file is writable.
pub fn check_sqlite_location(db: &Path) -> Result<(), String> {
    let db = absolute(db);
    let dir = db.parent().unwrap_or(Path::new("/"));
    let file = db
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !dir.is_dir() {
        return Err(format!(
            "the directory {} does not exist; create it, {WHERE}",
            dir.display()
        ));
    }
    let probe = dir.join(format!(".{file}.mlauth-write-check-{}", std::process::id()));
    match OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => {
            return Err(format!(
                "the directory {} is not writable ({e}); SQLite creates {file}, {file}-wal and \
                 {file}-shm there. Fix: let the user running mlauth write to it (chown/chmod), {WHERE}",
                dir.display()
            ))
        }
    }
    if db.exists() {
        if let Err(e) = OpenOptions::new().read(true).write(true).open(&db) {
            return Err(format!(
                "the database file is not writable ({e}). Fix: let the user running mlauth \
                 write to {} (chown/chmod), {WHERE}",
                db.display()
            ));
        }
    }
    Ok(())
}

/// Explains SQLite failures at start that come from the file system (full disk, I/O
/// error, read-only, cannot open), naming the path and the fix.
pub fn explain_sqlite_error(db: &Path, err: &StoreError) -> Option<String> {
    let StoreError::Unavailable(sqlx::Error::Database(e)) = err else {
        return None;
    };
    let code: i64 = e.code()?.parse().ok()?;
    let db = absolute(db);
    let dir = db.parent().unwrap_or(Path::new("/")).display().to_string();
    let what = match code & 0xff {
        13 => format!(
            "the disk holding {dir} is full ({e}). Fix: free space, or set database_uri in \
             basic_auth.ini to a file on another disk"
        ),
        10 => format!(
            "an I/O error occurred writing the database ({e}): the disk may be full, or a quota \
             or file-size limit was reached. Fix: check free space and limits for {dir}, {WHERE}"
        ),
        8 => format!(
            "the database is read-only ({e}). Fix: make {} and {dir} writable for the user \
             running mlauth, {WHERE}",
            db.display()
        ),
        14 => format!(
            "the database cannot be opened ({e}). Fix: check that {dir} exists and is writable \
             for the user running mlauth, {WHERE}"
        ),
        _ => return None,
    };
    Some(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("nope").join("basic_auth.db");
        let err = check_sqlite_location(&db).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        assert!(
            err.contains(&dir.path().join("nope").display().to_string()),
            "{err}"
        );
        assert!(err.contains("database_uri"), "{err}");
    }

    #[test]
    fn a_writable_directory_passes_and_leaves_no_probe() {
        let dir = tempfile::tempdir().unwrap();
        check_sqlite_location(&dir.path().join("basic_auth.db")).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn sysfs_is_not_writable_even_for_root() {
        if !Path::new("/sys/kernel").is_dir() {
            eprintln!("skipped: no /sys on this machine");
            return;
        }
        let err = check_sqlite_location(Path::new("/sys/basic_auth.db")).unwrap_err();
        assert!(err.contains("/sys is not writable"), "{err}");
    }
}
