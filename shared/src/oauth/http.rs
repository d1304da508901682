//! The one HTTP exchange OAuth needs: POST a form to a token endpoint and read the JSON answer (RFC 6749 §3.2),
//! over TLS with certificate checks (the same roots as IMAP, plus a CA file). Plain `http://` only to a loopback
//! address (a local test endpoint): a credential never crosses a network in clear. The answer is bounded in size
//! and time.

use super::OAuthError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpStream;

/// The most a token endpoint may answer.
const MAX_ANSWER: usize = 64 << 10;

/// A parsed `http(s)://host[:port]/path` URL.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    tls: bool,
    host: String,
    port: u16,
    path: String,
}

fn target(url: &str) -> Result<Target, OAuthError> {
    let bad = |why: &str| OAuthError::Endpoint { url: url.to_string(), detail: why.to_string() };
    let (tls, rest) = match url.split_once("://") {
        Some(("https", rest)) => (true, rest),
        Some(("http", rest)) => (false, rest),
        _ => return Err(bad("not an http(s) URL")),
    };
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    if authority.is_empty() || authority.contains('@') || path.chars().any(|c| c.is_control() || c == ' ') {
        return Err(bad("no host, or a user or space in the URL"));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
            (h, p.parse().map_err(|_| bad("the port is not a number"))?)
        }
        _ => (authority, if tls { 443 } else { 80 }),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let this_machine = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !tls && !this_machine {
        return Err(bad("plain http is allowed only to this machine (use https)"));
    }
    Ok(Target { tls, host, port, path: path.to_string() })
}

/// POST `form` (already URL-encoded) to `url`; the status and the body. `ca_file`: one more CA to trust.
pub(crate) async fn post_form(
    url: &str,
    form: String,
    ca_file: Option<&PathBuf>,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), OAuthError> {
    let t = target(url)?;
    let exchange = async {
        let tcp = TcpStream::connect((t.host.as_str(), t.port)).await.map_err(OAuthError::network(url))?;
        let request = Request::post(&t.path)
            .header("host", &t.host)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Full::new(Bytes::from(form)))
            .map_err(|e| OAuthError::Endpoint { url: url.to_string(), detail: e.to_string() })?;
        if t.tls {
            let config = crate::tls::client_config(ca_file.map(|p| p.as_path()))
                .map_err(|detail| OAuthError::Endpoint { url: url.to_string(), detail })?;
            let name = rustls_pki_types::ServerName::try_from(t.host.clone())
                .map_err(|e| OAuthError::Endpoint { url: url.to_string(), detail: e.to_string() })?;
            let tls =
                tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.map_err(OAuthError::network(url))?;
            send(url, TokioIo::new(tls), request).await
        } else {
            send(url, TokioIo::new(tcp), request).await
        }
    };
    tokio::time::timeout(timeout, exchange).await.map_err(|_| OAuthError::Network {
        url: url.to_string(),
        detail: format!("no answer within {} s", timeout.as_secs()),
    })?
}

async fn send<I>(url: &str, io: I, request: Request<Full<Bytes>>) -> Result<(u16, Vec<u8>), OAuthError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await.map_err(OAuthError::network(url))?;
    let driver = tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(OAuthError::network(url));
    let result = match response {
        Ok(r) => {
            let status = r.status().as_u16();
            match Limited::new(r.into_body(), MAX_ANSWER).collect().await {
                Ok(body) => Ok((status, body.to_bytes().to_vec())),
                Err(e) => Err(OAuthError::Network { url: url.to_string(), detail: format!("reading the answer: {e}") }),
            }
        }
        Err(e) => Err(e),
    };
    driver.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_and_plain_http_stays_on_this_machine() {
        let t = target("https://oauth2.googleapis.com/token").unwrap();
        assert_eq!((t.tls, t.host.as_str(), t.port, t.path.as_str()), (true, "oauth2.googleapis.com", 443, "/token"));
        let t = target("http://127.0.0.1:8080/tenant/oauth2/v2.0/token").unwrap();
        assert_eq!((t.tls, t.port, t.path.as_str()), (false, 8080, "/tenant/oauth2/v2.0/token"));
        assert!(target("http://login.example.com/token").is_err(), "plain http to the network");
        assert!(target("ftp://x/token").is_err());
        assert!(target("https://user@host/token").is_err());
        assert!(target("https://host:port/token").is_err());
    }
}
