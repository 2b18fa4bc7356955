//! 人像比对 (portrait comparison) from the window: admission photos (a folder or zip as a job,
//! or one photo for one student), comparison runs (a job with progress and cancel, and the
//! background runs over new photos), the results, a school's comparison settings and whether
//! 人证比对 is configured. Each command is one call into `photoroll_workflows`, the same as
//! `photoroll compare …`; the rules (thresholds, interception, a file's limit) are decided there.

use crate::error::UiError;
use crate::jobs::JobProgress;
use crate::state::AppState;
use photoroll_core::JobControl;
use photoroll_core::compare::CompareSettings;
use photoroll_idcheck::IdentityVerifier;
use photoroll_store::{AdmissionSet, ComparisonFilter, ComparisonRow, StudentFilter};
use photoroll_workflows::admission::{self, AdmissionImportOptions, AdmissionReport};
use photoroll_workflows::compare::{self, RunOptions, RunReport, SettingsChange};
use photoroll_workflows::photo_import::NameBy;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::State;
use tauri::ipc::Channel;

type Result<T> = std::result::Result<T, UiError>;

/// What the comparison commands share: 人证比对's provider as read at start, and the one run
/// at a time (a run the user started and the background runs over new photos take turns).
#[derive(Debug)]
pub struct Comparisons {
    verifier: std::result::Result<Option<Arc<dyn IdentityVerifier>>, String>,
    running: tokio::sync::Mutex<()>,
}

impl Comparisons {
    pub fn new(
        verifier: std::result::Result<
            Option<Arc<dyn IdentityVerifier>>,
            photoroll_idcheck::IdCheckError,
        >,
    ) -> Self {
        let verifier = verifier.map_err(|e| {
            log::warn!("人证比对配置有误：{e}");
            e.to_string()
        });
        Self {
            verifier,
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// The provider for a run: `None` when 人证比对 is off; a half-done configuration is
    /// refused rather than run as if it were off (the school asked for the check).
    fn verifier(&self) -> Result<Option<Arc<dyn IdentityVerifier>>> {
        match &self.verifier {
            Ok(v) => Ok(v.clone()),
            Err(e) => Err(UiError::new(
                "id_check_config",
                format!(
                    "人证比对配置有误：{e}。请改正 PHOTOROLL_ID_CHECK_URL / PHOTOROLL_ID_CHECK_KEY 后重新打开程序"
                ),
                true,
            )),
        }
    }

    async fn run(
        &self,
        state: &AppState,
        options: &RunOptions,
        job: &JobControl,
    ) -> Result<RunReport> {
        let verifier = self.verifier()?;
        let _turn = self.running.lock().await;
        Ok(compare::run(&state.store, options, verifier.as_deref(), job).await?)
    }
}

/// Whether 人证比对 (an online service) is configured, as the window shows it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct IdCheckStatus {
    pub configured: bool,
    /// The provider (its origin), never the key.
    pub provider: Option<String>,
    /// A configuration that cannot be used, in words.
    pub error: Option<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn id_check_status(state: State<'_, AppState>) -> Result<IdCheckStatus> {
    Ok(match &state.comparisons.verifier {
        Ok(Some(v)) => IdCheckStatus {
            configured: true,
            provider: Some(v.describe()),
            error: None,
        },
        Ok(None) => IdCheckStatus {
            configured: false,
            provider: None,
            error: None,
        },
        Err(e) => IdCheckStatus {
            configured: false,
            provider: None,
            error: Some(e.clone()),
        },
    })
}

#[tauri::command]
#[specta::specta]
pub async fn compare_settings(
    state: State<'_, AppState>,
    school: String,
) -> Result<CompareSettings> {
    Ok(compare::settings(&state.store, &school).await?)
}

/// Changes some of a school's comparison settings; refused, in the backend's words, when the
/// thresholds or the limit are out of bounds.
#[tauri::command]
#[specta::specta]
pub async fn set_compare_settings(
    state: State<'_, AppState>,
    school: String,
    change: SettingsChange,
) -> Result<CompareSettings> {
    Ok(compare::set_settings(&state.store, &school, &change).await?)
}

/// Imports the admission photos (录取照片) in a folder or zip for `school`'s students, as a
/// job. Cancelling keeps what was stored; the report says so.
#[tauri::command]
#[specta::specta]
pub async fn import_admission(
    state: State<'_, AppState>,
    path: PathBuf,
    school: String,
    name_by: NameBy,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<AdmissionReport> {
    let job = state.jobs.start(&job_id, on_progress);
    let options = AdmissionImportOptions { school, name_by };
    let result = admission::import_admission_photos(&state.store, &path, &options, &job).await;
    state.jobs.finish(&job_id);
    Ok(result?)
}

/// One admission photo for the student holding `code`, from a file the user chose.
#[tauri::command]
#[specta::specta]
pub async fn set_admission_photo(
    state: State<'_, AppState>,
    code: String,
    path: PathBuf,
) -> Result<AdmissionSet> {
    let limit = *photoroll_core::compare::ADMISSION_MAX_BYTES_RANGE.end();
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unreadable = |e: std::io::Error| {
        UiError::new(
            "unreadable_file",
            format!("无法读取 {file_name}：{e}"),
            true,
        )
    };
    let size = tokio::fs::metadata(&path).await.map_err(unreadable)?.len();
    if size > limit {
        return Err(UiError::new(
            "too_large",
            format!("{file_name} 过大（{} KB），不是录取照片", size / 1024),
            true,
        ));
    }
    let bytes = tokio::fs::read(&path).await.map_err(unreadable)?;
    Ok(admission::set_admission_photo(&state.store, code.trim(), &file_name, &bytes).await?)
}

/// A comparison run the user started (开始比对), as a job with progress and cancel.
#[tauri::command]
#[specta::specta]
pub async fn compare_run(
    state: State<'_, AppState>,
    options: RunOptions,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<RunReport> {
    let job = state.jobs.start(&job_id, on_progress);
    let result = state.comparisons.run(&state, &options, &job).await;
    state.jobs.finish(&job_id);
    result
}

/// New photos compared as they arrive (after admission photos or approvals): the completed
/// students of `school` (all schools when `None`) whose current pair has no result yet. No
/// progress; it waits its turn behind a running comparison.
#[tauri::command]
#[specta::specta]
pub async fn compare_new(state: State<'_, AppState>, school: Option<String>) -> Result<RunReport> {
    let options = RunOptions {
        students: StudentFilter {
            school,
            ..StudentFilter::default()
        },
        only_new: true,
    };
    state
        .comparisons
        .run(&state, &options, &JobControl::new())
        .await
}

/// Each student's latest comparison under the filter, doubtful ones first.
#[tauri::command]
#[specta::specta]
pub async fn comparison_results(
    state: State<'_, AppState>,
    filter: ComparisonFilter,
) -> Result<Vec<ComparisonRow>> {
    Ok(compare::results(&state.store, &filter).await?)
}
