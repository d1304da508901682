//! `multipart/form-data` bodies (RFC 7578), the upload forms' encoding: the parts' names, file names and bytes.
//! Bounded: at most `MAX_PARTS` parts, header blocks of at most 8 KiB, names of printable text; anything else is
//! an error naming what was wrong, never a panic.

use std::collections::HashMap;

const MAX_PARTS: usize = 32;
const MAX_HEADERS: usize = 8 * 1024;

/// One part: its file name (for a file input) and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        let v = v.trim().trim_matches('"');
        (k.trim().eq_ignore_ascii_case("boundary") && (1..=70).contains(&v.len())).then(|| v.to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// The value of `key="…"` in a Content-Disposition header.
fn param(header: &str, key: &str) -> Option<String> {
    header.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts of `body` by name (a repeated name keeps the first).
pub fn parse(body: &[u8], boundary: &str) -> Result<HashMap<String, Part>, String> {
    let delimiter = format!("--{boundary}");
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or("the form has no parts")? + delimiter.len();
    let mut parts = HashMap::new();
    let next = format!("\r\n--{boundary}");
    for _ in 0..MAX_PARTS {
        if body.get(at..at + 2) == Some(b"--") {
            return Ok(parts);
        }
        at = at
            .checked_add(2)
            .filter(|a| body.get(at..*a) == Some(b"\r\n"))
            .ok_or("a part does not start on a new line")?;
        let head_end =
            find(body, b"\r\n\r\n", at).filter(|e| e - at <= MAX_HEADERS).ok_or("a part's headers do not end")?;
        let head = std::str::from_utf8(&body[at..head_end]).map_err(|_| "a part's headers are not text")?;
        let disposition = head
            .split("\r\n")
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition")))
            .map(|(_, v)| v.to_string())
            .ok_or("a part has no Content-Disposition")?;
        let name =
            param(&disposition, "name").filter(|n| !n.chars().any(char::is_control)).ok_or("a part has no name")?;
        let filename = param(&disposition, "filename").filter(|f| !f.is_empty());
        let data_start = head_end + 4;
        let data_end = find(body, next.as_bytes(), data_start).ok_or("the form ends inside a part")?;
        parts.entry(name).or_insert(Part { filename, data: body[data_start..data_end].to_vec() });
        at = data_end + next.len();
    }
    Err(format!("the form has more than {MAX_PARTS} parts"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_files_and_damage() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; \
         name=\"csrf\"\r\n\r\ntok\r\n--XyZ\r\nContent-Disposition: \
            form-data; name=\"file\"; filename=\"batch one.csv\"\r\nContent-Type: \
            text/csv\r\n\r\na,b\r\n1,2\r\n\r\n--XyZ--\r\n";
        let b = boundary("multipart/form-data; boundary=XyZ").unwrap();
        let parts = parse(body, &b).unwrap();
        assert_eq!(parts["csrf"].data, b"tok");
        assert_eq!(
            (parts["file"].filename.as_deref(), &parts["file"].data[..]),
            (Some("batch one.csv"), &b"a,b\r\n1,2\r\n"[..])
        );
        assert!(boundary("text/plain; boundary=x").is_none());
        for bad in [
            &b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"[..],
            b"nothing",
            b"--XyZ\r\n\r\n\r\nx\r\n--XyZ--",
        ] {
            assert!(parse(bad, "XyZ").is_err());
        }
        for cut in 0..body.len() {
            let _ = parse(&body[..cut], "XyZ"); // never a panic
        }
    }
}
