//! JSON Web Tokens signed with RS256 (RFC 7519, RFC 7515; RSASSA-PKCS1-v1_5 with SHA-256): the assertion of
//! Google's domain-wide delegation (RFC 7523 `jwt-bearer` grant) and the client assertion of a Microsoft app with
//! a certificate. The key is the PKCS#8 PEM a Google service-account file holds in `private_key`.

use crate::model::Secret;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64URL};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};

/// Why a token could not be signed (never quoting the key).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("the private key is not a PEM \"PRIVATE KEY\" (PKCS#8) block")]
    NotPem,
    #[error("the private key is not a usable RSA key: {0}")]
    BadKey(String),
    #[error("the claims must be a JSON object")]
    ClaimsNotObject,
    #[error("signing failed")]
    Signing,
}

/// The DER bytes of the first `-----BEGIN PRIVATE KEY-----` block of `pem` (also with the `\n` escapes a JSON file
/// turns into real newlines already).
fn pkcs8_der(pem: &str) -> Result<Vec<u8>, JwtError> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let start = pem.find(BEGIN).ok_or(JwtError::NotPem)? + BEGIN.len();
    let end = pem[start..].find(END).ok_or(JwtError::NotPem)? + start;
    let body: String = pem[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(body).map_err(|_| JwtError::NotPem)
}

/// Sign `claims` (a JSON object) with the RSA key in `pkcs8_pem`: `header.claims.signature`, each base64url. The
/// header is `{"alg":"RS256","typ":"JWT"}` plus `kid` when given (Google's `private_key_id`, a certificate's
/// thumbprint as `x5t` goes in `extra_header`).
pub fn sign_rs256(
    claims: &Value,
    pkcs8_pem: &Secret<String>,
    kid: Option<&str>,
    extra_header: &[(&str, &str)],
) -> Result<Secret<String>, JwtError> {
    if !claims.is_object() {
        return Err(JwtError::ClaimsNotObject);
    }
    let der = pkcs8_der(pkcs8_pem.expose())?;
    let key = RsaKeyPair::from_pkcs8(&der).map_err(|e| JwtError::BadKey(e.to_string()))?;
    let mut header = json!({"alg": "RS256", "typ": "JWT"});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    for (name, value) in extra_header {
        header[*name] = json!(value);
    }
    let signing_input = format!("{}.{}", B64URL.encode(header.to_string()), B64URL.encode(claims.to_string()));
    let mut signature = vec![0u8; key.public().modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signing_input.as_bytes(), &mut signature)
        .map_err(|_| JwtError::Signing)?;
    Ok(Secret::new(format!("{signing_input}.{}", B64URL.encode(signature))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_and_claims_are_refused_without_quoting_the_key() {
        let claims = json!({"sub": "ann@example.com"});
        let not_pem = Secret::new("hunter2".to_string());
        assert_eq!(sign_rs256(&claims, &not_pem, None, &[]), Err(JwtError::NotPem));
        let garbage = Secret::new("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_string());
        let err = sign_rs256(&claims, &garbage, None, &[]).unwrap_err();
        assert!(matches!(err, JwtError::BadKey(_)) && !err.to_string().contains("AAAA"), "{err}");
        assert_eq!(sign_rs256(&json!([1]), &garbage, None, &[]), Err(JwtError::ClaimsNotObject));
    }
}
