//! The live source at a station (a USB camera, a tethering hot folder, the demo images): which
//! one runs, and its commands. Starting and stopping join threads and enumerating opens
//! devices, so all of it runs off the window's thread.

use crate::error::UiError;
use crate::state::AppState;
use photoroll_camera::supervisor::{CameraStatus, DeviceInfo};
use photoroll_station::{SourceChoice, Station};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Emitter, State};

type Result<T> = std::result::Result<T, UiError>;

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

impl StationSource {
    fn into_choice(self) -> SourceChoice {
        match self {
            Self::Camera {
                id,
                name,
                width,
                height,
            } => SourceChoice::Camera {
                device: id.map(|id| DeviceInfo {
                    name: name.unwrap_or_else(|| id.clone()),
                    id,
                }),
                resolution: width.zip(height),
            },
            Self::HotFolder { folder } => SourceChoice::HotFolder(folder),
            Self::Synthetic { folder } => SourceChoice::Synthetic {
                folder,
                frame_interval: std::env::var("PHOTOROLL_SYNTHETIC_FPS")
                    .ok()
                    .and_then(|v| v.parse::<f64>().ok())
                    .filter(|f| *f > 0.0)
                    .map(|fps| Duration::from_secs_f64(1.0 / fps)),
            },
        }
    }
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

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CameraMode {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

#[tauri::command]
#[specta::specta]
pub async fn station_cameras() -> Result<CameraList> {
    let found = tokio::task::spawn_blocking(photoroll_station::list_cameras).await?;
    Ok(match found {
        Ok(found) if found.is_empty() => CameraList {
            devices: Vec::new(),
            message: Some(CameraStatus::NoCamera.message()),
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
    })
}

/// The MJPEG resolutions a camera offers (opening it briefly).
#[tauri::command]
#[specta::specta]
pub async fn camera_modes(id: String, name: String) -> Result<Vec<CameraMode>> {
    let device = DeviceInfo { id, name };
    let modes =
        tokio::task::spawn_blocking(move || photoroll_station::camera_modes(&device)).await?;
    modes
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
pub async fn station_start(
    app: AppHandle,
    state: State<'_, AppState>,
    source: StationSource,
) -> Result<()> {
    let choice = source.into_choice();
    let emitter = app.clone();
    let station = tokio::task::spawn_blocking(move || {
        Station::start(choice, move |codes| {
            let _ = emitter.emit("station-codes", codes);
        })
    })
    .await?;
    let old = state.camera.replace(Some(Arc::new(station)));
    // Load the photo models meanwhile, so the first capture is quick.
    let desk = state.desk.clone();
    tokio::task::spawn_blocking(move || {
        drop(old);
        if let Err(e) = desk.standardizer() {
            log::warn!("photo models: {e}");
        }
    });
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn station_stop(state: State<'_, AppState>) -> Result<()> {
    let old = state.camera.replace(None);
    tokio::task::spawn_blocking(move || drop(old)).await?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub fn station_status(state: State<'_, AppState>) -> StationStatus {
    match state.camera.station() {
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
    if let Some(s) = state.camera.station() {
        s.next_subject();
    }
}
