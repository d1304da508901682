//! Requests to the panel's router as a browser sends them, for the in-process panel tests: a signed-in
//! operator's cookie and CSRF token, pages, URL-encoded and multipart forms, and where a redirect leads.

use bytes::Bytes;
use http::{Method, Request, header};
use mailferry::panel::Panel;
use std::net::IpAddr;

/// Where the tests' requests come from.
pub const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
const BOUNDARY: &str = "mfTestBoundary7";

/// A `multipart/form-data` body of `fields` and one CSV `file` (name, text).
pub fn multipart(fields: &[(&str, &str)], file: (&str, &str)) -> Bytes {
    multipart_files(fields, &[("file", file.0, file.1)])
}

/// A `multipart/form-data` body of `fields` and `files` (field, file name, text).
pub fn multipart_files(fields: &[(&str, &str)], files: &[(&str, &str, &str)]) -> Bytes {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    for (field, name, text) in files {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: \
             application/octet-stream\r\n\r\n{text}\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    Bytes::from(body)
}

/// POST a [`multipart`] `body` to `path`.
pub fn post_multipart(path: &str, cookie: &str, body: Bytes) -> Request<Bytes> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body)
        .unwrap()
}

/// GET `path` with the session `cookie`.
pub fn get(path: &str, cookie: &str) -> Request<Bytes> {
    Request::builder().uri(path).header(header::COOKIE, cookie).body(Bytes::new()).unwrap()
}

/// POST the URL-encoded `form` to `path`.
pub fn post_form(cookie: &str, path: &str, form: &str) -> Request<Bytes> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Bytes::from(form.to_string()))
        .unwrap()
}

/// Sign in (`email` and `password` URL-encoded) and read the CSRF token off the upload form: (cookie, token).
pub async fn signed_in(panel: &Panel, email: &str, password: &str) -> (String, String) {
    let form = format!("email={email}&password={password}");
    let req = Request::builder().method(Method::POST).uri("/sign-in").body(Bytes::from(form)).unwrap();
    let r = panel.handle(req, PEER).await;
    let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let page = panel.handle(get("/migrations/new", &cookie), PEER).await;
    assert!(page.body().contains("enctype=\"multipart/form-data\"") && page.body().contains("type=\"file\""));
    let csrf = page.body().split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    (cookie, csrf)
}

/// The job a redirect leads to (`/jobs/JOB?…`).
pub fn job_in(r: &http::Response<String>) -> String {
    let to = r.headers()[header::LOCATION].to_str().unwrap();
    to.trim_start_matches("/jobs/").split('?').next().unwrap().to_string()
}
