//! The search index store in S3: the [`IndexStore`] port.
//!
//! ```text
//! search/CURRENT                         the pointer (JSON); its ETag is its revision
//! search/versions/<version>-<uuid>.tar   one object per published version, never rewritten
//! ```
//!
//! The pointer moves by conditional write (`If-Match` its ETag, or `If-None-Match: *` for the
//! first), so of two indexers publishing at once exactly one wins. A replaced version, and a
//! loser's upload, is tagged `superseded=true`; the bucket's lifecycle rule deletes tagged
//! objects after a day, long after any reader that saw the old pointer has fetched it. An age
//! rule alone could not do this: the current version may be months old when the catalog is quiet.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag, Tagging};
use bookworm_domain::Error;
use bookworm_domain::clock::now_rfc3339;
use bookworm_domain::ports::IndexStore;
use bookworm_domain::search::{IndexPointer, Published};

const POINTER: &str = "search/CURRENT";
const VERSIONS: &str = "search/versions/";
/// The tag the bucket's lifecycle rule expires objects by.
pub const SUPERSEDED: (&str, &str) = ("superseded", "true");

/// An index version is tens of megabytes: moving one takes longer than the 2 s attempt
/// timeout every other call has. The pointer calls are small and finish well inside these.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Clone)]
pub struct S3IndexStore {
    client: Client,
    bucket: String,
}

impl S3IndexStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    /// A client for `config` with timeouts that fit index-sized objects. With a custom endpoint
    /// (moto, a local S3) buckets are addressed by path: `bucket.127.0.0.1` resolves nowhere.
    pub fn from_config(config: &bookworm_aws::SdkConfig, bucket: impl Into<String>) -> Self {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .build();
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .timeout_config(timeouts)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Self::new(Client::from_conf(s3), bucket)
    }

    /// `SEARCH_INDEX_BUCKET` names the bucket.
    pub fn from_env(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        let bucket = std::env::var("SEARCH_INDEX_BUCKET")
            .map_err(|_| Error::unavailable("configuration", "SEARCH_INDEX_BUCKET is not set"))?;
        Ok(Self::from_config(config, bucket))
    }

    /// Tags `key` for the lifecycle rule. Only storage is at stake if this fails: the object
    /// then stays until someone deletes it.
    async fn supersede(&self, key: &str) {
        let tag = Tag::builder().key(SUPERSEDED.0).value(SUPERSEDED.1).build();
        let tagging = tag.and_then(|tag| Tagging::builder().tag_set(tag).build());
        let tagged = match tagging {
            Ok(tagging) => self
                .client
                .put_object_tagging()
                .bucket(&self.bucket)
                .key(key)
                .tagging(tagging)
                .send()
                .await
                .map(drop)
                .map_err(|e| DisplayErrorContext(e).to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = tagged {
            tracing::warn!(key, error, "could not tag a superseded search index version");
        }
    }
}

fn unavailable<E: std::error::Error + Send + Sync + 'static>(
    context: &'static str,
    error: SdkError<E>,
) -> Error {
    Error::unavailable(context, DisplayErrorContext(error).to_string())
}

#[async_trait]
impl IndexStore for S3IndexStore {
    async fn current(&self) -> Result<Option<IndexPointer>, Error> {
        let got = self.client.get_object().bucket(&self.bucket).key(POINTER).send().await;
        let object = match got {
            Ok(object) => object,
            Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() => return Ok(None),
            Err(e) => return Err(unavailable("search index pointer", e)),
        };
        let revision = object.e_tag().unwrap_or_default().to_owned();
        let body = object.body.collect().await.map_err(|e| Error::unavailable("search index pointer", e))?;
        let mut pointer: IndexPointer = serde_json::from_slice(&body.into_bytes())
            .map_err(|e| Error::unavailable("search index pointer", e))?;
        pointer.revision = revision;
        Ok(Some(pointer))
    }

    async fn fetch(&self, pointer: &IndexPointer) -> Result<Vec<u8>, Error> {
        let key = format!("{VERSIONS}{}", pointer.object);
        let object = self.client.get_object().bucket(&self.bucket).key(key).send().await;
        let object = object.map_err(|e| unavailable("search index version", e))?;
        let body = object.body.collect().await.map_err(|e| Error::unavailable("search index version", e))?;
        // Bytes into Vec: no copy, the body was collected into one buffer.
        Ok(Vec::from(body.into_bytes()))
    }

    async fn publish(
        &self,
        bundle: Vec<u8>,
        books: u64,
        replacing: Option<&IndexPointer>,
    ) -> Result<Published, Error> {
        let version = replacing.map_or(1, |p| p.version + 1);
        let object = format!("{version:012}-{}.tar", uuid::Uuid::new_v4());
        let key = format!("{VERSIONS}{object}");
        let bytes = bundle.len() as u64;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/x-tar")
            .body(ByteStream::from(bundle))
            .send()
            .await
            .map_err(|e| unavailable("search index version", e))?;
        let mut pointer =
            IndexPointer { version, object, books, bytes, built_at: now_rfc3339(), revision: String::new() };
        let json = serde_json::to_vec(&pointer).map_err(|e| Error::unavailable("search index pointer", e))?;
        let put = self.client.put_object().bucket(&self.bucket).key(POINTER).content_type("application/json");
        let put = match replacing {
            Some(previous) => put.if_match(&previous.revision),
            None => put.if_none_match("*"),
        };
        match put.body(ByteStream::from(json)).send().await {
            Ok(written) => {
                pointer.revision = written.e_tag().unwrap_or_default().to_owned();
                if let Some(previous) = replacing {
                    self.supersede(&format!("{VERSIONS}{}", previous.object)).await;
                }
                Ok(Published::Current(pointer))
            }
            // 412: the pointer moved (or appeared). 409: a concurrent conditional write to it.
            // Either may also answer the SDK's retry of a write whose first attempt succeeded
            // unseen: the pointer then names this very version, which must not be superseded.
            Err(SdkError::ServiceError(e)) if matches!(e.raw().status().as_u16(), 409 | 412) => {
                match self.current().await? {
                    Some(now) if now.object == pointer.object => Ok(Published::Current(now)),
                    _ => {
                        self.supersede(&key).await;
                        Ok(Published::Stale)
                    }
                }
            }
            Err(e) => {
                // The write may have landed unseen: supersede the upload only when the pointer
                // is known not to name it (an unreadable pointer leaves it, costing storage only).
                if let Ok(now) = self.current().await
                    && now.is_none_or(|now| now.object != pointer.object)
                {
                    self.supersede(&key).await;
                }
                Err(unavailable("search index pointer", e))
            }
        }
    }
}
