//! The roster import: read the workbook, validate every row against the school's roster, store
//! the good rows and the failures in one transaction.

use crate::workbook::{Limits, SheetInfo, WorkbookError, read_roster};
use photoroll_core::roster::{CellValue, RosterRules, RosterValidator, RowFailure, StudentRecord};
use photoroll_core::{EducationCategory, JobControl, SchoolCode};
use photoroll_store::{Store, StoreError};
use serde::Serialize;
use std::ops::ControlFlow;
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
#[cfg_attr(feature = "specta", derive(specta::Type))]
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

/// The roster rules with today's calendar year (enrolment years run to next year).
pub fn rules_for_today() -> RosterRules {
    use chrono::Datelike;
    RosterRules::with_year(chrono::Local::now().year())
}

/// Students per batch handed from the parser to the writer.
const BATCH: usize = 2000;

struct Parsed {
    info: SheetInfo,
    failures: Vec<(RowFailure, Vec<String>)>,
}

/// Imports a roster workbook for a school. A refused file stores nothing; a processed file
/// stores its good rows, its failures and its import record together. The file is parsed and
/// validated on a blocking thread while the store writes the batches it produces.
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
    let started = std::time::Instant::now();
    let bytes = tokio::fs::read(path).await.map_err(io)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let existing = store.existing_keys(&opts.school).await?;
    let mut writer = store
        .begin_import(&opts.school, opts.category, &file_name, job)
        .await?;

    let (batches, mut incoming) = tokio::sync::mpsc::channel::<Vec<StudentRecord>>(4);
    let (opts2, job2) = (opts.clone(), job.clone());
    let parser = tokio::task::spawn_blocking(move || -> Result<Parsed, WorkbookError> {
        let mut validator = RosterValidator::new(
            opts2.school.clone(),
            opts2.category,
            opts2.rules.clone(),
            existing,
        );
        let mut batch = Vec::with_capacity(BATCH);
        let mut failures = Vec::new();
        let info = read_roster(&bytes, &opts2.limits, &job2, |raw, original| {
            match validator.check(raw) {
                Ok(rec) => batch.push(rec),
                Err(f) => failures.push((f, original.iter().map(CellValue::text).collect())),
            }
            if batch.len() >= BATCH && batches.blocking_send(std::mem::take(&mut batch)).is_err() {
                // The writer stopped on an error of its own, which it reports.
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })?;
        if !batch.is_empty() && batches.blocking_send(batch).is_err() {
            return Err(WorkbookError::Stopped);
        }
        Ok(Parsed { info, failures })
    });

    let mut write_error = None;
    while let Some(batch) = incoming.recv().await {
        if let Err(e) = writer.write_students(&batch).await {
            write_error = Some(e);
            break;
        }
    }
    drop(incoming);
    let parsed = parser.await.map_err(|e| ImportError::Task(e.to_string()))?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    let parsed = parsed?;
    let parse_ms = started.elapsed().as_millis() as u64;
    let imported = writer.written();
    let summary = writer
        .finish(
            &parsed.info.sheet_name,
            &parsed.info.headers,
            parsed.info.data_rows,
            &parsed.failures,
        )
        .await?;
    tracing::debug!(
        rows = parsed.info.data_rows,
        parse_ms,
        total_ms = started.elapsed().as_millis() as u64,
        "roster import"
    );
    Ok(ImportReport {
        import_id: summary.id,
        file_name,
        sheet_name: parsed.info.sheet_name,
        total: parsed.info.data_rows,
        imported,
        failed: parsed.failures.len() as u64,
        failures: parsed.failures.into_iter().map(|(f, _)| f).collect(),
    })
}
