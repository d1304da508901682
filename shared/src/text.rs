//! Text another party wrote (a server's answer, a message's Subject, a token endpoint's error), made safe to
//! show: in a terminal, a CSV cell, an email, a web page, a log line.

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

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn server_words_lose_their_control_characters() {
        assert_eq!(printable("[LIMIT] too\x1b[31m  big\r\n", 1000), "[LIMIT] too [31m big");
        assert_eq!(printable("abcdef", 3), "abc");
    }
}
