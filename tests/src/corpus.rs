//! A deterministic mail corpus (seeded): nested folders, non-ASCII and special-use names, flags and keywords,
//! distinct internal dates, sizes from about 1 KB up to a chosen maximum, messages without Message-ID and exact
//! duplicates. Messages are generated on demand, so a large corpus never sits in memory.

use mailferry::imap::{self, Endpoint, Login, OutMessage, Session};
use mailferry::model::{Secret, Security};
use std::time::Duration;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    pub seed: u64,
    /// Total number of messages across all folders.
    pub messages: usize,
    /// Sizes of a few large messages placed in INBOX (bytes), e.g. `[20 << 20]`.
    pub large: Vec<usize>,
}

/// Folders, relative to the namespace, with `/` between levels.
pub const FOLDERS: &[(&str, u32)] = &[
    ("INBOX", 30),
    ("Sent", 14),
    ("Drafts", 3),
    ("Trash", 5),
    ("Junk", 4),
    ("Archive/2023", 8),
    ("Archive/2024", 8),
    ("Café", 6),
    ("Données/2024", 6),
    ("日本語", 4),
    ("Cartório", 3),
    ("Projects/Alpha/Notes", 5),
    ("A&B Co", 4),
];

/// A generated message.
#[derive(Clone, Debug)]
pub struct GenMessage {
    pub flags: Vec<String>,
    pub internal_date: String,
    pub body: Vec<u8>,
}

/// splitmix64: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

impl Spec {
    /// How many messages each folder gets (proportional to its weight; at least one).
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        let total: u32 = FOLDERS.iter().map(|(_, w)| w).sum();
        let mut out: Vec<(&str, usize)> =
            FOLDERS.iter().map(|(n, w)| (*n, ((self.messages * *w as usize) / total as usize).max(1))).collect();
        let assigned: usize = out.iter().map(|(_, c)| c).sum();
        if assigned < self.messages {
            out[0].1 += self.messages - assigned;
        }
        out
    }

    /// Message `i` of folder `f` (indexes into [`Spec::counts`]).
    pub fn message(&self, f: usize, i: usize) -> GenMessage {
        // Every 23rd message repeats the one before it exactly: legitimate duplicates must both arrive.
        let i = if i % 23 == 22 { i - 1 } else { i };
        let mut r = Rng::new(self.seed ^ ((f as u64) << 40) ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let size = if f == 0 && i < self.large.len() {
            self.large[i]
        } else if r.below(50) == 0 {
            50_000 + r.below(450_000) as usize
        } else {
            1_000 + r.below(20_000) as usize
        };
        let mut flags = Vec::new();
        for (flag, odds) in
            [("\\Seen", 2), ("\\Answered", 5), ("\\Flagged", 7), ("$Forwarded", 9), ("$Label1", 6), ("work", 11)]
        {
            if r.below(odds) == 0 {
                flags.push(flag.to_string());
            }
        }
        if FOLDERS[f].0 == "Drafts" {
            flags.push("\\Draft".into());
        }
        let zones = ["+0000", "+0100", "-0500", "+0530", "+0900"];
        let ts = 1_420_070_400 + (f as i64 * 1_000_000) + i as i64 * 3_607;
        let zone = zones[r.below(zones.len() as u64) as usize];
        let offset = chrono::FixedOffset::east_opt(zone_secs(zone)).unwrap();
        let date = chrono::DateTime::from_timestamp(ts, 0).unwrap().with_timezone(&offset);
        let mut head = format!(
            "From: Sender {f} <sender{f}@example.test>\r\nTo: user@example.test\r\nSubject: {} message {i}\r\nDate: {}\r\n",
            FOLDERS[f].0,
            date.to_rfc2822()
        );
        if i % 17 != 5 {
            head.push_str(&format!("Message-ID: <{}.{f}.{i}@corpus.example.test>\r\n", self.seed));
        }
        head.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
        let mut body = head.into_bytes();
        let words = ["mail", "ferry", "über", "données", "日本", "lorem", "ipsum", "quota", "folder", "flag"];
        while body.len() < size {
            let w = words[r.below(words.len() as u64) as usize];
            body.extend_from_slice(w.as_bytes());
            body.extend_from_slice(if r.below(12) == 0 { b"\r\n" } else { b" " });
        }
        body.extend_from_slice(b"\r\n");
        GenMessage { flags, internal_date: imap::format_internal_date(&date), body }
    }
}

impl From<GenMessage> for OutMessage {
    fn from(m: GenMessage) -> Self {
        let flags = m.flags.iter().map(|f| imap::Flag::parse(f).expect("a corpus flag is valid")).collect();
        OutMessage { flags, internal_date: imap::InternalDate::parse(&m.internal_date), body: m.body }
    }
}

fn zone_secs(z: &str) -> i32 {
    let sign = if z.starts_with('-') { -1 } else { 1 };
    let h: i32 = z[1..3].parse().unwrap();
    let m: i32 = z[3..5].parse().unwrap();
    sign * (h * 3600 + m * 60)
}

/// The server's name for a corpus folder, given its namespace prefix and delimiter.
pub fn server_name(path: &str, prefix: &str, delimiter: char) -> String {
    if path == "INBOX" { path.to_string() } else { format!("{prefix}{}", path.replace('/', &delimiter.to_string())) }
}

/// A local plain-text test server's endpoint.
pub fn plain_endpoint(port: u16) -> Endpoint {
    Endpoint {
        host: mailferry::model::Host::parse("127.0.0.1").expect("a host"),
        port,
        security: Security::Plain,
        ca_file: None,
        timeout: Duration::from_secs(60),
        networks: imap::Networks::Any,
    }
}

/// Log in to a local plain-text test server.
pub async fn login(port: u16, user: &str, password: &str) -> Session {
    imap::open(&plain_endpoint(port), &Login::Password { user: user.into(), password: Secret::new(password.into()) })
        .await
        .expect("login to the test server")
}

/// Create the corpus's folders and append its messages (`skip` first messages of each folder are left out,
/// `only` limits how many are added per folder). Returns the number of messages appended.
pub async fn fill(s: &mut Session, spec: &Spec, range: std::ops::Range<usize>) -> usize {
    let (prefix, delimiter) = s.personal_namespace().await.expect("namespace");
    let delimiter = delimiter.unwrap_or('/');
    let mut n = 0;
    for (f, (path, count)) in spec.counts().into_iter().enumerate() {
        let wire = imap::utf7::encode(&server_name(path, &prefix, delimiter));
        s.create(&wire).await.expect("create folder");
        let mut batch = Vec::new();
        let mut bytes = 0;
        for i in range.start.min(count)..range.end.min(count) {
            let m = spec.message(f, i);
            bytes += m.body.len();
            batch.push(m.into());
            if batch.len() >= 100 || bytes > 8 << 20 {
                n += append(s, &wire, std::mem::take(&mut batch)).await;
                bytes = 0;
            }
        }
        n += append(s, &wire, batch).await;
    }
    n
}

async fn append(s: &mut Session, wire: &str, batch: Vec<OutMessage>) -> usize {
    if batch.is_empty() {
        return 0;
    }
    let out = s.append_all(wire, &batch).await.expect("append");
    assert!(
        out.iter().all(|o| matches!(o, imap::Appended::Stored { .. })),
        "the source refused a corpus message: {out:?}"
    );
    out.len()
}

/// Append the generated INBOX messages `range` of seed `seed` to `user`'s INBOX (password `pass`) on the server
/// at `port`, in batches of 250.
pub async fn add_to_inbox(port: u16, user: &str, seed: u64, range: std::ops::Range<usize>) {
    let spec = Spec { seed, messages: 0, large: vec![] };
    let mut s = login(port, user, "pass").await;
    let batch: Vec<OutMessage> = range.map(|i| spec.message(0, i).into()).collect();
    for chunk in batch.chunks(250) {
        s.append_all("INBOX", chunk).await.expect("append");
    }
    s.logout().await;
}
