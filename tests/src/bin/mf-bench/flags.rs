//! The flag pass row: a mailbox of N messages copied by `mailferry sync`, then 1 % of its messages flagged on the
//! source, then the same `sync` again, which carries only those changes. Its time as a fraction of the first
//! pass, with a source announcing CONDSTORE (only changed messages are read) and without (every message's flags
//! are read). Verified message by message (flags included).

use super::{mailferry, timed};
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::verify;
use serde_json::{Value, json};

/// The capabilities of a source without CONDSTORE (and QRESYNC).
const NO_CONDSTORE: &str = "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE UIDPLUS NAMESPACE CHILDREN SPECIAL-USE";

/// Run both variants; prints the rows and returns their JSON.
pub async fn flag_pass(bin: &std::path::Path, messages: usize) -> Value {
    let mut rows = Vec::new();
    for condstore in [true, false] {
        eprintln!("flag pass, {messages} messages, CONDSTORE {}…", if condstore { "on" } else { "off" });
        let capability = (!condstore).then(|| NO_CONDSTORE.to_string());
        let (src, dst) = (Dovecot::start_with(Options { capability, ..Default::default() }), Dovecot::start());
        let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
        let total = corpus::fill(&mut s, &Spec { seed: 77, messages, large: vec![] }, 0..usize::MAX).await;
        s.logout().await;
        let work = tempfile::tempdir().unwrap();
        let state = work.path().join("state.sqlite");
        let (first, _) = timed(mailferry(bin, &src, &dst, &state));
        // 1 %: every hundredth message of INBOX flagged (and read) on the source.
        let step = 100;
        let uids: Vec<String> = (1..=messages as u32).step_by(step).map(|u| u.to_string()).collect();
        let query = uids.join(",");
        for flag in ["\\Flagged", "\\Seen"] {
            src.doveadm(&["flags", "add", "-u", "user1@example.test", flag, "mailbox", "INBOX", "uid", &query]);
        }
        let (again, rss) = timed(mailferry(bin, &src, &dst, &state));
        let (a, b) = (
            verify::digest(src.port, "user1@example.test", "pass").await,
            verify::digest(dst.port, "user1@example.test", "pass").await,
        );
        let verified = verify::compare(&a, &b, |p| p.to_string()).is_empty();
        let pct = 100.0 * again.as_secs_f64() / first.as_secs_f64();
        println!(
            "flag pass, CONDSTORE {:<3}: {} of {total} messages changed; first pass {:.2} s, flag pass {:.2} s = {pct:.1} % of it, peak RSS {rss:.1} MiB, verified: {verified}",
            if condstore { "on" } else { "off" },
            uids.len(),
            first.as_secs_f64(),
            again.as_secs_f64()
        );
        rows.push(json!({"condstore": condstore, "messages": total, "changed": uids.len(),
            "first_seconds": first.as_secs_f64(), "flag_pass_seconds": again.as_secs_f64(),
            "percent_of_first_pass": pct, "peak_rss_mib": rss, "verified": verified}));
    }
    Value::Array(rows)
}
