//! 交付 from the window: 下载采集信息 (the package for CHSI's channel) with its preview count, the
//! download history and 重新下载, and 导入上网结果. Each command is one call into
//! `photoroll_workflows::delivery`, the same as `photoroll export package|batches|batch` and
//! `photoroll delivery import-results`; which students ship and why others do not is decided
//! there. The long ones run as jobs with progress and cancel.

use crate::error::UiError;
use crate::jobs::JobProgress;
use crate::state::AppState;
use photoroll_store::{BatchRecord, StudentFilter};
use photoroll_workflows::delivery::{self, PackageReport, PackageRequest, ResultsReport};
use serde::Deserialize;
use std::path::PathBuf;
use tauri::State;
use tauri::ipc::Channel;

type Result<T> = std::result::Result<T, UiError>;

/// What the package's photos are named after: `photoroll_core::NameBy` under its own name here,
/// as 照片导入's `NameBy` (code or ID only) already holds that name in the bindings.
#[derive(Debug, Clone, Copy, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum PackageNaming {
    CollectionCode,
    Id,
    Examinee,
    StudentNumber,
}

impl From<PackageNaming> for photoroll_core::NameBy {
    fn from(n: PackageNaming) -> Self {
        match n {
            PackageNaming::CollectionCode => Self::CollectionCode,
            PackageNaming::Id => Self::Id,
            PackageNaming::Examinee => Self::Examinee,
            PackageNaming::StudentNumber => Self::StudentNumber,
        }
    }
}

/// How many students a package of this filter would take now (将打包 N 人).
#[tauri::command]
#[specta::specta]
pub async fn package_preview(state: State<'_, AppState>, filter: StudentFilter) -> Result<u32> {
    Ok(delivery::preview(&state.store, &filter).await?.max(0) as u32)
}

/// 下载采集信息: the package of the filter's students to `path`, recorded as a batch.
#[tauri::command]
#[specta::specta]
#[allow(clippy::too_many_arguments)]
pub async fn write_package(
    state: State<'_, AppState>,
    filter: StudentFilter,
    name_by: PackageNaming,
    full_ids: bool,
    actor: String,
    path: PathBuf,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<PackageReport> {
    let job = state.jobs.start(&job_id, on_progress);
    let request = PackageRequest {
        filter,
        name_by: name_by.into(),
        full_ids,
        actor,
    };
    let result = delivery::write_package(&state.store, &request, &path, &job).await;
    state.jobs.finish(&job_id);
    Ok(result?)
}

/// 下载记录, newest first.
#[tauri::command]
#[specta::specta]
pub async fn package_batches(state: State<'_, AppState>) -> Result<Vec<BatchRecord>> {
    Ok(delivery::batches(&state.store).await?)
}

/// 重新下载: a past batch written again, byte for byte (its SHA-256 is checked).
#[tauri::command]
#[specta::specta]
pub async fn write_batch_again(
    state: State<'_, AppState>,
    batch_id: String,
    path: PathBuf,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<BatchRecord> {
    let job = state.jobs.start(&job_id, on_progress);
    let result = delivery::write_batch_again(&state.store, &batch_id, &path, &job).await;
    state.jobs.finish(&job_id);
    Ok(result?)
}

/// 导入上网结果: the channel's result workbook applied line by line.
#[tauri::command]
#[specta::specta]
pub async fn import_delivery_results(
    state: State<'_, AppState>,
    path: PathBuf,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<ResultsReport> {
    let job = state.jobs.start(&job_id, on_progress);
    let result = delivery::import_results(&state.store, &path, &job).await;
    state.jobs.finish(&job_id);
    Ok(result?)
}
