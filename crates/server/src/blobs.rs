//! Photo bytes by SHA-256, behind `object_store`'s one trait: a folder (embedded) or an
//! S3-compatible bucket (deployment). Unfinished uploads are spooled in `data_dir/uploads` and
//! resume from the last byte the server holds; a blob enters the store only once its bytes hash
//! to its name.

use crate::config::Config;
use crate::error::ApiError;
use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, thiserror::Error)]
pub enum BlobStoreError {
    #[error("无法创建照片目录 {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("对象存储配置有误: {0}")]
    ObjectStore(#[from] object_store::Error),
}

#[derive(Debug)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    spool: PathBuf,
    /// One upload at a time per (school, hash): two PATCHes racing on one spool file would
    /// interleave bytes.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    pub kind: &'static str,
}

/// A blob name: exactly 64 hex digits, lower-cased. Anything else (dots, slashes, percent
/// escapes, other lengths) never reaches a path.
pub fn parse_sha256(raw: &str) -> Result<String, ApiError> {
    if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(ApiError::invalid(
            "bad_hash",
            "照片名应为64位十六进制的 SHA-256",
        ))
    }
}

pub fn sha256_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a PATCH left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// More bytes are expected; the server holds this many.
    Partial(u64),
    /// All bytes are in and hashed to the name; the spool is to be moved into the store.
    Complete(u64),
}

impl Blobs {
    pub async fn open(config: &Config) -> Result<Blobs, BlobStoreError> {
        let spool = config.data_dir.join("uploads");
        std::fs::create_dir_all(&spool)
            .map_err(|e| BlobStoreError::Folder(spool.display().to_string(), e))?;
        let (store, kind): (Arc<dyn ObjectStore>, _) = match &config.s3 {
            Some(s3) => {
                let mut builder = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(&s3.secret_access_key)
                    .with_allow_http(s3.allow_http);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                (Arc::new(builder.build()?), "s3")
            }
            None => {
                let folder = config.data_dir.join("blobs");
                std::fs::create_dir_all(&folder)
                    .map_err(|e| BlobStoreError::Folder(folder.display().to_string(), e))?;
                (
                    Arc::new(object_store::local::LocalFileSystem::new_with_prefix(
                        &folder,
                    )?),
                    "folder",
                )
            }
        };
        Ok(Blobs {
            store,
            spool,
            locks: Mutex::new(HashMap::new()),
            kind,
        })
    }

    /// `ab/abcdef…`: a two-character fan-out keeps folders small.
    fn object_path(sha: &str) -> ObjectPath {
        ObjectPath::from(format!("{}/{sha}", &sha[..2]))
    }

    fn spool_path(&self, school: &str, sha: &str) -> PathBuf {
        // Both parts were checked (school codes are digits, sha is hex): no path tricks.
        self.spool.join(format!("{school}-{sha}.part"))
    }

    pub fn lock(&self, school: &str, sha: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.len() > 4096 {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks
            .entry(format!("{school}/{sha}"))
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone()
    }

    /// Bytes held for an unfinished upload.
    pub async fn spooled(&self, school: &str, sha: &str) -> u64 {
        tokio::fs::metadata(self.spool_path(school, sha))
            .await
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// Streams `body` into the spool at `offset` (which must be what the server holds) towards
    /// `length`, synced as it goes; at the last byte, checks the hash (a mismatch discards the
    /// spool). A body running past `length` is cut back to where it started and refused; a
    /// connection that breaks keeps what arrived, for the client to resume from.
    pub async fn append_stream(
        &self,
        school: &str,
        sha: &str,
        offset: u64,
        length: u64,
        body: axum::body::Body,
    ) -> Result<Appended, ApiError> {
        use futures_util::StreamExt;
        let path = self.spool_path(school, sha);
        let held = self.spooled(school, sha).await;
        if offset != held {
            return Err(ApiError::conflict(
                "offset_mismatch",
                format!("续传位置不符：服务器已有 {held} 字节，请从该位置继续"),
            )
            .with_offset(held));
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .await?;
        let mut now = offset;
        let mut stream = body.into_data_stream();
        let mut broken = None;
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    broken = Some(e.to_string());
                    break;
                }
            };
            if now + chunk.len() as u64 > length {
                file.set_len(offset).await?;
                file.sync_data().await?;
                return Err(ApiError::invalid("beyond_length", "上传内容超过声明的长度"));
            }
            file.write_all(&chunk).await?;
            now += chunk.len() as u64;
        }
        file.sync_data().await?;
        if let Some(reason) = broken {
            tracing::debug!(held = now, %reason, "upload broken off; kept what arrived");
            return Err(ApiError::invalid(
                "upload_broken",
                format!("上传中断，服务器已保存 {now} 字节，请从该位置继续"),
            )
            .with_offset(now));
        }
        if now < length {
            return Ok(Appended::Partial(now));
        }
        let mut hasher = Sha256::new();
        let mut reader = tokio::fs::File::open(&path).await?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        if hex::encode(hasher.finalize()) != sha {
            self.discard(school, sha).await;
            return Err(ApiError::HashMismatch);
        }
        Ok(Appended::Complete(now))
    }

    /// Moves a verified spool into the store (unless the store has the blob already).
    pub async fn commit(&self, school: &str, sha: &str) -> Result<(), ApiError> {
        let path = self.spool_path(school, sha);
        let target = Self::object_path(sha);
        if self.store.head(&target).await.is_err() {
            let bytes = tokio::fs::read(&path).await?;
            self.store.put(&target, PutPayload::from(bytes)).await?;
        }
        self.discard(school, sha).await;
        Ok(())
    }

    pub async fn discard(&self, school: &str, sha: &str) {
        let _ = tokio::fs::remove_file(self.spool_path(school, sha)).await;
    }

    pub async fn get(&self, sha: &str) -> Result<Bytes, ApiError> {
        let got = self.store.get(&Self::object_path(sha)).await?;
        Ok(got.bytes().await?)
    }

    /// Writes a whole blob whose bytes are already verified (the admin CLI's imports).
    pub async fn put_verified(&self, bytes: Bytes) -> Result<String, ApiError> {
        let sha = sha256_of(&bytes);
        self.store
            .put(&Self::object_path(&sha), PutPayload::from(bytes))
            .await?;
        Ok(sha)
    }
}

/// What a blob's first bytes say it is, for the response's content type.
pub fn content_type(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"%PDF-") {
        "application/pdf"
    } else if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_hex_only() {
        let good = "a".repeat(64);
        assert_eq!(parse_sha256(&good.to_uppercase()).unwrap(), good);
        for bad in [
            "../../etc/passwd",
            "",
            "a",
            &"g".repeat(64),
            &format!("{}/", "a".repeat(63)),
            &format!("..{}", "a".repeat(62)),
        ] {
            assert!(parse_sha256(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_accepted_name_is_64_lowercase_hex(s in ".{0,80}") {
            if let Ok(name) = parse_sha256(&s) {
                prop_assert_eq!(name.len(), 64);
                prop_assert!(name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            }
        }
    }
}
