//! Sealing with a local key file (32 random bytes, mode 0600), created on first use. AES-256-GCM with the
//! context as associated data (see `crypto`).

use crate::crypto::{Envelope, open_with, random_key, seal_with};
use crate::model::Secret;
use crate::ports::{PortError, Sealed, SecretBox};
use async_trait::async_trait;
use std::io::Write;
use std::path::Path;

/// [`SecretBox`] keyed by a local file.
pub struct KeyFileSecretBox {
    key: [u8; 32],
}

impl KeyFileSecretBox {
    /// Read the key at `path`, creating it (readable by the owner only) if it does not exist.
    pub fn open_or_create(path: &Path) -> Result<Self, PortError> {
        let io = |e| PortError::backend("read key file", false, e);
        if !path.exists() {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut f) => f.write_all(&random_key()).and_then(|_| f.sync_all()).map_err(io)?,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(e)),
            }
        }
        let bytes = std::fs::read(path).map_err(io)?;
        let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            PortError::corrupt(format!("key file {}", path.display()), format!("{} bytes instead of 32", b.len()))
        })?;
        Ok(KeyFileSecretBox { key })
    }

    /// A box with a given key (tests).
    pub fn with_key(key: [u8; 32]) -> Self {
        KeyFileSecretBox { key }
    }
}

#[async_trait]
impl SecretBox for KeyFileSecretBox {
    async fn seal(&self, secret: &Secret<String>, context: &str) -> Result<Sealed, PortError> {
        Ok(seal_with(&self.key, secret, context, Vec::new())?)
    }

    async fn open(&self, sealed: &Sealed, context: &str) -> Result<Secret<String>, PortError> {
        let envelope = Envelope::from_sealed(sealed, context)?;
        if !envelope.wrapped_key.is_empty() {
            return Err(PortError::Tampered { context: context.to_string() });
        }
        Ok(open_with(&self.key, &envelope, context)?)
    }
}
