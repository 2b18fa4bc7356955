//! The capture station's workflow commands: sessions, identifying the student, the capture and
//! its save, station files. Each parses what the window sent and makes one call into the
//! application layer; the rules (what may be captured, which checks need a reason) are core's.

use crate::error::UiError;
use crate::jobs::JobProgress;
use crate::state::AppState;
use photoroll_core::CheckOverride;
use photoroll_imaging::spec::PhotoSpec;
use photoroll_store::{CaptureSession, SessionTally, StationStudent};
use photoroll_workflows::{
    Agreement, CaptureView, Identification, SavedView, SessionRequest, SessionSheet, sessions,
    station_files,
};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;
use tauri::State;
use tauri::ipc::Channel;

type Result<T> = std::result::Result<T, UiError>;

/// The guide the preview draws, from the photo settings (output pixels).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CaptureGuide {
    pub width: u32,
    pub height: u32,
    pub head_top: [f32; 2],
    pub eye_line: [f32; 2],
    pub face_width: [f32; 2],
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CapturesImportView {
    pub added: u32,
    pub skipped: Vec<String>,
}

#[tauri::command]
#[specta::specta]
pub fn capture_guide() -> CaptureGuide {
    let spec = PhotoSpec::default();
    CaptureGuide {
        width: spec.width,
        height: spec.height,
        head_top: [spec.head_top.min, spec.head_top.max],
        eye_line: [spec.eye_line.min, spec.eye_line.max],
        face_width: [spec.face_width.min, spec.face_width.max],
    }
}

#[tauri::command]
#[specta::specta]
pub async fn capture_sessions(
    state: State<'_, AppState>,
    school: String,
) -> Result<Vec<CaptureSession>> {
    Ok(state.store.school_sessions(&school).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn create_capture_session(
    state: State<'_, AppState>,
    school: String,
    name: String,
    department: Option<String>,
    class_name: Option<String>,
) -> Result<CaptureSession> {
    let request = SessionRequest {
        school: Some(school),
        name,
        category: None,
        department,
        class_name,
    };
    Ok(sessions::create_session(&state.store, &request).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn session_sheet(state: State<'_, AppState>, session_id: String) -> Result<SessionSheet> {
    Ok(sessions::session_sheet(&state.store, &session_id).await?)
}

/// Finds the student for what was scanned or typed into the identify field.
#[tauri::command]
#[specta::specta]
pub async fn identify(
    state: State<'_, AppState>,
    session_id: String,
    text: String,
) -> Result<Identification> {
    Ok(sessions::identify(&state.store, &session_id, &text).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn add_walk_in(
    state: State<'_, AppState>,
    session_id: String,
    code: String,
    name: String,
    photographer: String,
) -> Result<StationStudent> {
    Ok(sessions::add_walk_in(&state.store, &session_id, &code, &name, &photographer).await?)
}

/// Takes the picture, makes the standard photo and runs the checks. The result waits for the
/// student's answer; the window shows both photos through `frame://`.
#[tauri::command]
#[specta::specta]
pub async fn station_capture(state: State<'_, AppState>) -> Result<CaptureView> {
    let station = state
        .camera
        .station()
        .ok_or_else(|| UiError::new("no_source", "请先选择相机、联机文件夹或演示图像", true))?;
    let desk = state.desk.clone();
    let started = std::time::Instant::now();
    let view = tokio::task::spawn_blocking(move || {
        let frame = station
            .capture(Duration::from_secs(10))
            .map_err(|e| UiError::new("capture", e.to_string(), false))?;
        desk.examine(frame.bytes).map_err(UiError::from)
    })
    .await??;
    Ok(CaptureView {
        millis: started.elapsed().as_secs_f64() * 1000.0,
        ..view
    })
}

/// The failed checks the reasons typed so far leave unexplained (core's override rule).
#[tauri::command]
#[specta::specta]
pub fn unresolved_checks(
    state: State<'_, AppState>,
    token: String,
    overrides: Vec<CheckOverride>,
) -> Result<Vec<String>> {
    Ok(state.desk.unresolved(&token, &overrides)?)
}

/// The student agreed: the capture is saved durably under the photographer's name, and the
/// source moves on to the next student.
#[tauri::command]
#[specta::specta]
pub async fn station_save(
    state: State<'_, AppState>,
    token: String,
    student_id: String,
    session_id: String,
    overrides: Vec<CheckOverride>,
    retake: bool,
    photographer: String,
) -> Result<SavedView> {
    let saved = state
        .desk
        .save(
            &state.store,
            &token,
            Agreement {
                student_id: &student_id,
                session_id: Some(&session_id),
                overrides,
                retake,
                photographer: &photographer,
            },
        )
        .await?;
    if let Some(s) = state.camera.station() {
        s.next_subject();
    }
    Ok(saved)
}

#[tauri::command]
#[specta::specta]
pub async fn session_tally(state: State<'_, AppState>, session_id: String) -> Result<SessionTally> {
    Ok(state.store.session_tally(&session_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn export_station_pack(
    state: State<'_, AppState>,
    session_id: String,
    path: PathBuf,
) -> Result<u32> {
    Ok(station_files::export_pack(&state.store, &session_id, &path).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn import_station_pack(state: State<'_, AppState>, path: PathBuf) -> Result<u32> {
    Ok(station_files::import_pack(&state.store, &path).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn export_station_captures(
    state: State<'_, AppState>,
    path: PathBuf,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<u32> {
    let job = state.jobs.start(&job_id, on_progress);
    let result = station_files::export_captures(&state.store, &path, &job).await;
    state.jobs.finish(&job_id);
    Ok(result?)
}

#[tauri::command]
#[specta::specta]
pub async fn import_station_captures(
    state: State<'_, AppState>,
    path: PathBuf,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<CapturesImportView> {
    let job = state.jobs.start(&job_id, on_progress);
    let result = station_files::import_captures(&state.store, &path, &job).await;
    state.jobs.finish(&job_id);
    let done = result?;
    Ok(CapturesImportView {
        added: done.added as u32,
        skipped: done
            .skipped
            .iter()
            .map(|s| format!("{}：{}", s.capture_id, s.reason))
            .collect(),
    })
}
