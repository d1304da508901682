//! The directory as files, for a single-server platform (and the embedded default): mailboxes in a Dovecot
//! passwd-file (`user:{SCHEME}hash:::display name:::userdb_quota_rule=*:storage=NM`), domains in `PATH.domains`
//! (`domain:max_mailboxes:max_aliases:quota_mb`, empty = no limit) and aliases in `PATH.aliases` (Postfix virtual
//! map lines, `address target,target`). Each file is written whole to a temporary file, synced, and renamed into
//! place, the previous version kept as `*.bak`; unchanged files are not rewritten.
//!
//! The files are security-critical (Dovecot reads `user:password:uid:gid:gecos:home:shell:extra fields`, and an
//! extra field such as `nopassword=y` or `user=` changes who logs in as whom), so every field is checked against
//! its grammar right before it is written, whatever validated it before: a user name or password holding `:`,
//! whitespace or a control character is refused, a display name loses them. Temporary files are created with
//! `O_EXCL|O_NOFOLLOW` under an unpredictable name, with the mode and owner of the file they replace (0600 for a
//! new one), so neither a planted symlink nor a umask can expose or redirect them.

use crate::model::Secret;
use crate::model::directory::{Changes, Existing, ExistingDomain, ExistingMailbox};
use crate::ports::{Directory, PortError};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The three files' lines.
struct Files {
    users: Vec<String>,
    domains: Vec<String>,
    aliases: Vec<String>,
}

/// [`Directory`] in a passwd-file and its two companions.
#[derive(Clone, Debug)]
pub struct PasswdFileDirectory {
    path: PathBuf,
}

fn io(op: &'static str) -> impl Fn(std::io::Error) -> PortError {
    move |e| PortError::backend(op, false, e)
}

fn companion(path: &Path, ext: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(ext);
    PathBuf::from(p)
}

fn read_lines(path: &Path) -> Result<Vec<String>, PortError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t.lines().map(str::to_string).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io("read directory file")(e)),
    }
}

/// Replace `path` with `lines` atomically, keeping the previous version as `path.bak`. A `path` that is not a
/// regular file (a symlink, a directory) is refused.
fn replace(path: &Path, lines: &[String]) -> Result<(), PortError> {
    use std::os::unix::fs::MetadataExt;
    let (mode, owner) = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => (m.mode() & 0o7777, Some((m.uid(), m.gid()))),
        Ok(_) => {
            return Err(PortError::corrupt(path.display().to_string(), "not a regular file; refusing to replace it"));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (0o600, None),
        Err(e) => return Err(io("inspect directory file")(e)),
    };
    if owner.is_some() {
        let previous = std::fs::read(path).map_err(io("keep a backup"))?;
        write_new(&companion(path, ".bak"), &previous, mode, owner)?;
    }
    let mut body = Vec::new();
    for l in lines {
        body.extend_from_slice(l.as_bytes());
        body.push(b'\n');
    }
    write_new(path, &body, mode, owner)
}

/// Write a directory file safely (see [`crate::files`]).
fn write_new(path: &Path, bytes: &[u8], mode: u32, owner: Option<(u32, u32)>) -> Result<(), PortError> {
    crate::files::replace_file(path, bytes, mode, owner).map_err(io("write directory file"))
}

/// A user name or password field: non-empty, no `:` (the field separator), no whitespace (the extra-field
/// separator), no control character (a line break would start a new entry).
fn plain_field(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c == ':' || c.is_whitespace() || c.is_control())
}

fn opt<T: std::str::FromStr>(s: Option<&str>) -> Option<T> {
    s.filter(|v| !v.is_empty()).and_then(|v| v.parse().ok())
}

fn quota_of(extra: &str) -> u64 {
    extra
        .split_whitespace()
        .find_map(|f| f.strip_prefix("userdb_quota_rule=*:storage="))
        .and_then(|q| q.strip_suffix('M'))
        .and_then(|q| q.parse().ok())
        .unwrap_or(0)
}

/// One passwd-file line; refused (naming the mailbox, never the password) when a field breaks the grammar.
fn user_line(key: &str, password: &str, display_name: &str, quota_mb: u64) -> Result<String, PortError> {
    if !plain_field(key) {
        return Err(PortError::corrupt(
            format!("mailbox {key:?}"),
            "a user name with ':', whitespace or a control character",
        ));
    }
    if !plain_field(password) {
        return Err(PortError::corrupt(
            format!("mailbox {key}"),
            "a password hash with ':', whitespace or a control character cannot go into a passwd-file",
        ));
    }
    let name: String = display_name.chars().map(|c| if c == ':' || c.is_control() { ' ' } else { c }).collect();
    Ok(format!("{key}:{password}:::{name}:::userdb_quota_rule=*:storage={quota_mb}M"))
}

impl PasswdFileDirectory {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        PasswdFileDirectory { path: path.into() }
    }

    /// The lines of the three files: users, domains, aliases.
    fn read(&self) -> Result<Files, PortError> {
        Ok(Files {
            users: read_lines(&self.path)?,
            domains: read_lines(&companion(&self.path, ".domains"))?,
            aliases: read_lines(&companion(&self.path, ".aliases"))?,
        })
    }
}

#[async_trait]
impl Directory for PasswdFileDirectory {
    async fn existing(&self, domains: &[String]) -> Result<Existing, PortError> {
        let Files { users, domains: domain_lines, aliases: alias_lines } = self.read()?;
        let wanted = |d: &str| domains.iter().any(|w| w == d);
        let mut e = Existing::default();
        for l in domain_lines.iter().filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = l.split(':').collect();
            if wanted(f[0]) {
                let d = ExistingDomain {
                    max_mailboxes: opt(f.get(1).copied()),
                    max_aliases: opt(f.get(2).copied()),
                    quota_mb: opt(f.get(3).copied()),
                };
                e.domains.insert(f[0].to_string(), d);
            }
        }
        for l in users.iter().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            let f: Vec<&str> = l.splitn(8, ':').collect();
            if f[0].rsplit('@').next().is_some_and(wanted) {
                let m = ExistingMailbox {
                    quota_mb: quota_of(f.get(7).copied().unwrap_or("")),
                    display_name: f.get(4).copied().unwrap_or("").to_string(),
                };
                e.mailboxes.insert(f[0].to_lowercase(), m);
            }
        }
        for l in alias_lines.iter().filter(|l| !l.trim().is_empty()) {
            if let Some((address, targets)) = l.split_once(' ')
                && address.rsplit('@').next().is_some_and(wanted)
            {
                e.aliases.insert(address.to_string(), targets.split(',').map(str::to_string).collect());
            }
        }
        Ok(e)
    }

    async fn apply(&self, c: &Changes, passwords: &BTreeMap<String, Secret<String>>) -> Result<(), PortError> {
        let Files { mut users, mut domains, mut aliases } = self.read()?;
        let limit = |n: Option<u32>| n.map_or(String::new(), |n| n.to_string());
        let set = |lines: &mut Vec<String>, key: &str, sep: char, line: String| match lines
            .iter_mut()
            .find(|l| l.split(sep).next() == Some(key))
        {
            Some(l) => *l = line,
            None => lines.push(line),
        };
        let domains_before = domains.clone();
        for d in c.create_domains.iter().chain(&c.update_domains) {
            let key = d.domain.ascii();
            let q = d.quota_mb.map_or(String::new(), |q| q.to_string());
            set(&mut domains, key, ':', format!("{key}:{}:{}:{q}", limit(d.max_mailboxes), limit(d.max_aliases)));
        }
        let aliases_before = aliases.clone();
        for a in c.create_aliases.iter().chain(&c.update_aliases) {
            let targets: Vec<String> = a.targets.iter().map(|t| t.key()).collect();
            set(&mut aliases, &a.address.key(), ' ', format!("{} {}", a.address.key(), targets.join(",")));
        }
        let users_before = users.clone();
        for m in &c.create_mailboxes {
            let key = m.address.key();
            let password =
                passwords.get(&key).ok_or_else(|| PortError::corrupt(format!("mailbox {key}"), "no password"))?;
            set(&mut users, &key, ':', user_line(&key, password.expose(), &m.display_name, m.quota_mb)?);
        }
        for m in &c.update_mailboxes {
            let key = m.address.key();
            if let Some(l) = users.iter_mut().find(|l| l.split(':').next() == Some(key.as_str())) {
                let password = l.split(':').nth(1).unwrap_or("").to_string();
                *l = user_line(&key, &password, &m.display_name, m.quota_mb)?;
            }
        }
        // Domains and aliases first: a mailbox never appears before the domain it belongs to.
        for (path, before, after) in [
            (companion(&self.path, ".domains"), domains_before, domains),
            (companion(&self.path, ".aliases"), aliases_before, aliases),
            (self.path.clone(), users_before, users),
        ] {
            if before != after {
                replace(&path, &after)?;
            }
        }
        Ok(())
    }
}
