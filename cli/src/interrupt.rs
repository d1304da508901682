//! Ctrl-C and SIGTERM: the first asks the work in flight to stop at its next batch boundary (checkpoints saved,
//! leases released, tasks handed back), so the same command run again resumes at once; the second quits on the
//! spot (what is in flight is then resumed from its checkpoint, after the lease checks of the next run).

use mailferry::engine::Stop;
use tokio::signal::unix::{SignalKind, signal};

/// The exit status of an interrupted command (128 + SIGINT, what shells expect).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Watch for SIGINT and SIGTERM for the rest of the process and raise `stop` on the first.
pub fn watch(stop: Stop) {
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        tracing::warn!("cannot watch for Ctrl-C; an interruption will not stop cleanly");
        return;
    };
    tokio::spawn(async move {
        let mut seen = 0;
        loop {
            tokio::select! {
                _ = int.recv() => {},
                _ = term.recv() => {},
            }
            seen += 1;
            if seen == 1 {
                stop.request();
                eprintln!("mailferry: interrupted — finishing the batches in flight (Ctrl-C again to quit now)");
            } else {
                eprintln!("mailferry: quit — run the same command to resume");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        }
    });
}

/// Tell the operator how to go on after a clean stop.
pub fn resume_hint() {
    eprintln!("interrupted — run the same command to resume");
}
