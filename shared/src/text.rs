//! Text another party wrote (a server's answer, a message's Subject, a token endpoint's error), made safe to
//! show: in a terminal, a CSV cell, an email, a web page, a URL, a log line.

/// Control characters (an escape sequence, a bell, a line break) become spaces, runs of white space one space,
/// and at most `max` characters are kept.
pub fn printable(text: &str, max: usize) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    clean.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(max).collect()
}

/// Text for HTML element content and quoted attribute values (`&`, `<`, `>`, `"`, `'` escaped): the panel's
/// pages and the notification emails.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text as one URL component — a path segment, a query or form value: every byte percent-encoded but the
/// unreserved `A-Z a-z 0-9 - . _ ~` and `@`, which a segment and a query may hold as is (RFC 3986 §3.3, §3.4),
/// so an address such as `a?b@x.test` or `a%41@x.test` in a link names itself and an ordinary one reads as typed.
pub fn url_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{printable, url_component};

    #[test]
    fn server_words_lose_their_control_characters() {
        assert_eq!(printable("[LIMIT] too\x1b[31m  big\r\n", 1000), "[LIMIT] too [31m big");
        assert_eq!(printable("abcdef", 3), "abc");
    }

    #[test]
    fn a_url_component_names_itself() {
        assert_eq!(url_component("a?b#c@x.test"), "a%3Fb%23c@x.test");
        assert_eq!(url_component("a%41+b/ü"), "a%2541%2Bb%2F%C3%BC");
        assert_eq!(url_component("Ann.Lee_1-2~"), "Ann.Lee_1-2~");
    }
}
