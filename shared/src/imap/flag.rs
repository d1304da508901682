//! Message flags as values that can only be written back as valid IMAP syntax (RFC 3501 §2.3.2, formal syntax
//! §9 `flag`): one of the five settable system flags, or a keyword that is an `atom`. A source server is
//! untrusted, so whatever it sends in `FLAGS (…)` goes through [`Flag::parse`] before it can reach an APPEND;
//! nothing else can be built, so the APPEND writer never sees raw bytes.

use std::fmt;

/// The longest keyword kept (Dovecot caps keywords well below this; a longer one is hostile or broken).
pub const MAX_KEYWORD: usize = 250;

/// A keyword (`$Forwarded`, `$Label1`, `work`): 1–[`MAX_KEYWORD`] `ATOM-CHAR`s, so no space, parenthesis, brace,
/// wildcard, quote, backslash, `]`, control character or 8-bit byte.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Keyword(String);

impl Keyword {
    /// The keyword if `s` is an atom; `None` otherwise.
    pub fn new(s: &str) -> Option<Keyword> {
        (!s.is_empty() && s.len() <= MAX_KEYWORD && s.bytes().all(is_atom_char)).then(|| Keyword(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `ATOM-CHAR` of RFC 3501 §9: any CHAR except atom-specials (`( ) {` SP CTL `% * " \ ]`).
pub fn is_atom_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// A flag that may be set on a message by APPEND.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    Seen,
    Answered,
    Flagged,
    Deleted,
    Draft,
    Keyword(Keyword),
}

/// Why a flag from a server was not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlagRefused {
    /// `\Recent` is the server's own and cannot be set by a client (RFC 3501 §2.3.2).
    Recent,
    /// A `\`-flag that is none of the system flags: a destination would refuse the whole APPEND for it.
    UnknownSystemFlag,
    /// Not an atom: it could smuggle syntax (spaces, parentheses, CR LF, literals) into a command.
    NotAnAtom,
    /// Past the first [`MAX_FLAGS`] of one message.
    TooMany,
}

/// The most flags read for one message (real messages carry a handful; a server sending a million must not cost
/// a million comparisons each).
pub const MAX_FLAGS: usize = 128;

impl Flag {
    /// Validate a flag as a server sent it. System flags are matched without regard to case.
    pub fn parse(s: &str) -> Result<Flag, FlagRefused> {
        if let Some(name) = s.strip_prefix('\\') {
            return match name.to_ascii_lowercase().as_str() {
                "seen" => Ok(Flag::Seen),
                "answered" => Ok(Flag::Answered),
                "flagged" => Ok(Flag::Flagged),
                "deleted" => Ok(Flag::Deleted),
                "draft" => Ok(Flag::Draft),
                "recent" => Err(FlagRefused::Recent),
                _ if Keyword::new(name).is_some() => Err(FlagRefused::UnknownSystemFlag),
                _ => Err(FlagRefused::NotAnAtom),
            };
        }
        Keyword::new(s).map(Flag::Keyword).ok_or(FlagRefused::NotAnAtom)
    }

    /// The flag as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Flag::Seen => "\\Seen",
            Flag::Answered => "\\Answered",
            Flag::Flagged => "\\Flagged",
            Flag::Deleted => "\\Deleted",
            Flag::Draft => "\\Draft",
            Flag::Keyword(k) => k.as_str(),
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for FlagRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FlagRefused::Recent => "\\Recent cannot be set by a client",
            FlagRefused::UnknownSystemFlag => "an unknown system flag",
            FlagRefused::NotAnAtom => "not a valid flag (only atoms can be keywords)",
            FlagRefused::TooMany => "more flags than mailferry keeps for one message",
        })
    }
}

/// The flags of a message as a server listed them: those that can be written back, and what was dropped (as the
/// server sent it, for reports; never sent anywhere).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub kept: Vec<Flag>,
    pub dropped: Vec<(String, FlagRefused)>,
}

impl Flags {
    /// Sort raw flag texts into kept and dropped; `\Recent` is dropped silently (every server sets it).
    pub fn from_raw<I: IntoIterator<Item = String>>(raw: I) -> Flags {
        let mut out = Flags::default();
        let mut raw = raw.into_iter();
        for r in raw.by_ref().take(MAX_FLAGS) {
            match Flag::parse(&r) {
                Ok(f) if !out.kept.contains(&f) => out.kept.push(f),
                Ok(_) | Err(FlagRefused::Recent) => {}
                Err(why) => out.dropped.push((r, why)),
            }
        }
        let more = raw.count();
        if more > 0 {
            out.dropped.push((format!("{more} more"), FlagRefused::TooMany));
        }
        out
    }

    /// The kept flags as an APPEND `flag-list` body (without parentheses).
    pub fn wire(flags: &[Flag]) -> String {
        flags.iter().map(Flag::as_str).collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_flags_and_keywords() {
        assert_eq!(Flag::parse("\\SEEN"), Ok(Flag::Seen));
        assert_eq!(Flag::parse("\\Draft").unwrap().as_str(), "\\Draft");
        assert_eq!(Flag::parse("$Label1").unwrap().as_str(), "$Label1");
        assert_eq!(Flag::parse("\\Recent"), Err(FlagRefused::Recent));
        assert_eq!(Flag::parse("\\Important"), Err(FlagRefused::UnknownSystemFlag));
    }

    #[test]
    fn nothing_that_is_not_an_atom() {
        for bad in ["", "a b", "x)\r\nZ1 DELETE", "{45}", "a\0b", "\"q\"", "a]", "50%", "*", "Entwürfe", "\\", "\\a b"]
        {
            assert!(Flag::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Keyword::new(&"k".repeat(MAX_KEYWORD + 1)).is_none());
    }

    #[test]
    fn sorting_raw_flags() {
        let f = Flags::from_raw(["\\Seen", "\\Recent", "\\Seen", "x y", "$Junk"].map(String::from));
        assert_eq!(f.kept, [Flag::Seen, Flag::Keyword(Keyword::new("$Junk").unwrap())]);
        assert_eq!(f.dropped, [("x y".to_string(), FlagRefused::NotAnAtom)]);
        assert_eq!(Flags::wire(&f.kept), "\\Seen $Junk");
        let many = Flags::from_raw((0..1_000_000).map(|i| format!("k{i}")));
        assert_eq!((many.kept.len(), many.dropped.len()), (MAX_FLAGS, 1));
        assert_eq!(many.dropped[0], ("999872 more".to_string(), FlagRefused::TooMany));
    }
}
