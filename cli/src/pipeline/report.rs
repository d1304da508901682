//! `mailferry report [JOB] [--errors]`: a job's reports as CSV on standard output — the validation report (every
//! row's problems and each mailbox's pre-flight), or with `--errors` one row per message the destination refused,
//! per folder or mailbox that failed and per mailbox the pre-flight refused.

use super::commands::{StateArgs, fail, open_existing};
use mailferry::model::JobId;
use mailferry::stages::{Deps, error_report};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ReportArgs {
    /// The job (default: the newest one `migrate` started in the state directory).
    job: Option<String>,
    /// The per-message error CSV: pass, mailbox, folder, uid, size, date, subject, error.
    #[arg(long)]
    errors: bool,
    /// Read the AWS deployment instead of the state directory (same environment as `schedule --aws`).
    #[cfg(feature = "aws")]
    #[arg(long)]
    aws: bool,
    #[command(flatten)]
    state: StateArgs,
}

async fn print(deps: &Deps, job: &JobId, errors: bool) -> Result<(), String> {
    if deps.store.job(job).await.map_err(|e| e.to_string())?.is_none() {
        return Err(format!("there is no job {job}"));
    }
    let text = if errors {
        error_report(deps, job).await.map_err(|e| e.to_string())?
    } else {
        let key = format!("reports/{job}/validation.csv");
        let bytes = deps.blobs.get(&key).await.map_err(|e| e.to_string())?;
        String::from_utf8_lossy(&bytes.ok_or_else(|| format!("{job} has no validation report"))?).into_owned()
    };
    print!("{text}");
    Ok(())
}

pub async fn report(args: &ReportArgs) -> ExitCode {
    #[cfg(feature = "aws")]
    if args.aws {
        let deps = match super::commands::aws_deps("report").await {
            Ok(d) => d,
            Err(code) => return code,
        };
        let Some(job) = args.job.clone() else { return fail("report", "--aws needs the job id") };
        let result = match JobId::new(job) {
            Ok(id) => print(&deps, &id, args.errors).await,
            Err(e) => Err(e.to_string()),
        };
        return result.map_or_else(|e| fail("report", e), |()| ExitCode::SUCCESS);
    }
    let home = match open_existing(&args.state) {
        Ok(h) => h,
        Err(e) => return fail("report", e),
    };
    let job = match args.job.clone().map(JobId::new).transpose().map_err(|e| e.to_string()) {
        Ok(j) => super::status::resolve(&home, j.as_ref()),
        Err(e) => Err(e),
    };
    let result = match job {
        Ok(id) => print(&home.deps, &id, args.errors).await,
        Err(e) => Err(e),
    };
    result.map_or_else(|e| fail("report", e), |()| ExitCode::SUCCESS)
}
