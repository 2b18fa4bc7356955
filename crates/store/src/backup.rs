//! Backup and restore of a whole data folder as one zip: a consistent database snapshot taken
//! with `VACUUM INTO` (safe while the app is running) plus every blob, checked by hash on restore.
//! A backup is written only when every photo the snapshot's `photos` table references is in it;
//! a restore reads the zip through `photoroll-archive` (entry count, sizes, ratio and names
//! checked first) and streams each entry to disk while hashing it.

use crate::blobs::{is_blob_name, sync_dir};
use crate::{BLOB_DIR, BlobStore, DATABASE_FILE, Store, StoreError};
use photoroll_archive::{ArchiveError, ArchiveReader, Limits};
use photoroll_core::JobControl;
use serde::{Deserialize, Serialize};
use sqlx::Connection;
use std::io::Write;
use std::path::{Path, PathBuf};

const MANIFEST: &str = "manifest.json";
const FORMAT: &str = "photoroll-backup/1";
/// A backup's database is never bigger than this when restored: stops a zip bomb.
const MAX_DATABASE_BYTES: u64 = 16 * 1024 * 1024 * 1024;
/// A manifest lists every blob: a million hashes are about 75 MB of JSON.
const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;
/// What a backup may hold: photos of at most 64 MiB each, the database and manifest by name.
const LIMITS: Limits = Limits {
    large_entries: &[
        (DATABASE_FILE, MAX_DATABASE_BYTES),
        (MANIFEST, MAX_MANIFEST_BYTES),
    ],
    ..Limits::BACKUP
};

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

    // Blobs are immutable, so listing after the snapshot covers every photo it references;
    // one that is not there (deleted, or a folder that could not be read) stops the backup
    // rather than leaving the photo out of it.
    let blobs = store.blobs().list()?;
    check_referenced_blobs(&snapshot, &blobs, store.blobs()).await?;
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

/// Fails when a photo the snapshot's `photos` table references is not among `blobs`.
async fn check_referenced_blobs(
    snapshot: &Path,
    blobs: &[String],
    store: &BlobStore,
) -> Result<(), StoreError> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(snapshot)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    let referenced: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT hash FROM photos ORDER BY hash")
            .fetch_all(&mut conn)
            .await?;
    conn.close().await?;
    let listed: std::collections::HashSet<&str> = blobs.iter().map(String::as_str).collect();
    let missing: Vec<&String> = referenced
        .iter()
        .filter(|h| !listed.contains(h.as_str()))
        .collect();
    if let Some(first) = missing.first() {
        let path = if is_blob_name(first) {
            store.path_of(first)
        } else {
            store.root().join(first.as_str())
        };
        return Err(StoreError::io(
            &path,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "数据库引用的 {} 张照片不在照片目录中，没有写出备份 / {} photos the database references are missing from the photo folder: no backup written",
                    missing.len(),
                    missing.len()
                ),
            ),
        ));
    }
    Ok(())
}

/// A refused archive is a bad backup; a failing disk is this machine's.
fn archive_error(backup: &Path, written: &Path, e: ArchiveError) -> StoreError {
    match e {
        ArchiveError::Io(e) => StoreError::io(backup, e),
        ArchiveError::Write { source, .. } => StoreError::io(written, source),
        e => StoreError::BadBackup(e.to_string()),
    }
}

/// The hash in a blob entry's name: only `blobs/xx/<sha256>` is allowed.
fn blob_entry_hash(name: &str) -> Option<&str> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        [dir, fan, hash]
            if *dir == BLOB_DIR
                && is_blob_name(hash)
                && hash.starts_with(fan)
                && fan.len() == 2 =>
        {
            Some(hash)
        }
        _ => None,
    }
}

fn extract(backup: &Path, into: &Path, job: &JobControl) -> Result<u64, StoreError> {
    let mut zip =
        ArchiveReader::open(backup, LIMITS).map_err(|e| archive_error(backup, into, e))?;
    // Every name is checked before a byte is written: no traversal, no stray files.
    for entry in zip.entries() {
        let name = entry.name.as_str();
        if name != MANIFEST && name != DATABASE_FILE && blob_entry_hash(name).is_none() {
            return Err(StoreError::BadBackup(format!(
                "备份中有不允许的文件名 “{name}”"
            )));
        }
    }
    let manifest: Manifest = {
        let (bytes, _) = zip.read(MANIFEST).map_err(|e| match e {
            ArchiveError::Missing(_) => StoreError::BadBackup("缺少 manifest.json".into()),
            e => archive_error(backup, into, e),
        })?;
        serde_json::from_slice(&bytes)
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
        let name = zip.entries()[i].name.clone();
        if name == MANIFEST {
            continue;
        }
        if name == DATABASE_FILE {
            let path = into.join(DATABASE_FILE);
            let mut out = std::fs::File::create(&path).map_err(|e| StoreError::io(&path, e))?;
            zip.copy_index_to(i, &mut out)
                .map_err(|e| archive_error(backup, &path, e))?;
            out.sync_all().map_err(|e| StoreError::io(&path, e))?;
            seen_db = true;
            continue;
        }
        let hash = blob_entry_hash(&name).expect("names were checked above");
        // Streamed to a temp file while hashing: never the whole photo in memory.
        let mut tmp = blobs.temp_file()?;
        let copied = zip
            .copy_index_to(i, tmp.as_file_mut())
            .map_err(|e| archive_error(backup, tmp.path(), e))?;
        if copied.sha256_hex() != hash {
            return Err(StoreError::BadBackup(format!(
                "照片 {hash} 的内容与其名称不符（文件已损坏）"
            )));
        }
        blobs.persist_temp(tmp, hash)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_with_photo(dir: &Path) -> (Store, String) {
        let store = Store::open(dir).await.unwrap();
        let at = crate::now();
        sqlx::query("INSERT INTO schools (code, name, created_at) VALUES ('10075', '河北大学', ?)")
            .bind(&at)
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO students (id, school_code, name, category, updated_at)
             VALUES ('s1', '10075', '张三', '本科', ?)",
        )
        .bind(&at)
        .execute(store.pool())
        .await
        .unwrap();
        let hash = store.blobs().put(b"a photo").unwrap();
        sqlx::query(
            "INSERT INTO photos (hash, student_id, kind, bytes, created_at)
             VALUES (?, 's1', 'original', 7, ?)",
        )
        .bind(&hash)
        .bind(&at)
        .execute(store.pool())
        .await
        .unwrap();
        (store, hash)
    }

    #[tokio::test]
    async fn a_backup_and_its_restore_hold_every_photo() {
        let dir = tempfile::tempdir().unwrap();
        let (store, hash) = store_with_photo(&dir.path().join("data")).await;
        let out = dir.path().join("backup.zip");
        assert_eq!(
            backup_to(&store, &out, &JobControl::new()).await.unwrap(),
            1
        );
        let target = dir.path().join("restored");
        assert_eq!(restore_from(&out, &target, &JobControl::new()).unwrap(), 1);
        let restored = BlobStore::open(&target.join(BLOB_DIR)).unwrap();
        assert_eq!(restored.get(&hash).unwrap(), b"a photo");
        assert!(target.join(DATABASE_FILE).is_file());
        // Nothing left in the blob store's temp folder.
        assert_eq!(
            std::fs::read_dir(target.join(BLOB_DIR).join("tmp"))
                .unwrap()
                .count(),
            0
        );
    }

    #[tokio::test]
    async fn a_backup_missing_a_referenced_photo_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = store_with_photo(&dir.path().join("data")).await;
        // A second photo the database references, whose file is gone.
        let gone = store.blobs().put(b"another photo").unwrap();
        std::fs::remove_file(store.blobs().path_of(&gone)).unwrap();
        sqlx::query(
            "INSERT INTO photos (hash, student_id, kind, bytes, created_at)
             VALUES (?, 's1', 'standard', 13, ?)",
        )
        .bind(&gone)
        .bind(crate::now())
        .execute(store.pool())
        .await
        .unwrap();
        let out = dir.path().join("backup.zip");
        let err = backup_to(&store, &out, &JobControl::new())
            .await
            .unwrap_err();
        match &err {
            StoreError::Io { path, source } => {
                assert_eq!(path, &store.blobs().path_of(&gone));
                assert!(source.to_string().contains("1 张照片"), "{source}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!out.exists());
        // Nothing left beside it either.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("data")]);
    }

    /// A backup zip with `extra` entries after a valid manifest and database.
    fn crafted_backup(path: &Path, extra: &[(&str, &[u8], bool)]) {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        let manifest = Manifest {
            format: FORMAT.into(),
            created_at: crate::now(),
            blobs: vec![],
        };
        let deflated = zip::write::SimpleFileOptions::default();
        zip.start_file(MANIFEST, deflated).unwrap();
        zip.write_all(&serde_json::to_vec(&manifest).unwrap())
            .unwrap();
        zip.start_file(DATABASE_FILE, deflated).unwrap();
        zip.write_all(b"not really sqlite").unwrap();
        for (name, bytes, deflate) in extra {
            let method = if *deflate {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            zip.start_file(*name, deflated.compression_method(method))
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn hostile_backups_are_refused_and_nothing_is_restored() {
        let dir = tempfile::tempdir().unwrap();
        let zeros = vec![0u8; 16 * 1024 * 1024];
        let zeros_hash = BlobStore::hash_of(&zeros);
        let bomb_name = format!("{BLOB_DIR}/{}/{zeros_hash}", &zeros_hash[..2]);
        let photo_hash = BlobStore::hash_of(b"photo");
        let wrong_name = format!("{BLOB_DIR}/{}/{photo_hash}", &photo_hash[..2]);
        type Case<'a> = (&'a str, Vec<(&'a str, &'a [u8], bool)>, &'a str);
        let cases: Vec<Case> = vec![
            // 1000:1, named as its own hash: refused from the directory, before inflating.
            (
                "bomb",
                vec![(bomb_name.as_str(), &zeros, true)],
                "压缩比过高",
            ),
            (
                "traversal",
                vec![("../evil", b"x", false)],
                "不允许的条目名",
            ),
            ("stray", vec![("notes.txt", b"x", false)], "不允许的文件名"),
            (
                "tampered",
                vec![(wrong_name.as_str(), b"not the photo", false)],
                "不符",
            ),
        ];
        for (label, extra, message) in cases {
            let backup = dir.path().join(format!("{label}.zip"));
            crafted_backup(&backup, &extra);
            let target = dir.path().join(format!("{label}-restored"));
            let err = restore_from(&backup, &target, &JobControl::new()).unwrap_err();
            match &err {
                StoreError::BadBackup(msg) => assert!(msg.contains(message), "{label}: {msg}"),
                other => panic!("{label}: {other:?}"),
            }
            assert!(!target.exists(), "{label}");
        }
        // Only the crafted zips are left: no staging folder, no `evil`.
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["bomb.zip", "stray.zip", "tampered.zip", "traversal.zip"]
        );
    }
}
