//! `mailferry domains claim DOMAIN… --tenant T [--state DIR | --aws]`: the operator declares which tenant owns
//! which destination domains. Migrations and imports are refused (by line) for a domain their tenant does not
//! own; imports claim the domains they create by themselves, so this is for domains that already exist on the
//! platform. A domain another tenant owns cannot be claimed.

use mailferry::model::{Domain, TenantId};
use mailferry::ports::DomainOwners;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Declare that TENANT owns these destination domains.
    Claim {
        /// The destination domains (example.com; internationalised names in either form).
        #[arg(required = true)]
        domains: Vec<String>,
        /// The tenant that owns them (the name `migrate --tenant` and upload keys use).
        #[arg(long)]
        tenant: String,
        /// The state directory of the embedded home.
        #[arg(long, default_value = "mailferry-state")]
        state: PathBuf,
        /// The AWS deployment instead (the functions' environment: TABLE_NAME …).
        #[cfg(feature = "aws")]
        #[arg(long)]
        aws: bool,
    },
}

/// Claim every domain for `tenant`; the first refusal stops with a message naming the domain.
pub async fn claim_all(owners: &dyn DomainOwners, tenant: &str, domains: &[String]) -> Result<(), String> {
    let tenant = TenantId::new(tenant.to_string()).map_err(|e| format!("--tenant: {e}"))?;
    for d in domains {
        let domain = Domain::parse(d).map_err(|e| format!("{d}: not a domain name: it {e}"))?;
        owners.claim(&tenant, domain.ascii()).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

pub async fn run(args: &Args) -> ExitCode {
    let Action::Claim { domains, tenant, state, .. } = &args.action;
    let owners = match owners(&args.action, state).await {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    match claim_all(owners.as_ref(), tenant, domains).await {
        Ok(()) => {
            println!("tenant {tenant} owns {}", domains.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn owners(action: &Action, state: &std::path::Path) -> Result<Arc<dyn DomainOwners>, String> {
    #[cfg(feature = "aws")]
    if let Action::Claim { aws: true, .. } = action {
        return mailferry::aws::Deployment::from_env().await.map(|l| l.deps.domains);
    }
    let _ = action;
    crate::pipeline::private_dir(state)?;
    let db = mailferry::embedded::Database::open(&state.join("state.sqlite")).map_err(|e| e.to_string())?;
    Ok(Arc::new(mailferry::embedded::SqliteDomainOwners::new(db)))
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("mailferry domains: {e}");
    ExitCode::from(2)
}
