//! The IMAP side of mailferry: a small, explicit client (responses parsed in full, literals streamed, no answer
//! trusted blindly), folder planning, and the copy engine. Depends on the checkpoint port, never on a store.

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
