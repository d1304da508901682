//! DynamoDB limits the size of key attributes (a sort key to 1,024 bytes). Sort keys built from what users
//! name (folder paths, which IMAP does not limit) keep their text when it fits, and otherwise become a readable
//! prefix plus the SHA-256 of the whole value: still unique, still the same on every call.

use sha2::{Digest, Sha256};

/// Room left for the prefix, below DynamoDB's 1,024 bytes (a `#` and 64 hex digits follow it).
const KEEP: usize = 900;

/// `value` itself when it fits in a sort key, else `prefix#sha256(value)`.
pub(crate) fn sort_key(value: &str) -> String {
    if value.len() <= KEEP {
        return value.to_string();
    }
    let mut cut = KEEP;
    while !value.is_char_boundary(cut) {
        cut -= 1;
    }
    let hash: String = Sha256::digest(value.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("{}#{hash}", &value[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_hashed_and_stay_distinct() {
        assert_eq!(sort_key("INBOX/Sent"), "INBOX/Sent");
        let (a, b) = ("é".repeat(700), format!("{}x", "é".repeat(700)));
        let (ka, kb) = (sort_key(&a), sort_key(&b));
        assert!(ka.len() <= 1024 && kb.len() <= 1024);
        assert_ne!(ka, kb);
        assert_eq!(ka, sort_key(&a));
    }
}
