//! Passwords for the destination's directory: a hash given in the import file is stored as given; a plain
//! password is hashed here, at once, with Argon2id in the `{ARGON2ID}` form Dovecot verifies (through libsodium),
//! and the clear text is dropped. Parameters: OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane), a per-
//! password random salt.

use crate::model::{PasswordSpec, Secret};
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

/// The scheme plain passwords are hashed with.
pub const SCHEME: &str = "ARGON2ID";

/// Why a password could not be hashed (the message never contains it).
#[derive(Debug, thiserror::Error)]
#[error("hashing a password failed: {0}")]
pub struct HashError(String);

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hash a plain password: `{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$salt$hash`.
pub fn hash_plain(password: &Secret<String>) -> Result<Secret<String>, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    let phc = hasher().hash_password(password.expose().as_bytes(), &salt).map_err(|e| HashError(e.to_string()))?;
    Ok(Secret::new(format!("{{{SCHEME}}}{phc}")))
}

/// The value to store for a password: the given hash in `{SCHEME}hash` form, or a fresh hash of a plain one.
/// CPU-heavy for plain passwords (tens of milliseconds): callers hash many on blocking threads.
pub fn stored_form(spec: &PasswordSpec) -> Result<Secret<String>, HashError> {
    match spec {
        PasswordSpec::Plain(p) => hash_plain(p),
        PasswordSpec::Hashed { scheme, hash } => Ok(Secret::new(format!("{{{scheme}}}{}", hash.expose()))),
    }
}

/// Hash many passwords (`(key, spec)`) on `threads` threads of their own, returning the stored forms by key.
/// A fixed, small set of threads keeps memory at `threads` × 19 MiB (a thread per hash would keep a malloc arena
/// of that size each). Blocking: call it from a blocking context.
pub fn stored_forms(
    specs: &[(String, PasswordSpec)],
    threads: usize,
) -> Result<std::collections::BTreeMap<String, Secret<String>>, HashError> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let out = Mutex::new(std::collections::BTreeMap::new());
    let failed: Mutex<Option<HashError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, specs.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((key, spec)) = specs.get(i) else { break };
                    match stored_form(spec) {
                        Ok(h) => {
                            out.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone(), h);
                        }
                        Err(e) => {
                            *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                            break;
                        }
                    }
                }
            });
        }
    });
    match failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(e) => Err(e),
        None => Ok(out.into_inner().unwrap_or_else(|e| e.into_inner())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHash, PasswordVerifier};

    #[test]
    fn plain_passwords_become_salted_argon2id() {
        let pw = Secret::new("correct horse battery staple".to_string());
        let (a, b) = (hash_plain(&pw).unwrap(), hash_plain(&pw).unwrap());
        assert!(a.expose().starts_with("{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$"), "{}", a.expose());
        assert_ne!(a.expose(), b.expose(), "a fresh salt each time");
        assert!(!a.expose().contains("correct horse"));
        let phc = PasswordHash::new(a.expose().trim_start_matches("{ARGON2ID}")).unwrap();
        assert!(hasher().verify_password(b"correct horse battery staple", &phc).is_ok());
        assert!(hasher().verify_password(b"wrong", &phc).is_err());
        let given = PasswordSpec::Hashed { scheme: "SHA512-CRYPT".into(), hash: Secret::new("$6$abc$def".into()) };
        assert_eq!(stored_form(&given).unwrap().expose(), "{SHA512-CRYPT}$6$abc$def");
    }
}
