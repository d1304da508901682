//! A scripted IMAP server for fault injection only (what a real server cannot be made to do): it announces a
//! folder of five messages and then answers listings or body fetches with nothing, the way a client that lost
//! track of the protocol would see it. Everything else the engine needs is answered normally.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the server lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `UID FETCH 1:* (…)` returns no message although EXISTS is 5.
    EmptyListing,
    /// The listing is right, but body fetches return nothing while SEARCH says the messages exist.
    EmptyBodies,
}

const EXISTS: u32 = 5;

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

async fn serve(sock: tokio::net::TcpStream, fault: Fault) {
    let (r, mut w) = sock.into_split();
    let mut lines = BufReader::new(r).lines();
    let caps = "IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN UIDPLUS";
    let _ = w.write_all(format!("* OK [CAPABILITY {caps}] fake ready\r\n").as_bytes()).await;
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
            out += "* LIST (\\HasNoChildren) \"/\" INBOX\r\n";
        } else if upper.starts_with("EXAMINE") || upper.starts_with("SELECT") {
            out += &format!("* {EXISTS} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT {}] ok\r\n", EXISTS + 1);
        } else if upper.starts_with("STATUS") {
            out += &format!("* STATUS INBOX (MESSAGES {EXISTS} UIDNEXT {} UIDVALIDITY 7)\r\n", EXISTS + 1);
        } else if upper.starts_with("UID FETCH") && upper.contains("RFC822.SIZE") {
            if fault == Fault::EmptyBodies {
                for uid in 1..=EXISTS {
                    out += &format!(
                        "* {uid} FETCH (UID {uid} FLAGS (\\Seen) INTERNALDATE \"01-Jan-2024 10:00:00 +0000\" RFC822.SIZE 20)\r\n"
                    );
                }
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
