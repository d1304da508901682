//! `mailferry`: the operator's command. Each subcommand lives in its own module; this file only parses the
//! command line and maps outcomes to exit codes.

mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Move whole companies from an old mail server to a new one.
#[derive(Parser)]
#[command(name = "mailferry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an import or migration CSV and print every problem (exit 0 valid, 1 not valid, 2 unreadable).
    Validate(validate::Args),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("MAILFERRY_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => validate::run(&args),
    }
}
