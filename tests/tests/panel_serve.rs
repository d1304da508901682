//! `mailferry serve` on one machine: an operator added with `mailferry panel add-user` signs in over real HTTP
//! and sees the job `migrate` ran, with each mailbox's progress, served by the same binary that runs the work.

use mailferry_tests::corpus;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::panel_rig::spawn_serve;
use mailferry_tests::pipeline::{spawn_migrate, user1_csv};
use std::io::{Read, Write};

/// One HTTP/1.1 request over a fresh connection: the status line, headers and body as text.
fn http(port: u16, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn get(port: u16, path: &str, cookie: &str) -> String {
    http(port, &format!("GET {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_and_sees_the_jobs_progress() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    corpus::add_to_inbox(src.port, "user1@example.test", 51, 0..9).await;
    let dir = tempfile::tempdir().unwrap();
    let (csv, state) = (user1_csv(dir.path(), src.port), dir.path().join("state"));
    let out = spawn_migrate(&state, &csv, dst.port, &[]).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let job = std::fs::read_to_string(state.join("last-job")).unwrap();

    let add = std::process::Command::new(mailferry_tests::mailferry_bin())
        .args(["panel", "add-user", "Ops@Example.test", "--tenant", "local", "--state"])
        .arg(&state)
        .env("MAILFERRY_PANEL_PASSWORD", "a long panel password")
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    assert!(
        String::from_utf8_lossy(&add.stdout).contains("operator ops@example.test may sign in to the panel for local")
    );

    let (mut serve, url) = spawn_serve(&state, &["--header-timeout", "2"]);
    let port: u16 = url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port");

    assert!(http(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").contains("location: /sign-in"));
    let form = "email=ops%40example.test&password=a+long+panel+password";
    let signed = http(
        port,
        &format!(
            "POST /sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{form}",
            form.len()
        ),
    );
    assert!(signed.starts_with("HTTP/1.1 303"), "{signed}");
    let cookie =
        signed.lines().find_map(|l| l.strip_prefix("set-cookie: ")).unwrap().split(';').next().unwrap().to_string();
    let home = get(port, "/", &cookie);
    assert!(home.starts_with("HTTP/1.1 200") && home.contains(&job) && home.contains("initial_done"), "{home}");
    let page = get(port, &format!("/jobs/{job}"), &cookie);
    assert!(page.contains("user1@example.test") && page.contains("aria-valuenow=\"100\""), "{page}");
    assert!(page.contains("aria-valuetext=\"9 of 9 messages\""), "{page}");
    // The live view: a Server-Sent Events stream of the job's progress, for a signed-in operator only.
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    write!(stream, "GET /jobs/{job}/events HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("}\n\n") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    let got = String::from_utf8_lossy(&got);
    assert!(got.contains("content-type: text/event-stream") && got.contains("data: {"), "{got}");
    assert!(got.contains("\"address\":\"user1@example.test\""), "{got}");
    let anonymous = http(port, &format!("GET /jobs/{job}/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    assert!(anonymous.starts_with("HTTP/1.1 303"), "no session, no stream: {anonymous}");
    // A client that never finishes its header loses the connection (the guard: a minute without an answer).
    let mut idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let mut answer = Vec::new();
    let read = idle.read_to_end(&mut answer);
    assert!(read.is_ok(), "the connection stayed open: {read:?}");
    assert!(!String::from_utf8_lossy(&answer).contains("200 OK"), "{}", String::from_utf8_lossy(&answer));
    assert!(http(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").contains("location: /sign-in"));
    let _ = serve.kill();
    let _ = serve.wait();
}
