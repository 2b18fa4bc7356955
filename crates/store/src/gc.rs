//! Removing photos no record points at any more: captures whose save was refused after their
//! blobs were written, a cleared demo, a deleted roster's leftovers. A blob stays while the
//! `photos` table, any capture or any admission photo (current or replaced) names it.

use crate::{Store, StoreError};
use std::collections::HashSet;
use std::time::{Duration, SystemTime};

/// What a collection did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GcReport {
    /// Blobs in the folder.
    pub examined: u64,
    /// Blobs removed, and their bytes.
    pub removed: u64,
    pub bytes: u64,
    /// Unreferenced blobs kept because they are younger than the grace period.
    pub too_young: u64,
}

impl Store {
    /// Removes every blob that no photo row and no capture references and that is older than
    /// `grace`. A save writes its blobs before its transaction commits, so another process's
    /// save in flight is protected by the grace period; saves in this process by a lock.
    pub async fn collect_garbage(&self, grace: Duration) -> Result<GcReport, StoreError> {
        let _exclusive = self.blob_writes().write().await;
        let used: HashSet<String> = sqlx::query_scalar(
            "SELECT hash FROM photos UNION SELECT original_hash FROM captures
             UNION SELECT standard_hash FROM captures UNION SELECT photo_hash FROM students WHERE photo_hash IS NOT NULL
             UNION SELECT hash FROM admission_photos
             UNION SELECT photo_hash FROM batch_entries UNION SELECT photo_hash FROM print_order_lines UNION SELECT hash FROM mandate_scans",
        )
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .collect();
        let blobs = self.blobs().clone();
        tokio::task::spawn_blocking(move || {
            let mut report = GcReport::default();
            let now = SystemTime::now();
            for hash in blobs.list()? {
                report.examined += 1;
                if used.contains(&hash) {
                    continue;
                }
                let path = blobs.path_of(&hash);
                let meta = std::fs::metadata(&path).map_err(|e| StoreError::io(&path, e))?;
                let age = meta
                    .modified()
                    .ok()
                    .and_then(|m| now.duration_since(m).ok())
                    .unwrap_or(Duration::ZERO);
                if age < grace {
                    report.too_young += 1;
                    continue;
                }
                std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
                report.removed += 1;
                report.bytes += meta.len();
            }
            if report.removed > 0 {
                tracing::info!(
                    removed = report.removed,
                    bytes = report.bytes,
                    "unused photos removed"
                );
            }
            Ok(report)
        })
        .await
        .map_err(|e| StoreError::io(self.dir(), std::io::Error::other(e.to_string())))?
    }
}
