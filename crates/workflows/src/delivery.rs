//! 下载采集信息 and 上网结果: the package for CHSI's channel, its download history, and the
//! channel's results back into the state machine.

use crate::error::refused;
use crate::{Result, WorkflowError};
use photoroll_core::delivery::{INFO_HEADERS, PackageSkip, failure_message};
use photoroll_core::id_document::mask_number;
use photoroll_core::{Action, EducationCategory, JobControl, Level, NameBy};
use photoroll_imaging::spec::PhotoSpec;
use photoroll_package::{PackageError, PackageWriter};
use photoroll_store::{
    BatchEntry, BatchRecord, DeliveryResult, PackageCandidate, Store, StudentFilter,
};
use serde::Serialize;
use std::collections::HashSet;
use std::path::Path;

impl From<PackageError> for WorkflowError {
    fn from(e: PackageError) -> Self {
        WorkflowError::Package(e.to_string())
    }
}

/// What a package takes and how it names its photos.
#[derive(Debug, Clone, Default)]
pub struct PackageRequest {
    pub filter: StudentFilter,
    pub name_by: NameBy,
    /// Full ID numbers in the info workbook (recorded in the batch); masked otherwise.
    pub full_ids: bool,
    pub actor: String,
}

/// A student of the selection left out, by collection code (or masked name), with the reason.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PackageSkipped {
    pub code: String,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PackageReport {
    /// None when no photo passed: no file and no batch then.
    pub batch_id: Option<String>,
    pub photos: u32,
    pub skipped: Vec<PackageSkipped>,
    pub sha256: Option<String>,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub bytes: u64,
}

/// How many students a package of this filter would take now (the window's preview).
pub async fn preview(store: &Store, filter: &StudentFilter) -> Result<i64> {
    Ok(store.count_package_candidates(filter).await?)
}

fn beijing_time(rfc3339: Option<&str>) -> String {
    rfc3339
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| {
            (t.to_utc() + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

fn category_name(id: &str) -> String {
    EducationCategory::parse(id).map_or(id.to_string(), |c| c.display_name().to_string())
}

fn level_name(id: Option<&str>) -> String {
    id.map(|l| Level::parse(l).map_or(l.to_string(), |l| l.display_name().to_string()))
        .unwrap_or_default()
}

fn naming_key(c: &PackageCandidate, by: NameBy) -> Option<&str> {
    match by {
        NameBy::CollectionCode => c.collection_code.as_deref(),
        NameBy::Id => c.id_number.as_deref(),
        NameBy::Examinee => c.examinee_number.as_deref(),
        NameBy::StudentNumber => c.student_number.as_deref(),
    }
}

/// The info workbook's cells for one photo, in [`INFO_HEADERS`] order.
fn info_row(c: &PackageCandidate, file_name: &str, full_ids: bool) -> Vec<String> {
    let id = c
        .id_number
        .as_deref()
        .map(|n| {
            if full_ids {
                n.to_string()
            } else {
                mask_number(n)
            }
        })
        .unwrap_or_default();
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let row = vec![
        file_name.to_string(),
        c.name.clone(),
        id,
        c.school_code.clone(),
        c.school_name.clone(),
        category_name(&c.category),
        level_name(c.level.as_deref()),
        o(&c.collection_code),
        o(&c.student_number),
        o(&c.department),
        o(&c.major),
        o(&c.class_name),
        c.photo_hash.clone(),
        beijing_time(c.captured_at.as_deref()),
        beijing_time(c.approved_at.as_deref()),
        o(&c.examinee_number),
    ];
    debug_assert_eq!(row.len(), INFO_HEADERS.len());
    row
}

/// The photo's bytes when it may ship: read (its hash checked by the blob store) and held
/// against the delivery spec's file checks.
fn shippable(
    store: &Store,
    hash: &str,
    spec: &PhotoSpec,
) -> std::result::Result<Vec<u8>, PackageSkip> {
    let bytes = store
        .blobs()
        .get(hash)
        .map_err(|e| PackageSkip::PhotoUnreadable(e.to_string()))?;
    let (checks, _) = photoroll_imaging::file_checks(&bytes, spec);
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.message.clone())
        .collect();
    if failed.is_empty() {
        Ok(bytes)
    } else {
        Err(PackageSkip::PhotoFailsCheck(failed.join("；")))
    }
}

fn who(c: &PackageCandidate) -> String {
    c.collection_code
        .clone()
        .unwrap_or_else(|| photoroll_core::mask_name(&c.name))
}

/// Writes the package of every completed or delivered student under the filter that is in no
/// batch yet, and records the batch. Photos that fail the re-check are listed, never shipped.
pub async fn write_package(
    store: &Store,
    request: &PackageRequest,
    path: &Path,
    job: &JobControl,
) -> Result<PackageReport> {
    const PAGE: i64 = 1000;
    let total = store.count_package_candidates(&request.filter).await?;
    if total == 0 {
        return refused(
            "nothing_to_package",
            "筛选范围内没有可下载的学生：只有“采集完成”或“上网成功”、且尚未进入任何下载批次的学生会被打包",
        );
    }
    let (batch_id, created_at) = Store::new_batch_stamp();
    let spec = PhotoSpec::default();
    let mut writer = PackageWriter::create(path, &created_at, &INFO_HEADERS)?;
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    let mut names = HashSet::new();
    let mut cursor = 0;
    let mut done = 0u64;
    job.step(0, total as u64)?;
    loop {
        let page = store
            .package_candidates_after(&request.filter, cursor, PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        cursor = last.rowid;
        for c in &page {
            done += 1;
            let named = request
                .name_by
                .file_name(naming_key(c, request.name_by))
                .and_then(|n| {
                    if names.contains(&n) {
                        Err(PackageSkip::DuplicateName)
                    } else {
                        Ok(n)
                    }
                })
                .and_then(|n| shippable(store, &c.photo_hash, &spec).map(|b| (n, b)));
            match named {
                Ok((file_name, bytes)) => {
                    let info = info_row(c, &file_name, request.full_ids);
                    writer.add_photo(&file_name, &bytes, &info)?;
                    names.insert(file_name.clone());
                    entries.push(BatchEntry {
                        seq: entries.len() as i64 + 1,
                        student_id: c.id.clone(),
                        file_name,
                        photo_hash: c.photo_hash.clone(),
                        info,
                    });
                }
                Err(skip) => skipped.push(PackageSkipped {
                    code: who(c),
                    reason: skip.code().to_string(),
                    message: skip.to_string(),
                }),
            }
            if done.is_multiple_of(200) {
                job.step(done, total as u64)?;
            }
        }
    }
    if entries.is_empty() {
        // Nothing may ship: no file, no batch. The writer's temporary file goes with it.
        drop(writer);
        return Ok(PackageReport {
            batch_id: None,
            photos: 0,
            skipped,
            sha256: None,
            bytes: 0,
        });
    }
    let written = writer.finish()?;
    let batch = BatchRecord {
        id: batch_id,
        created_at,
        actor: request.actor.clone(),
        filter: serde_json::to_string(&request.filter)
            .map_err(photoroll_store::StoreError::from)?,
        name_by: request.name_by.id().to_string(),
        full_ids: request.full_ids,
        photos: entries.len() as i64,
        bytes: written.bytes as i64,
        sha256: written.sha256.clone(),
    };
    if let Err(e) = store.record_batch(&batch, &entries).await {
        // A package no batch records must not be taken for one.
        let _ = std::fs::remove_file(path);
        return Err(e.into());
    }
    job.step(total as u64, total as u64)?;
    Ok(PackageReport {
        batch_id: Some(batch.id),
        photos: entries.len() as u32,
        skipped,
        sha256: Some(written.sha256),
        bytes: written.bytes,
    })
}

/// The download history, newest first.
pub async fn batches(store: &Store) -> Result<Vec<BatchRecord>> {
    Ok(store.batches().await?)
}

/// Writes a past batch again, byte for byte; the SHA-256 on record proves it.
pub async fn write_batch_again(
    store: &Store,
    batch_id: &str,
    path: &Path,
    job: &JobControl,
) -> Result<BatchRecord> {
    let Some(batch) = store.batch(batch_id.trim()).await? else {
        return refused(
            "unknown_batch",
            format!("找不到下载批次 {batch_id}：用 `photoroll export batches` 查看"),
        );
    };
    let mut writer = PackageWriter::create(path, &batch.created_at, &INFO_HEADERS)?;
    let mut after = 0;
    loop {
        let page = store.batch_entries_after(&batch.id, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            let bytes = store.blobs().get(&e.photo_hash)?;
            writer.add_photo(&e.file_name, &bytes, &e.info)?;
        }
        job.step(after as u64, batch.photos as u64)?;
    }
    let written = writer.finish()?;
    if written.sha256 != batch.sha256 {
        let _ = std::fs::remove_file(path);
        return Err(WorkflowError::Package(format!(
            "重新生成的压缩包与批次记录不一致（SHA-256 {} ≠ {}）：照片文件可能被改动，请从备份恢复",
            written.sha256, batch.sha256
        )));
    }
    Ok(batch)
}

/// One result line not applied, with its row as Excel shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ResultSkipped {
    pub row: u32,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ResultsReport {
    pub delivered: u32,
    pub failed: u32,
    pub skipped: Vec<ResultSkipped>,
}

/// Reads the channel's result workbook and applies each line: 成功 → deliver, 失败 →
/// delivery_failed with the reason shown to the student. Unknown codes, unreadable results and
/// transitions the table refuses are reported by row; the other rows still apply.
pub async fn import_results(store: &Store, path: &Path, job: &JobControl) -> Result<ResultsReport> {
    let limits = photoroll_roster::Limits::default();
    let size = std::fs::metadata(path)
        .map_err(|e| WorkflowError::Refused {
            code: "unreadable",
            message: format!("无法读取 {}：{e}", path.display()),
        })?
        .len();
    if size > limits.max_file_bytes {
        return refused(
            "too_large",
            format!(
                "文件过大（{size} 字节），上限为 {} 字节",
                limits.max_file_bytes
            ),
        );
    }
    let bytes = std::fs::read(path).map_err(|e| WorkflowError::Refused {
        code: "unreadable",
        message: format!("无法读取 {}：{e}", path.display()),
    })?;
    let rows =
        photoroll_roster::read_delivery_results(&bytes, &limits, job).map_err(|e| match e {
            photoroll_roster::WorkbookError::Cancelled(c) => WorkflowError::Cancelled(c),
            e => WorkflowError::Refused {
                code: "bad_workbook",
                message: e.to_string(),
            },
        })?;
    let actor = format!(
        "上网结果：{}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    let mut report = ResultsReport::default();
    let total = rows.len() as u64;
    for (i, row) in rows.iter().enumerate() {
        let skip = |message: String| ResultSkipped {
            row: row.row,
            code: row.code.clone(),
            message,
        };
        let outcome = match &row.outcome {
            Ok(o) => *o,
            Err(text) => {
                report.skipped.push(skip(format!(
                    "无法识别的上网结果“{text}”：应为“成功”或“失败”"
                )));
                continue;
            }
        };
        if row.code.is_empty() {
            report.skipped.push(skip("缺少图像采集码".into()));
            continue;
        }
        let students = store.students_by_collection_code(&row.code).await?;
        let student = match students.as_slice() {
            [one] => one,
            [] => {
                report
                    .skipped
                    .push(skip("未知的图像采集码：名单中没有这位学生".into()));
                continue;
            }
            _ => {
                report.skipped.push(skip(format!(
                    "图像采集码在 {} 所院校的名单中都有，无法确定是哪一条",
                    students.len()
                )));
                continue;
            }
        };
        let reason = (outcome.action() == Action::DeliveryFailed)
            .then(|| failure_message(row.reason.as_deref()));
        let applied = store
            .apply_delivery_result(
                &DeliveryResult {
                    student_id: &student.id,
                    action: outcome.action(),
                    reason: reason.as_deref(),
                },
                &actor,
            )
            .await;
        match applied {
            Ok(_) if outcome.action() == Action::Deliver => report.delivered += 1,
            Ok(_) => report.failed += 1,
            Err(photoroll_store::StoreError::Transition(t)) => {
                report.skipped.push(skip(t.to_string()));
            }
            Err(e) => return Err(e.into()),
        }
        if i.is_multiple_of(200) {
            job.step(i as u64, total)?;
        }
    }
    job.step(total, total)?;
    Ok(report)
}
