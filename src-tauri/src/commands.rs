//! Tauri commands for rosters, progress and exports: each parses what the window sent and
//! makes one call into the application layer (`photoroll-workflows`) or one read of the store.

use crate::error::UiError;
use crate::jobs::JobProgress;
use crate::state::AppState;
use photoroll_core::{EducationCategory, School};
use photoroll_roster::ImportReport;
use photoroll_store::{
    ExportRecord, ImportSummary, ProgressCounts, StoredFailure, StudentFilter, StudentRow,
};
use photoroll_workflows::{maintenance, roster};
use serde::Serialize;
use std::path::PathBuf;
use tauri::State;
use tauri::ipc::Channel;

type Result<T> = std::result::Result<T, UiError>;

/// What the window needs to draw its frame.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub schools: Vec<School>,
    pub has_demo_data: bool,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportFailures {
    pub headers: Vec<String>,
    pub failures: Vec<StoredFailure>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Facets {
    pub departments: Vec<String>,
    pub classes: Vec<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        data_dir: state.store.dir().display().to_string(),
        schools: state.store.schools().await?,
        has_demo_data: state.store.has_demo_data().await?,
    })
}

#[tauri::command]
#[specta::specta]
pub async fn clear_demo(state: State<'_, AppState>) -> Result<()> {
    Ok(maintenance::clear_demo(&state.store).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn add_school(state: State<'_, AppState>, code: String, name: String) -> Result<School> {
    Ok(maintenance::add_school(&state.store, &code, &name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn write_template(path: PathBuf) -> Result<()> {
    Ok(tokio::task::spawn_blocking(move || roster::write_template(&path)).await??)
}

#[tauri::command]
#[specta::specta]
pub async fn import_roster(
    state: State<'_, AppState>,
    path: PathBuf,
    school: String,
    category: Option<EducationCategory>,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<ImportReport> {
    let job = state.jobs.start(&job_id, on_progress);
    let result = roster::import_roster(&state.store, &path, &school, category, &job).await;
    state.jobs.finish(&job_id);
    Ok(result?)
}

#[tauri::command]
#[specta::specta]
pub fn cancel_job(state: State<'_, AppState>, job_id: String) -> bool {
    state.jobs.cancel(&job_id)
}

#[tauri::command]
#[specta::specta]
pub async fn imports(state: State<'_, AppState>) -> Result<Vec<ImportSummary>> {
    Ok(state.store.imports().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn import_students(
    state: State<'_, AppState>,
    import_id: String,
) -> Result<Vec<StudentRow>> {
    Ok(state.store.import_students(&import_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn import_failures(
    state: State<'_, AppState>,
    import_id: String,
) -> Result<ImportFailures> {
    let (headers, failures) = state.store.import_failures(&import_id).await?;
    Ok(ImportFailures { headers, failures })
}

#[tauri::command]
#[specta::specta]
pub async fn export_failures(
    state: State<'_, AppState>,
    import_id: String,
    path: PathBuf,
) -> Result<u32> {
    Ok(roster::export_failures(&state.store, &import_id, &path).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_import(state: State<'_, AppState>, import_id: String) -> Result<u32> {
    Ok(state.store.delete_import(&import_id).await? as u32)
}

#[tauri::command]
#[specta::specta]
pub async fn progress(state: State<'_, AppState>, filter: StudentFilter) -> Result<ProgressCounts> {
    Ok(state.store.progress(&filter).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn count_students(state: State<'_, AppState>, filter: StudentFilter) -> Result<u32> {
    Ok(state.store.count_students(&filter).await? as u32)
}

/// The ordered keys of the students under a filter: the virtualised list's index.
#[tauri::command]
#[specta::specta]
pub async fn student_keys(state: State<'_, AppState>, filter: StudentFilter) -> Result<Vec<i64>> {
    Ok(state.store.student_keys(&filter).await?)
}

/// One page of the virtualised list, by key.
#[tauri::command]
#[specta::specta]
pub async fn students_by_keys(
    state: State<'_, AppState>,
    keys: Vec<i64>,
) -> Result<Vec<StudentRow>> {
    if keys.len() > 1000 {
        return Err(UiError::new(
            "page_too_large",
            "一次最多读取1000名学生",
            true,
        ));
    }
    Ok(state.store.students_by_keys(&keys).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn facets(state: State<'_, AppState>, school: Option<String>) -> Result<Facets> {
    let (departments, classes) = state.store.facets(school.as_deref()).await?;
    Ok(Facets {
        departments,
        classes,
    })
}

/// Exports the students under the filter to `path`, kept in the history under `name` or, when
/// none is given, the file name the user typed in the save dialog.
#[tauri::command]
#[specta::specta]
pub async fn export_students(
    state: State<'_, AppState>,
    filter: StudentFilter,
    path: PathBuf,
    name: Option<String>,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<ExportRecord> {
    let job = state.jobs.start(&job_id, on_progress);
    let result = roster::export_students(&state.store, &filter, &path, name.as_deref(), &job).await;
    state.jobs.finish(&job_id);
    Ok(result?)
}

/// Runs an export of the history again with its filter, to a new file.
#[tauri::command]
#[specta::specta]
pub async fn rerun_export(
    state: State<'_, AppState>,
    export_id: String,
    path: PathBuf,
    name: Option<String>,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<ExportRecord> {
    let job = state.jobs.start(&job_id, on_progress);
    let result = roster::rerun_export(&state.store, &export_id, &path, name.as_deref(), &job).await;
    state.jobs.finish(&job_id);
    Ok(result?)
}

#[tauri::command]
#[specta::specta]
pub async fn exports(state: State<'_, AppState>) -> Result<Vec<ExportRecord>> {
    Ok(state.store.exports().await?)
}
