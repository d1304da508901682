//! Server URLs on the command line: `imaps://USER@HOST[:PORT]` (TLS), `imap://USER@HOST[:PORT]?starttls`, or
//! `imap://…` (plain, only when asked for). An `@` inside the user name is written `%40`. Passwords never go in
//! the URL: they come from an environment variable or a file.

use crate::model::Security;

/// A parsed server URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerUrl {
    pub security: Security,
    pub user: String,
    pub host: crate::model::Host,
    pub port: u16,
}

impl ServerUrl {
    /// Where to connect for this URL: a server the operator named (the destination, `mailferry sync`'s two), so
    /// on any network; `ca_file`: an extra CA to trust; `timeout`: every network wait.
    pub fn endpoint(&self, ca_file: Option<std::path::PathBuf>, timeout: std::time::Duration) -> super::Endpoint {
        super::Endpoint {
            host: self.host.clone(),
            port: self.port,
            security: self.security,
            ca_file,
            timeout,
            networks: super::Networks::Any,
        }
    }
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or_else(|| format!("bad %-escape in {s:?}"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad %-escape in {s:?}"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("the user name in {s:?} is not UTF-8"))
}

/// Parse `imaps://user%40domain@host:993`.
pub fn parse(input: &str) -> Result<ServerUrl, String> {
    let (scheme, rest) =
        input.split_once("://").ok_or_else(|| format!("{input:?} is not a URL like imaps://user@host"))?;
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let rest = rest.trim_end_matches('/');
    let security = match (scheme.to_ascii_lowercase().as_str(), query) {
        ("imaps", "") => Security::Tls,
        ("imap", "starttls") => Security::Starttls,
        ("imap", "") => Security::Plain,
        (_, q) if !q.is_empty() && q != "starttls" => {
            return Err(format!("unknown option ?{q} in {input:?} (only ?starttls)"));
        }
        _ => return Err(format!("unknown scheme {scheme:?} in {input:?}: use imaps://, or imap:// with ?starttls")),
    };
    if rest.contains(':') && rest.rsplit_once('@').is_some_and(|(u, _)| u.contains(':')) {
        return Err("do not put a password in the URL: use the environment variable or a password file".into());
    }
    let (user, hostport) =
        rest.rsplit_once('@').ok_or_else(|| format!("{input:?} has no user: write imaps://USER@HOST"))?;
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => {
            let port = p.parse::<u16>().ok().filter(|n| *n > 0 && p.bytes().all(|b| b.is_ascii_digit()));
            (h, port.ok_or_else(|| format!("{p:?} is not a port: use a number from 1 to 65535"))?)
        }
        None => (hostport, security.default_port()),
    };
    if host.is_empty() || user.is_empty() {
        return Err(format!("{input:?} needs both a user and a host"));
    }
    let host = crate::model::Host::parse(host).map_err(|why| format!("{host:?} is not a server name: it {why}"))?;
    Ok(ServerUrl { security, user: percent_decode(user)?, host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse("imaps://ann%40example.com@mail.example.com").unwrap();
        assert_eq!(
            (u.security, u.user.as_str(), u.host.as_str(), u.port),
            (Security::Tls, "ann@example.com", "mail.example.com", 993)
        );
        let u = parse("imap://bob@127.0.0.1:1143?starttls").unwrap();
        assert_eq!((u.security, u.port), (Security::Starttls, 1143));
        assert_eq!(parse("imap://bob@h:143").unwrap().security, Security::Plain);
        assert!(parse("imaps://bob:secret@h").unwrap_err().contains("password"));
        assert!(parse("pop3://bob@h").is_err());
        assert!(parse("imaps://h").is_err());
        // Found by the fuzz target: port 0, signs, and hosts that are not host names.
        assert!(parse("imap://uima@h:0/").unwrap_err().contains("not a port"));
        assert!(parse("imap://u@h:+143").unwrap_err().contains("not a port"));
        assert!(parse("imap://u@h h:143").unwrap_err().contains("not a server name"));
    }
}
