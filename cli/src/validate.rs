//! `mailferry validate FILE.csv [--json]`: read an upload exactly as the pipeline will and print every problem
//! with its line and column, then one summary line. Exit status: 0 valid, 1 not valid, 2 cannot be read.

use crate::source_args::SourceArgs;
use mailferry::csv::{self, Limits, Options, Purpose};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The CSV file to check.
    file: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// What the file must be (by default, whatever it looks like).
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    #[command(flatten)]
    source: SourceArgs,
    /// A domain that already exists on the destination (import files may then use it without a domain row).
    #[arg(long = "existing-domain", value_name = "DOMAIN")]
    existing_domains: Vec<String>,
    /// Refuse files larger than this many bytes.
    #[arg(long, default_value_t = Limits::default().max_bytes)]
    max_bytes: usize,
    /// Refuse files with more data rows than this.
    #[arg(long, default_value_t = Limits::default().max_rows)]
    max_rows: usize,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum KindArg {
    Import,
    Migration,
}

impl Args {
    fn options(&self) -> Options {
        Options {
            limits: Limits { max_bytes: self.max_bytes, max_rows: self.max_rows },
            expect: self.kind.map(|k| match k {
                KindArg::Import => Purpose::Import,
                KindArg::Migration => Purpose::Migration,
            }),
            source_defaults: self.source.defaults(),
            known_domains: self
                .existing_domains
                .iter()
                .filter_map(|d| mailferry::model::Domain::parse(d).ok())
                .map(|d| d.ascii().to_string())
                .collect(),
            domains_checked_later: false,
        }
    }
}

/// Run the command; the exit code is the contract scripts rely on.
pub fn run(args: &Args) -> ExitCode {
    let name = args.file.display().to_string();
    let unreadable = |message: String| {
        if args.json {
            println!("{}", json!({ "file": name, "readable": false, "valid": false, "error": message }));
        } else {
            eprintln!("{name}: {message}");
        }
        ExitCode::from(2)
    };
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => return unreadable(format!("cannot read the file: {e}")),
    };
    let validation = match csv::validate(&bytes, &args.options()) {
        Ok(v) => v,
        Err(e) => return unreadable(e.to_string()),
    };
    if args.json {
        let doc = json!({
            "file": name,
            "readable": true,
            "kind": validation.kind,
            "valid": validation.is_valid(),
            "errors": validation.error_count(),
            "warnings": validation.problems.len() - validation.error_count(),
            "problems": validation.problems,
            "summary": validation.summary(),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        for p in &validation.problems {
            println!("{name}: {p}");
        }
        println!("{}", validation.summary());
    }
    if validation.is_valid() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
