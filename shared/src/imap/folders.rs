//! Folder commands: LIST/LSUB (RFC 3501 §6.3.8–9), NAMESPACE (RFC 2342), STATUS, CREATE, SUBSCRIBE. NAMESPACE is
//! parsed here like everything else, so a server that sends it never derails the session.

use super::parse::{Tokens, Value};
use super::session::{Session, quote};
use super::{ImapError, utf7};

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
    pub uid_next: Option<u32>,
    pub uid_validity: Option<u32>,
    /// Total size in octets (RFC 8438 `STATUS=SIZE`), when asked for.
    pub size: Option<u64>,
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
                let (wide, n) = (*n, *n as u32);
                match k.to_ascii_uppercase().as_str() {
                    "MESSAGES" => s.messages = Some(n),
                    "UIDNEXT" => s.uid_next = Some(n),
                    "UIDVALIDITY" => s.uid_validity = Some(n),
                    "SIZE" => s.size = Some(wide),
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
            for u in &untagged {
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
                        return Ok((prefix.unwrap_or_default(), delim));
                    }
                    return Ok((String::new(), None));
                }
            }
        }
        let (untagged, _) = self.run("LIST", "\"\" \"\"").await?;
        let delim = untagged.iter().filter_map(|u| parse_list(u).ok().flatten()).find_map(|e| e.delimiter);
        Ok((String::new(), delim))
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
        match self.run("CREATE", &quote(wire)?).await {
            Ok(_) => Ok(()),
            Err(ImapError::No { code, text, .. })
                if code.as_deref() == Some("ALREADYEXISTS") || text.to_ascii_lowercase().contains("already exists") =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Subscribe to a folder.
    pub async fn subscribe(&mut self, wire: &str) -> Result<(), ImapError> {
        self.run("SUBSCRIBE", &quote(wire)?).await.map(|_| ())
    }
}
