//! 照片导入 from the window: a folder or a zip of photos named by collection code (or ID
//! number), run as a job with progress and cancel. One call into `photoroll-workflows`, the
//! same as `photoroll photo import`.

use crate::error::UiError;
use crate::jobs::JobProgress;
use crate::state::AppState;
use photoroll_workflows::photo_import::{self, NameBy, PhotoImportOptions, PhotoImportReport};
use std::path::PathBuf;
use tauri::State;
use tauri::ipc::Channel;

/// Imports the photos in `path` for `school`'s students. Cancelling stops after the photo
/// being saved; the report then says so (`cancelled`) and what was saved stays.
#[tauri::command]
#[specta::specta]
pub async fn import_photos(
    state: State<'_, AppState>,
    path: PathBuf,
    school: String,
    name_by: NameBy,
    only_passing: bool,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<PhotoImportReport, UiError> {
    let job = state.jobs.start(&job_id, on_progress);
    let options = PhotoImportOptions {
        school,
        name_by,
        only_passing,
    };
    let result =
        photo_import::import_photos(&state.store, &state.desk, &path, &options, &job).await;
    state.jobs.finish(&job_id);
    Ok(result?)
}
