//! Notifications by real email on one machine: an SMTP submission server for the embedded home, set with
//! `migrate --smtp URL` or `mailferry smtp URL` on an existing state directory, kept in `config.json` with its
//! password sealed by the directory's key; without one, notifications go to the `outbox/` as `.eml` files.
//! `mailferry smtp --test ADDRESS` sends a test message; `--off` goes back to the outbox.

use super::commands::{StateArgs, fail};
use mailferry::embedded::{KeyFileSecretBox, OutboxMailer, SMTP_CONTEXT, SmtpMailer, SmtpServer};
use mailferry::model::Secret;
use mailferry::ports::{Email, Mailer, Sealed, SecretBox};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// The SMTP server a state directory sends its notifications through.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SmtpConfig {
    /// `smtp://[USER@]HOST[:PORT]` (STARTTLS), `smtps://…` (TLS) or `smtp://HOST:25?plain`.
    pub url: String,
    /// The notifications' sender (`From:` and the envelope sender).
    pub from: String,
    /// The account's password, sealed with the state directory's key (context `smtp`).
    #[serde(default)]
    pub password_sealed: Option<String>,
}

/// The SMTP options of `migrate` (and of `mailferry smtp`).
#[derive(clap::Args, Clone, Default)]
pub struct SmtpOptions {
    /// Send notifications through this SMTP submission server instead of writing them to the outbox:
    /// `smtp://USER@HOST[:587]` (STARTTLS, required), `smtps://USER@HOST[:465]` or `smtp://HOST:25?plain` (no
    /// password). The password comes from --smtp-password-file or MAILFERRY_SMTP_PASSWORD and is kept sealed.
    #[arg(long, value_name = "URL", value_parser = check_url)]
    pub smtp: Option<String>,
    /// The notifications' sender address with --smtp [default: the SMTP user when it is an address].
    #[arg(long, value_name = "ADDRESS")]
    pub smtp_from: Option<String>,
    /// File holding the SMTP password (else MAILFERRY_SMTP_PASSWORD).
    #[arg(long, value_name = "FILE")]
    pub smtp_password_file: Option<PathBuf>,
}

fn check_url(text: &str) -> Result<String, String> {
    SmtpServer::parse(text).map(|_| text.to_string())
}

impl SmtpOptions {
    /// The configuration to keep in `dir` (its password sealed with the directory's key), when --smtp was given.
    pub async fn config(&self, dir: &Path) -> Result<Option<SmtpConfig>, String> {
        let Some(url) = &self.smtp else { return Ok(None) };
        let server = SmtpServer::parse(url)?;
        let from = match (&self.smtp_from, &server.user) {
            (Some(f), _) => f.clone(),
            (None, Some(u)) if u.contains('@') => u.clone(),
            _ => return Err("--smtp-from is needed: the SMTP user is not an email address".into()),
        };
        let password = match (&self.smtp_password_file, std::env::var("MAILFERRY_SMTP_PASSWORD")) {
            (Some(path), _) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?
                    .trim_end_matches(['\r', '\n'])
                    .to_string(),
            ),
            (None, Ok(p)) => Some(p),
            (None, Err(_)) if server.user.is_some() => {
                return Err("no SMTP password: set MAILFERRY_SMTP_PASSWORD or give --smtp-password-file".into());
            }
            (None, Err(_)) => None,
        };
        let password_sealed = match password {
            Some(p) => {
                super::private_dir(dir)?;
                let key = KeyFileSecretBox::open_or_create(&dir.join("key")).map_err(|e| e.to_string())?;
                Some(key.seal(&Secret::new(p), SMTP_CONTEXT).await.map_err(|e| e.to_string())?.0)
            }
            None => None,
        };
        Ok(Some(SmtpConfig { url: url.clone(), from, password_sealed }))
    }
}

/// The mailer of a state directory: SMTP when configured, else the outbox.
pub fn mailer(
    dir: &Path,
    smtp: Option<&SmtpConfig>,
    ca_file: Option<&PathBuf>,
    secrets: Arc<dyn SecretBox>,
) -> Result<Arc<dyn Mailer>, String> {
    let Some(c) = smtp else { return Ok(Arc::new(OutboxMailer::new(dir.join("outbox")))) };
    let mut server = SmtpServer::parse(&c.url)?;
    server.ca_file = ca_file.cloned();
    let sealed_password = c.password_sealed.clone().map(|p| (Sealed(p), secrets));
    Ok(Arc::new(SmtpMailer { server, sealed_password }))
}

#[derive(clap::Args)]
pub struct SmtpArgs {
    /// The SMTP submission server (as `migrate --smtp`); omitted: keep the one configured.
    #[arg(value_name = "URL", value_parser = check_url)]
    url: Option<String>,
    /// The sender address [default: the SMTP user when it is an address].
    #[arg(long, value_name = "ADDRESS")]
    from: Option<String>,
    /// File holding the SMTP password (else MAILFERRY_SMTP_PASSWORD).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Send a test message to this address (after setting the server, if one is given).
    #[arg(long, value_name = "ADDRESS")]
    test: Option<String>,
    /// Stop using SMTP: notifications go to the outbox again.
    #[arg(long, conflicts_with_all = ["url", "test"])]
    off: bool,
    #[command(flatten)]
    state: StateArgs,
}

fn rewrite(dir: &Path, change: impl FnOnce(&mut super::Config)) -> Result<(), String> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut config: super::Config =
        serde_json::from_str(&text).map_err(|e| format!("{} is damaged: {e}", path.display()))?;
    change(&mut config);
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap_or_default())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub async fn run(args: &SmtpArgs) -> ExitCode {
    let dir = &args.state.state;
    if let Err(e) = super::existing(dir) {
        return fail("smtp", e);
    }
    if args.off {
        return match rewrite(dir, |c| c.smtp = None) {
            Ok(()) => {
                println!("notifications go to {} again", dir.join("outbox").display());
                ExitCode::SUCCESS
            }
            Err(e) => fail("smtp", e),
        };
    }
    if let Some(url) = &args.url {
        let options = SmtpOptions {
            smtp: Some(url.clone()),
            smtp_from: args.from.clone(),
            smtp_password_file: args.password_file.clone(),
        };
        let config = match options.config(dir).await {
            Ok(c) => c,
            Err(e) => return fail("smtp", e),
        };
        if let Err(e) = rewrite(dir, |c| c.smtp = config) {
            return fail("smtp", e);
        }
        println!("notifications are sent through {url}");
    }
    let Some(to) = &args.test else { return ExitCode::SUCCESS };
    let home = match super::Home::open_existing(dir) {
        Ok(h) => h,
        Err(e) => return fail("smtp", e),
    };
    let email = Email {
        from: home.deps.settings.sender.clone(),
        to: vec![to.clone()],
        subject: "mailferry: test message".into(),
        text: "This is a test message from mailferry: notifications of this state directory reach you.\n".into(),
        html: None,
    };
    match home.deps.mailer.send(&email).await {
        Ok(id) => {
            println!("test message sent to {to} (Message-ID <{id}>)");
            ExitCode::SUCCESS
        }
        Err(e) => fail("smtp", e),
    }
}
