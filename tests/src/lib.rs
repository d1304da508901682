//! Test support for mailferry's integration tests: real Dovecot servers and a moto server started by the tests
//! themselves (each on free loopback ports, in its own directory), and the port contract suite that both homes
//! must pass.

pub mod api_gateway;
pub mod aws_stack;
pub mod contract;
pub mod corpus;
pub mod delay_proxy;
pub mod dns_server;
pub mod dovecot;
pub mod engine;
pub mod fake_imap;
pub mod fault_proxy;
pub mod gmail_server;
pub mod logs;
pub mod moto;
pub mod oauth_rig;
pub mod panel_requests;
pub mod panel_rig;
pub mod pipeline;
pub mod postgres;
pub mod process;
pub mod reset_proxy;
pub mod smtp_server;
pub mod template;
pub mod token_endpoint;
pub mod verify;

use std::path::PathBuf;

/// The workspace root (where `infra/` lives).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The `mailferry` binary of this build (target/<profile>/mailferry, beside the running test's `deps` directory).
pub fn mailferry_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let bin = exe.parent().and_then(|deps| deps.parent()).expect("target directory").join("mailferry");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p mailferry-cli` (the workspace test run does)",
        bin.display()
    );
    bin
}

/// A free TCP port on 127.0.0.1 (bound and released; a server started right after gets it in practice, and
/// fixtures retry with another port when it was taken in between).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// Wait until something accepts connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, timeout: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    false
}

/// Listen on a free port of 127.0.0.1 and hand every accepted connection to `on_client` (which spawns what it
/// needs), on a thread and runtime of its own, so a test may block while it works. Returns the port. (The
/// proxies in front of test servers.)
pub fn serve_loopback<F>(name: &str, mut on_client: F) -> u16
where
    F: FnMut(tokio::net::TcpStream) + Send + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("local address").port();
    std::thread::Builder::new()
        .name(format!("{name}-{port}"))
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
                while let Ok((client, _)) = listener.accept().await {
                    on_client(client);
                }
            });
        })
        .expect("a thread");
    port
}
