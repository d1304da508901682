//! Helpers for pipeline tests: the stages' settings for a destination test server, and a migration CSV of
//! source accounts on a source test server.

use crate::dovecot::Dovecot;
use mailferry::embedded::{
    Database, DirBlobs, KeyFileSecretBox, OutboxMailer, SqliteCheckpoints, SqliteCounters, SqliteDomainOwners,
    SqliteQueue, SqliteSchedules, SqliteSlots, SqliteStore, SqliteUsage,
};
use mailferry::engine::CopySettings;
use mailferry::model::Secret;
use mailferry::ports::SystemClock;
use mailferry::stages::{Deps, Destination, Settings};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The stages' ports on the embedded home in `dir` (database, blobs, outbox, key), destination `dst`.
pub fn embedded_deps(dir: &Path, dst: &Dovecot) -> Deps {
    let db = Database::open(&dir.join("state.sqlite")).unwrap();
    let clock = Arc::new(SystemClock);
    Deps {
        store: Arc::new(SqliteStore::new(db.clone())),
        counters: Arc::new(SqliteCounters::new(db.clone())),
        checkpoints: Arc::new(SqliteCheckpoints::new(db.clone(), clock.clone())),
        slots: Arc::new(SqliteSlots::new(db.clone(), clock.clone())),
        tasks: Arc::new(SqliteQueue::new(db.clone(), "tasks", 5, clock.clone())),
        events: Arc::new(SqliteQueue::new(db.clone(), "events", 5, clock.clone())),
        blobs: Arc::new(DirBlobs::new(dir.join("blobs"))),
        mailer: Arc::new(OutboxMailer::new(dir.join("outbox"))),
        secrets: Arc::new(KeyFileSecretBox::open_or_create(&dir.join("key")).unwrap()),
        schedules: Arc::new(SqliteSchedules::new(db.clone())),
        clock,
        directory: None,
        usage: Arc::new(SqliteUsage::new(db.clone())),
        domains: Arc::new(SqliteDomainOwners::new(db)),
        dns: Arc::new(mailferry::dns::HickoryMx::default()),
        settings: settings(dst, "blobs/"),
    }
}

/// Record that `tenant` owns `domain` (what an operator declares with `mailferry domains claim`).
pub async fn own(deps: &impl mailferry::stages::HasDomains, tenant: &str, domain: &str) {
    let tenant = mailferry::model::TenantId::new(tenant.to_string()).unwrap();
    deps.domains().claim(&tenant, domain).await.unwrap();
}

/// Settings whose destination is `dst` (master user `admin`), notifications from `mailferry@example.test`.
pub fn settings(dst: &Dovecot, reports_at: &str) -> Settings {
    Settings {
        destination: Destination {
            endpoint: crate::corpus::plain_endpoint(dst.port),
            master_user: "admin".into(),
            master_password: Secret::new("masterpass".into()),
        },
        source_ca_file: None,
        allow_private_sources: true,
        credential_retention: Duration::from_secs(30 * 86_400),
        imap_timeout: Duration::from_secs(30),
        mailboxes_in_flight: 1,
        preflight_concurrency: 4,
        copy: CopySettings { owner: "test-worker".into(), batch_max: 25, ..Default::default() },
        connections: Default::default(),
        budget: Default::default(),
        sender: "mailferry@example.test".into(),
        default_operator: Some("ops@example.test".into()),
        operator_allow: None,
        reports_at: reports_at.into(),
        command_scope: "--state test-state".into(),
    }
}

/// A migration CSV moving `user<N>@example.test` from `src` to the same address, for each `(n, password)`.
pub fn migration_csv(src: &Dovecot, rows: &[(u32, &str)]) -> String {
    let mut csv = String::from("destination,source_host,source_port,security,source_user,auth,password\n");
    for (n, password) in rows {
        csv.push_str(&format!(
            "user{n}@example.test,127.0.0.1,{},plain,user{n}@example.test,password,{password}\n",
            src.port
        ));
    }
    csv
}

/// Over an open session of a mailbox with a 1 MB quota: a small message is stored and a 1.5 MB one refused with
/// the server's quota words.
pub async fn assert_quota_enforced(s: &mut mailferry::imap::Session) {
    use mailferry::imap::{Appended, OutMessage};
    let small = OutMessage { flags: vec![], internal_date: None, body: b"Subject: hi\r\n\r\nhello\r\n".to_vec() };
    let big = OutMessage { flags: vec![], internal_date: None, body: vec![b'x'; 1_500_000] };
    let outcomes = s.append_all("INBOX", &[small, big]).await.unwrap();
    assert!(matches!(outcomes[0], Appended::Stored { .. }), "{outcomes:?}");
    assert!(
        matches!(&outcomes[1], Appended::Refused { text } if text.to_lowercase().contains("quota")),
        "{outcomes:?}"
    );
}

/// A Dovecot reading its users from a passwd-file at `dir/users` (created empty): what `mailferry import
/// --target passwd-file:…` writes. Returns the server and the file's path.
pub fn passwd_file_dovecot(dir: &Path) -> (Dovecot, std::path::PathBuf) {
    let users = dir.join("users");
    std::fs::write(&users, "").unwrap();
    let options =
        crate::dovecot::Options { users_from: Some(format!("passwd-file:{}", users.display())), ..Default::default() };
    (Dovecot::start_with(options), users)
}

/// Each outbox email as its subject and decoded text part.
pub fn outbox(state: &std::path::Path) -> Vec<String> {
    let mut mails: Vec<String> = std::fs::read_dir(state.join("outbox"))
        .map(|d| d.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect())
        .unwrap_or_default();
    for m in &mut mails {
        *m = subject_and_text(m);
    }
    mails.sort();
    mails
}

/// An email as mailferry writes it (outbox or SMTP): its `Subject:` line and its decoded text part.
pub fn subject_and_text(m: &str) -> String {
    use base64::Engine;
    let subject = m.lines().find(|l| l.starts_with("Subject: ")).unwrap_or("").to_string();
    let text = m.split("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n").nth(1);
    let b64: String = text
        .unwrap_or("")
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .split("--")
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let body = base64::engine::general_purpose::STANDARD.decode(b64).map(|b| String::from_utf8_lossy(&b).into_owned());
    format!("{subject}\n{}", body.unwrap_or_default())
}

/// Run the `mailferry` binary with `args` on the state directory `state` (destination master password in the
/// environment, as an operator would have it): exit code, stdout, stderr.
pub fn mailferry_in(state: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(crate::mailferry_bin())
        .args(args)
        .arg("--state")
        .arg(state)
        .env("MAILFERRY_DEST_MASTER_PASSWORD", "masterpass")
        .output()
        .expect("run mailferry");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// A migration CSV at `dir/batch.csv` moving `user1@example.test` (password `pass`) from 127.0.0.1:`port`.
pub fn user1_csv(dir: &Path, port: u16) -> std::path::PathBuf {
    let path = dir.join("batch.csv");
    let user = "user1@example.test";
    let csv = format!(
        "destination,source_host,source_port,security,source_user,auth,password\n\
         {user},127.0.0.1,{port},plain,{user},password,pass\n"
    );
    std::fs::write(&path, csv).expect("write the CSV");
    path
}

/// `mailferry migrate CSV` into the Dovecot on `dst_port` (master user admin) with `more` arguments, started and
/// left running (its output piped), for a test that watches it work.
pub fn spawn_migrate(state: &Path, csv: &Path, dst_port: u16, more: &[&str]) -> std::process::Child {
    let dest = format!("imap://admin@127.0.0.1:{dst_port}");
    std::process::Command::new(crate::mailferry_bin())
        .args(["migrate", csv.to_str().expect("a UTF-8 path"), "--dest", &dest, "--domain", "example.test"])
        .arg("--allow-private-sources")
        .args(more)
        .arg("--state")
        .arg(state)
        .env("MAILFERRY_DEST_MASTER_PASSWORD", "masterpass")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start mailferry migrate")
}
