//! Special-use folders (RFC 6154): recognised by attribute first, then by the names clients in several
//! languages give them, so `Sent Items`, `Gesendete Elemente` and `[Gmail]/Sent Mail` all land in the
//! destination's own Sent folder.

use std::fmt;

/// A special-use role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum SpecialUse {
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
}

/// The names each role goes by on servers without SPECIAL-USE (lower case; Gmail's `[Gmail]/` prefix is
/// stripped before), in the languages clients name them in (English, German, Italian, French, Spanish,
/// Portuguese, Dutch, Swedish, Polish, Czech, Russian …).
const NAMES: &[(SpecialUse, &[&str])] = &[
    (
        SpecialUse::Sent,
        &[
            "sent",
            "sent items",
            "sent messages",
            "sent mail",
            "sent-mail",
            "gesendet",
            "gesendete elemente",
            "gesendete objekte",
            "posta inviata",
            "elementi inviati",
            "inviata",
            "envoyés",
            "éléments envoyés",
            "messages envoyés",
            "enviados",
            "elementos enviados",
            "itens enviados",
            "verzonden",
            "verzonden items",
            "skickat",
            "skickade objekt",
            "wysłane",
            "odeslané",
            "отправленные",
        ],
    ),
    (
        SpecialUse::Drafts,
        &[
            "drafts",
            "draft",
            "entwürfe",
            "bozze",
            "brouillons",
            "borradores",
            "rascunhos",
            "concepten",
            "utkast",
            "kopie robocze",
            "черновики",
        ],
    ),
    (
        SpecialUse::Trash,
        &[
            "trash",
            "deleted items",
            "deleted messages",
            "bin",
            "papierkorb",
            "gelöschte elemente",
            "cestino",
            "elementi eliminati",
            "corbeille",
            "éléments supprimés",
            "papelera",
            "elementos eliminados",
            "lixeira",
            "itens excluídos",
            "prullenbak",
            "verwijderde items",
            "papperskorgen",
            "kosz",
            "koš",
            "корзина",
        ],
    ),
    (
        SpecialUse::Junk,
        &[
            "junk",
            "spam",
            "junk e-mail",
            "junk email",
            "bulk mail",
            "junk-e-mail",
            "spamverdacht",
            "posta indesiderata",
            "courrier indésirable",
            "correo no deseado",
            "lixo eletrônico",
            "ongewenste e-mail",
            "skräppost",
            "nevyžádaná pošta",
            "спам",
        ],
    ),
    (
        SpecialUse::Archive,
        &["archive", "archives", "archiv", "archivio", "archivo", "arquivo", "archief", "arkiv", "archiwum", "архив"],
    ),
];

impl SpecialUse {
    /// The RFC 6154 attribute.
    pub fn attribute(self) -> &'static str {
        match self {
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Trash => "\\Trash",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Archive => "\\Archive",
        }
    }

    /// The name to create on a destination that has no such folder.
    pub fn default_name(self) -> &'static str {
        match self {
            SpecialUse::Sent => "Sent",
            SpecialUse::Drafts => "Drafts",
            SpecialUse::Trash => "Trash",
            SpecialUse::Junk => "Junk",
            SpecialUse::Archive => "Archive",
        }
    }

    /// The role an attribute names, if any.
    pub fn from_attributes(attrs: &[String]) -> Option<SpecialUse> {
        const ALL: [SpecialUse; 5] =
            [SpecialUse::Sent, SpecialUse::Drafts, SpecialUse::Trash, SpecialUse::Junk, SpecialUse::Archive];
        ALL.into_iter().find(|s| attrs.iter().any(|a| a.eq_ignore_ascii_case(s.attribute())))
    }

    /// The role a folder name suggests (case-insensitive), for servers without SPECIAL-USE.
    pub fn from_name(name: &str) -> Option<SpecialUse> {
        let n = name.trim().to_lowercase();
        let n = n.strip_prefix("[gmail]/").or_else(|| n.strip_prefix("[google mail]/")).unwrap_or(&n);
        NAMES.iter().find(|(_, names)| names.contains(&n)).map(|(s, _)| *s)
    }
}

impl fmt::Display for SpecialUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.attribute())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_attribute_then_by_name() {
        assert_eq!(SpecialUse::from_attributes(&["\\HasNoChildren".into(), "\\sent".into()]), Some(SpecialUse::Sent));
        assert_eq!(SpecialUse::from_name("Sent Items"), Some(SpecialUse::Sent));
        assert_eq!(SpecialUse::from_name("Gesendete Elemente"), Some(SpecialUse::Sent));
        assert_eq!(SpecialUse::from_name("Posta inviata"), Some(SpecialUse::Sent));
        assert_eq!(SpecialUse::from_name("[Gmail]/Sent Mail"), Some(SpecialUse::Sent));
        assert_eq!(SpecialUse::from_name("Deleted Items"), Some(SpecialUse::Trash));
        assert_eq!(SpecialUse::from_name("Projects"), None);
    }
}
