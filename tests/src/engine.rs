//! Helpers for engine tests: a sync configuration between two local test servers.

use crate::dovecot::Dovecot;
use mailferry::engine::{CopySettings, MailboxSync};
use mailferry::imap::plan::Filters;
use mailferry::imap::{Endpoint, Login};
use mailferry::model::{JobId, Secret};

/// A plain-text endpoint on a test server.
pub fn endpoint(d: &Dovecot) -> Endpoint {
    crate::corpus::plain_endpoint(d.port)
}

/// user1 → user1 between two servers, checkpoints under a fresh job.
pub fn sync_config(src: &Dovecot, dst: &Dovecot) -> MailboxSync {
    let login = || Login::Password { user: "user1@example.test".into(), password: Secret::new("pass".into()) };
    MailboxSync {
        source: endpoint(src),
        source_login: login(),
        dest: endpoint(dst),
        dest_login: login(),
        job: JobId::generate(),
        mailbox: "user1@example.test".into(),
        filters: Filters::default(),
        parallel: 3,
        attempts: 3,
        settings: CopySettings { owner: "test-worker".into(), batch_max: 40, ..Default::default() },
        ledgers: None,
        known_folders: Vec::new(),
    }
}
