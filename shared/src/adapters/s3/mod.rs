//! Issued documents in S3 (`DOCUMENTS_BUCKET`: versioned, retained ten years, see template.yaml):
//! each PDF put once under its key (`If-None-Match: *`), downloaded through a presigned GET that
//! works for `LINK_LIFETIME` and names the file.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use time::OffsetDateTime;

use crate::config::{require, ConfigError};
use crate::ports::{DocumentFiles, DocumentLink, StoreError, LINK_LIFETIME};

#[derive(Clone)]
pub struct S3DocumentFiles {
    client: Client,
    bucket: String,
}

/// An S3 client from the configuration loaded at init. Against an emulator (`AWS_ENDPOINT_URL`)
/// buckets are addressed by path: `bucket.127.0.0.1` resolves nowhere.
pub fn client_from_config(config: &aws_config::SdkConfig) -> Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    Client::from_conf(s3_config)
}

/// An order's documents for the HTTP functions (order-lookup, back-office): listed from the
/// table, linked from `DOCUMENTS_BUCKET`.
pub fn order_documents_from_env(
    config: &aws_config::SdkConfig,
    dynamo: &crate::adapters::dynamodb::DynamoStore,
    clock: std::sync::Arc<dyn crate::ports::Clock>,
) -> Result<crate::app::order_documents::OrderDocuments, ConfigError> {
    Ok(crate::app::order_documents::OrderDocuments::new(
        std::sync::Arc::new(
            crate::adapters::dynamodb::notifications::DynamoNotificationStore::new(
                dynamo.client().clone(),
                dynamo.table(),
            ),
        ),
        std::sync::Arc::new(S3DocumentFiles::new(
            client_from_config(config),
            bucket_from_env()?,
        )),
        clock,
    ))
}

/// `DOCUMENTS_BUCKET`: where invoices and credit notes are kept.
pub fn bucket_from_env() -> Result<String, ConfigError> {
    require("DOCUMENTS_BUCKET")
}

fn unavailable(e: impl std::error::Error + 'static) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(&e).to_string())
}

impl S3DocumentFiles {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// Creates the bucket with versioning on: for the devserver and tests on moto (in AWS the
    /// template creates it).
    pub async fn create_bucket(&self) -> Result<(), StoreError> {
        let mut create = self.client.create_bucket().bucket(&self.bucket);
        // Outside us-east-1 S3 wants the region named.
        if let Some(region) = self
            .client
            .config()
            .region()
            .map(|r| r.as_ref().to_string())
            .filter(|r| r != "us-east-1")
        {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                        region.as_str(),
                    ))
                    .build(),
            );
        }
        match create.send().await {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.code(),
                    Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
                ) => {}
            Err(e) => return Err(unavailable(e)),
        }
        self.client
            .put_bucket_versioning()
            .bucket(&self.bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The stored bytes (tests read back what was kept).
    pub async fn get_pdf(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let bytes = out.body.collect().await.map_err(unavailable)?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(e) if e.code() == Some("NoSuchKey") => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl DocumentFiles for S3DocumentFiles {
    async fn put_pdf(&self, key: &str, pdf: &[u8]) -> Result<(), StoreError> {
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/pdf")
            .if_none_match("*")
            .body(ByteStream::from(pdf.to_vec()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Already kept by an earlier delivery: a document never changes.
            Err(e) if e.code() == Some("PreconditionFailed") => Ok(()),
            Err(e) if e.code() == Some("SlowDown") => Err(StoreError::Throttled),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn link(
        &self,
        key: &str,
        file_name: &str,
        now: OffsetDateTime,
    ) -> Result<DocumentLink, StoreError> {
        let lifetime = Duration::from_secs(LINK_LIFETIME.whole_seconds().unsigned_abs());
        let presigning = PresigningConfig::builder()
            .start_time(now.into())
            .expires_in(lifetime)
            .build()
            .map_err(unavailable)?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type("application/pdf")
            .response_content_disposition(format!("attachment; filename=\"{file_name}\""))
            .presigned(presigning)
            .await
            .map_err(unavailable)?;
        Ok(DocumentLink {
            url: request.uri().to_string(),
            expires_at: now + LINK_LIFETIME,
        })
    }
}
