//! Passwords the CLI reads for itself (the destination's master password; `sync`'s source and destination): from a
//! file (its content without the final line break) or an environment variable, never from a flag (it would show
//! in `ps` and the shell's history), straight into a [`Secret`].

use mailferry::model::Secret;
use std::path::Path;

/// The `what` password from `file`, else from the environment variable `env`; the error names both ways,
/// `file_flag` being the option that gives the file.
pub fn read(what: &str, env: &str, file: Option<&Path>, file_flag: &str) -> Result<Secret<String>, String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        return Ok(Secret::new(text.trim_end_matches(['\r', '\n']).to_string()));
    }
    std::env::var(env).map(Secret::new).map_err(|_| format!("no {what}: set {env} or give {file_flag}"))
}
