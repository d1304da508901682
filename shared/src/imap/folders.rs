//! Folder commands: LIST/LSUB (RFC 3501 §6.3.8–9), NAMESPACE (RFC 2342), STATUS, CREATE, SUBSCRIBE. NAMESPACE is
//! parsed here like everything else, so a server that sends it never derails the session.

use super::parse::{Tokens, Value};
use super::session::{Session, quote};
use super::{ImapError, utf7};
use std::collections::BTreeSet;

/// One server's folders as listed.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    /// Personal namespace prefix (e.g. `INBOX.`), decoded.
    pub prefix: String,
    pub delimiter: Option<char>,
    pub entries: Vec<ListEntry>,
    /// Decoded names of subscribed folders.
    pub subscribed: BTreeSet<String>,
    /// The server is Gmail (`X-GM-EXT-1`): folders are labels (see [`super::gmail`]).
    pub gmail: bool,
}

/// One LIST/LSUB entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// Attributes as sent (`\HasChildren`, `\Noselect`, `\Sent` …).
    pub attributes: Vec<String>,
    pub delimiter: Option<char>,
    /// The name as on the wire (modified UTF-7), for commands.
    pub wire: String,
    /// The decoded name.
    pub name: String,
}

impl ListEntry {
    /// Whether an attribute is present (case-insensitive).
    pub fn has(&self, attribute: &str) -> bool {
        self.attributes.iter().any(|a| a.eq_ignore_ascii_case(attribute))
    }
}

/// STATUS counters (RFC 3501 §6.3.10).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    pub messages: Option<u32>,
    /// UIDNEXT; a value of 0 or beyond 32 bits is no UID and is left out.
    pub uid_next: Option<crate::model::Uid>,
    /// UIDVALIDITY; likewise.
    pub uid_validity: Option<crate::model::UidValidity>,
    /// Total size in octets (RFC 8438 `STATUS=SIZE`), when asked for.
    pub size: Option<u64>,
    /// HIGHESTMODSEQ (RFC 7162 §3.1.2.3), when asked for.
    pub highest_modseq: Option<u64>,
}

pub(crate) fn parse_list(buf: &[u8]) -> Result<Option<ListEntry>, ImapError> {
    let mut t = Tokens::new(buf, 2);
    let kind = t.next_value()?.and_then(|v| v.text(buf)).unwrap_or_default().to_ascii_uppercase();
    if kind != "LIST" && kind != "LSUB" {
        return Ok(None);
    }
    let Some(Value::List(attrs)) = t.next_value()? else { return Err(ImapError::protocol("LIST without attributes")) };
    let delimiter = match t.next_value()? {
        Some(Value::Nil) | None => None,
        Some(v) => v.text(buf).and_then(|s| s.chars().next()),
    };
    let name_value = t.next_value()?.ok_or_else(|| ImapError::protocol("LIST without a mailbox name"))?;
    let raw =
        name_value.bytes(buf).ok_or_else(|| ImapError::protocol("LIST with a mailbox name that is not a string"))?;
    let name = utf7::decode(raw).map_err(ImapError::protocol)?;
    let wire = String::from_utf8_lossy(raw).into_owned();
    let attributes = attrs.iter().filter_map(|a| a.text(buf)).collect();
    Ok(Some(ListEntry { attributes, delimiter, wire, name }))
}

/// The STATUS response among a command's untagged responses.
pub(crate) fn parse_status(untagged: &[Vec<u8>]) -> Result<Status, ImapError> {
    for u in untagged {
        let mut t = Tokens::new(u, 2);
        if !t.next_value()?.and_then(|v| v.text(u)).is_some_and(|k| k.eq_ignore_ascii_case("STATUS")) {
            continue;
        }
        let _name = t.next_value()?;
        let Some(Value::List(items)) = t.next_value()? else { return Err(ImapError::protocol("STATUS without items")) };
        let mut s = Status::default();
        for pair in items.chunks(2) {
            if let [Value::Atom(k), Value::Number(n)] = pair {
                // A number beyond 32 bits where one is expected is no value: never cut down to one.
                let (wide, n) = (*n, u32::try_from(*n).ok());
                match k.to_ascii_uppercase().as_str() {
                    "MESSAGES" => s.messages = n,
                    "UIDNEXT" => s.uid_next = n.and_then(crate::model::Uid::new),
                    "UIDVALIDITY" => s.uid_validity = n.and_then(crate::model::UidValidity::new),
                    "SIZE" => s.size = Some(wide),
                    "HIGHESTMODSEQ" => s.highest_modseq = Some(wide),
                    _ => {}
                }
            }
        }
        if s.messages.is_none() {
            return Err(ImapError::Inconsistent { detail: "STATUS did not report MESSAGES".into() });
        }
        return Ok(s);
    }
    Err(ImapError::Inconsistent { detail: "STATUS returned no STATUS response".into() })
}

/// The personal namespace's prefix and delimiter from a NAMESPACE answer (RFC 2342); `None` when it holds no
/// NAMESPACE response.
fn parse_namespace(untagged: &[Vec<u8>]) -> Result<Option<(String, Option<char>)>, ImapError> {
    for u in untagged {
        let mut t = Tokens::new(u, 2);
        if t.next_value()?.and_then(|v| v.text(u)).is_some_and(|k| k.eq_ignore_ascii_case("NAMESPACE")) {
            if let Some(Value::List(personal)) = t.next_value()?
                && let Some(Value::List(first)) = personal.first()
            {
                let prefix = first
                    .first()
                    .and_then(|v| v.bytes(u))
                    .map(utf7::decode)
                    .transpose()
                    .map_err(ImapError::protocol)?;
                let delim = first.get(1).and_then(|v| v.text(u)).and_then(|s| s.chars().next());
                return Ok(Some((prefix.unwrap_or_default(), delim)));
            }
            return Ok(Some((String::new(), None)));
        }
    }
    Ok(None)
}

/// What [`Session::folders_at_once`] found.
#[derive(Clone, Debug, Default)]
pub struct FolderSurvey {
    /// The personal namespace's prefix and delimiter.
    pub personal: (String, Option<char>),
    pub all: Vec<ListEntry>,
    pub subscribed: Vec<ListEntry>,
}

impl Session {
    /// Every folder (`LIST "" "*"`).
    pub async fn list_all(&mut self) -> Result<Vec<ListEntry>, ImapError> {
        let (untagged, _) = self.run("LIST", "\"\" \"*\"").await?;
        untagged.iter().filter_map(|u| parse_list(u).transpose()).collect()
    }

    /// Subscribed folders (`LSUB "" "*"`).
    pub async fn list_subscribed(&mut self) -> Result<Vec<ListEntry>, ImapError> {
        let (untagged, _) = self.run("LSUB", "\"\" \"*\"").await?;
        untagged.iter().filter_map(|u| parse_list(u).transpose()).collect()
    }

    /// The personal namespace's prefix and delimiter: from NAMESPACE when offered, else from `LIST "" ""`.
    pub async fn personal_namespace(&mut self) -> Result<(String, Option<char>), ImapError> {
        if self.has("NAMESPACE") {
            let (untagged, _) = self.run("NAMESPACE", "").await?;
            if let Some(found) = parse_namespace(&untagged)? {
                return Ok(found);
            }
        }
        let (untagged, _) = self.run("LIST", "\"\" \"\"").await?;
        let delim = untagged.iter().filter_map(|u| parse_list(u).ok().flatten()).find_map(|e| e.delimiter);
        Ok((String::new(), delim))
    }

    /// What folder planning needs of one side (`plan::plan`): its personal namespace, every folder, the
    /// subscribed ones, and whether it is Gmail, in one round trip (see [`Session::folders_at_once`]).
    pub async fn listing(&mut self) -> Result<Listing, ImapError> {
        let found = self.folders_at_once().await?;
        let subscribed = found.subscribed.into_iter().map(|e| e.name).collect();
        let (prefix, delimiter, gmail) = (found.personal.0, found.personal.1, self.has("X-GM-EXT-1"));
        Ok(Listing { prefix, delimiter, entries: found.all, subscribed, gmail })
    }

    /// The personal namespace, every folder and the subscribed ones in one round trip: NAMESPACE (or
    /// `LIST "" ""` without it), `LIST "" "*"` and `LSUB "" "*"` pipelined (RFC 3501 §5.5).
    pub async fn folders_at_once(&mut self) -> Result<FolderSurvey, ImapError> {
        let namespace = self.has("NAMESPACE");
        let commands: [(&'static str, &str); 3] = [
            if namespace { ("NAMESPACE", "") } else { ("LIST", "\"\" \"\"") },
            ("LIST", "\"\" \"*\""),
            ("LSUB", "\"\" \"*\""),
        ];
        let mut tags = Vec::with_capacity(3);
        let mut batch = String::new();
        for (command, args) in commands {
            let tag = self.tag();
            batch.push_str(&if args.is_empty() {
                format!("{tag} {command}\r\n")
            } else {
                format!("{tag} {command} {args}\r\n")
            });
            tags.push(tag);
        }
        self.write(batch.as_bytes()).await?;
        let mut answers = Vec::with_capacity(3);
        for (tag, (command, _)) in tags.iter().zip(commands) {
            answers.push(self.finish(tag, command).await?.0);
        }
        let entries = |untagged: &[Vec<u8>]| -> Result<Vec<ListEntry>, ImapError> {
            untagged.iter().filter_map(|u| parse_list(u).transpose()).collect()
        };
        let (all, subscribed) = (entries(&answers[1])?, entries(&answers[2])?);
        let found = if namespace { parse_namespace(&answers[0])? } else { None };
        let personal = match found {
            Some(found) => found,
            None => {
                (String::new(), entries(&answers[0])?.into_iter().chain(all.iter().cloned()).find_map(|e| e.delimiter))
            }
        };
        Ok(FolderSurvey { personal, all, subscribed })
    }

    /// STATUS of a folder (not the selected one, per RFC 3501 §6.3.10).
    pub async fn status(&mut self, wire: &str) -> Result<Status, ImapError> {
        let (untagged, _) = self.run("STATUS", &format!("{} (MESSAGES UIDNEXT UIDVALIDITY)", quote(wire)?)).await?;
        parse_status(&untagged)
    }

    /// STATUS of many folders in one round trip: every command is sent, then every answer read (pipelining,
    /// RFC 3501 §5.5). Answers come back in the order of `wires`.
    pub async fn status_many(&mut self, wires: &[String]) -> Result<Vec<Status>, ImapError> {
        self.status_items(wires, "MESSAGES UIDNEXT UIDVALIDITY").await
    }

    /// Like [`Session::status_many`], with HIGHESTMODSEQ where the server announced CONDSTORE (a later pass: a
    /// folder whose mod-sequence did not move has no flag changes either).
    pub async fn status_with_modseq(&mut self, wires: &[String]) -> Result<Vec<Status>, ImapError> {
        let items = if self.has("CONDSTORE") {
            "MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ"
        } else {
            "MESSAGES UIDNEXT UIDVALIDITY"
        };
        self.status_items(wires, items).await
    }

    /// Like [`Session::status_many`], with each folder's size in octets where the server offers `STATUS=SIZE`
    /// (RFC 8438); a separate call because a server may have to compute sizes.
    pub async fn status_with_sizes(&mut self, wires: &[String]) -> Result<Vec<Status>, ImapError> {
        let items =
            if self.has("STATUS=SIZE") { "MESSAGES UIDNEXT UIDVALIDITY SIZE" } else { "MESSAGES UIDNEXT UIDVALIDITY" };
        self.status_items(wires, items).await
    }

    async fn status_items(&mut self, wires: &[String], items: &str) -> Result<Vec<Status>, ImapError> {
        let mut tags = Vec::with_capacity(wires.len());
        let mut batch = String::new();
        for w in wires {
            let tag = self.tag();
            batch.push_str(&format!("{tag} STATUS {} ({items})\r\n", quote(w)?));
            tags.push(tag);
        }
        self.write(batch.as_bytes()).await?;
        let mut out = Vec::with_capacity(wires.len());
        for tag in &tags {
            let (untagged, _) = self.finish(tag, "STATUS").await?;
            out.push(parse_status(&untagged)?);
        }
        Ok(out)
    }

    /// Free storage, in octets, under the quota root of INBOX (RFC 9208 `GETQUOTAROOT`; STORAGE counts units of
    /// 1024 octets). `None` when the server offers no QUOTA or sets no storage limit.
    pub async fn storage_free(&mut self) -> Result<Option<u64>, ImapError> {
        if !self.capabilities().iter().any(|c| c == "QUOTA" || c.starts_with("QUOTA=")) {
            return Ok(None);
        }
        let (untagged, _) = self.run("GETQUOTAROOT", "INBOX").await?;
        let mut free: Option<u64> = None;
        for u in &untagged {
            let mut t = Tokens::new(u, 2);
            if !t.next_value()?.and_then(|v| v.text(u)).is_some_and(|k| k.eq_ignore_ascii_case("QUOTA")) {
                continue;
            }
            let _root = t.next_value()?;
            let Some(Value::List(items)) = t.next_value()? else { continue };
            for triple in items.chunks(3) {
                if let [Value::Atom(k), Value::Number(used), Value::Number(limit)] = triple
                    && k.eq_ignore_ascii_case("STORAGE")
                {
                    let left = limit.saturating_sub(*used) * 1024;
                    free = Some(free.map_or(left, |f| f.min(left)));
                }
            }
        }
        Ok(free)
    }

    /// Create a folder; one that already exists is fine.
    pub async fn create(&mut self, wire: &str) -> Result<(), ImapError> {
        self.create_many(&[wire.to_string()]).await
    }

    /// Create folders in one round trip: every CREATE is sent, then every answer read (pipelining, RFC 3501
    /// §5.5; the server runs them in order, so parents listed first exist before their children). A folder that
    /// exists already is fine; the first other refusal is returned after every answer was read.
    pub async fn create_many(&mut self, wires: &[String]) -> Result<(), ImapError> {
        let exists = |e: &ImapError| {
            matches!(e, ImapError::No { code, text, .. }
                if code.as_deref() == Some("ALREADYEXISTS") || text.to_ascii_lowercase().contains("already exists"))
        };
        self.pipelined("CREATE", wires, &exists).await
    }

    /// Rename a folder (RFC 3501 §6.3.5): its messages, UIDs and UIDVALIDITY go with it.
    pub async fn rename(&mut self, from_wire: &str, to_wire: &str) -> Result<(), ImapError> {
        self.run("RENAME", &format!("{} {}", quote(from_wire)?, quote(to_wire)?)).await.map(|_| ())
    }

    /// Unsubscribe from a folder (RFC 3501 §6.3.7).
    pub async fn unsubscribe(&mut self, wire: &str) -> Result<(), ImapError> {
        self.run("UNSUBSCRIBE", &quote(wire)?).await.map(|_| ())
    }

    /// Subscribe to folders in one round trip (pipelined like [`Session::create_many`]).
    pub async fn subscribe_many(&mut self, wires: &[String]) -> Result<(), ImapError> {
        self.pipelined("SUBSCRIBE", wires, &|_| false).await
    }

    /// Send `command <folder>` for every folder, then read every answer; a refusal that `fine` accepts is not
    /// an error. NO and BAD answers are read to the end, so the session stays in step; any other error (the
    /// connection) ends at once.
    async fn pipelined(
        &mut self,
        command: &'static str,
        wires: &[String],
        fine: &(dyn Fn(&ImapError) -> bool + Send + Sync),
    ) -> Result<(), ImapError> {
        let mut tags = Vec::with_capacity(wires.len());
        let mut batch = String::new();
        for w in wires {
            let tag = self.tag();
            batch.push_str(&format!("{tag} {command} {}\r\n", quote(w)?));
            tags.push(tag);
        }
        if tags.is_empty() {
            return Ok(());
        }
        self.write(batch.as_bytes()).await?;
        let mut first = None;
        for tag in &tags {
            match self.finish(tag, command).await {
                Ok(_) => {}
                Err(e) if fine(&e) => {}
                Err(e @ (ImapError::No { .. } | ImapError::Bad { .. })) => {
                    first.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        first.map_or(Ok(()), Err)
    }
}
