//! The cutover assistant against a real DNS server (dnsmasq on loopback, `dns_server`): MX lookups as the
//! resolver library makes them, and a migrated job whose domain's MX records change during the test: the
//! assistant reports them pointing to the old platform, then (watching with `--final-when-ready`) sees the new
//! ones, waits out the old records' TTL, schedules the final pass, the notifier says so, and the pass runs.

use mailferry::dns::HickoryMx;
use mailferry::model::cutover::{MxAnswer, MxHost};
use mailferry::ports::MxLookup;
use mailferry_tests::corpus;
use mailferry_tests::dns_server::{DnsServer, Zone};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::pipeline::{mailferry_in, outbox, spawn_migrate, user1_csv};
use mailferry_tests::verify;
use serde_json::Value;
use std::time::{Duration, Instant};

const USER: &str = "user1@example.test";

fn host(preference: u16, host: &str) -> MxHost {
    MxHost { preference, host: host.into() }
}

/// What the resolver reads from a real server: every MX with its preference, sorted, the TTL the records were
/// served with; a domain without MX and a missing one are answers, not errors.
#[tokio::test]
async fn mx_lookups_read_hosts_preferences_and_ttl() {
    let zone: Zone = &[("example.org", &[("mx2.old.test", 20), ("mx1.old.test", 10)]), ("nomx.test", &[])];
    let dns = DnsServer::start(zone, 7);
    let mx = HickoryMx::default();
    let answer = mx.mx("Example.ORG", Some(dns.addr)).await.unwrap();
    assert_eq!(answer, MxAnswer::Hosts { hosts: vec![host(10, "mx1.old.test"), host(20, "mx2.old.test")], ttl: 7 });
    assert_eq!(mx.mx("nomx.test", Some(dns.addr)).await.unwrap(), MxAnswer::NoMx);
    assert_eq!(mx.mx("missing.example.org", Some(dns.addr)).await.unwrap(), MxAnswer::NoDomain);
    // Nobody listening: an error that names the domain, after the resolver's own timeout.
    let quiet = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let nobody = HickoryMx { timeout: Duration::from_millis(200) };
    let err = nobody.mx("example.org", Some(quiet.local_addr().unwrap())).await.unwrap_err();
    assert!(err.to_string().contains("example.org") && err.is_retryable(), "{err}");
}

/// `status --json`'s job.
fn job_of(state: &std::path::Path) -> Value {
    let (_, out, _) = mailferry_in(state, &["status", "--json"]);
    serde_json::from_str::<Value>(&out).unwrap_or(Value::Null)["job"].clone()
}

fn wait_for_status(state: &std::path::Path, status: &str) -> Value {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(90) {
        let job = job_of(state);
        if job["status"] == status {
            return job;
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    panic!("the job did not become {status}: {}", job_of(state));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assistant_sees_the_mx_change_and_schedules_the_final_pass() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    corpus::add_to_inbox(src.port, USER, 91, 0..12).await;
    let old: Zone = &[("example.test", &[("mx.old.test", 10)])];
    let mut dns = DnsServer::start(old, 3);
    let dir = tempfile::tempdir().unwrap();
    let (csv, state) = (user1_csv(dir.path(), src.port), dir.path().join("state"));
    let more = ["--new-mx", "mx1.new.test,mx2.new.test", "--notify", "ops@example.test"];
    let migrate = spawn_migrate(&state, &csv, dst.port, &more).wait_with_output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let job = job_of(&state)["id"].as_str().unwrap().to_string();
    let server = dns.addr.to_string();

    // Before the change: old, not yet (exit 1), the old TTL seen.
    let (code, out, err) = mailferry_in(&state, &["cutover", &job, "--dns", &server]);
    println!("{out}");
    assert_eq!(code, 1, "{out}{err}");
    let line = out.lines().find(|l| l.starts_with("example.test")).unwrap_or_default().to_string();
    assert!(line.contains("10 mx.old.test") && line.contains("old") && line.contains("3 s"), "{out}");
    assert!(out.contains("not yet: example.test still points to mx.old.test"), "{out}");

    // The watch runs; mail arrives; then the records change to the new platform (two hosts, one matching
    // pattern each).
    let mut watch = std::process::Command::new(mailferry_tests::mailferry_bin())
        .args(["cutover", &job, "--final-when-ready", "--every", "1s", "--state"])
        .arg(&state)
        .env("MAILFERRY_DEST_MASTER_PASSWORD", "masterpass")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    corpus::add_to_inbox(src.port, USER, 92, 0..4).await;
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(job_of(&state)["status"], "initial_done", "nothing scheduled while the MX points to the old server");
    dns.set(&[("example.test", &[("mx1.new.test", 10), ("mx2.new.test", 20)])]);
    wait_for_status(&state, "complete");
    let status = watch.wait().unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(watch.stdout.as_mut().unwrap(), &mut out).unwrap();
    println!("{out}");
    assert!(status.success(), "{out}");
    assert!(out.contains("watching: the final pass will be scheduled when it is safe"), "{out}");
    assert_eq!(verify::assert_same(src.port, dst.port, USER).await, 16, "the final pass copied the new mail");

    // The old records' TTL was waited out after the new ones were first seen.
    let saved: Value =
        serde_json::from_slice(&std::fs::read(state.join("blobs/cutover").join(format!("{job}.json"))).unwrap())
            .unwrap();
    let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let domain = &saved["domains"]["example.test"];
    let waited = time(&saved["final_scheduled_at"]) - time(&domain["new_since"]);
    assert!(waited >= chrono::Duration::seconds(3), "scheduled {waited} after the change was seen: {saved}");
    assert_eq!(domain["old_ttl"], 3);

    let mails = outbox(&state);
    let notice = mails.iter().find(|m| m.contains("scheduled: the MX records point to the new platform"));
    let notice = notice.unwrap_or_else(|| panic!("no cutover email: {mails:?}"));
    assert!(
        notice.contains("example.test: MX mx1.new.test, mx2.new.test since") && notice.contains("old TTL 3 s"),
        "{notice}"
    );
    assert!(mails.iter().any(|m| m.contains("final pass") && m.contains("Migration complete")), "{mails:?}");

    // Afterwards: safe now.
    let (code, out, _) = mailferry_in(&state, &["cutover", &job]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("safe now: every domain points to the new platform"), "{out}");
}
