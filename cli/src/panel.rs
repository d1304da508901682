//! `mailferry serve`: the control panel on one machine (hyper, HTTP/1.1) with the runner working in the same
//! process, over the same state directory as `migrate`; and `mailferry panel add-user`: an operator account
//! (Argon2id hash in the state database). The router itself is `mailferry::panel`, shared with the Lambda
//! flavour.

use crate::pipeline::commands::{RunArgs, StateArgs, fail};
use crate::pipeline::runner::run_until_stopped;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::{TokioIo, TokioTimer};
use mailferry::crypto::hash_password;
use mailferry::embedded::{Database, SqliteOperators};
use mailferry::model::{Secret, TenantId};
use mailferry::panel::session::SessionKey;
use mailferry::panel::{Panel, limiter::LoginLimiter};
use mailferry::ports::{Operator, Operators};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// The longest a client may take to send a request's body (a 16 MiB upload over a slow line included): a client
/// that trickles bytes holds a connection no longer than this.
const BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(300);

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Where to listen (`127.0.0.1:8080`; port 0 picks a free one, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Mark the session cookie `Secure` (the panel is reached over HTTPS through a proxy).
    #[arg(long)]
    secure_cookies: bool,
    /// On a new state directory: the destination server and its master user (as `migrate --dest`); a state
    /// directory `migrate` or `serve` made before keeps its own.
    #[arg(long, value_name = "URL")]
    dest: Option<String>,
    /// On a new state directory: an extra CA certificate (PEM) to trust for sources, destination and SMTP.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<std::path::PathBuf>,
    /// On a new state directory: let source servers be on loopback, private or link-local networks.
    #[arg(long)]
    allow_private_sources: bool,
    /// Where imports create accounts: `passwd-file:PATH` or `postgres://USER@HOST:PORT/DB` (password in
    /// PGPASSWORD), as `mailferry import --target`. Without it the panel validates import files only.
    #[arg(long, value_name = "TARGET")]
    import_target: Option<String>,
    /// A CA certificate (PEM) to trust for the import target's PostgreSQL TLS.
    #[arg(long, value_name = "FILE")]
    import_ca_file: Option<std::path::PathBuf>,
    /// Seconds a client may take to send a request's header before its connection is closed (a client that
    /// opens connections and sends nothing, or trickles, holds none for longer; the body has 300 s).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    #[command(flatten)]
    smtp: crate::pipeline::smtp::SmtpOptions,
    #[command(flatten)]
    run: RunArgs,
}

impl ServeArgs {
    /// The state directory (for the log file).
    pub fn state_dir(&self) -> &Path {
        &self.run.state.state
    }
}

#[derive(clap::Subcommand)]
pub enum PanelCommand {
    /// Create or replace an operator account (password from MAILFERRY_PANEL_PASSWORD, else one line of stdin).
    AddUser {
        /// The operator's email address (the sign-in name).
        email: String,
        /// A tenant whose jobs the operator sees and acts on (repeatable).
        #[arg(long = "tenant", required = true)]
        tenants: Vec<String>,
        #[command(flatten)]
        state: StateArgs,
    },
}

#[derive(clap::Args)]
pub struct PanelArgs {
    #[command(subcommand)]
    command: PanelCommand,
}

/// The key session cookies are signed with: `panel-key` in the state directory, 32 random bytes made once (0600).
fn session_key(dir: &Path) -> Result<SessionKey, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("panel-key");
    if let Ok(bytes) = std::fs::read(&path)
        && bytes.len() >= 32
    {
        return Ok(SessionKey::new(&bytes));
    }
    let mut secret = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret).map_err(|_| "no randomness")?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    std::io::Write::write_all(&mut f, &secret).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(SessionKey::new(&secret))
}

fn operators(dir: &Path) -> Result<SqliteOperators, String> {
    Ok(SqliteOperators::new(Database::open(&dir.join("state.sqlite")).map_err(|e| e.to_string())?))
}

pub async fn panel(args: &PanelArgs) -> ExitCode {
    let PanelCommand::AddUser { email, tenants, state } = &args.command;
    let result = async {
        crate::pipeline::private_dir(&state.state)?;
        let tenants = tenants
            .iter()
            .map(|t| TenantId::new(t.clone()).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let password = match std::env::var("MAILFERRY_PANEL_PASSWORD") {
            Ok(p) => p,
            Err(_) => {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
                line.trim_end_matches(['\r', '\n']).to_string()
            }
        };
        if password.chars().count() < 10 {
            return Err("the password must have at least 10 characters".to_string());
        }
        let password_hash = hash_password(&Secret::new(password)).map_err(|e| e.to_string())?;
        let op = Operator { email: email.trim().to_ascii_lowercase(), tenants, password_hash };
        operators(&state.state)?.put_operator(&op).await.map_err(|e| e.to_string())?;
        Ok::<_, String>(op)
    };
    match result.await {
        Ok(op) => {
            let tenants: Vec<&str> = op.tenants.iter().map(|t| t.as_str()).collect();
            println!("operator {} may sign in to the panel for {}", op.email, tenants.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => fail("panel", e),
    }
}

pub async fn serve(args: &ServeArgs) -> ExitCode {
    let home = match config(args).await.and_then(|c| crate::pipeline::commands::open(&args.run, c)) {
        Ok(h) => h,
        Err(e) => return fail("serve", e),
    };
    let (key, operators) = match (session_key(&home.dir), operators(&home.dir)) {
        (Ok(k), Ok(o)) => (k, o),
        (Err(e), _) | (_, Err(e)) => return fail("serve", e),
    };
    let mut deps = mailferry::stages::PanelDeps::from_deps(&home.deps);
    if let Some(target) = &args.import_target {
        match crate::import::directory(target, args.import_ca_file.as_deref()).await {
            Ok(d) => deps.directory = Some(d),
            Err(e) => return fail("serve", format!("--import-target: {e}")),
        }
    }
    let panel = Arc::new(Panel {
        deps,
        sign_in: Arc::new(operators),
        key,
        limiter: Arc::new(LoginLimiter::default()),
        secure_cookies: args.secure_cookies,
    });
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => return fail("serve", format!("cannot listen on {}: {e}", args.listen)),
    };
    let at = listener.local_addr().map_or(args.listen, |a| a);
    println!("panel listening on http://{at}/ (state {})", home.dir.display());
    let stop = home.deps.settings.copy.stop.clone();
    crate::interrupt::watch(stop.clone());
    let workers = args.run.workers.unwrap_or(home.config.workers);
    let runner = tokio::spawn(run_until_stopped(home.clone(), workers));
    let header_deadline = std::time::Duration::from_secs(args.header_timeout);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = wait_for(stop.clone()) => break,
        };
        let Ok((tcp, peer)) = accepted else { continue };
        let panel = panel.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let panel = panel.clone();
                async move { Ok::<_, std::convert::Infallible>(answer(panel, req, peer).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_deadline)
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
    let _ = runner.await;
    ExitCode::SUCCESS
}

/// The configuration to write: `None` when the state directory has one already (then `--dest` must not differ).
async fn config(args: &ServeArgs) -> Result<Option<crate::pipeline::Config>, String> {
    let dir = args.state_dir();
    if crate::pipeline::Home::config_of(dir).is_some() {
        return Ok(None);
    }
    let dest = args.dest.clone().ok_or_else(|| {
        format!("{} holds no mailferry state yet: give --dest imaps://MASTER@HOST for the destination", dir.display())
    })?;
    mailferry::imap::url::parse(&dest)?;
    let mut config = crate::pipeline::Config::defaults(dest);
    config.ca_file = args.ca_file.clone();
    config.allow_private_sources = args.allow_private_sources;
    config.smtp = args.smtp.config(dir).await?;
    Ok(Some(config))
}

async fn wait_for(stop: mailferry::engine::Stop) {
    while !stop.requested() {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, std::convert::Infallible>;

/// How often a live view gets the job's progress, and how long one stream lasts (the page opens a new one).
const EVENT_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
const EVENT_STREAM_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

/// Read the body (bounded), hand the request to the panel, and turn its answer into hyper's. A job's live view
/// (`GET /jobs/{id}/events`) is a Server-Sent Events stream of its progress JSON, for its own tenants only.
async fn answer(
    panel: Arc<Panel>,
    req: hyper::Request<hyper::body::Incoming>,
    peer: SocketAddr,
) -> hyper::Response<Body> {
    let (parts, body) = req.into_parts();
    let limit = mailferry::panel::body_limit(parts.uri.path());
    let refuse = |status, text: &'static [u8]| {
        let mut r = hyper::Response::new(Full::new(Bytes::from_static(text)).boxed_unsync());
        *r.status_mut() = status;
        r
    };
    let bytes = match tokio::time::timeout(BODY_DEADLINE, Limited::new(body, limit).collect()).await {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(_)) => return refuse(http::StatusCode::PAYLOAD_TOO_LARGE, b"request too large"),
        Err(_) => return refuse(http::StatusCode::REQUEST_TIMEOUT, b"the request took too long to arrive"),
    };
    let req = http::Request::from_parts(parts, bytes);
    if req.method() == http::Method::GET
        && req.uri().path().ends_with("/events")
        && let Some(job) = panel.live_job(&req).await
    {
        return events(panel, job);
    }
    let reply = panel.handle(req, peer.ip()).await;
    let (parts, body) = reply.into_parts();
    hyper::Response::from_parts(parts, Full::new(Bytes::from(body)).boxed_unsync())
}

/// The Server-Sent Events stream of a job's progress: one `data:` event at once, then every `EVENT_EVERY`.
fn events(panel: Arc<Panel>, job: mailferry::model::JobId) -> hyper::Response<Body> {
    let until = tokio::time::Instant::now() + EVENT_STREAM_FOR;
    let stream = futures::stream::unfold((panel, job, true), move |(panel, job, first)| async move {
        if !first {
            tokio::time::sleep(EVENT_EVERY).await;
        }
        if tokio::time::Instant::now() >= until {
            return None;
        }
        let text = match panel.progress_json(&job).await {
            Some(json) => format!("data: {json}\n\n"),
            None => ": progress unavailable just now\n\n".to_string(),
        };
        Some((Ok(hyper::body::Frame::data(Bytes::from(text))), (panel, job, false)))
    });
    let mut r = hyper::Response::new(http_body_util::StreamBody::new(stream).boxed_unsync());
    let h = r.headers_mut();
    h.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/event-stream"));
    h.insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    r
}
