//! An independent verifier: reads both servers with async-imap (a different IMAP client from the engine's) and
//! compares folder by folder: message count, content hashes as a multiset, flags and internal dates.

use futures::TryStreamExt;
use mailferry::imap::utf7;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use tokio::net::TcpStream;

/// One message as the verifier sees it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    pub sha256: [u8; 32],
    /// Sorted, without `\Recent`.
    pub flags: Vec<String>,
    /// INTERNALDATE as a Unix timestamp.
    pub date: i64,
    pub size: usize,
}

/// Every folder (relative path with `/`) and its messages, sorted.
pub type Digest = BTreeMap<String, Vec<Entry>>;

fn flag_text(f: &async_imap::types::Flag<'_>) -> Option<String> {
    use async_imap::types::Flag;
    Some(match f {
        Flag::Seen => "\\Seen".into(),
        Flag::Answered => "\\Answered".into(),
        Flag::Flagged => "\\Flagged".into(),
        Flag::Deleted => "\\Deleted".into(),
        Flag::Draft => "\\Draft".into(),
        Flag::Recent | Flag::MayCreate => return None,
        Flag::Custom(c) => c.to_string(),
    })
}

/// Read a whole mailbox over plain IMAP on 127.0.0.1.
pub async fn digest(port: u16, user: &str, password: &str) -> Digest {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.expect("greeting").expect("greeting");
    let mut s = client.login(user, password).await.map_err(|(e, _)| e).expect("verifier login");
    let names: Vec<_> = s.list(Some(""), Some("*")).await.unwrap().try_collect::<Vec<_>>().await.unwrap();
    let delim = names.iter().find_map(|n| n.delimiter().map(str::to_string)).unwrap_or_else(|| "/".into());
    let others: Vec<&str> = names.iter().map(|n| n.name()).filter(|n| !n.eq_ignore_ascii_case("INBOX")).collect();
    let inbox_prefix = format!("INBOX{delim}");
    let prefix = if !others.is_empty() && others.iter().all(|n| n.starts_with(&inbox_prefix)) {
        inbox_prefix
    } else {
        String::new()
    };
    let mut out = Digest::new();
    for n in &names {
        if n.attributes().iter().any(|a| matches!(a, async_imap::types::NameAttribute::NoSelect)) {
            continue;
        }
        let wire = n.name().to_string();
        let decoded = utf7::decode(wire.as_bytes()).expect("folder name");
        let rel = if decoded.eq_ignore_ascii_case("INBOX") {
            "INBOX".to_string()
        } else {
            decoded.strip_prefix(&prefix).unwrap_or(&decoded).replace(delim.as_str(), "/")
        };
        let mb = s.examine(&wire).await.expect("examine");
        let mut entries = Vec::new();
        if mb.exists > 0 {
            let fetches: Vec<_> = s
                .uid_fetch("1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
                .await
                .unwrap()
                .try_collect::<Vec<_>>()
                .await
                .unwrap();
            for f in &fetches {
                let Some(body) = f.body() else { continue };
                let mut flags: Vec<String> = f.flags().filter_map(|fl| flag_text(&fl)).collect();
                flags.sort();
                let date = f.internal_date().expect("internal date").timestamp();
                entries.push(Entry { sha256: Sha256::digest(body).into(), flags, date, size: body.len() });
            }
            // Never trust an empty answer: the listing must hold every message the folder says it has.
            assert_eq!(
                entries.len(),
                mb.exists as usize,
                "verifier: {rel} has {} messages but {} were read",
                mb.exists,
                entries.len()
            );
        }
        entries.sort();
        out.insert(rel, entries);
    }
    let _ = s.logout().await;
    out
}

/// Differences between the source and the destination, folder by folder (`map` gives the destination path of a
/// source path). Empty when both hold the same messages with the same flags and dates.
pub fn compare(src: &Digest, dst: &Digest, map: impl Fn(&str) -> String) -> Vec<String> {
    let mut diffs = Vec::new();
    for (path, entries) in src {
        let target = map(path);
        let Some(other) = dst.get(&target) else {
            diffs.push(format!("{path}: no folder {target} on the destination"));
            continue;
        };
        if entries.len() != other.len() {
            diffs.push(format!("{path}: {} messages on the source, {} in {target}", entries.len(), other.len()));
            continue;
        }
        if let Some((a, b)) = entries.iter().zip(other).find(|(a, b)| a != b) {
            diffs.push(format!("{path}: messages differ (first: {a:?} vs {b:?})"));
        }
    }
    diffs
}

/// Total number of messages in a digest.
pub fn total(d: &Digest) -> usize {
    d.values().map(Vec::len).sum()
}

/// Assert that `user`'s mailbox (password `pass`) on the servers at `src` and `dst` holds the same messages, with
/// flags and dates, folder by folder; returns how many the destination holds.
pub async fn assert_same(src: u16, dst: u16, user: &str) -> usize {
    let (a, b) = (digest(src, user, "pass").await, digest(dst, user, "pass").await);
    let diffs = compare(&a, &b, |p| p.to_string());
    assert!(diffs.is_empty(), "{user}: source and destination differ:\n{}", diffs.join("\n"));
    total(&b)
}

/// Each message's flags, by folder and content.
pub type FlagsByMessage = BTreeMap<(String, [u8; 32]), Vec<String>>;

/// Each message's flags in `d`, by folder and content (two messages of identical content in one folder, which the
/// corpus makes on purpose, count as one: a test keeps their flags equal).
pub fn flags_of(d: &Digest) -> FlagsByMessage {
    d.iter()
        .flat_map(|(folder, entries)| entries.iter().map(|e| ((folder.clone(), e.sha256), e.flags.clone())))
        .collect()
}

/// What a later pass must leave on the destination, message by message: the destination's flags before the pass
/// (`dst_before`, with its users' own changes), plus what the source added since `src_before`, minus what it
/// removed. A message gone from the source keeps the destination's flags; nothing is reverted.
pub fn flags_expected(src_before: &Digest, src_after: &Digest, dst_before: &Digest) -> FlagsByMessage {
    let (before, after) = (flags_of(src_before), flags_of(src_after));
    let mut expected = flags_of(dst_before);
    for (message, flags) in expected.iter_mut() {
        let (Some(was), Some(now)) = (before.get(message), after.get(message)) else { continue };
        flags.extend(now.iter().filter(|f| !was.contains(f)).cloned());
        flags.retain(|f| now.contains(f) || !was.contains(f));
        flags.sort();
        flags.dedup();
    }
    expected
}
