//! One SQLite database shared by the embedded ports: schema, connection settings, and running statements off
//! the async threads.

use crate::ports::PortError;
use rusqlite::{Connection, ErrorCode};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mailboxes (
    job TEXT NOT NULL,
    address TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job, address)
);
CREATE TABLE IF NOT EXISTS counters (
    scope TEXT NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (scope, name)
);
CREATE TABLE IF NOT EXISTS counter_events (
    scope TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (scope, event)
);
CREATE TABLE IF NOT EXISTS usage (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    at INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_tenant ON usage (tenant, at, seq);
CREATE TABLE IF NOT EXISTS domain_owners (
    domain TEXT PRIMARY KEY,
    tenant TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS operators (
    email TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS schedules (
    name TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    input TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    job TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    folder TEXT NOT NULL,
    fence INTEGER NOT NULL,
    owner TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job, mailbox, folder)
);
CREATE TABLE IF NOT EXISTS queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    visible_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    dead INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS slots (
    scope TEXT NOT NULL,
    holder TEXT NOT NULL,
    until_ms INTEGER NOT NULL,
    PRIMARY KEY (scope, holder)
);
CREATE INDEX IF NOT EXISTS queue_ready ON queue (queue, dead, visible_at);
CREATE UNIQUE INDEX IF NOT EXISTS queue_receipt ON queue (receipt);
";

/// A shared SQLite connection. Cloning shares it. Several processes may open the same file: writes take an
/// immediate transaction and wait up to 10 s for the lock.
#[derive(Clone)]
pub struct Database {
    conn: Arc<Mutex<Connection>>,
}

impl Database {
    /// Open (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, PortError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| PortError::backend("create state directory", false, e))?;
        }
        let conn = Connection::open(path).map_err(sql_error("open state database"))?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql_error("set WAL mode"))?;
        Self::init(conn)
    }

    /// A private in-memory database (tests, dry runs).
    pub fn in_memory() -> Result<Self, PortError> {
        Self::init(Connection::open_in_memory().map_err(sql_error("open state database"))?)
    }

    fn init(conn: Connection) -> Result<Self, PortError> {
        conn.busy_timeout(Duration::from_secs(10)).map_err(sql_error("set busy timeout"))?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql_error("set synchronous"))?;
        // Deleted content is overwritten, not left in free pages (purged credentials must be gone).
        conn.pragma_update(None, "secure_delete", "ON").map_err(sql_error("set secure_delete"))?;
        conn.execute_batch(SCHEMA).map_err(sql_error("create schema"))?;
        Ok(Database { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Fold the write-ahead log into the database file and truncate it, so older versions of changed rows
    /// (with `secure_delete`, the only other place they could linger) are gone from disk.
    pub async fn scrub(&self) -> Result<(), PortError> {
        self.call(|c| {
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(sql_error("checkpoint the log"))
        })
        .await
    }

    /// Run `f` with the connection on a blocking thread.
    pub(crate) async fn call<T, F>(&self, f: F) -> Result<T, PortError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, PortError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| PortError::backend("sqlite worker", true, e))?
    }
}

/// Map a SQLite error: a busy or locked database is worth retrying, anything else is not.
pub(crate) fn sql_error(op: &'static str) -> impl Fn(rusqlite::Error) -> PortError {
    move |e| {
        let retryable = matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked));
        PortError::backend(op, retryable, e)
    }
}

/// Milliseconds since the epoch, the embedded ports' time unit.
pub(crate) fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}
