//! Thin backend abstraction over SQLite and PostgreSQL.
//!
//! Every query in the store is written once, with `$1`-style placeholders (understood by
//! both sqlx-sqlite and PostgreSQL), and executed through [`Session`], which dispatches to
//! the concrete driver. Type differences are absorbed here:
//!
//! * integer ids are `INTEGER` (64-bit rowid) in SQLite but `int4` (`SERIAL`) in
//!   PostgreSQL; [`DbRow::i64`] widens whatever integer width the column has;
//! * `users.is_admin` is `BOOLEAN` (stored 0/1) in SQLite and `boolean` in PostgreSQL;
//!   binding a Rust `bool` produces the native representation on both.

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Column, Postgres, Row, Sqlite, Transaction, TypeInfo};

/// Which database engine a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// SQLite (file or in-memory).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// One bind parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// An integer (ids).
    Int(i64),
    /// A non-null string.
    Text(&'a str),
    /// A nullable string.
    OptText(Option<&'a str>),
    /// A boolean (`is_admin`).
    Bool(bool),
    /// A nullable integer.
    OptInt(Option<i64>),
    /// A nullable byte string (`BLOB` / `BYTEA`).
    OptBytes(Option<&'a [u8]>),
}

/// A result row of either backend.
pub(crate) enum DbRow {
    Sqlite(SqliteRow),
    Pg(PgRow),
}

impl DbRow {
    /// Integer column `idx`, widened to `i64` whatever its storage width.
    pub(crate) fn i64(&self, idx: usize) -> Result<i64, sqlx::Error> {
        match self {
            DbRow::Sqlite(r) => r.try_get::<i64, _>(idx),
            DbRow::Pg(r) => match r.column(idx).type_info().name() {
                "INT2" => r.try_get::<i16, _>(idx).map(i64::from),
                "INT4" => r.try_get::<i32, _>(idx).map(i64::from),
                _ => r.try_get::<i64, _>(idx),
            },
        }
    }

    /// Non-null text column `idx`.
    pub(crate) fn text(&self, idx: usize) -> Result<String, sqlx::Error> {
        match self {
            DbRow::Sqlite(r) => r.try_get::<String, _>(idx),
            DbRow::Pg(r) => r.try_get::<String, _>(idx),
        }
    }

    /// Nullable text column `idx`.
    pub(crate) fn opt_text(&self, idx: usize) -> Result<Option<String>, sqlx::Error> {
        match self {
            DbRow::Sqlite(r) => r.try_get::<Option<String>, _>(idx),
            DbRow::Pg(r) => r.try_get::<Option<String>, _>(idx),
        }
    }

    /// Nullable integer column `idx` (64-bit).
    pub(crate) fn opt_i64(&self, idx: usize) -> Result<Option<i64>, sqlx::Error> {
        match self {
            DbRow::Sqlite(r) => r.try_get::<Option<i64>, _>(idx),
            DbRow::Pg(r) => r.try_get::<Option<i64>, _>(idx),
        }
    }

    /// Nullable byte-string column `idx`.
    pub(crate) fn opt_bytes(&self, idx: usize) -> Result<Option<Vec<u8>>, sqlx::Error> {
        match self {
            DbRow::Sqlite(r) => r.try_get::<Option<Vec<u8>>, _>(idx),
            DbRow::Pg(r) => r.try_get::<Option<Vec<u8>>, _>(idx),
        }
    }

    /// Nullable boolean column `idx`.
    pub(crate) fn opt_bool(&self, idx: usize) -> Result<Option<bool>, sqlx::Error> {
        match self {
            DbRow::Sqlite(r) => r.try_get::<Option<bool>, _>(idx),
            DbRow::Pg(r) => r.try_get::<Option<bool>, _>(idx),
        }
    }
}

/// A pooled connection, optionally inside a transaction.
pub(crate) enum Session {
    SqliteConn(PoolConnection<Sqlite>),
    PgConn(PoolConnection<Postgres>),
    SqliteTx(Transaction<'static, Sqlite>),
    PgTx(Transaction<'static, Postgres>),
}

/// Borrowed driver connection behind a [`Session`].
enum Conn<'c> {
    Sqlite(&'c mut sqlx::SqliteConnection),
    Pg(&'c mut sqlx::PgConnection),
}

fn sqlite_query<'q>(
    sql: &'q str,
    args: &[Arg<'q>],
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    let mut q = sqlx::query(sql);
    for arg in args {
        q = match *arg {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::OptInt(v) => q.bind(v),
            Arg::OptBytes(v) => q.bind(v),
        };
    }
    q
}

fn pg_query<'q>(
    sql: &'q str,
    args: &[Arg<'q>],
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    let mut q = sqlx::query(sql);
    for arg in args {
        q = match *arg {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::OptInt(v) => q.bind(v),
            Arg::OptBytes(v) => q.bind(v),
        };
    }
    q
}

impl Session {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Session::SqliteConn(c) => Conn::Sqlite(c),
            Session::PgConn(c) => Conn::Pg(c),
            Session::SqliteTx(t) => Conn::Sqlite(t),
            Session::PgTx(t) => Conn::Pg(t),
        }
    }

    /// The engine behind this session.
    pub(crate) fn kind(&self) -> DbKind {
        match self {
            Session::SqliteConn(_) | Session::SqliteTx(_) => DbKind::Sqlite,
            Session::PgConn(_) | Session::PgTx(_) => DbKind::Postgres,
        }
    }

    /// Runs a statement; returns the number of affected rows.
    pub(crate) async fn execute(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<u64, sqlx::Error> {
        match self.conn() {
            Conn::Sqlite(c) => Ok(sqlite_query(sql, args).execute(c).await?.rows_affected()),
            Conn::Pg(c) => Ok(pg_query(sql, args).execute(c).await?.rows_affected()),
        }
    }

    /// Runs a query and returns every row.
    pub(crate) async fn fetch_all(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<DbRow>, sqlx::Error> {
        match self.conn() {
            Conn::Sqlite(c) => Ok(sqlite_query(sql, args)
                .fetch_all(c)
                .await?
                .into_iter()
                .map(DbRow::Sqlite)
                .collect()),
            Conn::Pg(c) => Ok(pg_query(sql, args)
                .fetch_all(c)
                .await?
                .into_iter()
                .map(DbRow::Pg)
                .collect()),
        }
    }

    /// Runs a query and returns its first row, if any.
    pub(crate) async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<DbRow>, sqlx::Error> {
        match self.conn() {
            Conn::Sqlite(c) => Ok(sqlite_query(sql, args)
                .fetch_optional(c)
                .await?
                .map(DbRow::Sqlite)),
            Conn::Pg(c) => Ok(pg_query(sql, args).fetch_optional(c).await?.map(DbRow::Pg)),
        }
    }

    /// Runs a query that must return exactly one row.
    pub(crate) async fn fetch_one(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<DbRow, sqlx::Error> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// Runs several `;`-free statements without parameters (DDL).
    pub(crate) async fn execute_batch(&mut self, statements: &[String]) -> Result<(), sqlx::Error> {
        for stmt in statements {
            self.execute(stmt, &[]).await?;
        }
        Ok(())
    }

    /// Commits the transaction (no-op for a plain connection).
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Session::SqliteTx(t) => t.commit().await,
            Session::PgTx(t) => t.commit().await,
            Session::SqliteConn(_) | Session::PgConn(_) => Ok(()),
        }
    }
}

/// Builds `$start, $start+1, ...` placeholders for an `IN (...)` list of `n` items.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// True for a unique / primary-key constraint violation on either backend.
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// True for PostgreSQL's `string_data_right_truncation` (value longer than `VARCHAR(n)`).
pub(crate) fn is_value_too_long(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("22001"))
}
