//! A real SMTP submission server for the notification tests: aiosmtpd (PyPI, installed into `infra/.venv` by
//! `infra/install.sh`) run by `infra/smtp/server.py` on a loopback port, STARTTLS required (a certificate from a
//! throw-away CA, `infra/tls.sh`), AUTH required, one account. What it accepted is read back message by message.

use crate::process::{spawn_tied, stop};
use crate::workspace_root;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct SmtpServer {
    pub port: u16,
    /// The CA that signed the server's certificate (for `--ca-file`).
    pub ca: PathBuf,
    dir: tempfile::TempDir,
    child: Child,
}

/// One accepted message: its envelope (`from`, `to`, the signed-in `user`, whether it came over `tls`) and the
/// message as received.
pub struct Received {
    pub envelope: serde_json::Value,
    pub message: String,
}

impl SmtpServer {
    /// Start a server accepting `user` / `password`.
    pub fn start(user: &str, password: &str) -> SmtpServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let tls = Command::new(workspace_root().join("infra/tls.sh")).arg(dir.path()).output().expect("infra/tls.sh");
        assert!(tls.status.success(), "tls.sh: {}", String::from_utf8_lossy(&tls.stderr));
        let out = dir.path().join("received");
        std::fs::create_dir_all(&out).expect("received dir");
        let mut cmd = Command::new(workspace_root().join("infra/.venv/bin/python"));
        cmd.arg(workspace_root().join("infra/smtp/server.py"))
            .arg("--cert")
            .arg(dir.path().join("tls/cert.pem"))
            .arg("--key")
            .arg(dir.path().join("tls/key.pem"))
            .args(["--user", user, "--password", password, "--dir"])
            .arg(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = spawn_tied(cmd).expect("start the SMTP server (infra/install.sh installs aiosmtpd)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("its port");
        let said: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let port = said["port"].as_u64().expect("a port") as u16;
        SmtpServer { port, ca: dir.path().join("tls/ca.pem"), dir, child }
    }

    /// Every message accepted so far, in order.
    pub fn received(&self) -> Vec<Received> {
        let dir = self.dir.path().join("received");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| Some(e.ok()?.path())).filter(|p| has_ext(p, "eml")).collect())
            .unwrap_or_default();
        names.sort();
        names
            .into_iter()
            .map(|eml| Received {
                envelope: serde_json::from_str(
                    &std::fs::read_to_string(eml.with_extension("json")).unwrap_or_default(),
                )
                .unwrap_or_default(),
                message: std::fs::read_to_string(&eml).unwrap_or_default(),
            })
            .collect()
    }
}

fn has_ext(p: &Path, ext: &str) -> bool {
    p.extension().is_some_and(|e| e == ext)
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}
