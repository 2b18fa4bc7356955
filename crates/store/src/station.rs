//! Station packs: moving a session between the admin's laptop and a capture station that is
//! not the admin's, before sync exists.
//! - A *pack* carries what a station needs and no more: per student the collection code, the
//!   masked name and the ID's last four; the session and its feature code; the school's name.
//! - A *captures file* carries the station's captures back: every capture with both photos.
//!
//! Both are zip files with a manifest of SHA-256 hashes, checked before anything is stored;
//! importing either twice changes nothing.

use crate::blobs::{BlobStore, sync_dir};
use crate::{Store, StoreError, now};
use photoroll_archive::{ArchiveError, ArchiveReader, Limits};
use photoroll_core::CheckOverride;
use photoroll_core::JobControl;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

const PACK_FORMAT: &str = "photoroll-station-pack/1";
const CAPTURES_FORMAT: &str = "photoroll-station-captures/1";
const PACK_FILE: &str = "pack.json";
const CAPTURES_FILE: &str = "captures.json";
/// Optional in a captures file (files from before it was added carry no walk-ins).
const WALK_INS_FILE: &str = "walk_ins.json";
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

/// A zip written by [`write_zip`], read one entry at a time through the one archive reader
/// (`photoroll-archive`: entry count, sizes, total, ratio and names checked before anything is
/// inflated, limits enforced on the bytes inflated): only entries its manifest lists, each
/// checked against its hash while it streams.
struct ZipReader {
    zip: ArchiveReader,
    manifest: Manifest,
}

/// A refused archive is a bad station file; a failing disk is this machine's.
fn archive_error(path: &Path, e: ArchiveError) -> StoreError {
    match e {
        ArchiveError::Io(e) | ArchiveError::Write { source: e, .. } => StoreError::io(path, e),
        e => bad(e.to_string()),
    }
}

impl ZipReader {
    fn open(path: &Path, format: &str) -> Result<ZipReader, StoreError> {
        let limits = if format == PACK_FORMAT {
            Limits::STATION_PACK
        } else {
            Limits::STATION_CAPTURES
        };
        let limits = Limits {
            max_entry_bytes: MAX_ENTRY,
            ..limits
        };
        let zip = ArchiveReader::open(path, limits).map_err(|e| archive_error(path, e))?;
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

    /// An entry in memory, unchecked (at most `MAX_ENTRY`), with its SHA-256.
    fn raw_hashed(&mut self, name: &str) -> Result<(Vec<u8>, String), StoreError> {
        match self.zip.read(name) {
            Ok((bytes, copied)) => Ok((bytes, copied.sha256_hex())),
            Err(ArchiveError::Missing(_)) => Err(bad(format!("缺少 {name}"))),
            Err(e) => Err(bad(e.to_string())),
        }
    }

    fn raw(&mut self, name: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.raw_hashed(name)?.0)
    }

    fn expected_hash(&self, name: &str) -> Result<String, StoreError> {
        self.manifest
            .entries
            .get(name)
            .cloned()
            .ok_or_else(|| bad(format!("缺少 {name}")))
    }

    /// An entry the manifest lists, with its hash checked.
    fn read(&mut self, name: &str) -> Result<Vec<u8>, StoreError> {
        let want = self.expected_hash(name)?;
        let (bytes, hash) = self.raw_hashed(name)?;
        if hash != want {
            return Err(bad(format!("{name} 已损坏（校验值不符）")));
        }
        Ok(bytes)
    }

    /// Streams an entry the manifest lists through its hash, keeping nothing.
    fn check(&mut self, name: &str) -> Result<(), StoreError> {
        let want = self.expected_hash(name)?;
        let hash = match self.zip.hash(name) {
            Ok(copied) => copied.sha256_hex(),
            Err(ArchiveError::Missing(_)) => return Err(bad(format!("缺少 {name}"))),
            Err(e) => return Err(bad(e.to_string())),
        };
        if hash != want {
            return Err(bad(format!("{name} 已损坏（校验值不符）")));
        }
        Ok(())
    }

    /// Reads and checks every entry the manifest lists, keeping none: the whole file is proven
    /// whole before anything is stored.
    /// `job` hears entries checked out of `total` (the caller may have more work to count).
    fn verify_all(&mut self, job: &JobControl, total: u64) -> Result<(), StoreError> {
        let names: Vec<String> = self.manifest.entries.keys().cloned().collect();
        for (i, name) in names.iter().enumerate() {
            job.step(i as u64, total)?;
            self.check(name)?;
        }
        Ok(())
    }
}

/// A pack comes from another machine: its school code, categories and collection codes pass
/// the same rules as a roster's before any of it is stored (codes normalised as stored).
fn validate_pack(pack: &mut StationPack) -> Result<(), StoreError> {
    photoroll_core::SchoolCode::parse(&pack.school_code)
        .map_err(|e| bad(format!("院校代码 “{}”：{e}", pack.school_code)))?;
    if pack.feature_code.len() != 4 || !pack.feature_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("特征码 “{}” 不是四位数字", pack.feature_code)));
    }
    for s in &mut pack.students {
        if photoroll_core::EducationCategory::parse(&s.category).is_none() {
            return Err(bad(format!(
                "学生 {}：未知的学历类别 “{}”",
                s.id, s.category
            )));
        }
        if let Some(code) = &s.collection_code {
            s.collection_code = Some(
                photoroll_core::parse_collection_code(code)
                    .map_err(|e| bad(format!("学生 {}：{e}", s.id)))?,
            );
        }
        if let Some(l4) = &s.id_last_four
            && l4.chars().count() != 4
        {
            return Err(bad(format!("学生 {}：证件号后四位应为4位", s.id)));
        }
    }
    Ok(())
}

/// A student added at the station (a walk-in), carried back with the captures so the admin's
/// roster gets them too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PackedWalkIn {
    pub id: String,
    pub school_code: String,
    pub session_id: Option<String>,
    pub name: String,
    pub collection_code: String,
    pub category: String,
    pub flag: String,
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
        let mut pack: StationPack = serde_json::from_slice(&zip.read(PACK_FILE)?)
            .map_err(|e| bad(format!("pack.json: {e}")))?;
        validate_pack(&mut pack)?;
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
        // Walk-ins: flagged students that came from no roster import here.
        let walk_ins: Vec<PackedWalkIn> = sqlx::query_as(
            "SELECT st.id, st.school_code,
                    (SELECT c.session_id FROM capture_session_students c WHERE c.student_id = st.id LIMIT 1) AS session_id,
                    st.name, st.collection_code, st.category, st.flag
             FROM students st WHERE st.flag IS NOT NULL AND st.import_id IS NULL
               AND st.collection_code IS NOT NULL ORDER BY st.id",
        )
        .fetch_all(self.pool())
        .await?;
        let files = vec![
            (CAPTURES_FILE.to_string(), serde_json::to_vec(&captures)?),
            (WALK_INS_FILE.to_string(), serde_json::to_vec(&walk_ins)?),
        ];
        let photos: Vec<String> = hashes.into_iter().collect();
        let (out, blobs, job) = (out.to_path_buf(), self.blobs().clone(), job.clone());
        tokio::task::spawn_blocking(move || {
            write_zip(&out, CAPTURES_FORMAT, &files, &photos, &blobs, &job)
        })
        .await
        .map_err(|e| StoreError::io(Path::new("."), std::io::Error::other(e.to_string())))??;
        Ok(captures.len())
    }

    /// Takes a station's captures in: every photo is checked against its hash first; then the
    /// station's walk-ins join the roster (or, when the roster has their code by now, their
    /// captures go to that student); then each capture not seen before is saved through the
    /// same rules as at the station (the override rule re-run, a capture older than the
    /// student's photo kept in history only). A capture the roster cannot take (the student is
    /// not on it, an unknown session, approved or delivered meanwhile, a failed check without a
    /// reason) is skipped and reported, never fatal midway.
    pub async fn import_captures(
        &self,
        file: &Path,
        job: &JobControl,
    ) -> Result<CapturesImport, StoreError> {
        let mut zip = ZipReader::open(file, CAPTURES_FORMAT)?;
        let captures: Vec<PackedCapture> = serde_json::from_slice(&zip.read(CAPTURES_FILE)?)
            .map_err(|e| bad(format!("captures.json: {e}")))?;
        let walk_ins: Vec<PackedWalkIn> = if zip.manifest.entries.contains_key(WALK_INS_FILE) {
            serde_json::from_slice(&zip.read(WALK_INS_FILE)?)
                .map_err(|e| bad(format!("{WALK_INS_FILE}: {e}")))?
        } else {
            Vec::new()
        };
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
        let student_of = self.take_walk_ins(&walk_ins).await?;
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
            let student_id = student_of.get(&c.student_id).unwrap_or(&c.student_id);
            let skip = |reason: String| SkippedCapture {
                capture_id: c.id.clone(),
                student_id: student_id.clone(),
                reason,
            };
            if let Some(session) = &c.session_id
                && self.session(session).await?.is_none()
            {
                result.skipped.push(skip(format!(
                    "采集场次 {session} 不在本机：请先导入该场次的名单"
                )));
                continue;
            }
            let overrides: Vec<CheckOverride> = match serde_json::from_str(&c.overrides) {
                Ok(o) => o,
                Err(e) => {
                    result.skipped.push(skip(format!("检查说明无法读取：{e}")));
                    continue;
                }
            };
            let saved = self
                .save_capture_as(
                    &crate::NewCapture {
                        student_id,
                        session_id: c.session_id.as_deref(),
                        original: &photo(&c.original_hash)?,
                        standard: &photo(&c.standard_hash)?,
                        report: c.report.clone(),
                        overrides,
                        actor: &c.actor,
                        // The student agreed at the station; a photo awaiting review here is
                        // replaced when this capture is the newer one.
                        retake: true,
                        source: Default::default(),
                    },
                    &c.id,
                    &c.taken_at,
                )
                .await;
            match saved {
                Ok(_) => result.added += 1,
                Err(
                    e @ (StoreError::Transition(_)
                    | StoreError::CaptureRefused(_)
                    | StoreError::UnknownStudent(_)
                    | StoreError::UnresolvedChecks(_)
                    | StoreError::Json(_)),
                ) => result.skipped.push(skip(e.to_string())),
                Err(e) => return Err(e),
            }
        }
        job.step(total, total)?;
        Ok(result)
    }

    /// Adds the station's walk-ins to the roster. Returns the station's student id → this
    /// roster's, for walk-ins whose code the roster already has under another id.
    async fn take_walk_ins(
        &self,
        walk_ins: &[PackedWalkIn],
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut mapped = std::collections::HashMap::new();
        let mut tx = self.pool().begin().await?;
        for w in walk_ins {
            let code = photoroll_core::parse_collection_code(&w.collection_code)
                .map_err(|e| bad(format!("现场新增学生 {}：{e}", w.id)))?;
            let walk_in = photoroll_core::WalkIn::parse(&code, &w.name)
                .map_err(|e| bad(format!("现场新增学生 {}：{e}", w.id)))?;
            if photoroll_core::EducationCategory::parse(&w.category).is_none() {
                return Err(bad(format!("现场新增学生 {}：未知的学历类别", w.id)));
            }
            let school: Option<String> =
                sqlx::query_scalar("SELECT code FROM schools WHERE code = ?")
                    .bind(&w.school_code)
                    .fetch_optional(&mut *tx)
                    .await?;
            if school.is_none() {
                continue;
            }
            let by_code: Option<String> = sqlx::query_scalar(
                "SELECT id FROM students WHERE school_code = ? AND collection_code = ?",
            )
            .bind(&w.school_code)
            .bind(&walk_in.collection_code)
            .fetch_optional(&mut *tx)
            .await?;
            match by_code {
                Some(id) => {
                    mapped.insert(w.id.clone(), id);
                }
                None => {
                    let at = now();
                    let added = sqlx::query(
                        "INSERT OR IGNORE INTO students (id, school_code, name, collection_code, category, state, flag, updated_at)
                         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
                    )
                    .bind(&w.id)
                    .bind(&w.school_code)
                    .bind(&walk_in.name)
                    .bind(&walk_in.collection_code)
                    .bind(&w.category)
                    .bind(&w.flag)
                    .bind(&at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if added == 0 {
                        continue;
                    }
                    if let Some(session) = &w.session_id {
                        sqlx::query(
                            "INSERT OR IGNORE INTO capture_session_students (session_id, student_id)
                             SELECT id, ? FROM capture_sessions WHERE id = ?",
                        )
                        .bind(&w.id)
                        .bind(session)
                        .execute(&mut *tx)
                        .await?;
                    }
                    crate::outbox::append(
                        &mut tx,
                        photoroll_core::Operation::WalkInAdded {
                            student_id: w.id.clone(),
                            school_code: w.school_code.clone(),
                            session_id: w.session_id.clone().unwrap_or_default(),
                            name: walk_in.name.clone(),
                            collection_code: walk_in.collection_code.clone(),
                            category: w.category.clone(),
                            flag: w.flag.clone(),
                            actor: w.flag.clone(),
                            at,
                        },
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(mapped)
    }
}
