//! 录取照片: the admission photos a school uploads for the portrait comparison (admin manual
//! §9): a zip or a folder of JPEGs named by ID number (`<证件号>.jpg`), or by collection code,
//! each under the school's limit (100 KB by default); or one photo for one student.
//!
//! One failure per entry, the rest imported. The archive itself is refused before anything is
//! stored when it is not a folder or a zip or breaks the archive bounds (the same opening and
//! checks as 照片导入). A newer photo replaces the student's current one, which stays in the
//! history.

use crate::error::{Result, refused};
use crate::photo_import::{
    Batch, Classified, NameBy, PhotoName, Source, classify, open_batch, read_source,
};
use photoroll_core::{IdDocument, JobControl};
use photoroll_store::{AdmissionSet, Store, StudentKey, StudentRow};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// Who the history names for an admission photo.
pub const ADMISSION_ACTOR: &str = "录取照片导入";

/// Why one entry was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum AdmissionFailureCode {
    /// The name is neither an ID number nor a collection code (as `--name-by` says).
    BadName,
    /// No student of the school has that ID number or code.
    UnknownStudent,
    /// Over the school's admission photo limit.
    TooLarge,
    /// Not a JPEG (by its extension or its bytes).
    NotJpeg,
    /// Two entries for the same student: neither is imported.
    Duplicate,
    /// Path traversal, an absolute path, control characters, a symbolic link.
    UnsafeName,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AdmissionFailure {
    pub entry: String,
    pub code: AdmissionFailureCode,
    pub message: String,
}

/// `{"total","imported","failed":[{"entry","code","message"}]}` (a contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AdmissionReport {
    pub total: u32,
    pub imported: u32,
    pub failed: Vec<AdmissionFailure>,
    /// Stopped by the user: the entries after the last one stored were not looked at.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "specta", specta(optional))]
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionImportOptions {
    pub school: String,
    /// The manual names the files by ID number.
    pub name_by: NameBy,
}

/// Whether the bytes are a JPEG that decodes (a renamed PNG or a truncated file is not). At the
/// smallest DCT scale the check costs about a millisecond.
fn is_jpeg(bytes: &[u8]) -> bool {
    use photoroll_imaging::decode::{DecodeLimits, SourceFormat, decode, sniff};
    sniff(bytes) == Some(SourceFormat::Jpeg) && decode(bytes, 1, &DecodeLimits::default()).is_ok()
}

fn kb(bytes: u64) -> String {
    format!("{:.0} KB", bytes as f64 / 1024.0)
}

/// The students a name means: every record of the person for an ID number (the admission
/// photo is the person's, whichever record is compared), the one record for a code.
async fn students_named(
    store: &Store,
    school: &str,
    name_by: NameBy,
    key: &str,
) -> Result<std::result::Result<Vec<StudentRow>, (AdmissionFailureCode, String)>> {
    use AdmissionFailureCode as F;
    let (rows, what) = match name_by {
        NameBy::Id => match IdDocument::parse(key, None) {
            Ok(id) => (
                store
                    .school_students_by(school, StudentKey::IdNumber(id.number()))
                    .await?,
                format!("证件号 {}", id.masked()),
            ),
            Err(e) => {
                return Ok(Err((
                    F::BadName,
                    format!("文件名不是证件号（{e}）：录取照片应以学生的证件号命名"),
                )));
            }
        },
        NameBy::Code => match photoroll_core::parse_collection_code(key) {
            Ok(code) => (
                store
                    .school_students_by(school, StudentKey::CollectionCode(&code))
                    .await?,
                format!("采集码 {code}"),
            ),
            Err(e) => {
                return Ok(Err((
                    F::BadName,
                    format!("文件名 “{key}” 不是采集码（{e}）"),
                )));
            }
        },
    };
    if rows.is_empty() {
        Ok(Err((
            F::UnknownStudent,
            format!("院校 {school} 的名单中没有{what}的学生"),
        )))
    } else {
        Ok(Ok(rows))
    }
}

/// Imports the admission photos in `path`. `Err` only when PATH or the school is refused
/// (nothing stored) or this machine failed (what was stored before stays).
pub async fn import_admission_photos(
    store: &Store,
    path: &Path,
    options: &AdmissionImportOptions,
    job: &JobControl,
) -> Result<AdmissionReport> {
    use AdmissionFailureCode as F;
    let school = crate::maintenance::parse_school(&options.school)?;
    if store.school(&school).await?.is_none() {
        return refused(
            "unknown_school",
            format!("找不到院校 {school}：先用 `photoroll school add` 添加"),
        );
    }
    let max_bytes = store.compare_settings(&school).await?.admission_max_bytes;
    let school = school.to_string();
    let owned = path.to_path_buf();
    let Batch { files, mut zip } =
        tokio::task::spawn_blocking(move || open_batch(&owned)).await??;

    let mut failed: Vec<(usize, AdmissionFailure)> = Vec::new();
    let fail = |failed: &mut Vec<(usize, AdmissionFailure)>, seq, entry: &str, code, message| {
        failed.push((
            seq,
            AdmissionFailure {
                entry: entry.to_string(),
                code,
                message,
            },
        ))
    };
    // (seq, entry, source, students)
    let mut targets: Vec<(usize, String, Source, Vec<StudentRow>)> = Vec::new();
    let mut total = 0usize;
    for listed in files {
        let Some(classified) = classify(&listed) else {
            continue;
        };
        let seq = total;
        total += 1;
        let entry = listed.file.as_str();
        let name = match classified {
            Classified::Unsafe(reason) => {
                fail(&mut failed, seq, entry, F::UnsafeName, reason);
                continue;
            }
            Classified::Named(name) => name,
        };
        let key = match name {
            PhotoName::Photo { key }
                if entry.to_ascii_lowercase().ends_with(".jpg")
                    || entry.to_ascii_lowercase().ends_with(".jpeg") =>
            {
                key
            }
            PhotoName::Photo { .. } | PhotoName::NotAPhoto { .. } => {
                fail(
                    &mut failed,
                    seq,
                    entry,
                    F::NotJpeg,
                    "录取照片须为 JPEG 文件（.jpg）".into(),
                );
                continue;
            }
            // Sorted out by `classify`.
            PhotoName::Ignored | PhotoName::Unsafe(_) => continue,
        };
        if listed.size > max_bytes {
            fail(
                &mut failed,
                seq,
                entry,
                F::TooLarge,
                format!("文件 {}，超过上限 {}", kb(listed.size), kb(max_bytes)),
            );
            continue;
        }
        match students_named(store, &school, options.name_by, key).await? {
            Ok(rows) => targets.push((seq, listed.file.clone(), listed.source, rows)),
            Err((code, message)) => fail(&mut failed, seq, entry, code, message),
        }
        if job.is_cancelled() {
            return Err(photoroll_core::Cancelled.into());
        }
    }

    // Two entries for one student: which is right cannot be told, so neither is imported.
    let mut entries_of: HashMap<String, Vec<String>> = HashMap::new();
    for (_, entry, _, rows) in &targets {
        for row in rows {
            entries_of
                .entry(row.id.clone())
                .or_default()
                .push(entry.clone());
        }
    }
    targets.retain(|(seq, entry, _, rows)| {
        let others: Vec<&str> = rows
            .iter()
            .flat_map(|r| entries_of[&r.id].iter())
            .map(String::as_str)
            .filter(|e| e != entry)
            .collect();
        if others.is_empty() {
            return true;
        }
        fail(
            &mut failed,
            *seq,
            entry,
            F::Duplicate,
            format!("与 {} 是同一名学生的录取照片：均未导入", others.join("、")),
        );
        false
    });

    let total_u64 = total as u64;
    let mut done = failed.len() as u64;
    let _ = job.step(done, total_u64);
    let mut imported = 0u32;
    let mut cancelled = false;
    for (seq, entry, source, rows) in targets {
        if job.is_cancelled() {
            cancelled = true;
            break;
        }
        let (bytes, back) = tokio::task::spawn_blocking(move || {
            let bytes = read_source(zip.as_mut(), &source);
            (bytes, zip)
        })
        .await?;
        zip = back;
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                fail(
                    &mut failed,
                    seq,
                    &entry,
                    F::NotJpeg,
                    format!("无法读取：{e}"),
                );
                continue;
            }
        };
        if bytes.len() as u64 > max_bytes {
            // A zip entry whose header understated its size.
            fail(
                &mut failed,
                seq,
                &entry,
                F::TooLarge,
                format!(
                    "文件 {}，超过上限 {}",
                    kb(bytes.len() as u64),
                    kb(max_bytes)
                ),
            );
            continue;
        }
        if !is_jpeg(&bytes) {
            fail(
                &mut failed,
                seq,
                &entry,
                F::NotJpeg,
                "文件内容不是 JPEG 图片".into(),
            );
            continue;
        }
        for row in &rows {
            store.set_admission_photo(&row.id, &bytes, &entry).await?;
        }
        imported += 1;
        done += 1;
        let _ = job.step(done, total_u64);
    }
    failed.sort_by_key(|(seq, _)| *seq);
    Ok(AdmissionReport {
        total: total as u32,
        imported,
        failed: failed.into_iter().map(|(_, f)| f).collect(),
        cancelled,
    })
}

/// One admission photo for the student holding a collection code (from the student's record).
pub async fn set_admission_photo(
    store: &Store,
    code: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<AdmissionSet> {
    let row = crate::review::one_by_code(store, code).await?;
    let max = store
        .compare_settings(&crate::maintenance::parse_school(&row.school_code)?)
        .await?
        .admission_max_bytes;
    if bytes.len() as u64 > max {
        return refused(
            "too_large",
            format!("录取照片 {}，超过上限 {}", kb(bytes.len() as u64), kb(max)),
        );
    }
    if !is_jpeg(bytes) {
        return refused("not_jpeg", "录取照片须为 JPEG 图片");
    }
    Ok(store.set_admission_photo(&row.id, bytes, file_name).await?)
}
