//! Keeps the station's camera usable: no camera at start, a camera unplugged mid-session or held
//! by another program each give a clear status, and a replugged camera comes back on the next
//! tick without restarting anything. The logic is independent of nokhwa so it can be tested
//! with a scripted device list.

use crate::{CameraError, CaptureSource};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The backend's identifier (an index or a device path).
    pub id: String,
    /// The name to show ("HD Pro Webcam C920").
    pub name: String,
}

/// Lists the cameras present now.
pub trait DeviceLister {
    fn list(&mut self) -> Result<Vec<DeviceInfo>, CameraError>;
}

/// What the window shows about the camera.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CameraStatus {
    NoCamera,
    Connected(DeviceInfo),
    /// The camera in use went away; the supervisor waits for it (or any camera) to return.
    Lost(DeviceInfo),
    /// The system could not list its cameras (the next tick tries again).
    ListFailed(String),
    /// Present but could not be opened (another program holds it, or no MJPEG).
    Unusable {
        device: DeviceInfo,
        reason: String,
    },
}

impl CameraStatus {
    /// The line the station shows, in plain Chinese.
    pub fn message(&self) -> String {
        match self {
            CameraStatus::NoCamera => {
                "未检测到摄像头：请插入 USB 摄像头，或改用联机拍摄文件夹".into()
            }
            CameraStatus::Connected(d) => format!("摄像头已连接：{}", d.name),
            CameraStatus::Lost(d) => format!("摄像头「{}」已断开，重新插入后会自动恢复", d.name),
            CameraStatus::ListFailed(e) => format!("无法列出摄像头：{e}"),
            CameraStatus::Unusable { device, reason } => {
                format!("摄像头「{}」无法使用：{reason}", device.name)
            }
        }
    }
}

/// Opens a device as a capture source.
pub type Opener = Box<dyn FnMut(&DeviceInfo) -> Result<Box<dyn CaptureSource>, CameraError> + Send>;

pub struct Supervisor<L: DeviceLister> {
    lister: L,
    open: Opener,
    /// The camera the photographer picked; `None` takes the first one found.
    preferred: Option<DeviceInfo>,
    status: CameraStatus,
    source: Option<Box<dyn CaptureSource>>,
}

impl<L: DeviceLister> std::fmt::Debug for Supervisor<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("status", &self.status)
            .finish()
    }
}

impl<L: DeviceLister> Supervisor<L> {
    pub fn new(lister: L, open: Opener) -> Supervisor<L> {
        Supervisor {
            lister,
            open,
            preferred: None,
            status: CameraStatus::NoCamera,
            source: None,
        }
    }

    pub fn status(&self) -> &CameraStatus {
        &self.status
    }

    /// The photographer picks a camera; it is opened on the next tick.
    pub fn prefer(&mut self, device: DeviceInfo) {
        self.preferred = Some(device);
        self.source = None;
        self.status = CameraStatus::NoCamera;
    }

    /// The open source, when connected.
    pub fn source(&mut self) -> Option<&mut (dyn CaptureSource + 'static)> {
        self.source.as_deref_mut()
    }

    /// The source failed to deliver a frame: treat the camera as gone until it is listed again.
    pub fn report_failure(&mut self) {
        if let CameraStatus::Connected(device) = &self.status {
            self.status = CameraStatus::Lost(device.clone());
            self.source = None;
        }
    }

    /// Re-enumerates when not connected and opens the wanted camera when it is present. Call
    /// it about once a second from the station's loop.
    pub fn tick(&mut self) -> &CameraStatus {
        if matches!(self.status, CameraStatus::Connected(_)) {
            return &self.status;
        }
        let devices = match self.lister.list() {
            Ok(d) => d,
            Err(e) => {
                // Keep a lost camera's name on screen; otherwise say why there is none.
                if !matches!(self.status, CameraStatus::Lost(_)) {
                    self.status = CameraStatus::ListFailed(e.to_string());
                }
                return &self.status;
            }
        };
        let wanted = match (&self.status, &self.preferred) {
            (CameraStatus::Lost(d), _) | (CameraStatus::Unusable { device: d, .. }, _) => {
                // The same camera back (its id may change on replug: match the name too), or,
                // if the photographer never chose one, any camera.
                devices
                    .iter()
                    .find(|x| x.id == d.id || x.name == d.name)
                    .or_else(|| self.preferred.is_none().then(|| devices.first()).flatten())
            }
            (_, Some(p)) => devices.iter().find(|x| x.id == p.id || x.name == p.name),
            (_, None) => devices.first(),
        }
        .cloned();
        let Some(device) = wanted else {
            if matches!(
                self.status,
                CameraStatus::Unusable { .. } | CameraStatus::ListFailed(_)
            ) && devices.is_empty()
            {
                self.status = CameraStatus::NoCamera;
            }
            return &self.status;
        };
        match (self.open)(&device) {
            Ok(source) => {
                self.source = Some(source);
                self.status = CameraStatus::Connected(device);
            }
            Err(e) => {
                self.status = CameraStatus::Unusable {
                    device,
                    reason: e.to_string(),
                };
            }
        }
        &self.status
    }
}
