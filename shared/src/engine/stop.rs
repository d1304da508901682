//! Stopping a copy on request (Ctrl-C, SIGTERM, a host shutting down): the copy ends at the next batch boundary
//! exactly as it does at a deadline — checkpoint saved, lease released, "more to do" — so that running the same
//! command again resumes at once instead of waiting for leases or hidden tasks to run out.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A shared "please stop" flag. Clones share the request; the default is a flag nobody has raised.
#[derive(Clone, Debug, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// Ask every copy sharing this flag to stop at its next batch boundary.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::Stop;

    #[test]
    fn clones_share_the_request() {
        let a = Stop::default();
        let b = a.clone();
        assert!(!b.requested());
        a.request();
        assert!(b.requested());
        assert!(!Stop::default().requested());
    }
}
