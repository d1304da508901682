//! The live check of each source account before a job is accepted: log in to the source, list and plan its
//! folders, count their messages and bytes (`STATUS=SIZE`), and log in to the destination mailbox (which must
//! exist: import first) and check that its quota, where reported, holds the source's mail. Runs
//! for many accounts at once, bounded; a failing account is reported by its line and left out of the job.

use super::credentials::{dest_login, endpoint, login_of};
use super::holds::{HasClock, HasSettings};
use crate::engine::{EngineError, Side};
use crate::imap::plan::{Filters, plan};
use crate::imap::{self, ImapError};
use crate::model::{EmailAddress, Preflight, SourceAccount};
use futures::StreamExt;

/// How many network timeouts one account's whole check may take.
const ACCOUNT_BUDGET_TIMEOUTS: u32 = 5;

/// The destination, checked once before any account: its master user logs in on behalf of up to three of the
/// file's mailboxes. When none succeeds, every row would fail for the same reason (a wrong host, port, TLS
/// setting, master user or password, or mailboxes not created yet), so the upload stops with that reason instead
/// of refusing every row and scheduling nothing useful.
pub(crate) async fn check_destination(deps: &impl HasSettings, addresses: &[EmailAddress]) -> Result<(), EngineError> {
    let dest = &deps.settings().destination;
    let (mut last, mut tried) = (None, Vec::new());
    for address in addresses.iter().take(3) {
        tried.push(address.to_string());
        match imap::open(&dest.endpoint, &dest_login(deps, address)).await {
            Ok(s) => {
                s.logout().await;
                return Ok(());
            }
            Err(source) => {
                // Only a refused login may depend on the mailbox; any other failure is the same for all.
                let again = matches!(source, ImapError::Auth { .. });
                last = Some(EngineError::Server {
                    side: Side::Destination,
                    server: format!("{}:{}", dest.endpoint.host, dest.endpoint.port),
                    user: format!("{} for {}", dest.master_user, tried.join(", ")),
                    source,
                });
                if !again {
                    break;
                }
            }
        }
    }
    last.map_or(Ok(()), Err)
}

/// Check every account, at most `preflight_concurrency` at once and never more than the per-source-server
/// connection cap (the pre-flight's logins count against the same server limits as the copy's); results in the
/// accounts' order.
pub(crate) async fn check_all(deps: &(impl HasClock + HasSettings), accounts: &[&SourceAccount]) -> Vec<Preflight> {
    let per_host = deps.settings().connections.per_source_host as usize;
    let limit = deps.settings().preflight_concurrency.min(per_host).max(1);
    // The futures are made first: a closure inside the stream's type would make the whole future `Send` only for
    // one lifetime, and a server that spawns the panel's requests needs it for any.
    let checks: Vec<_> = accounts.iter().map(|a| check(deps, a)).collect();
    futures::stream::iter(checks).buffered(limit).collect().await
}

async fn check(deps: &(impl HasClock + HasSettings), account: &SourceAccount) -> Preflight {
    // One account may not hold the whole upload: however its server behaves, its check ends by this deadline.
    let limit = deps.settings().imap_timeout * ACCOUNT_BUDGET_TIMEOUTS;
    let surveyed = tokio::time::timeout(limit, survey(deps, account)).await.unwrap_or_else(|_| {
        Err(format!(
            "source server {}:{}, user {}: the check did not finish within {} s",
            account.host,
            account.port,
            account.user,
            limit.as_secs()
        ))
    });
    match surveyed {
        Ok((folders, messages, bytes)) => Preflight { problem: None, folders, messages, bytes },
        Err(problem) => {
            tracing::info!(mailbox = %account.destination, problem = %problem, "pre-flight check failed");
            Preflight { problem: Some(problem), folders: 0, messages: 0, bytes: None }
        }
    }
}

/// Folders, messages and (where reported) bytes of an account; an error when it cannot be migrated.
async fn survey(
    deps: &(impl HasClock + HasSettings),
    account: &SourceAccount,
) -> Result<(u32, u64, Option<u64>), String> {
    let login = login_of(deps, account).await?;
    let server = format!("{}:{}", account.host, account.port);
    let src_ep = endpoint(deps, &account.host, account.port, account.security);
    let source_failed = |e: ImapError| {
        let hint = super::provider_tokens::server_hint(&e).map(|h| format!(" ({h})")).unwrap_or_default();
        format!("source server {server}, user {}: {e}{hint}", account.user)
    };
    // How a connection failed (refused, timed out, TLS, not IMAP, not allowed) is logged but not reported:
    // the report goes to whoever uploaded the file, who must not be able to probe networks with it.
    let mut src = imap::connect(&src_ep).await.map_err(|e| {
        tracing::info!(server = %server, error = %e, "source server unreachable");
        format!(
            "source server {server}: no IMAP server could be reached there with security {} (check the host, port and \
             security columns)",
            format!("{:?}", account.security).to_lowercase()
        )
    })?;
    imap::login(&mut src, &login).await.map_err(source_failed)?;
    let dest = &deps.settings().destination.endpoint;
    let dest_failed =
        |e: ImapError| format!("destination mailbox {} on {}:{}: {e}", account.destination, dest.host, dest.port);
    let mut dst = imap::open(dest, &dest_login(deps, &account.destination)).await.map_err(dest_failed)?;
    let result = async {
        let source_listing = src.listing().await.map_err(source_failed)?;
        let dest_listing = dst.listing().await.map_err(dest_failed)?;
        let filters = Filters {
            include: account.include.clone(),
            exclude: super::presets::exclude(
                super::presets::of(account.host.as_str(), Some(account.credentials.kind())),
                &account.include,
                &account.exclude,
            ),
            gmail_single_copy: account.gmail_single_copy,
        };
        let p = plan(&source_listing, &dest_listing, &filters);
        let wires: Vec<String> = p.folders.iter().map(|f| f.source_wire.clone()).collect();
        let statuses = src.status_with_sizes(&wires).await.map_err(source_failed)?;
        let messages = statuses.iter().map(|s| u64::from(s.messages.unwrap_or(0))).sum();
        let bytes: Option<u64> = statuses.iter().map(|s| s.size).sum();
        // The destination's quota, where it reports one, must hold what the source holds.
        if let (Some(bytes), Some(free)) = (bytes, dst.storage_free().await.map_err(dest_failed)?)
            && bytes > free
        {
            return Err(format!(
                "the source holds {:.1} MB but the destination mailbox {} has {:.1} MB of quota free",
                bytes as f64 / 1e6,
                account.destination,
                free as f64 / 1e6
            ));
        }
        Ok((p.folders.len() as u32, messages, bytes))
    }
    .await;
    src.logout().await;
    dst.logout().await;
    result
}
