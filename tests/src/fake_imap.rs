//! A scripted IMAP server for fault injection and hostile answers only (what a real server cannot be made to
//! do): it announces one folder and then lies in the way the chosen [`Fault`] says. Everything else the engine
//! needs is answered normally, so each fault is tested on its own.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the server lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `UID FETCH 1:* (…)` returns no message although EXISTS is 5.
    EmptyListing,
    /// The listing is right, but body fetches return nothing while SEARCH says the messages exist.
    EmptyBodies,
    /// Two messages whose FLAGS and INTERNALDATE arrive as literals holding CR LF and whole commands
    /// ([`SMUGGLED_FLAGS`], [`SMUGGLED_DATE`]), the way a compromised server would try to reach the destination.
    SmuggledMetadata,
    /// LIST answers with a literal whose length has a sign and wraps a 64-bit addition.
    SignedLiteral,
    /// The greeting announces a 500 MB literal and then sends nothing.
    GreetingLiteral,
    /// LIST never completes: one untagged line every [`TRICKLE_MS`] ms, each well inside the idle timeout.
    Trickle,
    /// LIST never completes: untagged responses as fast as the socket takes them.
    Flood,
    /// A folder whose name arrives as a literal holding CR LF and a command.
    SmuggledFolderName,
}

/// Messages in the folder.
pub const EXISTS: u32 = 5;
/// The pause between trickled lines.
pub const TRICKLE_MS: u64 = 300;
/// What follows `\Seen` inside the FLAGS list of UID 1: a literal that would close the list and the APPEND
/// line, delete a folder and plant a message, if it were written into an APPEND unquoted.
pub const SMUGGLED_FLAGS: &str = "x)\r\nZ1 DELETE \"Important\"\r\nZ2 CREATE \"Planted\"\r\nZ5 APPEND \"Important\" (";
/// INTERNALDATE of UID 2: a date, a closing quote and two commands.
pub const SMUGGLED_DATE: &str = "01-Jan-2024 10:00:00 +0000\" {5}\r\nhello\r\nZ3 DELETE \"Important\"\r\nZ4 NOOP \"";

/// The body of message `uid` as served.
pub fn body(uid: u32) -> String {
    format!("From: a@example.test\r\nSubject: hostile {uid}\r\n\r\nbody {uid}\r\n")
}

/// Start the server on a free port; it serves until the test ends.
pub async fn start(fault: Fault) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(serve(sock, fault));
        }
    });
    port
}

fn exists(fault: Fault) -> u32 {
    match fault {
        Fault::SmuggledMetadata => 2,
        Fault::SmuggledFolderName => 0,
        _ => EXISTS,
    }
}

async fn serve(sock: tokio::net::TcpStream, fault: Fault) {
    let (r, mut w) = sock.into_split();
    let mut lines = BufReader::new(r).lines();
    let caps = "IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN UIDPLUS";
    if fault == Fault::GreetingLiteral {
        let _ = w.write_all(b"* OK {500000000}\r\n").await;
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        return;
    }
    let _ = w.write_all(format!("* OK [CAPABILITY {caps}] fake ready\r\n").as_bytes()).await;
    let n = exists(fault);
    while let Ok(Some(line)) = lines.next_line().await {
        let mut parts = line.splitn(2, ' ');
        let tag = parts.next().unwrap_or("*").to_string();
        let rest = parts.next().unwrap_or("").to_string();
        let upper = rest.to_ascii_uppercase();
        let mut out = String::new();
        if upper.starts_with("CAPABILITY") {
            out += &format!("* CAPABILITY {caps}\r\n");
        } else if upper.starts_with("LIST \"\" \"\"") {
            out += "* LIST (\\Noselect) \"/\" \"\"\r\n";
        } else if upper.starts_with("LIST") {
            match fault {
                Fault::SignedLiteral => out += "* LIST () \"/\" {+18446744073709551591}\r\nINBOX\r\n",
                Fault::Trickle | Fault::Flood => {
                    endless(&mut w, fault).await;
                    return;
                }
                Fault::SmuggledFolderName => {
                    let name = "Evil\r\nZ9 DELETE \"Important\"";
                    out += &format!(
                        "* LIST (\\HasNoChildren) \"/\" INBOX\r\n* LIST () \"/\" {{{}}}\r\n{name}\r\n",
                        name.len()
                    );
                }
                _ => out += "* LIST (\\HasNoChildren) \"/\" INBOX\r\n",
            }
        } else if upper.starts_with("EXAMINE") || upper.starts_with("SELECT") {
            out += &format!("* {n} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT {}] ok\r\n", n + 1);
        } else if upper.starts_with("STATUS") {
            out += &format!("* STATUS INBOX (MESSAGES {n} UIDNEXT {} UIDVALIDITY 7)\r\n", n + 1);
        } else if upper.starts_with("UID FETCH") && upper.contains("RFC822.SIZE") {
            out += &metadata(fault);
        } else if upper.starts_with("UID FETCH") && fault == Fault::SmuggledMetadata {
            for uid in 1..=n {
                let b = body(uid);
                out += &format!("* {uid} FETCH (UID {uid} BODY[] {{{}}}\r\n{b})\r\n", b.len());
            }
        } else if upper.starts_with("UID SEARCH") {
            out += "* SEARCH 1 2 3 4 5\r\n";
        } else if upper.starts_with("LOGOUT") {
            out += "* BYE bye\r\n";
        }
        // UID FETCH of bodies, LSUB, AUTHENTICATE …: just OK, with nothing.
        out += &format!("{tag} OK done\r\n");
        if w.write_all(out.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn metadata(fault: Fault) -> String {
    let date = "\"01-Jan-2024 10:00:00 +0000\"";
    match fault {
        Fault::EmptyBodies => (1..=EXISTS)
            .map(|uid| format!("* {uid} FETCH (UID {uid} FLAGS (\\Seen) INTERNALDATE {date} RFC822.SIZE 20)\r\n"))
            .collect(),
        Fault::SmuggledMetadata => {
            let (f, d) = (SMUGGLED_FLAGS, SMUGGLED_DATE);
            let (s1, s2) = (body(1).len(), body(2).len());
            format!(
                "* 1 FETCH (UID 1 FLAGS (\\Seen {{{}}}\r\n{f}) INTERNALDATE {date} RFC822.SIZE {s1})\r\n\
                 * 2 FETCH (UID 2 FLAGS (\\Flagged) INTERNALDATE {{{}}}\r\n{d} RFC822.SIZE {s2})\r\n",
                f.len(),
                d.len()
            )
        }
        _ => String::new(),
    }
}

async fn endless(w: &mut tokio::net::tcp::OwnedWriteHalf, fault: Fault) {
    let mut i = 0u64;
    loop {
        i += 1;
        let line = format!("* LIST () \"/\" \"Folder {i}\"\r\n");
        if w.write_all(line.as_bytes()).await.is_err() {
            return;
        }
        if fault == Fault::Trickle {
            tokio::time::sleep(std::time::Duration::from_millis(TRICKLE_MS)).await;
        } else if i.is_multiple_of(1000) {
            tokio::task::yield_now().await;
        }
    }
}
