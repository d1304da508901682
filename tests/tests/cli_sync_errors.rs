//! Every mistake explained: `mailferry sync` names the side, server and user of a failure and says what to try
//! (exit 2, nothing copied), instead of `mailferry sync: : login refused…` for either side.

use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::mailferry_bin;
use std::process::Command;

fn sync(source: &str, dest: &str, source_pw: &str, dest_pw: &str) -> (i32, String) {
    run(source, dest, source_pw, dest_pw, "10")
}

fn sync_timeout(source: &str, dest: &str, timeout: &str) -> (i32, String) {
    run(source, dest, "pass", "pass", timeout)
}

fn run(source: &str, dest: &str, source_pw: &str, dest_pw: &str, timeout: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(mailferry_bin())
        .args(["sync", "--source", source, "--dest", dest, "--no-progress", "--timeout", timeout, "--state"])
        .arg(dir.path().join("s.sqlite"))
        .env("MAILFERRY_SOURCE_PASSWORD", source_pw)
        .env("MAILFERRY_DEST_PASSWORD", dest_pw)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn each_side_says_what_went_wrong_and_what_to_try() {
    let (src, dst) = (Dovecot::start_with(Options { tls: true, ..Default::default() }), Dovecot::start());
    let plain = |d: &Dovecot| format!("imap://user1%40example.test@127.0.0.1:{}", d.port);

    let (code, err) = sync(&plain(&src), &plain(&dst), "wrong", "pass");
    assert_eq!(code, 2, "{err}");
    let server = format!("source server 127.0.0.1:{}, user user1@example.test: login refused", src.port);
    assert!(err.contains(&server) && err.contains("check the user name and the password"), "{err}");

    let (code, err) = sync(&plain(&src), &plain(&dst), "pass", "wrong");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("destination server 127.0.0.1:{}, user user1@example.test", dst.port)), "{err}");

    // imaps:// to a port that speaks plain IMAP.
    let tls_to_plain = format!("imaps://user1%40example.test@127.0.0.1:{}", src.port);
    let (code, err) = sync(&tls_to_plain, &plain(&dst), "pass", "pass");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("this port does not speak TLS: use imap://…?starttls"), "{err}");

    // Plain imap:// to the TLS port: no greeting comes; said within --timeout, with what to use.
    let plain_to_tls = format!("imap://user1%40example.test@127.0.0.1:{}", src.tls_port.unwrap());
    let (code, err) = sync_timeout(&plain_to_tls, &plain(&dst), "3");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("read the greeting: no answer within 3 s"), "{err}");
    assert!(err.contains("if this is a TLS port, usually 993, use imaps://"), "{err}");

    // A host name that does not resolve is named, with what to check.
    let nowhere = "imap://user1%40example.test@no-such-host.invalid:143";
    let (code, err) = sync(nowhere, &plain(&dst), "pass", "pass");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("source server no-such-host.invalid:143, user user1@example.test: resolve the server name"));
    assert!(err.contains("(check the host name)"), "{err}");

    // TLS to a server whose CA was not given.
    let tls = format!("imaps://user1%40example.test@localhost:{}", src.tls_port.unwrap());
    let (code, err) = sync(&tls, &plain(&dst), "pass", "pass");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("give the server's CA with --ca-file"), "{err}");
}
