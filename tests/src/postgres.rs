//! A throw-away PostgreSQL cluster per test: `initdb` into a temporary directory, the server on a free loopback
//! port (as the `postgres` user when the tests run as root, which PostgreSQL refuses), killed with the test.
//! Database `mail` holds the PostfixAdmin-shaped directory tables (`infra/sql/postfixadmin.sql`).

use crate::process::spawn_tied;
use crate::{free_port, wait_for_port, workspace_root};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running cluster. User `mailferry` (trust authentication on loopback), database `mail`.
pub struct Postgres {
    _dir: tempfile::TempDir,
    child: Child,
    pub port: u16,
}

fn bin(name: &str) -> PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql").map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>());
    let mut versions = versions.unwrap_or_default();
    versions.sort();
    versions.last().map(|v| v.join("bin").join(name)).unwrap_or_else(|| PathBuf::from(name))
}

/// Run as the `postgres` system user when we are root.
fn as_owner(program: &Path) -> Command {
    if unsafe { libc::geteuid() } == 0 {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl Postgres {
    /// Start a cluster with the directory schema loaded; panics with the server log when it cannot.
    pub fn start() -> Postgres {
        Self::start_with(false)
    }

    /// The throw-away CA that signed the server's certificate (with `tls`).
    pub fn ca_pem(&self) -> PathBuf {
        self._dir.path().join("tls/ca.pem")
    }

    /// Start a cluster; with `tls`, it accepts TLS with a certificate for localhost/127.0.0.1 signed by a
    /// throw-away CA ([`Postgres::ca_pem`]).
    pub fn start_with(tls: bool) -> Postgres {
        let dir = tempfile::Builder::new().prefix("mf-postgres-").tempdir().expect("temp dir");
        let data = dir.path().join("data");
        if unsafe { libc::geteuid() } == 0 {
            let _ = std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777));
        }
        let out = as_owner(&bin("initdb"))
            .args(["-D"])
            .arg(&data)
            .args(["-U", "mailferry", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .expect("run initdb (is postgresql installed? run infra/install.sh)");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        // A free port can be taken by another test before postgres binds it: then postgres exits, and the
        // cluster is started again on another port.
        for attempt in 1..=5 {
            let (child, port) = Self::launch(dir.path(), &data, tls);
            let mut child = child;
            let listening = wait_for_port(port, Duration::from_secs(20));
            std::thread::sleep(Duration::from_millis(100));
            if listening && child.try_wait().ok().flatten().is_none() {
                return Self::ready(dir, child, port);
            }
            let _ = child.kill();
            let _ = child.wait();
            assert!(attempt < 5, "postgres did not start on a free port in 5 attempts");
        }
        unreachable!()
    }

    fn launch(root: &std::path::Path, data: &std::path::Path, tls: bool) -> (std::process::Child, u16) {
        let port = free_port();
        let mut cmd = as_owner(&bin("postgres"));
        cmd.arg("-D").arg(data).args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]);
        if tls {
            let out = Command::new(workspace_root().join("infra/tls.sh")).arg(root).output().expect("infra/tls.sh");
            assert!(out.status.success(), "tls.sh: {}", String::from_utf8_lossy(&out.stderr));
            let tls_dir = root.join("tls");
            if unsafe { libc::geteuid() } == 0 {
                let _ = Command::new("chown").args(["-R", "postgres"]).arg(&tls_dir).status();
            }
            cmd.args(["-c", "ssl=on"]);
            cmd.arg("-c").arg(format!("ssl_cert_file={}", tls_dir.join("cert.pem").display()));
            cmd.arg("-c").arg(format!("ssl_key_file={}", tls_dir.join("key.pem").display()));
        }
        cmd.arg("-k").arg(root).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        (spawn_tied(cmd).expect("start postgres"), port)
    }

    fn ready(dir: tempfile::TempDir, child: std::process::Child, port: u16) -> Postgres {
        let pg = Postgres { _dir: dir, child, port };
        pg.psql("postgres", "CREATE DATABASE mail");
        let schema = std::fs::read_to_string(workspace_root().join("infra/sql/postfixadmin.sql")).unwrap();
        pg.psql("mail", &schema);
        pg
    }

    /// Run SQL with psql; returns its output (unaligned, tuples only); panics on an error.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "mailferry", "-d", db])
            .args(["-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
            .output()
            .expect("run psql");
        assert!(out.status.success(), "psql failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `postgres://mailferry@127.0.0.1:PORT/mail`
    pub fn url(&self) -> String {
        format!("postgres://mailferry@127.0.0.1:{}/mail", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
