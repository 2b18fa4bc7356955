//! Station packs: moving a session between the admin's laptop and a capture station that is
//! not the admin's, before sync exists.
//! - A *pack* carries what a station needs and no more: per student the collection code, the
//!   masked name and the ID's last four; the session and its feature code; the school's name.
//! - A *captures file* carries the station's captures back: every capture with both photos.
//!
//! Both are zip files with a manifest of SHA-256 hashes, checked before anything is stored;
//! importing either twice changes nothing.

use crate::blobs::{BlobStore, sync_dir};
use crate::captures::CheckOverride;
use crate::{Store, StoreError, now};
use photoroll_core::JobControl;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::Path;

const PACK_FORMAT: &str = "photoroll-station-pack/1";
const CAPTURES_FORMAT: &str = "photoroll-station-captures/1";
const PACK_FILE: &str = "pack.json";
const CAPTURES_FILE: &str = "captures.json";
const MANIFEST_FILE: &str = "manifest.json";
/// A station pack of 300,000 students is about 40 MB of JSON; a photo well under 20 MB.
const MAX_ENTRY: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackStudent {
    pub id: String,
    pub collection_code: Option<String>,
    pub name_masked: String,
    pub id_last_four: Option<String>,
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationPack {
    pub format: String,
    pub school_code: String,
    pub school_name: String,
    pub session_id: String,
    pub session_name: String,
    pub feature_code: String,
    pub students: Vec<PackStudent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PackedCapture {
    pub id: String,
    pub student_id: String,
    pub session_id: Option<String>,
    pub original_hash: String,
    pub standard_hash: String,
    pub report: String,
    pub overrides: String,
    pub actor: String,
    pub taken_at: String,
}

/// What importing a captures file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CapturesImport {
    pub added: u64,
    pub skipped: Vec<SkippedCapture>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedCapture {
    pub capture_id: String,
    pub student_id: String,
    pub reason: String,
}

/// A session's student as the admin's roster has it (the name still whole).
#[derive(sqlx::FromRow)]
struct RosterLine {
    id: String,
    collection_code: Option<String>,
    name: String,
    id_last_four: Option<String>,
    category: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    /// SHA-256 of every other entry, by name.
    entries: std::collections::BTreeMap<String, String>,
}

fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::BadStationFile(msg.into())
}

/// Writes `files`, the blobs named by `photos` (as `photos/HASH`, read one at a time: a
/// session's originals can be gigabytes) and their manifest as a zip beside `out`, then renames
/// it into place. A cancelled job leaves nothing at `out`.
fn write_zip(
    out: &Path,
    format: &str,
    files: &[(String, Vec<u8>)],
    photos: &[String],
    blobs: &BlobStore,
    job: &JobControl,
) -> Result<(), StoreError> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut entries: std::collections::BTreeMap<String, String> = files
        .iter()
        .map(|(n, b)| (n.clone(), BlobStore::hash_of(b)))
        .collect();
    // A blob's name is its hash.
    entries.extend(photos.iter().map(|h| (format!("photos/{h}"), h.clone())));
    let manifest = Manifest {
        format: format.into(),
        entries,
    };
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| StoreError::io(dir, e))?;
    let mut zip = zip::ZipWriter::new(tmp);
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file(MANIFEST_FILE, options)?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest)?)
        .map_err(|e| StoreError::io(out, e))?;
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options)?;
        zip.write_all(bytes).map_err(|e| StoreError::io(out, e))?;
    }
    let total = photos.len() as u64;
    for (i, hash) in photos.iter().enumerate() {
        job.step(i as u64, total)?;
        // JPEGs do not deflate: stored as they are.
        zip.start_file(
            format!("photos/{hash}"),
            options.compression_method(zip::CompressionMethod::Stored),
        )?;
        zip.write_all(&blobs.get(hash)?)
            .map_err(|e| StoreError::io(out, e))?;
    }
    job.step(total, total)?;
    let tmp = zip.finish()?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| StoreError::io(out, e))?;
    tmp.persist(out).map_err(|e| StoreError::io(out, e.error))?;
    sync_dir(dir);
    Ok(())
}

/// A zip written by [`write_zip`], read one entry at a time: only entries its manifest lists,
/// each checked against its hash.
struct ZipReader {
    zip: zip::ZipArchive<std::fs::File>,
    manifest: Manifest,
}

impl ZipReader {
    fn open(path: &Path, format: &str) -> Result<ZipReader, StoreError> {
        let file = std::fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
        let zip = zip::ZipArchive::new(file).map_err(|e| bad(format!("不是有效的文件：{e}")))?;
        let mut reader = ZipReader {
            zip,
            manifest: Manifest {
                format: String::new(),
                entries: Default::default(),
            },
        };
        let manifest: Manifest = serde_json::from_slice(&reader.raw(MANIFEST_FILE)?)
            .map_err(|e| bad(format!("{MANIFEST_FILE}: {e}")))?;
        if manifest.format != format {
            return Err(bad(format!("文件类型不符：{}", manifest.format)));
        }
        reader.manifest = manifest;
        Ok(reader)
    }

    fn raw(&mut self, name: &str) -> Result<Vec<u8>, StoreError> {
        let entry = self
            .zip
            .by_name(name)
            .map_err(|_| bad(format!("缺少 {name}")))?;
        let mut bytes = Vec::new();
        entry
            .take(MAX_ENTRY + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        if bytes.len() as u64 > MAX_ENTRY {
            return Err(bad(format!("{name} 过大")));
        }
        Ok(bytes)
    }

    /// An entry the manifest lists, with its hash checked.
    fn read(&mut self, name: &str) -> Result<Vec<u8>, StoreError> {
        let want = self
            .manifest
            .entries
            .get(name)
            .cloned()
            .ok_or_else(|| bad(format!("缺少 {name}")))?;
        let bytes = self.raw(name)?;
        if BlobStore::hash_of(&bytes) != want {
            return Err(bad(format!("{name} 已损坏（校验值不符）")));
        }
        Ok(bytes)
    }

    /// Reads and checks every entry the manifest lists, keeping none: the whole file is proven
    /// whole before anything is stored.
    /// `job` hears entries checked out of `total` (the caller may have more work to count).
    fn verify_all(&mut self, job: &JobControl, total: u64) -> Result<(), StoreError> {
        let names: Vec<String> = self.manifest.entries.keys().cloned().collect();
        for (i, name) in names.iter().enumerate() {
            job.step(i as u64, total)?;
            self.read(name)?;
        }
        Ok(())
    }
}

impl Store {
    /// The pack for one session.
    pub async fn station_pack(&self, session_id: &str) -> Result<StationPack, StoreError> {
        let session: Option<(String, String, String, String)> = sqlx::query_as(
            "SELECT s.school_code, sc.name, s.name, s.feature_code FROM capture_sessions s
             JOIN schools sc ON sc.code = s.school_code WHERE s.id = ?",
        )
        .bind(session_id)
        .fetch_optional(self.pool())
        .await?;
        let (school_code, school_name, session_name, feature_code) =
            session.ok_or_else(|| bad(format!("找不到采集场次 {session_id}")))?;
        let rows: Vec<RosterLine> = sqlx::query_as(
            "SELECT st.id, st.collection_code, st.name, st.id_last_four, st.category
             FROM capture_session_students c JOIN students st ON st.id = c.student_id
             WHERE c.session_id = ? ORDER BY st.id",
        )
        .bind(session_id)
        .fetch_all(self.pool())
        .await?;
        Ok(StationPack {
            format: PACK_FORMAT.into(),
            school_code,
            school_name,
            session_id: session_id.into(),
            session_name,
            feature_code,
            students: rows
                .into_iter()
                .map(|r| PackStudent {
                    name_masked: photoroll_core::mask_name(&r.name),
                    id: r.id,
                    collection_code: r.collection_code,
                    id_last_four: r.id_last_four,
                    category: r.category,
                })
                .collect(),
        })
    }

    /// Writes the session's pack to `out`. Returns how many students it holds.
    pub async fn export_pack(&self, session_id: &str, out: &Path) -> Result<usize, StoreError> {
        let pack = self.station_pack(session_id).await?;
        write_zip(
            out,
            PACK_FORMAT,
            &[(PACK_FILE.into(), serde_json::to_vec(&pack)?)],
            &[],
            self.blobs(),
            &JobControl::new(),
        )?;
        Ok(pack.students.len())
    }

    /// Takes a pack in at the station: the school, the session and its students (masked), each
    /// once. Returns how many students were new.
    pub async fn import_pack(&self, file: &Path) -> Result<u64, StoreError> {
        let mut zip = ZipReader::open(file, PACK_FORMAT)?;
        zip.verify_all(&JobControl::new(), 0)?;
        let pack: StationPack = serde_json::from_slice(&zip.read(PACK_FILE)?)
            .map_err(|e| bad(format!("pack.json: {e}")))?;
        let at = now();
        let mut tx = self.pool().begin().await?;
        sqlx::query("INSERT OR IGNORE INTO schools (code, name, created_at) VALUES (?, ?, ?)")
            .bind(&pack.school_code)
            .bind(&pack.school_name)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT OR IGNORE INTO capture_sessions (id, school_code, name, feature_code, created_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&pack.session_id)
        .bind(&pack.school_code)
        .bind(&pack.session_name)
        .bind(&pack.feature_code)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let mut added = 0;
        for s in &pack.students {
            added += sqlx::query(
                "INSERT OR IGNORE INTO students (id, school_code, name, id_last_four, collection_code, category, state, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
            )
            .bind(&s.id)
            .bind(&pack.school_code)
            .bind(&s.name_masked)
            .bind(&s.id_last_four)
            .bind(&s.collection_code)
            .bind(&s.category)
            .bind(&at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "INSERT OR IGNORE INTO capture_session_students (session_id, student_id) VALUES (?, ?)",
            )
            .bind(&pack.session_id)
            .bind(&s.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Writes every capture taken here, with both photos, to `out`. Returns how many.
    pub async fn export_captures(&self, out: &Path, job: &JobControl) -> Result<usize, StoreError> {
        let captures: Vec<PackedCapture> = sqlx::query_as(
            "SELECT id, student_id, session_id, original_hash, standard_hash, report, overrides, actor, taken_at
             FROM captures ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut hashes = std::collections::BTreeSet::new();
        for c in &captures {
            hashes.insert(c.original_hash.clone());
            hashes.insert(c.standard_hash.clone());
        }
        let files = vec![(CAPTURES_FILE.to_string(), serde_json::to_vec(&captures)?)];
        let photos: Vec<String> = hashes.into_iter().collect();
        let (out, blobs, job) = (out.to_path_buf(), self.blobs().clone(), job.clone());
        tokio::task::spawn_blocking(move || {
            write_zip(&out, CAPTURES_FORMAT, &files, &photos, &blobs, &job)
        })
        .await
        .map_err(|e| StoreError::io(Path::new("."), std::io::Error::other(e.to_string())))??;
        Ok(captures.len())
    }

    /// Takes a station's captures in: every photo is checked against its hash first; each
    /// capture not seen before is saved as the station saved it (a newer capture of a student
    /// already submitted is a retake). A capture the roster cannot take (the student is not on
    /// it, or was approved or delivered meanwhile) is skipped and reported, not fatal.
    pub async fn import_captures(
        &self,
        file: &Path,
        job: &JobControl,
    ) -> Result<CapturesImport, StoreError> {
        let mut zip = ZipReader::open(file, CAPTURES_FORMAT)?;
        let captures: Vec<PackedCapture> = serde_json::from_slice(&zip.read(CAPTURES_FILE)?)
            .map_err(|e| bad(format!("captures.json: {e}")))?;
        // Check everything before storing anything: every entry read and hashed, one at a time.
        let checked = zip.manifest.entries.len() as u64;
        let total = checked + captures.len() as u64;
        zip.verify_all(job, total)?;
        for c in &captures {
            for hash in [&c.original_hash, &c.standard_hash] {
                if !zip.manifest.entries.contains_key(&format!("photos/{hash}")) {
                    return Err(bad(format!("缺少照片 {hash}")));
                }
            }
        }
        let mut photo = |hash: &str| zip.read(&format!("photos/{hash}"));
        let mut result = CapturesImport::default();
        for (i, c) in captures.iter().enumerate() {
            // Each capture is saved whole or not at all; cancelling keeps those already saved,
            // and importing the file again adds the rest.
            job.step(checked + i as u64, total)?;
            let seen: Option<String> = sqlx::query_scalar("SELECT id FROM captures WHERE id = ?")
                .bind(&c.id)
                .fetch_optional(self.pool())
                .await?;
            if seen.is_some() {
                continue;
            }
            let state: Option<String> =
                sqlx::query_scalar("SELECT state FROM students WHERE id = ?")
                    .bind(&c.student_id)
                    .fetch_optional(self.pool())
                    .await?;
            let overrides: Vec<CheckOverride> = serde_json::from_str(&c.overrides)
                .map_err(|e| bad(format!("capture {}: {e}", c.id)))?;
            let saved = self
                .save_capture_as(
                    &crate::NewCapture {
                        student_id: &c.student_id,
                        session_id: c.session_id.as_deref(),
                        original: &photo(&c.original_hash)?,
                        standard: &photo(&c.standard_hash)?,
                        report: c.report.clone(),
                        overrides,
                        actor: &c.actor,
                        retake: state.as_deref() == Some("submitted"),
                    },
                    &c.id,
                    &c.taken_at,
                )
                .await;
            match saved {
                Ok(_) => result.added += 1,
                Err(e @ (StoreError::Transition(_) | StoreError::UnknownStudent(_))) => {
                    result.skipped.push(SkippedCapture {
                        capture_id: c.id.clone(),
                        student_id: c.student_id.clone(),
                        reason: e.to_string(),
                    })
                }
                Err(e) => return Err(e),
            }
        }
        job.step(total, total)?;
        Ok(result)
    }
}
