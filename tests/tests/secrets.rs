//! No secret ever appears in a log line, an error message or Debug output: every path that touches a password
//! or token runs here with tracing captured at TRACE level, and everything printed is searched for them.

use mailferry::csv::{Options, Plan, validate};
use mailferry::embedded::{Database, KeyFileSecretBox, SqliteQueue, SqliteStore};
use mailferry::model::{Credentials, JobId, MailboxRecord, Secret};
use mailferry::ports::{JobStore, Sealed, SecretBox, SystemClock, TaskQueue};
use std::sync::Arc;
use std::time::Duration;

const PASSWORD: &str = "Pw-Hunter2-Unique";
const MASTER: &str = "Master-Xy9-Unique";
const TOKEN: &str = "ya29.Token-Unique";

fn assert_clean(what: &str, text: &str) {
    for s in [PASSWORD, MASTER, TOKEN] {
        assert!(!text.contains(s), "{what} contains a secret: {text}");
    }
}

#[tokio::test]
async fn no_secret_in_logs_errors_or_debug() {
    let logs = mailferry_tests::logs::capture();
    let mut printed = Vec::new();

    // Read from CSV, including rows with errors next to the secrets.
    let csv = format!(
        "destination,source_host,source_port,auth,password,master_user,master_password,provider,oauth_token\n\
         ann@example.com,mail.old.test,993,password,{PASSWORD},,,imap,\n\
         bob@example.com,mail.old.test,993,master,,admin,{MASTER},imap,\n\
         carla@example.com,,993,oauth2,,,,gmail,{TOKEN}\n"
    );
    let valid = validate(csv.as_bytes(), &Options::default()).unwrap();
    printed.push(format!("{valid:?}"));
    let Some(Plan::Migration(entries)) = &valid.plan else { panic!("{:?}", valid.problems) };
    let broken = csv.replace("993,password", "99999,password").replace("993,master", "993,bogus");
    let invalid = validate(broken.as_bytes(), &Options::default()).unwrap();
    printed.push(format!("{invalid:?}"));
    printed.extend(invalid.problems.iter().map(ToString::to_string));
    printed.push(serde_json::to_string(&invalid.problems).unwrap());

    // Sealed into the store; opened with the wrong context; purged.
    let dir = tempfile::tempdir().unwrap();
    let sb = KeyFileSecretBox::open_or_create(&dir.path().join("key")).unwrap();
    let db = Database::open(&dir.path().join("state.sqlite")).unwrap();
    let store = SqliteStore::new(db.clone());
    let job = JobId::generate();
    let mut records = Vec::new();
    for e in entries {
        printed.push(format!("{:?}", e.account));
        printed.push(format!("{:?}", e.account.credentials));
        let secret = match &e.account.credentials {
            Credentials::Password { password } => password.clone(),
            Credentials::Master { master_password, .. } => master_password.clone(),
            Credentials::Oauth2 { token, .. } => token.clone(),
            Credentials::Google { service_account } => service_account.clone(),
            Credentials::Microsoft { app } => app.clone(),
            Credentials::Refresh { grant } => grant.get(),
        };
        let sealed = sb.seal(&secret, job.as_str()).await.unwrap();
        printed.push(format!("{sealed:?}"));
        let err = sb.open(&sealed, "another-job").await.unwrap_err();
        printed.push(err.to_string());
        printed.push(format!("{err:?}"));
        assert_eq!(sb.open(&sealed, job.as_str()).await.unwrap(), secret);
        records.push(MailboxRecord {
            job: job.clone(),
            address: e.account.destination.clone(),
            source: format!("{}:{}", e.account.host, e.account.port),
            source_user: e.account.user.clone(),
            line: e.line,
            sealed_credentials: Some(sealed.clone()),
            details: Default::default(),
        });
    }
    store.put_mailboxes(&records).await.unwrap();
    printed.push(format!("{:?}", store.mailboxes(&job).await.unwrap()));
    let raw = std::fs::read(dir.path().join("state.sqlite")).unwrap();
    let wal = std::fs::read(dir.path().join("state.sqlite-wal")).unwrap_or_default();
    printed.push(String::from_utf8_lossy(&raw).into_owned());
    printed.push(String::from_utf8_lossy(&wal).into_owned());
    assert_eq!(store.purge_credentials(&job).await.unwrap(), 3);
    let tampered = sb.open(&Sealed("mf1.AA.BB.CC".into()), job.as_str()).await.unwrap_err();
    printed.push(format!("{tampered:?}"));

    // A task body that (wrongly) carried a secret would be logged when dead-lettered: the queue logs ids only.
    let q = SqliteQueue::new(db, "tasks", 1, Arc::new(SystemClock));
    q.send(&[format!("{{\"secret\":\"{PASSWORD}\"}}")], Duration::ZERO).await.unwrap();
    let _ = q.receive(1, Duration::ZERO, Duration::ZERO).await.unwrap();
    let _ = q.receive(1, Duration::ZERO, Duration::ZERO).await.unwrap();

    printed.push(format!("{:?}", Secret::new(PASSWORD.to_string())));
    for (i, p) in printed.iter().enumerate() {
        assert_clean(&format!("printed item {i}"), p);
    }
    let logs = logs.text();
    assert!(logs.contains("dead-letter"), "the capture must really see the ports' logs: {logs}");
    assert_clean("the log", &logs);
}
