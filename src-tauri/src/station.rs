//! The capture station's commands and its `frame://` protocol. The live loop is
//! `photoroll-station`, the photo is `photoroll-imaging`, identification and saving are the
//! store's: this module only connects them to the window.

use crate::commands::{JobProgress, job_with_channel};
use crate::error::UiError;
use crate::state::AppState;
use photoroll_imaging::Standardizer;
use photoroll_imaging::spec::PhotoSpec;
use photoroll_station::{SourceChoice, Station};
use photoroll_store::{
    CaptureSession, CheckOverride, NewCapture, SessionTally, StationStudent, Typed,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Manager, State};

type Result<T> = std::result::Result<T, UiError>;

/// The station's parts that live as long as the app: the running source, the photo pipeline
/// (its models load once, on the first start), the capture waiting for the student's answer.
#[derive(Default)]
pub struct StationDesk {
    station: Mutex<Option<Arc<Station>>>,
    standardizer: OnceLock<std::result::Result<Arc<Standardizer>, String>>,
    pending: Mutex<Option<PendingCapture>>,
    /// The newest preview frame the window has: the next request waits for a newer one.
    served: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for StationDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StationDesk")
    }
}

struct PendingCapture {
    token: String,
    original: Vec<u8>,
    /// The original scaled for the window.
    original_preview: Vec<u8>,
    standard: Option<Vec<u8>>,
    report: String,
    failed: Vec<String>,
}

impl StationDesk {
    fn station(&self) -> Option<Arc<Station>> {
        self.station
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn standardizer(&self) -> Result<Arc<Standardizer>> {
        self.standardizer
            .get_or_init(|| {
                Standardizer::new(PhotoSpec::default())
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|e| UiError::new("models", format!("照片模型无法加载：{e}"), false))
    }
}

/// Where the photographer takes pictures from.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StationSource {
    Camera {
        id: Option<String>,
        name: Option<String>,
        /// The MJPEG resolution picked; the camera's highest when absent.
        width: Option<u32>,
        height: Option<u32>,
    },
    HotFolder {
        folder: PathBuf,
    },
    Synthetic {
        folder: PathBuf,
    },
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CameraDevice {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CameraList {
    pub devices: Vec<CameraDevice>,
    /// Why the list is empty, in Chinese.
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StationStatus {
    pub running: bool,
    pub source: String,
    pub message: String,
    pub live: bool,
}

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
pub struct Identification {
    pub matches: Vec<StationStudent>,
    /// The code read, when it matched no one on the roster.
    pub unknown_code: Option<String>,
    /// Whether the school lets the station add that code as a new record.
    pub can_add: bool,
    /// A session sheet was scanned: the station moves to that session.
    pub session: Option<CaptureSession>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CheckView {
    pub code: String,
    pub passed: bool,
    pub message: String,
    pub limit: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CaptureView {
    pub token: String,
    pub checks: Vec<CheckView>,
    /// Why no standard photo could be made (no face, unreadable frame).
    pub error: Option<String>,
    pub millis: f64,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SavedView {
    pub student: StationStudent,
    pub tally: SessionTally,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SessionSheet {
    pub session: CaptureSession,
    pub school_name: String,
    /// The sheet's QR code as SVG markup.
    pub qr_svg: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CapturesImportView {
    pub added: u32,
    pub skipped: Vec<String>,
}

#[tauri::command]
#[specta::specta]
pub fn station_cameras() -> CameraList {
    match photoroll_station::list_cameras() {
        Ok(found) if found.is_empty() => CameraList {
            devices: Vec::new(),
            message: Some(photoroll_camera::supervisor::CameraStatus::NoCamera.message()),
        },
        Ok(found) => CameraList {
            devices: found
                .into_iter()
                .map(|d| CameraDevice {
                    id: d.id,
                    name: d.name,
                })
                .collect(),
            message: None,
        },
        Err(e) => CameraList {
            devices: Vec::new(),
            message: Some(format!(
                "无法列出摄像头（{e}）：可改用联机拍摄文件夹或演示图像"
            )),
        },
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CameraMode {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

/// The MJPEG resolutions a camera offers (opening it briefly, off the window's thread).
#[tauri::command]
#[specta::specta]
pub async fn camera_modes(id: String, name: String) -> Result<Vec<CameraMode>> {
    let device = photoroll_camera::supervisor::DeviceInfo { id, name };
    tauri::async_runtime::spawn_blocking(move || photoroll_station::camera_modes(&device))
        .await
        .map_err(|e| UiError::new("task", e.to_string(), false))?
        .map(|modes| {
            modes
                .into_iter()
                .map(|m| CameraMode {
                    width: m.width,
                    height: m.height,
                    fps: m.fps,
                })
                .collect()
        })
        .map_err(|e| UiError::new("camera", e.to_string(), false))
}

#[tauri::command]
#[specta::specta]
pub fn station_start(app: AppHandle, state: State<'_, AppState>, source: StationSource) {
    let choice = match source {
        StationSource::Camera {
            id,
            name,
            width,
            height,
        } => SourceChoice::Camera {
            device: id.map(|id| photoroll_camera::supervisor::DeviceInfo {
                name: name.unwrap_or_else(|| id.clone()),
                id,
            }),
            resolution: width.zip(height),
        },
        StationSource::HotFolder { folder } => SourceChoice::HotFolder(folder),
        StationSource::Synthetic { folder } => SourceChoice::Synthetic {
            folder,
            frame_interval: std::env::var("PHOTOROLL_SYNTHETIC_FPS")
                .ok()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|f| *f > 0.0)
                .map(|fps| Duration::from_secs_f64(1.0 / fps)),
        },
    };
    let emitter = app.clone();
    let station = Station::start(choice, move |codes| {
        let _ = emitter.emit("station-codes", codes);
    });
    // The previous source stops (its threads join) outside the lock.
    let old = state
        .station
        .station
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .replace(Arc::new(station));
    drop(old);
    state
        .station
        .served
        .store(0, std::sync::atomic::Ordering::Relaxed);
    // Load the photo models now, off the window's thread, so the first capture is quick.
    let app = app.clone();
    std::thread::spawn(move || {
        let _ = app.state::<AppState>().station.standardizer();
    });
}

#[tauri::command]
#[specta::specta]
pub fn station_stop(state: State<'_, AppState>) {
    let old = state
        .station
        .station
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    drop(old);
}

#[tauri::command]
#[specta::specta]
pub fn station_status(state: State<'_, AppState>) -> StationStatus {
    match state.station.station() {
        Some(s) => {
            let st = s.status();
            StationStatus {
                running: true,
                source: st.source,
                message: st.message,
                live: st.live,
            }
        }
        None => StationStatus {
            running: false,
            source: String::new(),
            message: "请选择相机、联机文件夹或演示图像".into(),
            live: false,
        },
    }
}

#[tauri::command]
#[specta::specta]
pub fn station_next(state: State<'_, AppState>) {
    if let Some(s) = state.station.station() {
        s.next_subject();
    }
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
    Ok(state
        .store
        .sessions()
        .await?
        .into_iter()
        .filter(|s| s.school_code == school)
        .collect())
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
    let blank = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(state
        .store
        .create_session(&photoroll_store::NewSession {
            school_code: school,
            name,
            category: None,
            department: blank(department),
            class_name: blank(class_name),
        })
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn session_sheet(state: State<'_, AppState>, session_id: String) -> Result<SessionSheet> {
    let session = find_session(&state, &session_id).await?;
    let school_name = state
        .store
        .schools()
        .await?
        .into_iter()
        .find(|s| s.code.as_str() == session.school_code)
        .map(|s| s.name)
        .unwrap_or_default();
    let payload =
        photoroll_store::session_sheet_payload(&session.school_code, &session.feature_code);
    Ok(SessionSheet {
        qr_svg: qr_svg(&payload)?,
        session,
        school_name,
    })
}

/// A QR code as SVG: one path of unit squares, a four-module quiet zone, crisp at any size.
fn qr_svg(payload: &str) -> Result<String> {
    let code = qrcode::QrCode::new(payload.as_bytes())
        .map_err(|e| UiError::new("qr", format!("二维码无法生成：{e}"), false))?;
    let n = code.width();
    let side = n + 8;
    let mut path = String::new();
    for (k, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", k % n + 4, k / n + 4));
        }
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

async fn find_session(state: &AppState, session_id: &str) -> Result<CaptureSession> {
    state
        .store
        .sessions()
        .await?
        .into_iter()
        .find(|s| s.id == session_id)
        .ok_or_else(|| UiError::new("bad_session", "找不到该采集场次", true))
}

/// Finds the student for what was scanned or typed into the identify field.
#[tauri::command]
#[specta::specta]
pub async fn identify(
    state: State<'_, AppState>,
    session_id: String,
    text: String,
) -> Result<Identification> {
    let store = &state.store;
    let session = find_session(&state, &session_id).await?;
    let none = Identification {
        matches: Vec::new(),
        unknown_code: None,
        can_add: false,
        session: None,
    };
    let Some(typed) = photoroll_store::read_typed(&text) else {
        return Ok(none);
    };
    Ok(match typed {
        Typed::SessionSheet {
            school,
            feature_code,
        } => {
            let found = store
                .session_by_feature_code(&school, &feature_code)
                .await?;
            if found.is_none() {
                return Err(UiError::new(
                    "bad_session",
                    "这张场次单不属于本机的任何场次",
                    true,
                ));
            }
            Identification {
                session: found,
                ..none
            }
        }
        Typed::LastFour(last_four) => Identification {
            matches: store.students_by_last_four(&session.id, &last_four).await?,
            ..none
        },
        Typed::LastFourAndFeature {
            last_four,
            feature_code,
        } => {
            let target = store
                .session_by_feature_code(&session.school_code, &feature_code)
                .await?
                .ok_or_else(|| UiError::new("bad_session", "特征码不对：请核对场次单", true))?;
            Identification {
                matches: store.students_by_last_four(&target.id, &last_four).await?,
                session: (target.id != session.id).then_some(target),
                ..none
            }
        }
        Typed::Code(code) => match store.student_by_code(&session.id, &code).await? {
            Some(student) => Identification {
                matches: vec![student],
                ..none
            },
            None => Identification {
                can_add: store.allows_walk_ins(&session.id).await?,
                unknown_code: Some(code),
                ..none
            },
        },
    })
}

#[tauri::command]
#[specta::specta]
pub async fn add_walk_in(
    state: State<'_, AppState>,
    session_id: String,
    code: String,
    name: String,
) -> Result<StationStudent> {
    Ok(state
        .store
        .add_walk_in(&session_id, &code, &name, "station")
        .await?)
}

/// Takes the picture, makes the standard photo and runs the checks. The result waits for the
/// student's answer; the window shows both photos through `frame://`.
#[tauri::command]
#[specta::specta]
pub async fn station_capture(state: State<'_, AppState>) -> Result<CaptureView> {
    let station = state
        .station
        .station()
        .ok_or_else(|| UiError::new("no_source", "请先选择相机、联机文件夹或演示图像", true))?;
    let standardizer = state.station.standardizer()?;
    let started = std::time::Instant::now();
    let (pending, view) = tauri::async_runtime::spawn_blocking(move || {
        let frame = station
            .capture(Duration::from_secs(10))
            .map_err(|e| UiError::new("capture", e.to_string(), false))?;
        let result = standardizer.standardize(&frame.bytes);
        let original_preview = photoroll_station::preview_jpeg(&frame.bytes)
            .map(|(jpeg, _, _)| jpeg)
            .unwrap_or_default();
        let token = uuid::Uuid::new_v4().to_string();
        let checks: Vec<CheckView> = result
            .report
            .checks
            .iter()
            .map(|c| CheckView {
                code: c.code.as_str().to_string(),
                passed: c.passed,
                message: c.message.clone(),
                limit: c.limit.clone(),
                score: if c.score.is_finite() { c.score } else { 0.0 },
            })
            .collect();
        let report = serde_json::to_string(&result.report)
            .map_err(|e| UiError::new("report", e.to_string(), false))?;
        let pending = PendingCapture {
            token: token.clone(),
            original: frame.bytes,
            original_preview,
            standard: result.jpeg,
            report,
            failed: checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| c.code.clone())
                .collect(),
        };
        let view = CaptureView {
            token,
            checks,
            error: result.report.error.clone(),
            millis: 0.0,
        };
        Ok::<_, UiError>((pending, view))
    })
    .await
    .map_err(|e| UiError::new("task", e.to_string(), false))??;
    *state
        .station
        .pending
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some(pending);
    Ok(CaptureView {
        millis: started.elapsed().as_secs_f64() * 1000.0,
        ..view
    })
}

/// The student agreed: the capture is saved (durably, see `Store::save_capture`) and the
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
) -> Result<SavedView> {
    let pending = state
        .station
        .pending
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take_if(|p| p.token == token)
        .ok_or_else(|| UiError::new("stale_capture", "这张照片已保存或已重拍", true))?;
    let put_back = |p: PendingCapture| {
        *state
            .station
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(p);
    };
    let Some(standard) = pending.standard.clone() else {
        put_back(pending);
        return Err(UiError::new(
            "no_standard",
            "没有生成标准照片，请重拍",
            true,
        ));
    };
    let unresolved = photoroll_store::unresolved_checks(&pending.failed, &overrides);
    if !unresolved.is_empty() {
        put_back(pending);
        return Err(UiError::new(
            "unresolved_checks",
            format!("还有未通过且未说明原因的检查：{}", unresolved.join("、")),
            true,
        ));
    }
    let saved = state
        .store
        .save_capture(&NewCapture {
            student_id: &student_id,
            session_id: Some(&session_id),
            original: &pending.original,
            standard: &standard,
            report: pending.report.clone(),
            overrides,
            actor: "station",
            retake,
        })
        .await;
    if let Err(e) = saved {
        put_back(pending);
        return Err(e.into());
    }
    if let Some(s) = state.station.station() {
        s.next_subject();
    }
    Ok(SavedView {
        student: state.store.station_student(&student_id).await?,
        tally: state.store.session_tally(&session_id).await?,
    })
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
    Ok(state.store.export_pack(&session_id, &path).await? as u32)
}

#[tauri::command]
#[specta::specta]
pub async fn import_station_pack(state: State<'_, AppState>, path: PathBuf) -> Result<u32> {
    Ok(state.store.import_pack(&path).await? as u32)
}

#[tauri::command]
#[specta::specta]
pub async fn export_station_captures(
    state: State<'_, AppState>,
    path: PathBuf,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<u32> {
    let job = job_with_channel(&state, &job_id, on_progress);
    let result = state.store.export_captures(&path, &job).await;
    state.finish_job(&job_id);
    Ok(result? as u32)
}

#[tauri::command]
#[specta::specta]
pub async fn import_station_captures(
    state: State<'_, AppState>,
    path: PathBuf,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<CapturesImportView> {
    let job = job_with_channel(&state, &job_id, on_progress);
    let result = state.store.import_captures(&path, &job).await;
    state.finish_job(&job_id);
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

/// `frame://localhost/preview?after=N` (the newest preview after frame N, waiting up to a
/// second), `/original` and `/standard` (the capture awaiting the student's answer).
pub fn serve_frame(
    app: &AppHandle,
    request: &tauri::http::Request<Vec<u8>>,
) -> tauri::http::Response<Vec<u8>> {
    let state = app.state::<AppState>();
    let uri = request.uri();
    let after = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("after=")))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let (body, sequence) = match uri.path() {
        "/preview" => match state.station.station() {
            Some(s) => {
                use std::sync::atomic::Ordering;
                let after = after.max(state.station.served.load(Ordering::Relaxed));
                match s.preview_after(after, Duration::from_secs(1)) {
                    Some(p) => {
                        state.station.served.store(p.sequence, Ordering::Relaxed);
                        (Some(p.jpeg.as_ref().clone()), p.sequence)
                    }
                    None => (None, 0),
                }
            }
            None => (None, 0),
        },
        "/original" | "/standard" => {
            let pending = state
                .station
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let body = pending.as_ref().and_then(|p| {
                if uri.path() == "/original" {
                    Some(p.original_preview.clone())
                } else {
                    p.standard.clone()
                }
            });
            (body, 0)
        }
        _ => (None, 0),
    };
    let builder = tauri::http::Response::builder()
        .header("Access-Control-Allow-Origin", "*")
        .header("Access-Control-Expose-Headers", "X-Sequence")
        .header("Cache-Control", "no-store");
    match body {
        Some(jpeg) => builder
            .status(200)
            .header("Content-Type", "image/jpeg")
            .header("X-Sequence", sequence.to_string())
            .body(jpeg),
        None => builder.status(204).body(Vec::new()),
    }
    .unwrap_or_else(|_| tauri::http::Response::new(Vec::new()))
}
