//! Envelope encryption with KMS: a fresh data key per secret from `GenerateDataKey`, bound to the context by the
//! KMS encryption context `{"job": context}` and by the AEAD's associated data. Only the wrapped key is stored;
//! opening asks KMS to unwrap it with the same context.

use super::error::sdk_error;
use crate::crypto::{Envelope, open_with, seal_with};
use crate::model::Secret;
use crate::ports::{PortError, Sealed, SecretBox};
use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;

/// [`SecretBox`] on a KMS key.
#[derive(Clone, Debug)]
pub struct KmsSecretBox {
    client: Client,
    key_id: String,
}

impl KmsSecretBox {
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        KmsSecretBox { client, key_id: key_id.into() }
    }
}

fn key_bytes(plain: &[u8], context: &str) -> Result<[u8; 32], PortError> {
    plain.try_into().map_err(|_| PortError::Tampered { context: context.to_string() })
}

#[async_trait]
impl SecretBox for KmsSecretBox {
    async fn seal(&self, secret: &Secret<String>, context: &str) -> Result<Sealed, PortError> {
        let out = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .encryption_context("job", context)
            .send()
            .await
            .map_err(|e| sdk_error("generate data key", e))?;
        let plain = out.plaintext.ok_or_else(|| PortError::corrupt("KMS data key", "no plaintext"))?;
        let wrapped = out.ciphertext_blob.ok_or_else(|| PortError::corrupt("KMS data key", "no ciphertext"))?;
        Ok(seal_with(&key_bytes(plain.as_ref(), context)?, secret, context, wrapped.into_inner())?)
    }

    async fn open(&self, sealed: &Sealed, context: &str) -> Result<Secret<String>, PortError> {
        let envelope = Envelope::from_sealed(sealed, context)?;
        let out = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(envelope.wrapped_key.clone()))
            .encryption_context("job", context)
            .send()
            .await;
        let plain = match out {
            Ok(o) => o.plaintext.ok_or_else(|| PortError::corrupt("KMS data key", "no plaintext"))?,
            Err(e) if e.as_service_error().is_some_and(|se| se.is_invalid_ciphertext_exception()) => {
                return Err(PortError::Tampered { context: context.to_string() });
            }
            Err(e) => return Err(sdk_error("decrypt data key", e)),
        };
        Ok(open_with(&key_bytes(plain.as_ref(), context)?, &envelope, context)?)
    }
}
