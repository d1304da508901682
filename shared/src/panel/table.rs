//! The job page's mailbox table, sorted and filtered on the server (links and a GET form: it works without
//! JavaScript, and a view can be bookmarked or shared): by mailbox, progress, size or state, either way; only
//! the mailboxes in one state, or whose address holds some text.

use super::pages::esc;
use crate::stages::{JobProgress, MailboxProgress};

/// Where a mailbox stands in the pass shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Refused by the pre-flight, or folders failed.
    Failed,
    Copying,
    Waiting,
    Done,
}

impl State {
    pub fn of(m: &MailboxProgress) -> State {
        if m.problem.is_some() || m.failed > 0 {
            State::Failed
        } else if m.finished {
            State::Done
        } else if m.folders > 0 || m.copied > 0 {
            State::Copying
        } else {
            State::Waiting
        }
    }

    fn name(self) -> &'static str {
        match self {
            State::Failed => "failed",
            State::Copying => "copying",
            State::Waiting => "waiting",
            State::Done => "done",
        }
    }

    const ALL: [State; 4] = [State::Failed, State::Copying, State::Waiting, State::Done];
}

/// How the table is shown: `?sort=address|progress|size|state&dir=asc|desc&state=…&q=…`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub sort: String,
    pub desc: bool,
    pub state: Option<State>,
    pub q: String,
}

impl View {
    /// The view a query string asks for (unknown values: the default, by line in the file).
    pub fn from_query(query: Option<&str>) -> View {
        let mut v = View::default();
        for pair in query.unwrap_or("").split('&') {
            let (k, val) = pair.split_once('=').unwrap_or((pair, ""));
            let val = crate::stages::form_value(val).unwrap_or_default();
            match k {
                "sort" if ["address", "progress", "size", "state"].contains(&val.as_str()) => v.sort = val,
                "dir" => v.desc = val == "desc",
                "state" => v.state = State::ALL.into_iter().find(|s| s.name() == val),
                "q" => v.q = val.chars().filter(|c| !c.is_control()).take(100).collect(),
                _ => {}
            }
        }
        v
    }

    fn query(&self, sort: &str, desc: bool) -> String {
        let state = self.state.map_or("", State::name);
        let q = crate::text::url_component(&self.q);
        format!("?sort={sort}&amp;dir={}&amp;state={state}&amp;q={q}", if desc { "desc" } else { "asc" })
    }
}

/// How much of the mailbox reached the destination, 0 to 100 (100 when there is nothing to copy).
pub(super) fn percent(m: &MailboxProgress) -> u64 {
    let of = m.expected.max(m.copied_total);
    (m.copied_total * 100).checked_div(of).map_or(100, |p| p.min(100))
}

/// The mailboxes `view` shows, in its order.
pub fn shown<'a>(p: &'a JobProgress, view: &View) -> Vec<&'a MailboxProgress> {
    let needle = view.q.to_lowercase();
    let mut rows: Vec<&MailboxProgress> = p
        .mailboxes
        .iter()
        .filter(|m| view.state.is_none_or(|s| State::of(m) == s))
        .filter(|m| needle.is_empty() || m.address.to_string().to_lowercase().contains(&needle))
        .collect();
    match view.sort.as_str() {
        // As text, the order the stores list mailboxes in.
        "address" => rows.sort_by_cached_key(|m| m.address.to_string()),
        "progress" => rows.sort_by_key(|m| percent(m)),
        "size" => rows.sort_by_key(|m| m.source_bytes.unwrap_or(0)),
        "state" => rows.sort_by_key(|m| State::of(m)),
        _ => rows.sort_by_key(|m| m.line),
    }
    if view.desc {
        rows.reverse();
    }
    rows
}

/// A sortable column's header: a link that sorts by it (the other way when it sorts already), with `aria-sort`.
pub fn header(view: &View, key: &str, label: &str) -> String {
    let current = view.sort == key;
    let aria = match (current, view.desc) {
        (false, _) => String::new(),
        (true, false) => " aria-sort=\"ascending\"".into(),
        (true, true) => " aria-sort=\"descending\"".into(),
    };
    format!("<th scope=\"col\"{aria}><a href=\"{}\">{label}</a></th>", view.query(key, current && !view.desc))
}

/// The filter form: a state and a text, sent with GET.
pub fn filter_form(view: &View, total: usize, shown: usize) -> String {
    let options: String = std::iter::once(("", "every state"))
        .chain(State::ALL.iter().map(|s| (s.name(), s.name())))
        .map(|(value, label)| {
            let selected = if view.state.map_or("", State::name) == value { " selected" } else { "" };
            format!("<option value=\"{value}\"{selected}>{label}</option>")
        })
        .collect();
    format!(
        "<form method=\"get\" class=\"filter\" role=\"search\" aria-label=\"Filter the mailboxes\"><input \
         type=\"hidden\" \
         name=\"sort\" value=\"{}\"><input type=\"hidden\" name=\"dir\" value=\"{}\"><label for=\"state-filter\" \
         class=\"inline\">State</label> <select id=\"state-filter\" name=\"state\">{options}</select> <label \
         for=\"q\" class=\"inline\">Address contains</label> <input id=\"q\" name=\"q\" value=\"{}\"> <button>Show\
         </button> <span id=\"shown\">{shown} of {total} mailbox(es) shown</span></form>",
        esc(&view.sort),
        if view.desc { "desc" } else { "asc" },
        esc(&view.q)
    )
}

/// A mailbox's state as the table says it.
pub fn state_text(m: &MailboxProgress) -> String {
    match (&m.problem, State::of(m)) {
        (Some(problem), _) => format!("not migrated: {}", esc(problem)),
        (None, State::Failed) => format!("{} folder(s) failed", m.failed),
        (None, s) => s.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_gives_a_view_and_back() {
        let v = View::from_query(Some("sort=size&dir=desc&state=failed&q=ann%40example"));
        assert_eq!(v, View { sort: "size".into(), desc: true, state: Some(State::Failed), q: "ann@example".into() });
        assert_eq!(v.query("size", false), "?sort=size&amp;dir=asc&amp;state=failed&amp;q=ann@example");
        assert_eq!(View::from_query(Some("sort=evil&state=nope")), View::default());
    }
}
