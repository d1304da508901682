//! Where the log goes: standard error, at `warn` (`--quiet`: errors only; `-v`: info; `-vv`: debug;
//! `MAILFERRY_LOG` overrides, e.g. `mailferry=debug`), and for the commands that copy (`migrate`, `schedule`)
//! also `<state>/mailferry.log` at info level, private to its owner, so a night's run can be read the next
//! morning. Log lines never hold a secret (see README, "Security model").

use std::fs::{File, OpenOptions};
use std::io;
use std::path::PathBuf;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How much to say on standard error.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct Verbosity {
    /// Only errors on standard error: no warnings, no progress bars.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More on standard error: -v what each stage does, -vv debugging detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Verbosity {
    fn filter(&self) -> EnvFilter {
        if let Ok(f) = std::env::var("MAILFERRY_LOG") {
            return EnvFilter::new(f);
        }
        EnvFilter::new(match (self.quiet, self.verbose) {
            (true, _) => "error",
            (false, 0) => "warn",
            (false, 1) => "info",
            (false, _) => "debug",
        })
    }
}

/// Appends to the log file, opening it per event: the state directory may not exist yet when logging starts
/// (`migrate` creates it); until it does, events go nowhere.
struct LogFile(PathBuf);

impl<'a> MakeWriter<'a> for LogFile {
    type Writer = Box<dyn io::Write>;

    fn make_writer(&'a self) -> Self::Writer {
        use std::os::unix::fs::OpenOptionsExt;
        let parent_exists = self.0.parent().is_some_and(|p| p.is_dir());
        let file: Option<File> = parent_exists
            .then(|| OpenOptions::new().create(true).append(true).mode(0o600).open(&self.0).ok())
            .flatten();
        match file {
            Some(f) => Box::new(f),
            None => Box::new(io::sink()),
        }
    }
}

/// Start logging; `file` is the log file of a command that copies.
pub fn init(v: Verbosity, file: Option<PathBuf>) {
    let stderr = tracing_subscriber::fmt::layer().with_writer(io::stderr).with_filter(v.filter());
    let file = file.map(|path| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(LogFile(path))
            .with_filter(EnvFilter::new("mailferry=info,mailferry_cli=info,warn"))
    });
    tracing_subscriber::registry().with(stderr).with(file).init();
}
