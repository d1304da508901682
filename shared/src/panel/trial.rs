//! Splitting an uploaded migration file for a trial: its first `n` mailboxes as one file, the rest as another,
//! each with the header (where the format has one). Rows are found by validating the file (so comments, blank
//! lines and every format count right); a split is kept only if both parts validate again with exactly the rows
//! expected, so a file whose rows span lines is refused rather than cut wrong.

use crate::csv::{self, FileKind, Options, Plan, Purpose};

/// The trial part, the rest, and how many rows the rest holds.
pub fn split(bytes: &[u8], n: usize, options: &Options) -> Result<(Vec<u8>, Vec<u8>, usize), String> {
    let options = Options { expect: Some(Purpose::Migration), ..options.clone() };
    let v = csv::validate(bytes, &options).map_err(|e| e.to_string())?;
    let Some(Plan::Migration(entries)) = &v.plan else {
        return Err("the file has errors: upload it whole to see them".into());
    };
    if n == 0 || n >= entries.len() {
        return Err(format!("a trial takes fewer rows than the file's {}", entries.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let header = usize::from(v.kind != Some(FileKind::Imapsync));
    let trial_lines: Vec<u64> = entries[..n].iter().map(|e| e.line).collect();
    let (mut trial, mut rest) = (String::new(), String::new());
    for (i, line) in lines.iter().enumerate() {
        let number = i as u64 + 1;
        if i < header {
            trial.push_str(line);
            rest.push_str(line);
        } else if trial_lines.contains(&number) {
            trial.push_str(line);
        } else {
            rest.push_str(line);
        }
    }
    let rows = |part: &str| match csv::validate(part.as_bytes(), &options).ok().and_then(|v| v.plan) {
        Some(Plan::Migration(e)) => e.len(),
        _ => usize::MAX,
    };
    let rest_rows = entries.len() - n;
    if rows(&trial) != n || rows(&rest) != rest_rows {
        return Err(
            "this file cannot be split into a trial safely (a row spans several lines): split it yourself".into()
        );
    }
    Ok((trial.into_bytes(), rest.into_bytes(), rest_rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_rows_and_the_rest_each_keep_the_header() {
        let csv = "destination,source_host,source_port,security,source_user,auth,password\n\
                   a@x.test,h,993,tls,a,password,p1\nb@x.test,h,993,tls,b,password,p2\n\
                   c@x.test,h,993,tls,c,password,p3\n";
        let (trial, rest, rows) = split(csv.as_bytes(), 1, &Options::default()).unwrap();
        let (trial, rest) = (String::from_utf8(trial).unwrap(), String::from_utf8(rest).unwrap());
        assert!(trial.starts_with("destination,") && trial.contains("a@x.test") && !trial.contains("b@x.test"));
        assert!(
            rest.starts_with("destination,")
                && rest.contains("b@x.test")
                && rest.contains("c@x.test")
                && !rest.contains("a@x.test")
        );
        assert_eq!(rows, 2);
        let imapsync = "# old server\nh1;a;p1;h2;a@x.test;p1\nh1;b;p2;h2;b@x.test;p2\n";
        let (trial, rest, _) = split(imapsync.as_bytes(), 1, &Options::default()).unwrap();
        assert_eq!(
            (trial.as_slice(), rest.as_slice()),
            (&b"h1;a;p1;h2;a@x.test;p1\n"[..], &b"# old server\nh1;b;p2;h2;b@x.test;p2\n"[..])
        );
        assert!(split(csv.as_bytes(), 3, &Options::default()).is_err(), "a trial of every row");
        assert!(split(b"nonsense", 1, &Options::default()).is_err());
    }
}
