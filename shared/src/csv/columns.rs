//! Mapping a file's header onto canonical column names, with the aliases people actually use, and reading a
//! row's fields by canonical name.

use super::problem::{Problem, shown};
use super::reader::Row;
use std::collections::HashMap;

/// A canonical column and the other header spellings accepted for it.
pub(crate) struct ColumnSpec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
}

/// Normalise a header cell: case, blanks, hyphens and spaces do not matter (`Source Host` = `source_host`).
pub(crate) fn normalize(header: &str) -> String {
    header.trim().to_lowercase().replace([' ', '-'], "_")
}

/// The columns of one file.
pub(crate) struct Columns {
    /// Names as written in the file, by position.
    names: Vec<String>,
    /// Canonical name to position.
    index: HashMap<&'static str, usize>,
}

impl Columns {
    /// Map a header row. Unknown columns are reported as warnings, repeated ones as errors.
    pub fn from_header(header: &Row, specs: &[ColumnSpec], problems: &mut Vec<Problem>) -> Columns {
        let mut index: HashMap<&'static str, usize> = HashMap::new();
        for (i, raw) in header.fields.iter().enumerate() {
            let n = normalize(raw);
            let spec = specs.iter().find(|s| s.name == n || s.aliases.contains(&n.as_str()));
            match spec {
                Some(spec) => {
                    if let Some(&first) = index.get(spec.name) {
                        problems.push(Problem::error(
                            header.line,
                            raw.clone(),
                            format!(
                                "this column means the same as column {} ({}); keep only one of them",
                                first + 1,
                                shown(&header.fields[first])
                            ),
                        ));
                    } else {
                        index.insert(spec.name, i);
                    }
                }
                None if raw.is_empty() => {}
                None => problems.push(Problem::warning(
                    header.line,
                    Some(raw.clone()),
                    "this column is not one mailferry knows; it will be ignored",
                )),
            }
        }
        Columns { names: header.fields.clone(), index }
    }

    /// Columns of a headerless format, by position: (canonical name, the format's own name for the field).
    pub fn positional(fields: &[(&'static str, &str)]) -> Columns {
        Columns {
            names: fields.iter().map(|(_, label)| label.to_string()).collect(),
            index: fields.iter().enumerate().map(|(i, (name, _))| (*name, i)).collect(),
        }
    }

    /// Whether the file has this column.
    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The column's name as the file writes it (the canonical name when the file lacks the column).
    pub fn label(&self, name: &str) -> String {
        self.index.get(name).map_or_else(|| name.to_string(), |&i| self.names[i].clone())
    }

    /// The trimmed field, or `None` when the column is missing or the cell is empty.
    pub fn get<'r>(&self, row: &'r Row, name: &str) -> Option<&'r str> {
        let &i = self.index.get(name)?;
        row.fields.get(i).map(String::as_str).filter(|s| !s.is_empty())
    }

    /// How many columns the header has.
    pub fn width(&self) -> usize {
        self.names.len()
    }

    /// Errors common to every data row: too many fields, a field running over several lines.
    pub fn check_shape(&self, row: &Row, problems: &mut Vec<Problem>) -> bool {
        let mut ok = true;
        if row.fields.len() > self.width() {
            problems.push(Problem::row_error(
                row.line,
                format!(
                    "this row has {} fields but the header has {} columns; a value containing the delimiter must be \
                     put in double quotes",
                    row.fields.len(),
                    self.width()
                ),
            ));
            ok = false;
        }
        if let Some(i) = row.fields.iter().position(|f| f.contains('\n') || f.contains('\r')) {
            let name = self.names.get(i).cloned().unwrap_or_else(|| format!("{}", i + 1));
            problems.push(Problem::error(
                row.line,
                name,
                "this value runs over several lines; is a closing double quote missing?",
            ));
            ok = false;
        }
        ok
    }
}
