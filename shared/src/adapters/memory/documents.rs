//! Issued documents in memory, for the devserver and tests. Links imitate S3's presigned URLs:
//! `<base>/dev/documents/<key>?expires=<unix>&signature=<hex>`, an HMAC of key and expiry under a
//! key made at start, checked by `open` (the devserver's route) before it serves the bytes.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::ports::{DocumentFiles, DocumentLink, StoreError, LINK_LIFETIME};

pub struct MemoryDocumentFiles {
    files: Mutex<HashMap<String, Vec<u8>>>,
    /// Where the devserver serves `/dev/documents/…` (e.g. `http://127.0.0.1:8080`).
    base_url: String,
    signing_key: [u8; 32],
}

impl MemoryDocumentFiles {
    pub fn new(base_url: impl Into<String>) -> Self {
        let mut signing_key = [0u8; 32];
        signing_key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        signing_key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self {
            files: Mutex::new(HashMap::new()),
            base_url: base_url.into().trim_end_matches('/').to_string(),
            signing_key,
        }
    }

    fn signature(&self, key: &str, expires: i64) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.signing_key).expect("HMAC takes any key size");
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The stored bytes.
    pub fn get_pdf(&self, key: &str) -> Option<Vec<u8>> {
        self.files.lock().ok()?.get(key).cloned()
    }

    /// The document a link points to, if its signature is ours and it has not expired.
    pub fn open(
        &self,
        key: &str,
        expires: i64,
        signature: &str,
        now: OffsetDateTime,
    ) -> Option<Vec<u8>> {
        let expected = self.signature(key, expires);
        let valid: bool = expected.as_bytes().ct_eq(signature.as_bytes()).into();
        if !valid || now.unix_timestamp() > expires {
            return None;
        }
        self.get_pdf(key)
    }
}

#[async_trait]
impl DocumentFiles for MemoryDocumentFiles {
    async fn put_pdf(&self, key: &str, pdf: &[u8]) -> Result<(), StoreError> {
        let mut files = self
            .files
            .lock()
            .map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        files.entry(key.to_string()).or_insert_with(|| pdf.to_vec());
        Ok(())
    }

    async fn link(
        &self,
        key: &str,
        _file_name: &str,
        now: OffsetDateTime,
    ) -> Result<DocumentLink, StoreError> {
        let expires_at = now + LINK_LIFETIME;
        let expires = expires_at.unix_timestamp();
        Ok(DocumentLink {
            url: format!(
                "{}/dev/documents/{key}?expires={expires}&signature={}",
                self.base_url,
                self.signature(key, expires)
            ),
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    #[tokio::test]
    async fn a_link_opens_its_document_until_it_expires_and_only_with_its_signature() {
        let files = MemoryDocumentFiles::new("http://127.0.0.1:8080/");
        let key = "invoices/2026/F-2026-000001.pdf";
        files.put_pdf(key, b"%PDF-first").await.unwrap();
        files.put_pdf(key, b"%PDF-second").await.unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let link = files.link(key, "F-2026-000001.pdf", now).await.unwrap();
        assert!(link
            .url
            .starts_with("http://127.0.0.1:8080/dev/documents/invoices/2026/F-2026-000001.pdf?"));
        let expires = link.expires_at.unix_timestamp();
        let signature = link.url.rsplit("signature=").next().unwrap();
        assert_eq!(
            files.open(key, expires, signature, now),
            Some(b"%PDF-first".to_vec()),
            "stored once, never replaced"
        );
        assert_eq!(
            files.open(key, expires, signature, now + Duration::minutes(6)),
            None
        );
        assert_eq!(files.open(key, expires + 60, signature, now), None);
        assert_eq!(
            files.open("invoices/2026/F-2026-000002.pdf", expires, signature, now),
            None
        );
    }
}
