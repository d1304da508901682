//! Blobs in a directory: a key is a relative path below the root. Writes go to a temporary file renamed into
//! place, so a reader never sees half an object.

use crate::ports::{Blobs, PortError};
use async_trait::async_trait;
use std::path::{Path, PathBuf};

/// [`Blobs`] in a local directory.
#[derive(Clone, Debug)]
pub struct DirBlobs {
    root: PathBuf,
}

impl DirBlobs {
    /// Blobs below `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirBlobs { root: root.into() }
    }

    /// The file for a key; keys with empty, `.` or `..` segments or a leading `/` are refused.
    fn path(&self, key: &str) -> Result<PathBuf, PortError> {
        let bad =
            key.is_empty() || key.starts_with('/') || key.split('/').any(|s| s.is_empty() || s == "." || s == "..");
        if bad {
            return Err(PortError::NotFound { what: format!("blob {key:?} (not a valid key)") });
        }
        Ok(self.root.join(key))
    }
}

fn io(op: &'static str) -> impl Fn(std::io::Error) -> PortError {
    move |e| PortError::backend(op, false, e)
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if crate::files::is_temporary(&name) {
            continue;
        }
        let key = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &key, out)?;
        } else {
            out.push(key);
        }
    }
    Ok(())
}

#[async_trait]
impl Blobs for DirBlobs {
    async fn put(&self, key: &str, bytes: Vec<u8>, _content_type: &str) -> Result<(), PortError> {
        let path = self.path(key)?;
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        // Uploads hold clear-text passwords until the upload stage deletes them: owner-only (0700 directories,
        // 0600 files, whatever the umask), written as crate::files writes secrets.
        tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
            crate::files::replace_file(&path, &bytes, 0o600, None)
        })
        .await
        .map_err(|e| PortError::backend("write blob", true, e))?
        .map_err(io("write blob"))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("read blob")(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("delete blob")(e)),
            _ => Ok(()),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        let root = self.root.clone();
        let prefix = prefix.to_string();
        tokio::task::spawn_blocking(move || {
            let mut keys = Vec::new();
            walk(&root, "", &mut keys).map_err(io("list blobs"))?;
            keys.retain(|k| k.starts_with(&prefix));
            keys.sort();
            Ok(keys)
        })
        .await
        .map_err(|e| PortError::backend("list blobs", true, e))?
    }
}
