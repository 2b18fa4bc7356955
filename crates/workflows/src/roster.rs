//! Rosters: the template, importing a workbook, the failed rows, exporting students.

use crate::error::{Result, WorkflowError, refused};
use photoroll_core::{CollectionState, EducationCategory, JobControl};
use photoroll_roster::{ImportOptions, ImportReport, Limits};
use photoroll_store::{ExportRecord, Store, StoreError, StudentFilter};
use std::path::Path;

pub fn parse_category(raw: &str) -> Result<EducationCategory> {
    EducationCategory::parse(raw).map_or_else(
        || refused("unknown_category", format!("未知的学历类别 “{raw}”")),
        Ok,
    )
}

pub fn parse_state(raw: &str) -> Result<CollectionState> {
    CollectionState::parse(raw).map_or_else(
        || refused("unknown_state", format!("未知的采集状态 “{raw}”")),
        Ok,
    )
}

pub fn write_template(path: &Path) -> Result<()> {
    photoroll_roster::write_template(path).map_err(|e| WorkflowError::Template(e.to_string()))
}

/// Imports a roster workbook for a school: whole or not at all, failed rows reported.
pub async fn import_roster(
    store: &Store,
    path: &Path,
    school: &str,
    category: Option<EducationCategory>,
    job: &JobControl,
) -> Result<ImportReport> {
    let opts = ImportOptions {
        school: crate::maintenance::parse_school(school)?,
        category,
        limits: Limits::default(),
        rules: photoroll_roster::rules_for_today(),
    };
    Ok(photoroll_roster::import_workbook(store, path, &opts, job).await?)
}

/// Writes an import's failed rows, as uploaded plus the reason. Returns how many.
pub async fn export_failures(store: &Store, import_id: &str, path: &Path) -> Result<u32> {
    let (headers, failures) = store.import_failures(import_id).await?;
    photoroll_roster::write_failures(path, &headers, &failures)?;
    Ok(failures.len() as u32)
}

/// Exports the students under a filter (IDs masked), kept in the export history under `name`
/// (the file name when empty).
pub async fn export_students(
    store: &Store,
    filter: &StudentFilter,
    path: &Path,
    name: Option<&str>,
    job: &JobControl,
) -> Result<ExportRecord> {
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    Ok(photoroll_roster::export_students(store, filter, path, &name, job).await?)
}

/// Runs an export of the history again: its filter over the students as they are now, written
/// to `path` and kept in the history as a new export under `name` (the file name when empty).
pub async fn rerun_export(
    store: &Store,
    export_id: &str,
    path: &Path,
    name: Option<&str>,
    job: &JobControl,
) -> Result<ExportRecord> {
    let Some(previous) = store.export(export_id.trim()).await? else {
        return refused(
            "unknown_export",
            format!("找不到导出记录 {export_id}：用 `photoroll export history` 查看"),
        );
    };
    let filter: StudentFilter = serde_json::from_str(&previous.filter)
        .map_err(|e| StoreError::Corrupt(format!("导出记录 {} 的筛选条件：{e}", previous.id)))?;
    export_students(store, &filter, path, name, job).await
}
