//! A real DNS server for the cutover assistant's tests: Debian's dnsmasq (installed by `infra/install.sh`) on a
//! loopback port of its own, answering for the test's domains only (`--local`: NXDOMAIN for any other name there,
//! no upstream, no hosts file) with the MX records and TTL the test sets. `set` restarts it with new records on
//! the same port, as an operator's DNS change would take effect.

use crate::process::{spawn_tied, stop};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};

/// One domain's MX records: `(domain, [(host, preference)])`.
pub type Zone<'a> = &'a [(&'a str, &'a [(&'a str, u16)])];

pub struct DnsServer {
    pub addr: SocketAddr,
    ttl: u32,
    child: Option<Child>,
}

fn binary() -> &'static str {
    if std::path::Path::new("/usr/sbin/dnsmasq").exists() { "/usr/sbin/dnsmasq" } else { "dnsmasq" }
}

impl DnsServer {
    /// Serve `zone` on a free loopback port, every record with `ttl` seconds. dnsmasq listens on UDP and TCP:
    /// the port is one free for both, and another is tried if a parallel test took it meanwhile.
    pub fn start(zone: Zone<'_>, ttl: u32) -> DnsServer {
        for _ in 0..5 {
            let mut server = DnsServer { addr: SocketAddr::from(([127, 0, 0, 1], free_port())), ttl, child: None };
            server.spawn(zone);
            if server.wait_ready() {
                return server;
            }
        }
        panic!("dnsmasq did not start on any of five free ports");
    }

    /// Replace the records (a restart on the same port), and wait until the new ones are served.
    pub fn set(&mut self, zone: Zone<'_>) {
        self.spawn(zone);
        assert!(self.wait_ready(), "dnsmasq did not answer on {}", self.addr);
    }

    fn spawn(&mut self, zone: Zone<'_>) {
        if let Some(mut old) = self.child.take() {
            stop(&mut old);
        }
        let mut cmd = Command::new(binary());
        cmd.args(["--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces"])
            .args(["--listen-address=127.0.0.1", "--pid-file=", "--log-facility=-"])
            .arg(format!("--port={}", self.addr.port()))
            .arg(format!("--local-ttl={}", self.ttl))
            .arg(format!("--user={}", whoami()))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (domain, hosts) in zone {
            // The name exists (a TXT record) whether or not it has MX records.
            cmd.arg(format!("--local=/{domain}/")).arg(format!("--txt-record={domain},mailferry test zone"));
            for (host, preference) in *hosts {
                cmd.arg(format!("--mx-host={domain},{host},{preference}"));
            }
        }
        self.child = Some(spawn_tied(cmd).expect("start dnsmasq (infra/install.sh installs dnsmasq-base)"));
    }

    /// Whether a query over UDP gets an answer (any answer: the server is up) within about 10 s; `false` at once
    /// when dnsmasq exited (its port was taken).
    fn wait_ready(&mut self) -> bool {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("udp socket");
        socket.set_read_timeout(Some(std::time::Duration::from_millis(100))).expect("timeout");
        // A query for `. NS`: header (id 1, RD), one question of the root name, type NS, class IN.
        let query = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1];
        for _ in 0..100 {
            let mut buf = [0u8; 512];
            if socket.send_to(&query, self.addr).is_ok() && socket.recv_from(&mut buf).is_ok() {
                return true;
            }
            if self.child.as_mut().is_none_or(|c| c.try_wait().ok().flatten().is_some()) {
                self.child = None;
                return false;
            }
        }
        false
    }
}

/// A loopback port free for UDP and TCP alike (both sockets are closed again before dnsmasq binds it).
fn free_port() -> u16 {
    loop {
        let port = UdpSocket::bind("127.0.0.1:0").and_then(|s| s.local_addr()).expect("free port").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn whoami() -> String {
    // SAFETY: getuid cannot fail; getpwuid's result is read before any other call.
    let name = unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() { None } else { Some(std::ffi::CStr::from_ptr((*pw).pw_name).to_string_lossy().into_owned()) }
    };
    name.unwrap_or_else(|| "root".into())
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child);
        }
    }
}
