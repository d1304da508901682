//! Turning uploaded bytes into rows: size limits, encoding (UTF-8 with or without BOM, a clear error for
//! anything else), line endings, delimiter sniffing (`,` `;` tab), quoting, `#` comment lines, trimming.
//! Knows nothing of what the columns mean.

use super::FileError;

/// Limits on what is read at all. Defaults: 20 MiB and 50,000 data rows (Microsoft 365's batch limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: 20 * 1024 * 1024, max_rows: 50_000 }
    }
}

/// One record of the file, fields trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// 1-based line where the record starts.
    pub line: u64,
    pub fields: Vec<String>,
}

/// The records of a file (header not yet told apart), and the delimiter that was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub delimiter: u8,
    pub rows: Vec<Row>,
    /// Reading stopped because the file holds more records than the row limit allows (header included); `rows`
    /// then ends one record past the limit, so the error can name its line.
    pub cut_short: bool,
}

/// Read bytes into a [`Table`]; fails only when the bytes cannot be read as text.
pub fn read_table(bytes: &[u8], limits: &Limits) -> Result<Table, FileError> {
    if bytes.len() > limits.max_bytes {
        return Err(FileError::TooLarge { size: bytes.len(), limit: limits.max_bytes });
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::Utf16);
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| not_utf8(bytes, e.valid_up_to()))?;
    let delimiter = sniff_delimiter(text);
    // Blank out comment lines with spaces of the same length: their content is ignored, and byte offsets (from
    // which line numbers are computed) stay those of the file.
    let text: String = text
        .split_inclusive('\n')
        .map(|l| {
            let body = l.trim_end_matches(['\r', '\n']);
            if body.trim_start().starts_with('#') {
                format!("{}{}", " ".repeat(body.len()), &l[body.len()..])
            } else {
                l.to_string()
            }
        })
        .collect();
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1)).collect();
    // csv reports a record's offset just after the previous record's first terminator byte (before a CRLF's LF
    // and before skipped blank lines), so step over line breaks to the record's first real byte.
    let raw = text.as_bytes();
    let line_of = |byte: u64| {
        let mut at = byte as usize;
        while at < raw.len() && (raw[at] == b'\r' || raw[at] == b'\n') {
            at += 1;
        }
        line_starts.partition_point(|&start| start <= at) as u64
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    // One header, the limit, and one record more to name the first line over it; no more is built (a file of
    // millions of tiny rows costs no memory beyond that).
    let keep = limits.max_rows.saturating_add(2);
    let mut cut_short = false;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| line_of(p.byte()));
                if record.iter().all(str::is_empty) {
                    continue;
                }
                if rows.len() >= keep {
                    cut_short = true;
                    break;
                }
                rows.push(Row { line, fields: record.iter().map(str::to_string).collect() });
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| line_of(p.byte()));
                return Err(FileError::Malformed { line, detail: e.to_string() });
            }
        }
    }
    Ok(Table { delimiter, rows, cut_short })
}

/// Where the first byte that is not UTF-8 is: its line, and the CSV column (number and header name) it is in —
/// what the person who saved the file can find in a spreadsheet, not a byte offset.
fn not_utf8(bytes: &[u8], offset: usize) -> FileError {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    // The prefix is valid UTF-8 (the error is its first bad byte), so the header before it is readable.
    let text = std::str::from_utf8(before).unwrap_or("");
    let delimiter = char::from(sniff_delimiter(text.lines().next().unwrap_or("")));
    let column = fields_before(&text[line_start.min(text.len())..], delimiter) + 1;
    let header = text.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let name = header
        .filter(|_| line > 1)
        .and_then(|h| h.split(delimiter).nth(column - 1))
        .map(|n| n.trim().trim_matches('"').chars().take(40).collect::<String>())
        .filter(|n| !n.is_empty());
    FileError::NotUtf8 { line, column, name: name.map(|n| format!(" ({n})")).unwrap_or_default(), byte: bytes[offset] }
}

/// How many delimiters outside quotes `line` holds: the fields that end before its end.
fn fields_before(line: &str, delimiter: char) -> usize {
    let mut quoted = false;
    line.chars()
        .filter(|&c| {
            if c == '"' {
                quoted = !quoted;
            }
            c == delimiter && !quoted
        })
        .count()
}

/// The delimiter of the first data line: whichever of `,` `;` tab occurs most outside quotes (`,` on a tie).
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or("");
    let (mut comma, mut semi, mut tab, mut quoted) = (0, 0, 0, false);
    for c in first.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => comma += 1,
            ';' if !quoted => semi += 1,
            '\t' if !quoted => tab += 1,
            _ => {}
        }
    }
    if semi > comma && semi >= tab {
        b';'
    } else if tab > comma && tab > semi {
        b'\t'
    } else {
        b','
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_crlf_comments_quotes_and_blanks() {
        let text = "\u{feff}# exported\r\na,b\r\n\r\n\"x, y\" , z \r\n,\r\n";
        let t = read_table(text.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(t.delimiter, b',');
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0], Row { line: 2, fields: vec!["a".into(), "b".into()] });
        assert_eq!(t.rows[1], Row { line: 4, fields: vec!["x, y".into(), "z".into()] });
    }

    #[test]
    fn sniffs_semicolons_and_tabs() {
        assert_eq!(read_table(b"a;b;\"c;d\"\n", &Limits::default()).unwrap().delimiter, b';');
        assert_eq!(read_table(b"a\tb\tc,d\n", &Limits::default()).unwrap().delimiter, b'\t');
        assert_eq!(read_table(b"\"a;b\",c\n", &Limits::default()).unwrap().delimiter, b',');
    }
}
