//! USB (UVC) cameras through nokhwa. The stream runs at the camera's highest MJPEG
//! resolution: MJPEG frames arrive already compressed, so the capture is the newest frame's
//! bytes as the camera sent them and the preview is the same JPEG, scaled down by the window.

use crate::supervisor::{DeviceInfo, DeviceLister};
use crate::{CameraError, CaptureSource, Frame};
use nokhwa::Camera;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The cameras the operating system reports now.
#[derive(Debug, Default)]
pub struct SystemCameras;

impl DeviceLister for SystemCameras {
    fn list(&mut self) -> Result<Vec<DeviceInfo>, CameraError> {
        let found =
            nokhwa::query(ApiBackend::Auto).map_err(|e| CameraError::Device(e.to_string()))?;
        Ok(found
            .into_iter()
            .map(|info| DeviceInfo {
                id: info.index().to_string(),
                name: info.human_name(),
            })
            .collect())
    }
}

/// The largest MJPEG format (by pixels, then frame rate) among `formats`.
pub fn highest_mjpeg(formats: &[CameraFormat]) -> Option<CameraFormat> {
    formats
        .iter()
        .filter(|f| f.format() == FrameFormat::MJPEG)
        .max_by_key(|f| {
            let r = f.resolution();
            (r.width() as u64 * r.height() as u64, f.frame_rate())
        })
        .copied()
}

/// The MJPEG format at `wanted` (width, height), fastest first; the highest when `wanted` is
/// `None` or the camera does not offer it (a camera swapped for another model keeps working).
pub fn pick_mjpeg(formats: &[CameraFormat], wanted: Option<(u32, u32)>) -> Option<CameraFormat> {
    let at = |(w, h): (u32, u32)| {
        formats
            .iter()
            .filter(|f| {
                f.format() == FrameFormat::MJPEG
                    && f.resolution().width() == w
                    && f.resolution().height() == h
            })
            .max_by_key(|f| f.frame_rate())
            .copied()
    };
    wanted.and_then(at).or_else(|| highest_mjpeg(formats))
}

/// A resolution a camera streams in MJPEG, with its best frame rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MjpegMode {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

/// The camera's MJPEG resolutions, largest first, each with its best frame rate: what the
/// photographer picks from (a 4K webcam may give 30 fps only at 1080p).
pub fn mjpeg_modes(formats: &[CameraFormat]) -> Vec<MjpegMode> {
    let mut modes: Vec<MjpegMode> = Vec::new();
    for f in formats.iter().filter(|f| f.format() == FrameFormat::MJPEG) {
        let (width, height) = (f.resolution().width(), f.resolution().height());
        match modes
            .iter_mut()
            .find(|m| (m.width, m.height) == (width, height))
        {
            Some(m) => m.fps = m.fps.max(f.frame_rate()),
            None => modes.push(MjpegMode {
                width,
                height,
                fps: f.frame_rate(),
            }),
        }
    }
    modes.sort_by_key(|m| std::cmp::Reverse((m.width as u64 * m.height as u64, m.fps)));
    modes
}

/// Opens the camera briefly to read the MJPEG modes it offers.
pub fn camera_modes(device: &DeviceInfo) -> Result<Vec<MjpegMode>, CameraError> {
    let busy = |e: nokhwa::NokhwaError| CameraError::Busy {
        device: device.name.clone(),
        detail: e.to_string(),
    };
    let mut probe = Camera::new(
        index_of(device),
        RequestedFormat::new::<RgbFormat>(RequestedFormatType::AbsoluteHighestResolution),
    )
    .map_err(busy)?;
    Ok(mjpeg_modes(
        &probe.compatible_camera_formats().map_err(busy)?,
    ))
}

/// What the camera's thread shares with the station.
#[derive(Default)]
struct Shared {
    newest: Mutex<(Option<Frame>, Option<String>)>,
    arrived: Condvar,
}

/// A UVC camera streaming on a thread of its own (nokhwa's camera cannot move between
/// threads): the thread keeps the newest frame, the station reads it.
pub struct UvcSource {
    device: DeviceInfo,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    shown: u64,
}

impl std::fmt::Debug for UvcSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UvcSource")
            .field("device", &self.device)
            .finish()
    }
}

fn index_of(device: &DeviceInfo) -> CameraIndex {
    match device.id.parse::<u32>() {
        Ok(n) => CameraIndex::Index(n),
        Err(_) => CameraIndex::String(device.id.clone()),
    }
}

/// Opens the camera at the wanted MJPEG resolution (else its highest) and starts the stream.
fn start(device: &DeviceInfo, wanted: Option<(u32, u32)>) -> Result<Camera, CameraError> {
    let busy = |e: nokhwa::NokhwaError| CameraError::Busy {
        device: device.name.clone(),
        detail: e.to_string(),
    };
    let index = index_of(device);
    let mut probe = Camera::new(
        index.clone(),
        RequestedFormat::new::<RgbFormat>(RequestedFormatType::AbsoluteHighestResolution),
    )
    .map_err(busy)?;
    let formats = probe.compatible_camera_formats().map_err(busy)?;
    let best = pick_mjpeg(&formats, wanted).ok_or_else(|| CameraError::NoMjpeg {
        device: device.name.clone(),
    })?;
    drop(probe);
    let mut camera = Camera::new(
        index,
        RequestedFormat::new::<RgbFormat>(RequestedFormatType::Exact(best)),
    )
    .map_err(busy)?;
    camera.open_stream().map_err(busy)?;
    Ok(camera)
}

impl UvcSource {
    /// Opens `device` at its highest MJPEG resolution; see [`UvcSource::open_at`].
    pub fn open(device: &DeviceInfo) -> Result<UvcSource, CameraError> {
        Self::open_at(device, None)
    }

    /// Opens `device` on its own thread at the `wanted` MJPEG resolution (its highest when
    /// `None` or not offered); returns once the stream runs, or with why it cannot.
    pub fn open_at(
        device: &DeviceInfo,
        wanted: Option<(u32, u32)>,
    ) -> Result<UvcSource, CameraError> {
        let shared = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (opened_tx, opened) = std::sync::mpsc::channel();
        let thread = {
            let (device, shared, stop) = (device.clone(), shared.clone(), stop.clone());
            std::thread::Builder::new()
                .name("uvc-camera".into())
                .spawn(move || {
                    let mut camera = match start(&device, wanted) {
                        Ok(c) => {
                            let _ = opened_tx.send(Ok(()));
                            c
                        }
                        Err(e) => {
                            let _ = opened_tx.send(Err(e));
                            return;
                        }
                    };
                    let mut sequence = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let read = camera.frame();
                        let mut newest = shared.newest.lock().unwrap_or_else(|e| e.into_inner());
                        match read {
                            Ok(buffer) => {
                                sequence += 1;
                                newest.0 = Some(Frame {
                                    bytes: buffer.buffer().to_vec(),
                                    sequence,
                                    origin: device.name.clone(),
                                });
                            }
                            Err(e) => {
                                tracing::warn!("camera {} stopped: {e}", device.name);
                                newest.1 = Some(e.to_string());
                                shared.arrived.notify_all();
                                return;
                            }
                        }
                        shared.arrived.notify_all();
                    }
                    let _ = camera.stop_stream();
                })
                .map_err(|e| CameraError::Device(e.to_string()))?
        };
        match opened.recv() {
            Ok(Ok(())) => Ok(UvcSource {
                device: device.clone(),
                shared,
                stop,
                thread: Some(thread),
                shown: 0,
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(CameraError::Device("摄像头线程意外退出".into())),
        }
    }

    /// The first frame newer than `after`, waiting up to `limit` for it.
    fn frame_after(&self, after: u64, limit: Duration) -> Result<Option<Frame>, CameraError> {
        let guard = self.shared.newest.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .shared
            .arrived
            .wait_timeout_while(guard, limit, |(frame, failed)| {
                failed.is_none() && frame.as_ref().is_none_or(|f| f.sequence <= after)
            })
            .unwrap_or_else(|e| e.into_inner());
        if guard.1.is_some() {
            return Err(CameraError::Disconnected(self.device.name.clone()));
        }
        Ok(guard.0.clone().filter(|f| f.sequence > after))
    }
}

impl Drop for UvcSource {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl CaptureSource for UvcSource {
    fn name(&self) -> String {
        self.device.name.clone()
    }

    fn preview(&mut self) -> Result<Option<Frame>, CameraError> {
        let frame = self.frame_after(self.shown, Duration::ZERO)?;
        if let Some(f) = &frame {
            self.shown = f.sequence;
        }
        Ok(frame)
    }

    fn capture(&mut self) -> Result<Frame, CameraError> {
        // The frame after the shutter press, not one already shown: the student may have moved.
        let now = self
            .shared
            .newest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .as_ref()
            .map_or(0, |f| f.sequence);
        self.frame_after(now, Duration::from_secs(2))?
            .ok_or_else(|| CameraError::Device("两秒内没有收到画面".into()))
    }
}
