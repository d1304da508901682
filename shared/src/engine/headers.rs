//! What a report shows of a message it names: its Subject (RFC 5322 §3.6.5), read from the header section with
//! limits, unfolded, control characters removed and cut short — the source server wrote it, so it is untrusted
//! text that ends up in a CSV and an email (cleaned by [`crate::text::printable`]).

/// How much of a message is searched for its header section.
const MAX_HEADER_BYTES: usize = 64 << 10;
/// How many characters of a subject a report keeps.
const MAX_SUBJECT_CHARS: usize = 200;

/// The message's Subject as text (lossy UTF-8, encoded words left as they are), or empty when it has none.
pub(crate) fn subject(body: &[u8]) -> String {
    let head = &body[..body.len().min(MAX_HEADER_BYTES)];
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let mut found: Option<String> = None;
    for line in lines.by_ref() {
        if line.is_empty() {
            break; // the end of the header section
        }
        match &mut found {
            // A folded continuation of the Subject (RFC 5322 §2.2.3).
            Some(s) if line.starts_with([' ', '\t']) => s.push_str(line),
            Some(_) => break,
            None => {
                if line.len() >= 8 && line[..8].eq_ignore_ascii_case("subject:") {
                    found = Some(line[8..].to_string());
                }
            }
        }
    }
    crate::text::printable(&found.unwrap_or_default(), MAX_SUBJECT_CHARS)
}

#[cfg(test)]
mod tests {
    use super::subject;

    #[test]
    fn the_subject_is_unfolded_cleaned_and_cut() {
        let m = b"From: a@b\r\nSUBJECT: Quarterly\r\n  report\tQ3\r\nTo: c@d\r\n\r\nSubject: not a header\r\n";
        assert_eq!(subject(m), "Quarterly report Q3");
        assert_eq!(subject(b"From: a@b\r\n\r\nSubject: in the body\r\n"), "");
        assert_eq!(subject(b"Subject: bell\x07 and \x1b[2J escape\n\n"), "bell and [2J escape");
        let long = format!("Subject: {}\r\n\r\n", "x".repeat(1000));
        assert_eq!(subject(long.as_bytes()).len(), 200);
        assert_eq!(subject(b"Subject: caf\xc3\xa9 \xff\r\n\r\n"), "caf\u{e9} \u{fffd}");
    }
}
