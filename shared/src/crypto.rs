//! AES-256-GCM sealing shared by both secret boxes, and the text form of a sealed value:
//! `mf1.<wrapped data key>.<nonce>.<ciphertext>` in URL-safe base64. The context (job id) is the AEAD's
//! associated data, so a value sealed for one job cannot be opened for another. On AWS the data key is
//! wrapped by KMS; embedded, the wrapped part is empty and the local key encrypts directly.
//! Also the Argon2id hashing of the control panel's operator passwords. Errors are this module's own
//! ([`CryptoError`]); the secret boxes turn them into the port's.

use crate::model::Secret;
use crate::ports::{PortError, Sealed};
use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

const VERSION: &str = "mf1";

/// What can go wrong sealing, opening or hashing.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// Changed, framed wrongly, or sealed for another context: never opened, never retried.
    #[error("the sealed value for {context} was tampered with or belongs elsewhere")]
    Tampered { context: String },
    #[error("encryption failed")]
    Encrypt,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl From<CryptoError> for PortError {
    fn from(e: CryptoError) -> PortError {
        match e {
            CryptoError::Tampered { context } => PortError::Tampered { context },
            other => PortError::Backend { op: "seal", retryable: false, detail: other.to_string(), source: None },
        }
    }
}

/// The parts of a sealed value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The data key as wrapped by a key service (empty when the key is local).
    pub wrapped_key: Vec<u8>,
    pub nonce: [u8; 12],
    pub ciphertext: Vec<u8>,
}

impl Envelope {
    /// The stored text form.
    pub fn to_sealed(&self) -> Sealed {
        Sealed(format!(
            "{VERSION}.{}.{}.{}",
            B64.encode(&self.wrapped_key),
            B64.encode(self.nonce),
            B64.encode(&self.ciphertext)
        ))
    }

    /// Parse the stored text form; any damage to the framing is reported as tampering.
    pub fn from_sealed(sealed: &Sealed, context: &str) -> Result<Self, CryptoError> {
        let tampered = || CryptoError::Tampered { context: context.to_string() };
        let mut parts = sealed.0.split('.');
        if parts.next() != Some(VERSION) {
            return Err(tampered());
        }
        let mut next = || parts.next().and_then(|p| B64.decode(p).ok()).ok_or_else(tampered);
        let wrapped_key = next()?;
        let nonce: [u8; 12] = next()?.try_into().map_err(|_| tampered())?;
        let ciphertext = next()?;
        if parts.next().is_some() {
            return Err(tampered());
        }
        Ok(Envelope { wrapped_key, nonce, ciphertext })
    }
}

/// A fresh random 256-bit key.
pub fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    OsRng.fill_bytes(&mut key);
    key
}

/// Encrypt `secret` under `key` with `context` as associated data.
pub fn seal_with(
    key: &[u8; 32],
    secret: &Secret<String>,
    context: &str,
    wrapped_key: Vec<u8>,
) -> Result<Sealed, CryptoError> {
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; 12];
    OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: secret.expose().as_bytes(), aad: context.as_bytes() })
        .map_err(|_| CryptoError::Encrypt)?;
    Ok(Envelope { wrapped_key, nonce, ciphertext }.to_sealed())
}

/// Decrypt an envelope under `key`; any authentication failure is [`CryptoError::Tampered`].
pub fn open_with(key: &[u8; 32], envelope: &Envelope, context: &str) -> Result<Secret<String>, CryptoError> {
    let tampered = || CryptoError::Tampered { context: context.to_string() };
    let cipher = Aes256Gcm::new(key.into());
    let plain = cipher
        .decrypt(Nonce::from_slice(&envelope.nonce), Payload { msg: &envelope.ciphertext, aad: context.as_bytes() })
        .map_err(|_| tampered())?;
    String::from_utf8(plain).map(Secret::new).map_err(|_| tampered())
}

/// An Argon2id PHC hash of a password (19 MiB, 2 passes, 1 lane: OWASP's minimum), for operator accounts.
pub fn hash_password(password: &crate::model::Secret<String>) -> Result<String, CryptoError> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let failed = |e: &dyn std::fmt::Display| CryptoError::Hash(e.to_string());
    let params = argon2::Params::new(19 * 1024, 2, 1, None).map_err(|e| failed(&e))?;
    let hasher = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::generate(&mut OsRng);
    hasher.hash_password(password.expose().as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| failed(&e))
}

/// Whether `password` matches the PHC `hash`. Without an account (`None`) a dummy hash is checked all the same,
/// so an unknown name takes as long as a wrong password.
pub fn verify_password(hash: Option<&str>, password: &crate::model::Secret<String>) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Bq8vCLG8b0CNg2P3PkZ8QWv3Qjz1Xf5ybF6dYl3m3mQ";
    let parsed = PasswordHash::new(hash.unwrap_or(DUMMY)).or_else(|_| PasswordHash::new(DUMMY));
    let Ok(parsed) = parsed else { return false };
    argon2::Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok() && hash.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding_to_context() {
        let key = random_key();
        let pw = "correct horse battery staple";
        let s = seal_with(&key, &Secret::new(pw.into()), "job-1", vec![]).unwrap();
        assert!(!s.0.contains(pw));
        let e = Envelope::from_sealed(&s, "job-1").unwrap();
        assert_eq!(open_with(&key, &e, "job-1").unwrap().expose(), pw);
        assert!(matches!(open_with(&key, &e, "job-2"), Err(CryptoError::Tampered { .. })));
        assert!(matches!(Envelope::from_sealed(&Sealed("mf2.a.b.c".into()), "j"), Err(CryptoError::Tampered { .. })));
    }
}
