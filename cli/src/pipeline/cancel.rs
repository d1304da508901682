//! `mailferry cancel JOB [--state DIR | --aws]`: stop a job for good (an abandoned migration, a wrong upload).
//! Its pending passes are unscheduled and every sealed credential is purged at once; copies already made stay.

use super::commands::{StateArgs, fail, open_existing};
use mailferry::model::JobId;
use mailferry::stages::{self, Deps};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CancelArgs {
    /// The job to stop (its id, as `jobs` prints it).
    job: String,
    /// Cancel on the AWS deployment (the functions' environment, as for `schedule --aws`).
    #[cfg(feature = "aws")]
    #[arg(long)]
    aws: bool,
    #[command(flatten)]
    state: StateArgs,
}

pub async fn cancel(args: &CancelArgs) -> ExitCode {
    let job = match JobId::new(args.job.clone()) {
        Ok(j) => j,
        Err(e) => return fail("cancel", e),
    };
    #[cfg(feature = "aws")]
    if args.aws {
        return match super::commands::aws_deps("cancel").await {
            Ok(deps) => cancel_on(&deps, &job).await,
            Err(code) => code,
        };
    }
    match open_existing(&args.state) {
        Ok(home) => cancel_on(&home.deps, &job).await,
        Err(e) => fail("cancel", e),
    }
}

async fn cancel_on(deps: &Deps, job: &JobId) -> ExitCode {
    match stages::cancel(deps, job).await {
        Ok(purged) => {
            println!("job {job} cancelled; sealed credentials of {purged} mailbox(es) purged");
            ExitCode::SUCCESS
        }
        Err(e) => fail("cancel", e),
    }
}
