//! Which local processes are working on a state directory. Each running process holds an exclusive `flock` on
//! `runners/<holder>.lock` for as long as it lives; the kernel drops the lock when the process dies however it
//! dies (Ctrl-C twice, SIGKILL, a crash). So a lock file nobody holds proves that its process is gone, and the
//! tasks it had received and the folders it had leased can be handed back within seconds — no waiting for a
//! visibility timeout or a lease to run out, as a remote worker would need.
//!
//! Not at once, though: a destination server may still be committing an APPEND whose every byte it received
//! before the client died (MULTIAPPEND commits the whole batch at its end). The holder touches its file every
//! [`HEARTBEAT`], so it died at most one heartbeat after the file's time; its work is handed back [`SETTLE`]
//! after that, when such a commit is over and the resume's comparison sees it.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::time::{Duration, SystemTime};

/// How often a holder touches its lock file.
pub const HEARTBEAT: Duration = Duration::from_millis(500);
/// How long a server may go on committing what a client that died had sent.
pub const SETTLE: Duration = Duration::from_secs(2);

/// This process's claim on a state directory (or on one lock file); dropping it ends the claim cleanly.
#[derive(Debug)]
pub struct RunnerLock {
    file: Option<File>,
    path: PathBuf,
    /// Runner locks are removed when dropped; a fixed lock file (`sync`'s) stays, emptied to mark a clean end.
    remove: bool,
    heartbeat: Option<Sender<()>>,
}

/// Touch the file at `path` every [`HEARTBEAT`] until the sender is dropped. The thread opens the file on its own
/// (a clone of the locked handle would share its lock and keep it after the holder let go).
fn beat(path: &Path) -> Option<Sender<()>> {
    let path = path.to_path_buf();
    let (tx, rx) = channel::<()>();
    std::thread::Builder::new()
        .name("runner-heartbeat".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(HEARTBEAT) {
                if let Ok(f) = OpenOptions::new().write(true).open(&path) {
                    let _ = f.set_modified(SystemTime::now());
                }
            }
        })
        .ok()?;
    Some(tx)
}

/// When the work of the process that held `file` (now free) may be taken over: [`SETTLE`] after its death. A file
/// time in the future (a clock that jumped, a touched file) counts as now, so the wait is bounded.
fn handed_back_at(file: &File) -> SystemTime {
    let touched = file.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
    touched.min(SystemTime::now()) + HEARTBEAT + SETTLE
}

fn runners(dir: &Path) -> PathBuf {
    dir.join("runners")
}

impl RunnerLock {
    /// Take `runners/<holder>.lock` under `dir`. `holder` must be unique to this process (pid and a random part).
    pub fn take(dir: &Path, holder: &str) -> io::Result<RunnerLock> {
        std::fs::create_dir_all(runners(dir))?;
        let path = runners(dir).join(format!("{holder}.lock"));
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
        file.try_lock().map_err(|e| io::Error::other(format!("{} is locked: {e}", path.display())))?;
        let heartbeat = beat(&path);
        Ok(RunnerLock { file: Some(file), path, remove: true, heartbeat })
    }

    /// Take the lock file at `path` (kept between runs), or `Ok(None)` when another live process holds it. The
    /// result also says, when the previous holder died (it left the file marked), from when its work may be taken
    /// over. The file is marked and kept alive only by [`RunnerLock::mark_running`], so a run that dies while it
    /// waits for that time leaves the same time to the next one.
    pub fn take_file(path: &Path) -> io::Result<Option<(RunnerLock, Option<SystemTime>)>> {
        let file = OpenOptions::new().create(true).truncate(false).read(true).write(true).open(path)?;
        if file.try_lock().is_err() {
            return Ok(None);
        }
        let after = (file.metadata()?.len() > 0).then(|| handed_back_at(&file));
        Ok(Some((RunnerLock { file: Some(file), path: path.to_path_buf(), remove: false, heartbeat: None }, after)))
    }

    /// Mark the lock file as held by a running process (an unclean end leaves the mark) and keep it alive.
    pub fn mark_running(&mut self) -> io::Result<()> {
        if let Some(f) = &self.file {
            (&*f).write_all(b"running\n")?;
        }
        self.heartbeat = beat(&self.path);
        Ok(())
    }
}

impl Drop for RunnerLock {
    fn drop(&mut self) {
        drop(self.heartbeat.take());
        // Remove (or mark clean) first, then unlock by closing: nobody finds a free file of a live holder.
        if self.remove {
            let _ = std::fs::remove_file(&self.path);
        } else if let Some(f) = &self.file {
            let _ = f.set_len(0);
        }
        drop(self.file.take());
    }
}

/// A holder whose process is gone, with the lock taken on its behalf (so two processes never rescue it at once;
/// dropping it removes the file) and the time from which its work may be taken over.
#[derive(Debug)]
pub struct DeadHolder {
    pub holder: String,
    pub hand_back_at: SystemTime,
    _lock: RunnerLock,
}

/// Holders whose lock file nobody holds any more: their processes are gone.
pub fn dead_holders(dir: &Path) -> Vec<DeadHolder> {
    let Ok(entries) = std::fs::read_dir(runners(dir)) else { return Vec::new() };
    let mut dead = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(holder) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".lock")) else {
            continue;
        };
        let Ok(file) = OpenOptions::new().write(true).open(&path) else { continue };
        if file.try_lock().is_ok() {
            let (holder, hand_back_at) = (holder.to_string(), handed_back_at(&file));
            let lock = RunnerLock { file: Some(file), path, remove: true, heartbeat: None };
            dead.push(DeadHolder { holder, hand_back_at, _lock: lock });
        }
    }
    dead
}

/// How many live processes hold a lock on `dir`.
pub fn live_holders(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(runners(dir)) else { return 0 };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "lock"))
        .filter(|e| OpenOptions::new().write(true).open(e.path()).is_ok_and(|f| f.try_lock().is_err()))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_or_abandoned_lock_is_dead_and_a_held_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let held = RunnerLock::take(dir.path(), "111-aaaa").unwrap();
        assert_eq!(live_holders(dir.path()), 1);
        assert!(dead_holders(dir.path()).is_empty());
        // A process that died leaves its file behind, unlocked.
        std::fs::write(dir.path().join("runners/222-bbbb.lock"), b"").unwrap();
        let dead = dead_holders(dir.path());
        assert_eq!(dead.iter().map(|d| d.holder.as_str()).collect::<Vec<_>>(), ["222-bbbb"]);
        assert!(dead[0].hand_back_at > SystemTime::now() + SETTLE, "a fresh death is handed back after SETTLE");
        drop(dead);
        assert!(!dir.path().join("runners/222-bbbb.lock").exists(), "a rescued holder's file is removed");
        drop(held);
        assert_eq!(live_holders(dir.path()), 0);
        assert!(!dir.path().join("runners/111-aaaa.lock").exists());
    }

    #[test]
    fn a_fixed_lock_file_tells_a_clean_end_from_an_abandoned_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite.lock");
        let (mut lock, after) = RunnerLock::take_file(&path).unwrap().unwrap();
        assert_eq!(after, None, "a new file: nothing to wait for");
        lock.mark_running().unwrap();
        assert!(RunnerLock::take_file(&path).unwrap().is_none(), "held by a live run");
        drop(lock);
        let (mut lock, after) = RunnerLock::take_file(&path).unwrap().unwrap();
        assert_eq!(after, None, "the last run ended cleanly");
        lock.mark_running().unwrap();
        drop(lock);
        // A run that died leaves the file marked and free.
        std::fs::write(&path, b"running\n").unwrap();
        let (lock, after) = RunnerLock::take_file(&path).unwrap().unwrap();
        assert!(after.unwrap() > SystemTime::now() + SETTLE, "taken over only once its last writes are surely over");
        drop(lock);
        // A file time far in the future does not make the next run wait for it.
        std::fs::write(&path, b"running\n").unwrap();
        let far = SystemTime::now() + Duration::from_secs(86_400);
        OpenOptions::new().write(true).open(&path).unwrap().set_modified(far).unwrap();
        let (_lock, after) = RunnerLock::take_file(&path).unwrap().unwrap();
        assert!(after.unwrap() <= SystemTime::now() + HEARTBEAT + SETTLE, "the wait is bounded");
    }
}
