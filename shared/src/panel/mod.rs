//! The control panel: server-rendered pages and a JSON API over the same stages the CLI drives, as one
//! function from an HTTP request to a response, so `mailferry serve` (hyper, one machine) and a Lambda function
//! (`lambda_http`) serve the very same router. Every page and API route takes the signed-in operator's session
//! (a signed cookie, see `session`) and acts only on the tenants it names: a job of another tenant is "not
//! found", never "forbidden", so ids cannot be probed. Every POST carries the session's CSRF token.
//!
//! Routes: `GET /sign-in`, `POST /sign-in`, `POST /sign-out`, `GET /` (dashboard), `GET /migrations/new` and
//! `POST /migrations` (upload), `GET /imports/new` and `POST /imports` (an import held for review), `GET
//! /jobs/{id}` with `POST /jobs/{id}/{final,retry,cancel,recheck,rest,create}`,
//! `GET /jobs/{id}/mailbox/{address}`, `GET /usage` and `GET /usage.csv?tenant=T`, and
//! `GET /jobs/{id}/{errors,validation,import}.csv`, the JSON API under `/api/v1` (see `api`), `GET
//! /static/panel.{css,js}`.

pub mod actions;
pub mod api;
pub mod chart;
pub mod imports;
pub mod job_page;
pub mod limiter;
pub mod multipart;
pub mod pages;
pub mod reads;
pub mod session;
pub mod table;
pub mod trial;
pub mod upload;

use crate::model::{JobId, Secret};
use crate::ports::SignIn;
use crate::stages::PanelDeps;
pub use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use limiter::LoginLimiter;
use session::{COOKIE, Session, SessionKey};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// The panel's ports and settings.
#[derive(Clone)]
pub struct Panel {
    pub deps: PanelDeps,
    /// Who may sign in (operator accounts here, a Cognito user pool on AWS).
    pub sign_in: Arc<dyn SignIn>,
    pub key: SessionKey,
    pub limiter: Arc<LoginLimiter>,
    /// Mark cookies `Secure` (the panel is served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
}

type Reply = Response<String>;

fn reply(status: StatusCode, content_type: &str, body: String) -> Reply {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, header::HeaderValue::from_str(content_type).expect("a content type"));
    h.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    h.insert("x-frame-options", header::HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", header::HeaderValue::from_static("nosniff"));
    h.insert(
        "content-security-policy",
        header::HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    );
    r
}

fn html(status: StatusCode, body: String) -> Reply {
    reply(status, "text/html; charset=utf-8", body)
}

fn json(status: StatusCode, value: serde_json::Value) -> Reply {
    reply(status, "application/json", value.to_string())
}

fn redirect(to: &str) -> Reply {
    let mut r = reply(StatusCode::SEE_OTHER, "text/plain; charset=utf-8", String::new());
    r.headers_mut().insert(header::LOCATION, header::HeaderValue::from_str(to).expect("a path"));
    r
}

fn not_found(api: bool) -> Reply {
    if api {
        return json(StatusCode::NOT_FOUND, serde_json::json!({"error": "not found"}));
    }
    html(StatusCode::NOT_FOUND, pages::layout("Not found", None, "<p>There is nothing here.</p>"))
}

/// The most a request body may hold: a form, or (on the routes that take files) a CSV of 50,000 rows.
pub const MAX_BODY: usize = 64 * 1024;
pub const MAX_UPLOAD: usize = 16 * 1024 * 1024;

/// The most the body of a request to `path` may hold, as the router reads it: the upload forms and a retry
/// (its corrected credentials, from the page or the API) take files; every other form is small.
pub fn body_limit(path: &str) -> usize {
    let job_action = path.strip_prefix("/api/v1/jobs/").or_else(|| path.strip_prefix("/jobs/"));
    let takes_files = matches!(path, "/migrations" | "/imports") || job_action.is_some_and(|a| a.ends_with("/retry"));
    if takes_files { MAX_UPLOAD } else { MAX_BODY }
}

/// A stage that failed while a page or the API read through it, as the port error the handlers answer with (a
/// 503 that may be tried again).
fn read_failed(op: &'static str) -> impl Fn(crate::stages::StageError) -> crate::ports::PortError {
    move |e| crate::ports::PortError::Backend { op, retryable: true, detail: e.to_string(), source: None }
}

/// The mailbox address a path segment names (percent-encoded; a `+` is itself, not a space).
fn path_address(segment: &str) -> String {
    crate::stages::form_value(&segment.replace('+', "%2B")).unwrap_or_default()
}

/// The pairs of an `application/x-www-form-urlencoded` body (at most 64 KiB is read by the servers).
fn form(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((crate::stages::form_value(k)?, crate::stages::form_value(v)?))
        })
        .collect()
}

/// The form's time-zone offset (`tz`: minutes east of UTC, as the page script fills it; none: UTC), within the
/// ±14 hours time zones span.
pub fn tz_offset(tz: Option<&str>) -> chrono::Duration {
    let minutes = tz.and_then(|t| t.trim().parse::<i64>().ok()).filter(|m| m.abs() <= 14 * 60).unwrap_or(0);
    chrono::Duration::minutes(minutes)
}

/// A `datetime-local` value (`2026-12-01T22:00`, seconds optional) in the form's time zone (`tz`, see
/// [`tz_offset`]), as UTC; `None` when it is not one.
fn local_time(text: &str, tz: Option<&str>) -> Option<chrono::DateTime<chrono::Utc>> {
    let parse = |format| chrono::NaiveDateTime::parse_from_str(text, format).ok();
    parse("%Y-%m-%dT%H:%M:%S").or_else(|| parse("%Y-%m-%dT%H:%M")).map(|t| t.and_utc() - tz_offset(tz))
}

fn cookie_of(req: &Request<Bytes>, name: &str) -> Option<String> {
    req.headers().get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        v.split(';').map(str::trim).find_map(|c| c.strip_prefix(name)?.strip_prefix('=').map(str::to_string))
    })
}

impl Panel {
    /// Answer one request from `peer`.
    pub async fn handle(&self, req: Request<Bytes>, peer: IpAddr) -> Reply {
        let path = req.uri().path().to_string();
        let api = path.starts_with("/api/");
        match (req.method().clone(), path.as_str()) {
            (Method::GET, "/static/panel.css") => reply(StatusCode::OK, "text/css", pages::CSS.into()),
            (Method::GET, "/static/panel.js") => reply(StatusCode::OK, "text/javascript", pages::JS.into()),
            (Method::GET, "/sign-in") => html(StatusCode::OK, pages::sign_in(None, "")),
            (Method::POST, "/sign-in") => self.sign_in(&req, peer).await,
            _ => {
                let now = self.deps.clock.now();
                let session = cookie_of(&req, COOKIE).and_then(|c| Session::from_cookie(&c, &self.key, now));
                match session {
                    Some(s) => self.signed_in(&req, &s, &path, api).await,
                    None if api => json(StatusCode::UNAUTHORIZED, serde_json::json!({"error": "sign in first"})),
                    None => redirect("/sign-in"),
                }
            }
        }
    }

    /// For a live view (`GET /jobs/{id}/events`, served by `mailferry serve` as Server-Sent Events): the job, if
    /// the request's session is valid and the job belongs to one of its tenants.
    pub async fn live_job(&self, req: &Request<Bytes>) -> Option<JobId> {
        let now = self.deps.clock.now();
        let session = cookie_of(req, COOKIE).and_then(|c| Session::from_cookie(&c, &self.key, now))?;
        let id = req.uri().path().strip_prefix("/jobs/")?.strip_suffix("/events")?;
        self.owned_job(&session, id).await.ok().flatten()
    }

    /// A job's progress as the JSON API gives it (`None` when it cannot be read now).
    pub async fn progress_json(&self, job: &JobId) -> Option<String> {
        let p = crate::stages::job_progress(&self.deps, job, true).await.ok().flatten()?;
        serde_json::to_string(&p).ok()
    }

    async fn signed_in(&self, req: &Request<Bytes>, s: &Session, path: &str, api: bool) -> Reply {
        let csrf = s.csrf(&self.key);
        // A multipart body (an upload, up to 16 MiB) is parsed once: for its token and for the route.
        let parts = (req.method() == Method::POST).then(|| multipart_of(req));
        let fields = fields_of(req, parts.as_ref());
        if req.method() == Method::POST && !csrf_of(req, &fields).is_some_and(|t| s.csrf_ok(&self.key, &t)) {
            return html(
                StatusCode::FORBIDDEN,
                pages::layout(
                    "Refused",
                    None,
                    "<p>The form was stale or forged: \
                reload the page and try again.</p>",
                ),
            );
        }
        let result = match (req.method().clone(), path) {
            (Method::POST, "/sign-out") => return self.sign_out(),
            (Method::GET, "/") => self.dashboard(s, &csrf).await,
            (Method::GET, "/api/v1/jobs") => self.api_jobs(s).await,
            (Method::GET, "/usage") => self.usage(s, &csrf, None).await,
            (Method::GET, "/usage.csv") => {
                let tenant = req.uri().query().and_then(|q| q.split('&').find_map(|p| p.strip_prefix("tenant=")));
                let tenant = tenant.unwrap_or("").to_string();
                self.usage(s, &csrf, Some(tenant)).await
            }
            (Method::GET, "/imports/new") => Ok(html(StatusCode::OK, imports::form_page(s, &csrf, None))),
            (Method::POST, "/imports") => match parts {
                Some(Ok(parts)) => Ok(imports::submit(&self.deps, s, &csrf, &parts).await),
                Some(Err(e)) => Ok(html(StatusCode::BAD_REQUEST, imports::form_page(s, &csrf, Some(&e)))),
                None => Ok(not_found(false)),
            },
            (Method::GET, "/migrations/new") => Ok(html(StatusCode::OK, upload::form_page(s, &csrf, None))),
            (Method::POST, "/migrations") => match parts {
                Some(Ok(parts)) => Ok(upload::submit(&self.deps, s, &csrf, &parts).await),
                Some(Err(e)) => Ok(html(StatusCode::BAD_REQUEST, upload::form_page(s, &csrf, Some(&e)))),
                None => Ok(not_found(false)),
            },
            (method, p) if p.starts_with("/jobs/") => {
                let rest = p["/jobs/".len()..].to_string();
                self.job_route(s, &csrf, method, &rest, (done_of(req), req.uri().query()), fields).await
            }
            (Method::GET, "/api/v1/session") => Ok(self.api_session(s, &csrf)),
            (method, p) if p.starts_with("/api/v1/jobs/") => {
                let rest = p["/api/v1/jobs/".len()..].to_string();
                self.api_job(s, method, &rest, fields).await
            }
            _ => Ok(not_found(api)),
        };
        result.unwrap_or_else(|e| {
            tracing::warn!(path = %path, error = %e, "panel request failed");
            let text = "the request could not be served; try again";
            if api {
                json(StatusCode::SERVICE_UNAVAILABLE, serde_json::json!({"error": text}))
            } else {
                html(StatusCode::SERVICE_UNAVAILABLE, pages::layout("Try again", None, &format!("<p>{text}</p>")))
            }
        })
    }

    async fn sign_in(&self, req: &Request<Bytes>, peer: IpAddr) -> Reply {
        let f = form(req.body());
        let email = f.get("email").map(|e| e.trim().to_ascii_lowercase()).unwrap_or_default();
        let password = Secret::new(f.get("password").cloned().unwrap_or_default());
        let keys = [format!("ip:{peer}"), format!("user:{email}")];
        let now = std::time::Instant::now();
        if let Some(wait) = self.limiter.wait(&keys, now) {
            let minutes = wait.as_secs().div_ceil(60);
            let text = format!("Too many failed sign-ins: try again in {minutes} minute(s).");
            return html(StatusCode::TOO_MANY_REQUESTS, pages::sign_in(Some(&text), &email));
        }
        let who = match self.sign_in.sign_in(&email, &password).await {
            Ok(who) => who,
            Err(e) => {
                tracing::warn!(error = %e, "the sign-in could not be checked");
                let text = "The sign-in could not be checked just now; try again in a minute.";
                return html(StatusCode::SERVICE_UNAVAILABLE, pages::sign_in(Some(text), &email));
            }
        };
        match who {
            Some(o) => {
                let session = Session::start(&o.email, o.tenants.clone(), self.deps.clock.now());
                tracing::info!(operator = %o.email, "panel sign-in");
                let mut r = redirect("/");
                r.headers_mut().insert(
                    header::SET_COOKIE,
                    self.cookie(&session.to_cookie(&self.key), session::SESSION_HOURS * 3600),
                );
                r
            }
            None => {
                self.limiter.failed(&keys, now);
                // The name was typed by anyone: logged as printable text only.
                let name = crate::text::printable(&email, 120);
                tracing::info!(operator = %name, peer = %peer, "panel sign-in refused");
                html(StatusCode::UNAUTHORIZED, pages::sign_in(Some("Wrong email or password."), &email))
            }
        }
    }

    fn cookie(&self, value: &str, max_age: i64) -> header::HeaderValue {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        let text = format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
        header::HeaderValue::from_str(&text).expect("a cookie of base64 text")
    }

    fn sign_out(&self) -> Reply {
        let mut r = redirect("/sign-in");
        r.headers_mut().insert(header::SET_COOKIE, self.cookie("", 0));
        r
    }
}

/// The parts of a `multipart/form-data` request.
fn multipart_of(req: &Request<Bytes>) -> Result<HashMap<String, multipart::Part>, String> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let boundary = multipart::boundary(content_type).ok_or("the form was not sent as multipart/form-data")?;
    multipart::parse(req.body(), &boundary)
}

/// What a POST to a job's action sent (`parts`: its multipart form, already parsed); nothing for a GET.
fn fields_of(
    req: &Request<Bytes>,
    parts: Option<&Result<HashMap<String, multipart::Part>, String>>,
) -> actions::Fields {
    match parts {
        Some(Ok(parts)) => actions::Fields::of_parts(parts),
        Some(Err(_)) => actions::Fields { text: form(req.body()), file: None },
        None => actions::Fields::default(),
    }
}

/// The CSRF token a POST carries: an `x-csrf-token` header (scripts), else its form's `csrf` field (URL-encoded or
/// multipart, read once into `fields`).
fn csrf_of(req: &Request<Bytes>, fields: &actions::Fields) -> Option<String> {
    match req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        Some(token) => Some(token.trim().to_string()),
        None => fields.text.get("csrf").map(|t| t.trim().to_string()),
    }
}

/// The message of `?done=<code>`, if the code is one of ours.
fn done_of(req: &Request<Bytes>) -> Option<&'static str> {
    let query = req.uri().query()?;
    query.split('&').find_map(|p| p.strip_prefix("done=")).and_then(actions::done_text)
}
