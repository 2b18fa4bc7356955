//! Backup and restore of a whole data folder as one zip: a consistent database snapshot taken
//! with `VACUUM INTO` (safe while the app is running) plus every blob, checked by hash on restore.

use crate::blobs::{is_blob_name, sync_dir};
use crate::{BLOB_DIR, BlobStore, DATABASE_FILE, Store, StoreError};
use photoroll_core::JobControl;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const MANIFEST: &str = "manifest.json";
const FORMAT: &str = "photoroll-backup/1";
/// A backup's database is never bigger than this when restored: stops a zip bomb.
const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    created_at: String,
    blobs: Vec<String>,
}

/// Writes a consistent copy of the store's data folder to `out` (a zip), atomically.
pub async fn backup_to(store: &Store, out: &Path, job: &JobControl) -> Result<u64, StoreError> {
    let out_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(out_dir).map_err(|e| StoreError::io(out_dir, e))?;
    let work = tempfile::tempdir_in(out_dir).map_err(|e| StoreError::io(out_dir, e))?;
    let snapshot = work.path().join(DATABASE_FILE);
    let snapshot_str = snapshot
        .to_str()
        .ok_or_else(|| StoreError::BadBackup("路径不是有效的 UTF-8".into()))?;
    sqlx::query("VACUUM INTO ?")
        .bind(snapshot_str)
        .execute(store.pool())
        .await?;

    // Blobs are immutable, so listing after the snapshot covers every photo it references.
    let blobs = store.blobs().list()?;
    let manifest = Manifest {
        format: FORMAT.into(),
        created_at: crate::now(),
        blobs: blobs.clone(),
    };
    let tmp = tempfile::NamedTempFile::new_in(out_dir).map_err(|e| StoreError::io(out_dir, e))?;
    let mut zip = zip::ZipWriter::new(tmp);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default().large_file(true);
    zip.start_file(MANIFEST, deflated)?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest)?)
        .map_err(|e| StoreError::io(out, e))?;
    zip.start_file(DATABASE_FILE, deflated)?;
    let mut db = std::fs::File::open(&snapshot).map_err(|e| StoreError::io(&snapshot, e))?;
    std::io::copy(&mut db, &mut zip).map_err(|e| StoreError::io(out, e))?;
    let total = blobs.len() as u64;
    for (i, hash) in blobs.iter().enumerate() {
        // JPEGs do not compress; storing them is faster and as small.
        zip.start_file(format!("{BLOB_DIR}/{}/{hash}", &hash[..2]), stored)?;
        let bytes = store.blobs().get(hash)?;
        zip.write_all(&bytes).map_err(|e| StoreError::io(out, e))?;
        job.step(i as u64 + 1, total)?;
    }
    let tmp = zip.finish()?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| StoreError::io(out, e))?;
    tmp.persist(out).map_err(|e| StoreError::io(out, e.error))?;
    sync_dir(out_dir);
    Ok(total)
}

/// Restores a backup into `target`, which must be empty or absent. Every entry name and blob
/// hash is checked; on any error the target is left as it was.
pub fn restore_from(backup: &Path, target: &Path, job: &JobControl) -> Result<u64, StoreError> {
    if target.exists() {
        let mut entries = std::fs::read_dir(target).map_err(|e| StoreError::io(target, e))?;
        if entries.next().is_some() {
            return Err(StoreError::RestoreTargetNotEmpty(target.to_path_buf()));
        }
    }
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, e))?;
    let staging = tempfile::tempdir_in(parent).map_err(|e| StoreError::io(parent, e))?;
    let count = extract(backup, staging.path(), job)?;
    if target.exists() {
        std::fs::remove_dir(target).map_err(|e| StoreError::io(target, e))?;
    }
    let staged: PathBuf = staging.keep();
    std::fs::rename(&staged, target).map_err(|e| StoreError::io(target, e))?;
    sync_dir(parent);
    Ok(count)
}

fn extract(backup: &Path, into: &Path, job: &JobControl) -> Result<u64, StoreError> {
    let file = std::fs::File::open(backup).map_err(|e| StoreError::io(backup, e))?;
    let mut zip = zip::ZipArchive::new(file)?;
    let manifest: Manifest = {
        let mut entry = zip
            .by_name(MANIFEST)
            .map_err(|_| StoreError::BadBackup("缺少 manifest.json".into()))?;
        let mut s = String::new();
        entry
            .by_ref()
            .take(64 * 1024 * 1024)
            .read_to_string(&mut s)
            .map_err(|e| StoreError::BadBackup(e.to_string()))?;
        serde_json::from_str(&s)
            .map_err(|e| StoreError::BadBackup(format!("manifest.json: {e}")))?
    };
    if manifest.format != FORMAT {
        return Err(StoreError::BadBackup(format!(
            "不支持的备份格式 {}",
            manifest.format
        )));
    }
    let blobs = BlobStore::open(&into.join(BLOB_DIR))?;
    let mut seen_db = false;
    let mut restored = 0u64;
    let total = zip.len() as u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let name = entry.name()?.to_string();
        if name == MANIFEST {
            continue;
        }
        if name == DATABASE_FILE {
            let path = into.join(DATABASE_FILE);
            let mut out = std::fs::File::create(&path).map_err(|e| StoreError::io(&path, e))?;
            let n = std::io::copy(&mut entry.by_ref().take(MAX_ENTRY_BYTES + 1), &mut out)
                .map_err(|e| StoreError::BadBackup(e.to_string()))?;
            if n > MAX_ENTRY_BYTES {
                return Err(StoreError::BadBackup("数据库文件过大".into()));
            }
            out.sync_all().map_err(|e| StoreError::io(&path, e))?;
            seen_db = true;
            continue;
        }
        // Only `blobs/xx/<sha256>` is allowed: no traversal, no stray files.
        let parts: Vec<&str> = name.split('/').collect();
        let hash = match parts.as_slice() {
            [dir, fan, hash]
                if *dir == BLOB_DIR
                    && is_blob_name(hash)
                    && hash.starts_with(fan)
                    && fan.len() == 2 =>
            {
                *hash
            }
            _ => {
                return Err(StoreError::BadBackup(format!(
                    "备份中有不允许的文件名 “{name}”"
                )));
            }
        };
        let mut bytes = Vec::new();
        entry
            .by_ref()
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StoreError::BadBackup(e.to_string()))?;
        if BlobStore::hash_of(&bytes) != hash {
            return Err(StoreError::BadBackup(format!(
                "照片 {hash} 的内容与其名称不符（文件已损坏）"
            )));
        }
        blobs.put(&bytes)?;
        restored += 1;
        job.step(i as u64 + 1, total)?;
    }
    if !seen_db {
        return Err(StoreError::BadBackup("缺少数据库文件".into()));
    }
    let missing: Vec<&String> = manifest
        .blobs
        .iter()
        .filter(|h| !blobs.contains(h))
        .collect();
    if !missing.is_empty() {
        return Err(StoreError::BadBackup(format!(
            "缺少{}张照片",
            missing.len()
        )));
    }
    Ok(restored)
}
