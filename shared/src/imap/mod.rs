//! The IMAP client of mailferry: a small, explicit client (responses parsed in full, literals streamed, no answer
//! trusted blindly): connecting (TLS with certificate checks, STARTTLS, the networks a host may be on), signing
//! in (passwords, master users, SASL XOAUTH2/OAUTHBEARER), folders (LIST, STATUS, QUOTA), FETCH and APPEND, and
//! folder planning (`plan`: source folders to destination names, special-use folders, Gmail labels). No ports and
//! no storage: the copy engine (`engine`) drives it, and the pre-flight reads folders through it.

mod address;
mod append;
pub(crate) mod connect;
mod date;
mod error;
pub(crate) mod fetch;
mod flag;
mod flag_store;
pub(crate) mod folders;
pub mod gmail;
pub(crate) mod parse;
pub mod plan;
#[cfg(test)]
mod plan_tests;
pub(crate) mod reader;
mod response;
mod sasl;
mod session;
mod signals;
mod special;
pub mod url;
pub mod utf7;

pub use append::{Appended, OutMessage};
pub use connect::{Endpoint, Login, Networks, connect, login, open};
pub use date::{InternalDate, format_internal_date, parse_internal_date};
pub use error::ImapError;
pub use fetch::{FetchedBody, MessageMeta, uid_set};
pub use flag::{Flag, FlagRefused, Flags, Keyword};
pub use folders::{FolderSurvey, ListEntry, Status};
pub use sasl::{BearerMechanism, BearerToken, TokenSource};
pub use session::{Selected, Session, Stream, quote};
pub use special::SpecialUse;
