//! What the Lambda functions share: one handler per trigger that turns the Lambda event into stage calls. Each
//! `functions/<name>/src/main.rs` builds its function from the environment with the library's AWS composition
//! root (`UploadFunction`, `SchedulerFunction`, `CopyFunction`, `NotifierFunction`, `PanelFunction`: each holds
//! only the ports its stages use) and hands events to its handler; the handlers are plain async functions,
//! tested without the Lambda service (the local bridge in `tests/` plays it against moto).

mod handlers;
mod panel;

pub use handlers::{handle_copy, handle_notifier, handle_scheduler, handle_upload};
/// The functions' ports and settings from their environment: the library's AWS composition roots.
pub use mailferry::aws::{CopyFunction, NotifierFunction, PanelFunction, SchedulerFunction, UploadFunction, Vars};
pub use panel::{handle_panel, panel_from_env, panel_from_vars};

/// JSON logs to stdout (CloudWatch), filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .without_time()
        .with_ansi(false)
        .init();
}
