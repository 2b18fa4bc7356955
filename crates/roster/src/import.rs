//! The roster import: read the workbook, validate every row against the school's roster, store
//! the good rows and the failures in one transaction.

use crate::workbook::{Limits, SheetInfo, WorkbookError, read_roster};
use photoroll_core::roster::{CellValue, RosterRules, RosterValidator, RowFailure};
use photoroll_core::{EducationCategory, JobControl, SchoolCode};
use photoroll_store::{NewImport, Store, StoreError};
use serde::Serialize;
use std::collections::HashSet;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub school: SchoolCode,
    pub category: Option<EducationCategory>,
    pub limits: Limits,
    pub rules: RosterRules,
}

/// The report `--json` prints and the window shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub import_id: String,
    pub file_name: String,
    pub sheet_name: String,
    pub total: u64,
    pub imported: u64,
    pub failed: u64,
    pub failures: Vec<RowFailure>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Workbook(#[from] WorkbookError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("未知的院校代码 {0}：请先用 `photoroll school add` 添加院校")]
    UnknownSchool(String),
    #[error("无法读取文件 {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("导入任务异常结束: {0}")]
    Task(String),
}

impl ImportError {
    /// Whether the file itself was refused (as opposed to a failure of this machine).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Workbook(_) | Self::UnknownSchool(_))
    }
}

/// Reads and validates a workbook against the given existing keys, without storing anything.
pub fn validate_workbook(
    bytes: &[u8],
    file_name: &str,
    opts: &ImportOptions,
    existing: (HashSet<String>, HashSet<String>),
    job: &JobControl,
) -> Result<NewImport, WorkbookError> {
    let mut validator = RosterValidator::new(
        opts.school.clone(),
        opts.category,
        opts.rules.clone(),
        existing.0,
        existing.1,
    );
    let mut records = Vec::new();
    let mut failures = Vec::new();
    let info: SheetInfo = read_roster(bytes, &opts.limits, job, |raw, original| {
        match validator.check(raw) {
            Ok(rec) => records.push(rec),
            Err(f) => failures.push((f, original.iter().map(CellValue::text).collect())),
        }
    })?;
    Ok(NewImport {
        school: opts.school.clone(),
        category: opts.category,
        file_name: file_name.to_string(),
        sheet_name: info.sheet_name,
        headers: info.headers,
        total: info.data_rows,
        records,
        failures,
    })
}

/// Imports a roster workbook for a school. A refused file stores nothing; a processed file
/// stores its good rows, its failures and its import record together.
pub async fn import_workbook(
    store: &Store,
    path: &Path,
    opts: &ImportOptions,
    job: &JobControl,
) -> Result<ImportReport, ImportError> {
    if store.school(&opts.school).await?.is_none() {
        return Err(ImportError::UnknownSchool(opts.school.to_string()));
    }
    let io = |source| ImportError::Io {
        path: path.display().to_string(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > opts.limits.max_file_bytes {
        return Err(WorkbookError::TooLarge {
            size,
            limit: opts.limits.max_file_bytes,
        }
        .into());
    }
    let bytes = tokio::fs::read(path).await.map_err(io)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let existing = store.existing_keys(&opts.school).await?;
    let (opts2, job2, name2) = (opts.clone(), job.clone(), file_name.clone());
    // Parsing and validation are CPU work: keep them off the async threads (and the UI's).
    let new_import = tokio::task::spawn_blocking(move || {
        validate_workbook(&bytes, &name2, &opts2, existing, &job2)
    })
    .await
    .map_err(|e| ImportError::Task(e.to_string()))??;
    let summary = store.insert_import(&new_import, job).await?;
    Ok(ImportReport {
        import_id: summary.id,
        file_name,
        sheet_name: new_import.sheet_name,
        total: new_import.total,
        imported: new_import.records.len() as u64,
        failed: new_import.failures.len() as u64,
        failures: new_import.failures.into_iter().map(|(f, _)| f).collect(),
    })
}
