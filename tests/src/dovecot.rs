//! A real Dovecot IMAP server for one test: its own directory (config, users, maildirs, TLS files), its own free
//! loopback ports, started in the foreground as a child of the test and stopped when dropped. Configuration is
//! written by `infra/dovecot.sh config`, the same script operators use, so tests and scripts agree.

use crate::process::{spawn_tied, stop};
use crate::{free_port, wait_for_port, workspace_root};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How to configure a test server.
#[derive(Clone, Debug)]
pub struct Options {
    /// Also listen for implicit TLS (imaps) with a certificate signed by a throw-away CA.
    pub tls: bool,
    /// Hierarchy separator: `/` (default) or `.`.
    pub separator: char,
    /// Namespace prefix, e.g. `INBOX.` for servers whose folders all live under INBOX.
    pub prefix: String,
    /// Number of users `user1@example.test` … (password `pass`).
    pub users: u32,
    /// Refuse messages larger than this (e.g. `"1M"`), through the quota plugin.
    pub max_mail_size: Option<String>,
    /// Give every user this storage quota (e.g. `"100K"`), reported over IMAP QUOTA.
    pub quota_storage: Option<String>,
    /// Read users from elsewhere: `sql:host=… port=… dbname=mail user=mailferry` (PostfixAdmin tables, quota
    /// from `mailbox.quota`) or `passwd-file:PATH` (with `userdb_quota_rule`); the master user stays.
    pub users_from: Option<String>,
    /// Replace the capabilities announced after login (e.g. to hide LITERAL+).
    pub capability: Option<String>,
    /// Concurrent sessions allowed per user and IP (`mail_max_userip_connections`; Dovecot's default is 10).
    pub max_user_connections: Option<u32>,
    /// Also accept OAuth 2.0 bearer tokens (XOAUTH2, OAUTHBEARER): JWTs from `issuer`, checked against the PEM
    /// public keys under `keys` (`<azp|default>/RS256/<kid|default>`), whose `email` claim names the user.
    pub oauth2: Option<OAuth2Keys>,
}

/// Where a test server finds the keys of the tokens it accepts (see [`Options::oauth2`]).
#[derive(Clone, Debug)]
pub struct OAuth2Keys {
    pub keys: std::path::PathBuf,
    pub issuer: String,
    /// Accept a token whose `email` claim is anyone in the user's domain (one app-only token for every
    /// mailbox, as Microsoft 365 grants), not only the user.
    pub domain_match: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tls: false,
            separator: '/',
            prefix: String::new(),
            users: 3,
            max_mail_size: None,
            quota_storage: None,
            users_from: None,
            capability: None,
            max_user_connections: None,
            oauth2: None,
        }
    }
}

/// A running Dovecot. Users: `user<N>@example.test` / `pass`; master user `admin` / `masterpass`.
pub struct Dovecot {
    _dir: tempfile::TempDir,
    root: PathBuf,
    child: Child,
    /// Plain IMAP port (STARTTLS offered when TLS is on).
    pub port: u16,
    /// Implicit-TLS port, when TLS is on.
    pub tls_port: Option<u16>,
}

impl Dovecot {
    /// Start a server with default options.
    pub fn start() -> Dovecot {
        Self::start_with(Options::default())
    }

    /// Start a server; panics with Dovecot's log when it cannot start.
    pub fn start_with(options: Options) -> Dovecot {
        let mut last_log = String::new();
        for _ in 0..3 {
            let dir = tempfile::Builder::new().prefix("mf-dovecot-").tempdir().expect("temp dir");
            // Dovecot drops privileges to "nobody" for mail when run as root; it must be able to enter the dir.
            let _ = std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755));
            let root = dir.path().to_path_buf();
            let port = free_port();
            let tls_port = options.tls.then(free_port);
            let mut cfg = Command::new(workspace_root().join("infra/dovecot.sh"));
            cfg.arg("config").arg(&root).args(["--port", &port.to_string()]);
            cfg.args(["--separator", &options.separator.to_string(), "--users", &options.users.to_string()]);
            if !options.prefix.is_empty() {
                cfg.args(["--prefix", &options.prefix]);
            }
            if let Some(c) = &options.capability {
                cfg.args(["--capability", c]);
            }
            if let Some(n) = options.max_user_connections {
                cfg.args(["--max-user-connections", &n.to_string()]);
            }
            if let Some(o) = &options.oauth2 {
                cfg.arg("--oauth2-keys").arg(&o.keys).args(["--oauth2-issuer", &o.issuer]);
                if o.domain_match {
                    cfg.arg("--oauth2-domain-match");
                }
            }
            if let Some(u) = &options.users_from {
                cfg.args(["--users-from", u]);
            }
            if let Some(q) = &options.quota_storage {
                cfg.args(["--quota-storage", q]);
            }
            if let Some(m) = &options.max_mail_size {
                cfg.args(["--max-mail-size", m]);
            }
            if let Some(p) = tls_port {
                cfg.args(["--tls-port", &p.to_string()]);
            }
            let out = cfg.output().expect("run infra/dovecot.sh");
            assert!(out.status.success(), "dovecot.sh config failed: {}", String::from_utf8_lossy(&out.stderr));
            let mut cmd = Command::new("dovecot");
            cmd.arg("-F")
                .arg("-c")
                .arg(root.join("dovecot.conf"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let mut child = spawn_tied(cmd).expect("start dovecot (is it installed? run infra/install.sh)");
            let up = wait_for_port(port, Duration::from_secs(10))
                && tls_port.is_none_or(|p| wait_for_port(p, Duration::from_secs(5)));
            if up && matches!(child.try_wait(), Ok(None)) {
                return Dovecot { _dir: dir, root, child, port, tls_port };
            }
            last_log = std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default();
            stop(&mut child);
        }
        panic!("dovecot did not start after 3 attempts; last log:\n{last_log}");
    }

    /// The server's directory (config, `mail/`, `tls/`, `dovecot.log`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The CA certificate (PEM) that signed the server's certificate, when TLS is on.
    pub fn ca_pem(&self) -> PathBuf {
        self.root.join("tls/ca.pem")
    }

    /// Run `doveadm` against this server (e.g. to change a folder's UIDVALIDITY).
    pub fn doveadm(&self, args: &[&str]) -> String {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.root.join("dovecot.conf"))
            .args(args)
            .output()
            .expect("run doveadm");
        assert!(out.status.success(), "doveadm {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The server's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}
