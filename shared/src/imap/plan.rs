//! Planning a mailbox's folders before anything is copied: which source folder goes where on the destination.
//! Namespace prefixes are stripped and added (`INBOX.Projects` → `Projects`), separators translated (`.` ↔ `/`,
//! a segment holding the destination's separator gets a look-alike instead), special-use folders mapped onto
//! the destination's own, include/exclude patterns applied, missing folders and parents listed for creation.
//! A pure function of two listings: the plan can be printed (dry run) and tested without a server.

use super::ListEntry;
use super::gmail::{self, GmailPlace};
use super::special::SpecialUse;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub use super::folders::Listing;

/// Folder patterns from the migration row: `*` matches anything, `%` anything but `/`. Paths are written with
/// `/` whatever the server's separator, relative to its namespace prefix (`INBOX`, `Projects/2024`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// From a Gmail source, a message with several labels goes only to its primary label's folder.
    pub gmail_single_copy: bool,
}

/// Where one source folder goes (also the body of a folder task, hence serde).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FolderPlan {
    /// Source name, decoded, and as on the wire.
    pub source: String,
    pub source_wire: String,
    /// Path relative to the source namespace, with `/` (what patterns and reports show).
    pub path: String,
    /// Destination name, decoded, and as on the wire.
    pub dest: String,
    pub dest_wire: String,
    pub special: Option<SpecialUse>,
    /// The destination folder must be created.
    pub create: bool,
    /// Subscribe on the destination (the source was subscribed).
    pub subscribe: bool,
    /// From a Gmail source: which label this folder is, so each message is placed once per label (or once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmail: Option<super::gmail::GmailPlace>,
}

/// The plan for one mailbox.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub folders: Vec<FolderPlan>,
    /// Destination parents to create first (decoded, wire), shallowest first.
    pub parents: Vec<(String, String)>,
    /// Source folders left out, with the reason.
    pub excluded: Vec<(String, String)>,
    /// Things the operator should know (merges, renamed segments).
    pub notes: Vec<String>,
}

/// Match a pattern against a `/`-separated path (case-sensitive, except `INBOX`).
///
/// Linear in pattern × path (a set of pattern positions advanced one character at a time), so no pattern such
/// as `*a*a*a*a*b` can make it backtrack exponentially; works on characters, not bytes.
pub fn matches(pattern: &str, path: &str) -> bool {
    let norm = |s: &str| match s.get(..5) {
        Some(head) if head.eq_ignore_ascii_case("INBOX") => format!("INBOX{}", &s[5..]),
        _ => s.to_string(),
    };
    let (p, t): (Vec<char>, Vec<char>) = (norm(pattern).chars().collect(), norm(path).chars().collect());
    // A wildcard may match nothing: a live position on one lets the next position live too.
    let close = |live: &mut [bool]| {
        for i in 0..p.len() {
            if live[i] && matches!(p[i], '*' | '%') {
                live[i + 1] = true;
            }
        }
    };
    let mut live = vec![false; p.len() + 1];
    live[0] = true;
    close(&mut live);
    for &c in &t {
        let mut next = vec![false; p.len() + 1];
        for (i, &pc) in p.iter().enumerate() {
            if !live[i] {
                continue;
            }
            match pc {
                '*' => next[i] = true,
                '%' if c != '/' => next[i] = true,
                '%' => {}
                _ if pc == c => next[i + 1] = true,
                _ => {}
            }
        }
        close(&mut next);
        live = next;
    }
    live[p.len()]
}

fn segments(name: &str, listing: &Listing) -> Vec<String> {
    if name.eq_ignore_ascii_case("INBOX") {
        return vec!["INBOX".into()];
    }
    let rest = if !listing.prefix.is_empty() && name.starts_with(&listing.prefix) {
        &name[listing.prefix.len()..]
    } else {
        name
    };
    match listing.delimiter {
        Some(d) => rest.split(d).map(str::to_string).collect(),
        None => vec![rest.to_string()],
    }
}

/// A stand-in for a separator that occurs inside a name segment (U+2215 for `/`, U+2024 for `.`).
fn escape_segment(seg: &str, delim: char) -> String {
    let look_alike = match delim {
        '/' => '\u{2215}',
        '.' => '\u{2024}',
        _ => '_',
    };
    seg.replace(delim, &look_alike.to_string())
}

fn join(segs: &[String], listing: &Listing) -> String {
    let d = listing.delimiter.unwrap_or('/');
    let escaped: Vec<String> = segs.iter().map(|s| escape_segment(s, d)).collect();
    if escaped.first().is_some_and(|s| s.eq_ignore_ascii_case("INBOX")) {
        let mut parts = vec!["INBOX".to_string()];
        parts.extend(escaped[1..].iter().cloned());
        return parts.join(&d.to_string());
    }
    format!("{}{}", listing.prefix, escaped.join(&d.to_string()))
}

/// The destination's own folder for each role: by attribute, else by name.
fn dest_roles(dest: &Listing) -> BTreeMap<SpecialUse, Vec<String>> {
    let mut roles: BTreeMap<SpecialUse, Vec<String>> = BTreeMap::new();
    for e in &dest.entries {
        if let Some(s) = SpecialUse::from_attributes(&e.attributes) {
            roles.entry(s).or_insert_with(|| segments(&e.name, dest));
        }
    }
    for e in &dest.entries {
        if let Some(s) = SpecialUse::from_name(&segments(&e.name, dest).join("/")) {
            roles.entry(s).or_insert_with(|| segments(&e.name, dest));
        }
    }
    roles
}

/// Why a selectable source folder is not copied, if it is not: (the path as shown, the reason).
fn excluded(e: &ListEntry, path: &str, gmail: bool, filters: &Filters) -> Option<(String, String)> {
    if e.name.chars().any(char::is_control) {
        // CR, LF, NUL and their kin have no place in a folder name: shown escaped, never sent anywhere.
        return Some((path.escape_debug().to_string(), "the name holds a control character".into()));
    }
    if let Some(why) = left_out(e, path, gmail, filters) {
        return Some((path.to_string(), why.into()));
    }
    if !filters.include.is_empty() && !filters.include.iter().any(|p| matches(p, path)) {
        return Some((path.to_string(), "not matched by the include patterns".into()));
    }
    let p = filters.exclude.iter().find(|p| matches(p, path))?;
    Some((path.to_string(), format!("matched by the exclude pattern {p:?}")))
}

/// Where a source folder (`segs`) goes: to the destination's folder of its own role (`role_here`: a top-level
/// folder's, or the archive's), under the destination's folder of its top-level parent's role, or by its name.
fn placed(
    segs: &[String],
    role_here: Option<SpecialUse>,
    top_roles: &BTreeMap<String, SpecialUse>,
    dest_special: &BTreeMap<SpecialUse, Vec<String>>,
) -> (Option<SpecialUse>, Vec<String>) {
    let folder_of =
        |role: SpecialUse| dest_special.get(&role).cloned().unwrap_or_else(|| vec![role.default_name().to_string()]);
    if let Some(role) = role_here {
        return (Some(role), folder_of(role));
    }
    let parent_role = (1..segs.len()).rev().find_map(|n| top_roles.get(&segs[..n].join("/")).map(|r| (n, *r)));
    match parent_role {
        Some((n, role)) => {
            let mut d = folder_of(role);
            d.extend(segs[n..].iter().cloned());
            (None, d)
        }
        None => (None, segs.to_vec()),
    }
}

/// Parents the destination lacks and the plan does not create anyway, shallowest first: (name, wire name).
fn missing_parents(folders: &[FolderPlan], dest: &Listing, dest_names: &BTreeSet<String>) -> Vec<(String, String)> {
    let planned: BTreeSet<String> = folders.iter().map(|f| norm_inbox(&f.dest)).collect();
    let mut parents = BTreeSet::new();
    if let Some(d) = dest.delimiter {
        for f in folders {
            let mut cut = f.dest.len();
            while let Some(i) = f.dest[..cut].rfind(d) {
                let parent = &f.dest[..i];
                cut = i;
                if parent.is_empty() || format!("{parent}{d}") == dest.prefix {
                    break;
                }
                let key = norm_inbox(parent);
                if !dest_names.contains(&key) && !planned.contains(&key) {
                    parents.insert((parent.matches(d).count(), parent.to_string()));
                }
            }
        }
    }
    parents.into_iter().map(|(_, p)| (p.clone(), super::utf7::encode(&p))).collect()
}

/// Plan `source` onto `dest`.
pub fn plan(source: &Listing, dest: &Listing, filters: &Filters) -> Plan {
    let mut out = Plan::default();
    let dest_names: BTreeSet<String> = dest.entries.iter().map(|e| norm_inbox(&e.name)).collect();
    let dest_special = dest_roles(dest);
    let special_of = |e: &ListEntry| {
        SpecialUse::from_attributes(&e.attributes)
            .or_else(|| SpecialUse::from_name(&segments(&e.name, source).join("/")))
    };
    // Top-level source folders with a role carry it to their children.
    let top_roles: BTreeMap<String, SpecialUse> =
        source.entries.iter().filter_map(|e| special_of(e).map(|s| (segments(&e.name, source).join("/"), s))).collect();
    let mut by_dest: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &source.entries {
        let segs = segments(&e.name, source);
        let path = segs.join("/");
        if e.has("\\NonExistent") || e.has("\\Noselect") {
            continue;
        }
        if let Some((shown, why)) = excluded(e, &path, source.gmail, filters) {
            out.excluded.push((shown, why));
            continue;
        }
        // Gmail's All Mail keeps the messages no folder holds: the archive.
        let archive = source.gmail && e.has("\\All");
        let own_role = if archive { Some(SpecialUse::Archive) } else { special_of(e) };
        let role_here = own_role.filter(|_| segs.len() == 1 || top_roles.contains_key(&path) || archive);
        let (special, dest_segs) = placed(&segs, role_here, &top_roles, &dest_special);
        let dest_name = join(&dest_segs, dest);
        let d = dest.delimiter.unwrap_or('/');
        if segs.iter().any(|s| s.contains(d)) {
            out.notes.push(format!(
                "{path}: '{d}' inside a folder name is the destination's separator; it becomes a look-alike character"
            ));
        }
        by_dest.entry(dest_name.clone()).or_default().push(path.clone());
        out.folders.push(FolderPlan {
            source: e.name.clone(),
            source_wire: e.wire.clone(),
            path,
            create: !dest_names.contains(&norm_inbox(&dest_name)),
            dest_wire: super::utf7::encode(&dest_name),
            dest: dest_name,
            special,
            subscribe: source.subscribed.contains(&e.name),
            gmail: source.gmail.then(|| GmailPlace {
                label: if archive { None } else { gmail::label_of(e) },
                foldered: Vec::new(),
                single_copy: filters.gmail_single_copy,
            }),
        });
    }
    place_labels(&mut out.folders);
    for (dest_name, sources) in &by_dest {
        if sources.len() > 1 {
            out.notes.push(format!("{} are merged into {dest_name}", sources.join(" and ")));
        }
    }
    out.parents = missing_parents(&out.folders, dest, &dest_names);
    out.folders.sort_by(|a, b| (a.path != "INBOX", &a.path).cmp(&(b.path != "INBOX", &b.path)));
    out
}

/// Where a source folder at `path` (as [`FolderPlan::path`] shows it) goes on `dest`, as [`plan`] would place
/// it today: for a folder that is no longer on the source (renamed since the last pass), whose destination
/// folder has to be found again. Roles come from the name only (the folder's attributes are gone with it).
pub fn dest_of_path(path: &str, source: &Listing, dest: &Listing) -> Option<FolderPlan> {
    let segs: Vec<String> = path.split('/').map(str::to_string).collect();
    let name = join(&segs, source);
    let entry =
        ListEntry { attributes: Vec::new(), delimiter: source.delimiter, wire: super::utf7::encode(&name), name };
    let alone = Listing { entries: vec![entry], subscribed: BTreeSet::new(), ..source.clone() };
    plan(&alone, dest, &Filters::default()).folders.into_iter().next()
}

/// Why a listed folder is not copied at all, if it is not: a view (`\All` unless Gmail's, `\Flagged`,
/// `\Important`), or Gmail's Spam and Trash unless an include pattern names them.
fn left_out(e: &ListEntry, path: &str, gmail: bool, filters: &Filters) -> Option<&'static str> {
    if gmail && (e.has("\\Flagged") || e.has("\\Important")) {
        return Some("Gmail's Starred or Important view: kept as \\Flagged and $Important on each message");
    }
    if (e.has("\\All") && !gmail) || e.has("\\Flagged") || e.has("\\Important") {
        return Some("a virtual folder (a view of messages kept in other folders)");
    }
    let named = filters.include.iter().any(|p| !p.contains(['*', '%']) && matches(p, path));
    if gmail && (e.has("\\Junk") || e.has("\\Trash")) && !named {
        return Some("Gmail's Spam or Trash: left out unless an include pattern names it");
    }
    None
}

/// Give every Gmail folder the labels that have folders, primary first (what its messages are placed by).
fn place_labels(folders: &mut [FolderPlan]) {
    let mut foldered: Vec<String> = folders.iter().filter_map(|f| f.gmail.as_ref()?.label.clone()).collect();
    gmail::by_rank(&mut foldered);
    foldered.dedup();
    for place in folders.iter_mut().filter_map(|f| f.gmail.as_mut()) {
        place.foldered = foldered.clone();
    }
}

fn norm_inbox(name: &str) -> String {
    if name.eq_ignore_ascii_case("INBOX") { "INBOX".into() } else { name.to_string() }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.parents {
            writeln!(f, "  (create parent)  →  {}", p.0)?;
        }
        for x in &self.folders {
            let role = x.special.map(|s| format!("  {s}")).unwrap_or_default();
            let action = if x.create { "  (create)" } else { "" };
            writeln!(f, "  {}  →  {}{role}{action}", x.path, x.dest)?;
        }
        for (path, why) in &self.excluded {
            writeln!(f, "  {path}  ✗  left out: {why}")?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        Ok(())
    }
}
