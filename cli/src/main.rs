//! `mailferry`: the operator's command. Each subcommand lives in its own module; this file only parses the
//! command line and maps outcomes to exit codes.

mod domains;
mod import;
mod interrupt;
mod logging;
mod panel;
mod password;
mod pipeline;
#[cfg(feature = "aws")]
mod seal;
mod source_args;
mod sync;

mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Move whole companies from an old mail server to a new one.
#[derive(Parser)]
#[command(name = "mailferry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    verbosity: logging::Verbosity,
}

#[derive(Subcommand)]
enum Command {
    /// Check an import or migration CSV and print every problem (exit 0 valid, 1 not valid, 2 unreadable).
    Validate(validate::Args),
    /// Copy one mailbox between two IMAP servers; re-running resumes, then copies only what is new.
    Sync(sync::Args),
    /// Run a whole migration on this machine: validate and check the CSV, then copy every mailbox at --at.
    Migrate(Box<pipeline::commands::MigrateArgs>),
    /// Schedule a pass of a job (the final sync after the MX change) and run it.
    Schedule(pipeline::commands::ScheduleArgs),
    /// Create the domains, mailboxes and aliases of an import CSV on the destination (PostgreSQL or passwd-file).
    Import(import::Args),
    /// Export a tenant's usage for billing: mailboxes and reserved quota per domain per day (CSV).
    Usage(import::UsageArgs),
    /// Declare which tenant owns which destination domains (migrations and imports stay within them).
    Domains(domains::Args),
    /// Stop a job for good: unschedule its passes and purge its sealed credentials now.
    Cancel(pipeline::cancel::CancelArgs),
    /// The cutover assistant: do the job's domains' MX records point to the new platform, and since when is the
    /// final pass safe? With --final-when-ready it schedules the final pass itself (exit 0 safe, 1 not yet).
    Cutover(pipeline::cutover::CutoverArgs),
    /// Send notifications through an SMTP server (or --off: to the outbox again); --test ADDRESS sends one.
    Smtp(pipeline::smtp::SmtpArgs),
    /// The control panel on this machine (and the runner, in the same process): `--listen 127.0.0.1:8080`.
    Serve(panel::ServeArgs),
    /// Control panel accounts: `panel add-user EMAIL --tenant T`.
    Panel(panel::PanelArgs),
    /// Show a job's progress per mailbox.
    Status(pipeline::commands::StatusArgs),
    /// List the jobs of a state directory, newest first, with what is scheduled for each.
    Jobs(pipeline::jobs::JobsArgs),
    /// Another pass over the mailboxes that need it (refused or failed; or --mailbox A, or --all), with corrected
    /// credentials from --credentials FILE where given.
    Retry(pipeline::retry::RetryArgs),
    /// Print a job's validation report, or with --errors every message and mailbox that did not make it (CSV).
    Report(pipeline::report::ReportArgs),
    /// Print a completion script for a shell: `mailferry completions bash > /etc/bash_completion.d/mailferry`.
    Completions {
        /// The shell the script is for.
        shell: clap_complete::Shell,
    },
    /// Seal a secret from standard input with the deployment's KMS key (for DEST_MASTER_PASSWORD_SEALED).
    #[cfg(feature = "aws")]
    Seal(seal::Args),
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_file = match &cli.command {
        Command::Migrate(args) => Some(args.state_dir().join("mailferry.log")),
        Command::Schedule(args) => Some(args.state_dir().join("mailferry.log")),
        Command::Retry(args) => Some(args.state_dir().join("mailferry.log")),
        Command::Cutover(args) => Some(args.state_dir().join("mailferry.log")),
        Command::Serve(args) => Some(args.state_dir().join("mailferry.log")),
        _ => None,
    };
    logging::init(cli.verbosity, log_file);
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Sync(args) => runtime().block_on(sync::run(&args, cli.verbosity.quiet)),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "mailferry", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Migrate(args) => runtime().block_on(pipeline::commands::migrate(&args, cli.verbosity.quiet)),
        Command::Schedule(args) => runtime().block_on(pipeline::commands::schedule(&args, cli.verbosity.quiet)),
        Command::Status(args) => runtime().block_on(pipeline::commands::status(&args)),
        Command::Jobs(args) => runtime().block_on(pipeline::jobs::jobs(&args)),
        Command::Retry(args) => runtime().block_on(pipeline::retry::retry(&args, cli.verbosity.quiet)),
        Command::Report(args) => runtime().block_on(pipeline::report::report(&args)),
        Command::Cutover(args) => runtime().block_on(pipeline::cutover::run(&args, cli.verbosity.quiet)),
        Command::Smtp(args) => runtime().block_on(pipeline::smtp::run(&args)),
        Command::Serve(args) => runtime().block_on(panel::serve(&args)),
        Command::Panel(args) => runtime().block_on(panel::panel(&args)),
        Command::Cancel(args) => runtime().block_on(pipeline::cancel::cancel(&args)),
        Command::Import(args) => runtime().block_on(import::run(&args)),
        Command::Usage(args) => runtime().block_on(import::usage(&args)),
        Command::Domains(args) => runtime().block_on(domains::run(&args)),
        #[cfg(feature = "aws")]
        Command::Seal(args) => runtime().block_on(seal::run(&args)),
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every argument of every command says what it is for in `--help`.
    #[test]
    fn every_argument_has_help() {
        let cli = Cli::command();
        let mut missing = Vec::new();
        let mut stack: Vec<(String, &clap::Command)> = vec![("mailferry".into(), &cli)];
        while let Some((path, cmd)) = stack.pop() {
            if cmd.get_about().is_none() && path != "mailferry" {
                missing.push(path.clone());
            }
            for arg in cmd.get_arguments().filter(|a| !["help", "version"].contains(&a.get_id().as_str())) {
                if arg.get_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            stack.extend(cmd.get_subcommands().map(|c| (format!("{path} {}", c.get_name()), c)));
        }
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }
}
