//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3): printable ASCII stands for itself except `&` (written
//! `&-`); every other run of characters is `&` + base64 of its UTF-16BE form with `,` for `/` and no padding + `-`.
//! `Café` is `Caf&AOk-` on the wire, `日本語` is `&ZeVnLIqe-`.

use base64::Engine;
use base64::alphabet::Alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::sync::OnceLock;

fn engine() -> &'static GeneralPurpose {
    static E: OnceLock<GeneralPurpose> = OnceLock::new();
    E.get_or_init(|| {
        let alphabet =
            Alphabet::new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").expect("alphabet");
        let config = GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone);
        GeneralPurpose::new(&alphabet, config)
    })
}

/// Encode a UTF-8 name for the wire.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if !pending.is_empty() {
            let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&engine().encode(bytes));
            out.push('-');
            pending.clear();
        }
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Decode a wire name. Bytes that are not ASCII are taken as UTF-8 (servers with UTF8=ACCEPT, RFC 6855);
/// a malformed `&…-` sequence is an error naming the raw form.
pub fn decode(wire: &[u8]) -> Result<String, String> {
    let raw = std::str::from_utf8(wire)
        .map_err(|_| format!("mailbox name {:?} is neither modified UTF-7 nor UTF-8", String::from_utf8_lossy(wire)))?;
    if !raw.is_ascii() {
        return Ok(raw.to_string());
    }
    let bad = || format!("mailbox name {raw:?} has a malformed modified UTF-7 sequence");
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find('-').ok_or_else(bad)?;
        let b64 = &after[..end];
        if b64.is_empty() {
            out.push('&');
        } else {
            let bytes = engine().decode(b64).map_err(|_| bad())?;
            if bytes.len() % 2 != 0 {
                return Err(bad());
            }
            let units: Vec<u16> = bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            out.push_str(&String::from_utf16(&units).map_err(|_| bad())?);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples_and_round_trips() {
        // RFC 3501 §5.1.3's example.
        assert_eq!(decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(), "~peter/mail/台北/日本語");
        assert_eq!(encode("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        for name in ["Café", "Données/2024", "日本語", "A&B", "Cartório", "emoji 📨 box", "plain"] {
            assert_eq!(decode(encode(name).as_bytes()).unwrap(), name);
        }
        assert_eq!(encode("Café"), "Caf&AOk-");
        assert_eq!(encode("A&B"), "A&-B");
        assert_eq!(decode("Données".as_bytes()).unwrap(), "Données");
        assert!(decode(b"&AOk").is_err());
        assert!(decode(b"&A-").is_err());
    }
}
