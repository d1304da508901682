//! A real OAuth 2.0 token endpoint per test: npm oauth2-mock-server through `infra/oauth/server.mjs` (installed
//! by `infra/install.sh`), on 127.0.0.1 with a port of its own; every token request's form is recorded in a file
//! so a test can check what mailferry sent. Stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::Child;

/// How the endpoint behaves.
#[derive(Clone, Debug, Default)]
pub struct EndpointOptions {
    /// Sign the tokens with this RSA key (PKCS#8 PEM file; kid "default"), so a server can trust them.
    pub key: Option<PathBuf>,
    /// Lifetime of the tokens (default 3600 s).
    pub expires_in: Option<u64>,
    /// Answer every token request with this OAuth error (`invalid_grant`, `unauthorized_client:401`, …).
    pub fail: Option<String>,
    /// Serve the token endpoint at this path (default `/token`).
    pub token_path: Option<String>,
    /// The tokens' `email` claim (default: their subject, when it is an address).
    pub email: Option<String>,
}

/// A running token endpoint.
pub struct TokenEndpoint {
    pub port: u16,
    /// Its issuer (`iss` of its tokens): `http://127.0.0.1:PORT`.
    pub issuer: String,
    log: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TokenEndpoint {
    pub fn start(options: EndpointOptions) -> TokenEndpoint {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("requests.jsonl");
        let mut args: Vec<std::ffi::OsString> = vec!["--log".into(), log.clone().into()];
        let mut arg = |name: &str, value: std::ffi::OsString| args.extend([name.into(), value]);
        if let Some(k) = &options.key {
            arg("--key", k.into());
        }
        if let Some(s) = options.expires_in {
            arg("--expires-in", s.to_string().into());
        }
        if let Some(f) = &options.fail {
            arg("--fail", f.into());
        }
        if let Some(p) = &options.token_path {
            arg("--token-path", p.into());
        }
        if let Some(e) = &options.email {
            arg("--email", e.into());
        }
        let (child, said) = crate::process::node_server("oauth/server.mjs", args);
        let port = said["port"].as_u64().expect("port") as u16;
        TokenEndpoint { port, issuer: said["issuer"].as_str().expect("issuer").into(), log, child, _dir: dir }
    }

    /// The URL of the token endpoint at `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The forms of the token requests received so far.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    /// Where the recorded requests are (for a test that wants the raw lines).
    pub fn log(&self) -> &Path {
        &self.log
    }
}

impl Drop for TokenEndpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
