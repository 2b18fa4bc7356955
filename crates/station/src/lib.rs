//! The capture station's live loop. The chosen source (a USB camera kept alive by the
//! supervisor, a tethered camera's hot folder, or the synthetic folder) runs on a thread of its
//! own; the window pulls preview JPEGs from it, collection codes are read from every few live
//! frames on a second thread, and a capture is taken on request from the newest full-resolution
//! frame. Nothing here blocks the window: the preview is served as JPEG bytes (the camera's own
//! MJPEG frame when it is already small enough), never re-encoded per request.

use photoroll_camera::hot_folder::HotFolderSource;
use photoroll_camera::supervisor::{CameraStatus, DeviceInfo, DeviceLister, Supervisor};
use photoroll_camera::synthetic::SyntheticSource;
use photoroll_camera::uvc::{SystemCameras, UvcSource};
use photoroll_camera::{CameraError, CaptureSource, Frame};
use photoroll_imaging::decode::{DecodeLimits, decode};
use photoroll_imaging::raster::Filter;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The preview's largest size: a 720p camera's frames go to the window as they are.
pub const PREVIEW_MAX: (u32, u32) = (1280, 720);
/// Every how many new preview frames one is handed to the code reader (when it is idle).
const SCAN_EVERY: u64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error(transparent)]
    Camera(#[from] CameraError),
    #[error("预览图无法生成：{0}")]
    Preview(String),
    #[error("采集站已停止")]
    Stopped,
    #[error("相机没有及时返回照片，请重试")]
    Timeout,
}

/// Where the station's pictures come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceChoice {
    /// A USB camera: the one named (or the first found), at a resolution (or its highest).
    Camera {
        device: Option<DeviceInfo>,
        resolution: Option<(u32, u32)>,
    },
    /// The folder a tethered DSLR writes into.
    HotFolder(PathBuf),
    /// A folder of images played as a camera; `frame_interval` plays it as a moving picture
    /// (the preview benchmark), `None` holds each image until the next student.
    Synthetic {
        folder: PathBuf,
        frame_interval: Option<Duration>,
    },
}

/// A preview JPEG for the window.
#[derive(Clone, Debug)]
pub struct PreviewFrame {
    pub sequence: u64,
    pub jpeg: Arc<Vec<u8>>,
    pub width: u32,
    pub height: u32,
}

/// What the window shows about the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceStatus {
    pub source: String,
    pub message: String,
    /// Frames are arriving.
    pub live: bool,
}

/// Lists the cameras the system has now, with a message for the window when it cannot.
pub fn list_cameras() -> Result<Vec<DeviceInfo>, CameraError> {
    SystemCameras.list()
}

pub use photoroll_camera::uvc::{MjpegMode, camera_modes};

enum Request {
    Capture(mpsc::Sender<Result<Frame, CameraError>>),
    NextSubject,
}

struct Shared {
    preview: Mutex<Option<PreviewFrame>>,
    arrived: Condvar,
    status: Mutex<SourceStatus>,
}

pub struct Station {
    shared: Arc<Shared>,
    requests: mpsc::Sender<Request>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Station {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Station")
            .field("status", &self.status())
            .finish()
    }
}

/// The source as the loop holds it.
enum Live {
    Camera(Supervisor<SystemCameras>),
    Synthetic {
        source: SyntheticSource,
        interval: Option<Duration>,
        last: Instant,
    },
    Folder(Box<dyn CaptureSource>),
    Broken(String),
}

impl Live {
    fn open(choice: &SourceChoice) -> Live {
        match choice {
            SourceChoice::Camera { device, resolution } => {
                let wanted = *resolution;
                let mut supervisor = Supervisor::new(
                    SystemCameras,
                    Box::new(move |d: &DeviceInfo| {
                        UvcSource::open_at(d, wanted).map(|s| Box::new(s) as Box<dyn CaptureSource>)
                    }),
                );
                if let Some(d) = device {
                    supervisor.prefer(d.clone());
                }
                Live::Camera(supervisor)
            }
            SourceChoice::HotFolder(folder) => {
                match HotFolderSource::watch(folder, Duration::from_millis(300)) {
                    Ok(s) => Live::Folder(Box::new(s)),
                    Err(e) => Live::Broken(e.to_string()),
                }
            }
            SourceChoice::Synthetic {
                folder,
                frame_interval,
            } => match SyntheticSource::open(folder) {
                Ok(source) => Live::Synthetic {
                    source,
                    interval: *frame_interval,
                    last: Instant::now(),
                },
                Err(e) => Live::Broken(e.to_string()),
            },
        }
    }

    fn source(&mut self) -> Option<&mut (dyn CaptureSource + 'static)> {
        match self {
            Live::Camera(s) => s.source(),
            Live::Synthetic { source, .. } => Some(source),
            Live::Folder(s) => Some(s.as_mut()),
            Live::Broken(_) => None,
        }
    }

    fn status(&mut self, frames: u64) -> SourceStatus {
        match self {
            Live::Camera(s) => {
                let status = s.status().clone();
                SourceStatus {
                    source: match &status {
                        CameraStatus::Connected(d) => d.name.clone(),
                        _ => "USB 摄像头".into(),
                    },
                    message: status.message(),
                    live: matches!(status, CameraStatus::Connected(_)) && frames > 0,
                }
            }
            Live::Broken(reason) => SourceStatus {
                source: "—".into(),
                message: reason.clone(),
                live: false,
            },
            other => {
                let name = other.source().map(|s| s.name()).unwrap_or_default();
                SourceStatus {
                    message: if frames > 0 {
                        format!("{name}：画面正常")
                    } else {
                        format!("{name}：等待第一张照片")
                    },
                    source: name,
                    live: frames > 0,
                }
            }
        }
    }

    fn preview(&mut self) -> Result<Option<Frame>, CameraError> {
        if let Live::Synthetic {
            source,
            interval: Some(every),
            last,
        } = self
            && last.elapsed() >= *every
        {
            *last = Instant::now();
            return source.advance().map(|f| Some(f.clone()));
        }
        match self.source() {
            Some(s) => s.preview(),
            None => Ok(None),
        }
    }
}

impl Station {
    /// Starts the loop on `choice`. `on_codes` hears every set of collection codes read from
    /// the live frames (each new set once, not once a frame).
    pub fn start(choice: SourceChoice, on_codes: impl Fn(Vec<String>) + Send + 'static) -> Station {
        let shared = Arc::new(Shared {
            preview: Mutex::new(None),
            arrived: Condvar::new(),
            status: Mutex::new(SourceStatus {
                source: String::new(),
                message: "正在打开相机…".into(),
                live: false,
            }),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (requests, inbox) = mpsc::channel();
        let (to_reader, reader_inbox) = mpsc::sync_channel::<Vec<u8>>(1);
        let reader_stop = stop.clone();
        let reader = std::thread::Builder::new()
            .name("station-qr".into())
            .spawn(move || read_codes(reader_inbox, reader_stop, on_codes))
            .expect("spawning a thread");
        let (loop_shared, loop_stop) = (shared.clone(), stop.clone());
        let live = std::thread::Builder::new()
            .name("station-source".into())
            .spawn(move || run(choice, loop_shared, loop_stop, inbox, to_reader))
            .expect("spawning a thread");
        Station {
            shared,
            requests,
            stop,
            threads: vec![live, reader],
        }
    }

    pub fn status(&self) -> SourceStatus {
        lock(&self.shared.status).clone()
    }

    /// The newest preview frame after `sequence`, waiting up to `wait` for one.
    pub fn preview_after(&self, sequence: u64, wait: Duration) -> Option<PreviewFrame> {
        let deadline = Instant::now() + wait;
        let mut guard = lock(&self.shared.preview);
        loop {
            if let Some(p) = guard.as_ref()
                && p.sequence > sequence
            {
                return Some(p.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stop.load(Ordering::Relaxed) {
                return guard.clone();
            }
            guard = self
                .shared
                .arrived
                .wait_timeout(guard, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// The picture to standardize, at full resolution.
    pub fn capture(&self, timeout: Duration) -> Result<Frame, StationError> {
        let (reply, answer) = mpsc::channel();
        self.requests
            .send(Request::Capture(reply))
            .map_err(|_| StationError::Stopped)?;
        match answer.recv_timeout(timeout) {
            Ok(frame) => Ok(frame?),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(StationError::Timeout),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(StationError::Stopped),
        }
    }

    /// The next student steps in: the synthetic source moves to its next image (cameras and
    /// hot folders show whoever is there).
    pub fn next_subject(&self) {
        let _ = self.requests.send(Request::NextSubject);
    }
}

impl Drop for Station {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.shared.arrived.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn run(
    choice: SourceChoice,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    inbox: mpsc::Receiver<Request>,
    to_reader: mpsc::SyncSender<Vec<u8>>,
) {
    let mut live = Live::open(&choice);
    let mut frames = 0u64;
    let mut last_tick = Instant::now() - Duration::from_secs(5);
    let mut advanced: Option<Frame> = None;
    while !stop.load(Ordering::Relaxed) {
        if let Live::Camera(s) = &mut live
            && last_tick.elapsed() >= Duration::from_secs(1)
        {
            s.tick();
            last_tick = Instant::now();
        }
        while let Ok(request) = inbox.try_recv() {
            match request {
                Request::Capture(reply) => {
                    let frame = match live.source() {
                        Some(s) => s.capture(),
                        None => Err(CameraError::NoCamera),
                    };
                    let _ = reply.send(frame);
                }
                Request::NextSubject => {
                    if let Live::Synthetic { source, .. } = &mut live {
                        match source.advance() {
                            Ok(frame) => advanced = Some(frame.clone()),
                            Err(e) => tracing::warn!("synthetic source: {e}"),
                        }
                    }
                }
            }
        }
        let next = match advanced.take() {
            Some(frame) => Ok(Some(frame)),
            None => live.preview(),
        };
        let got = match next {
            Ok(Some(frame)) => Some(frame),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("preview: {e}");
                if let Live::Camera(s) = &mut live {
                    s.report_failure();
                }
                None
            }
        };
        if let Some(frame) = got {
            match preview_jpeg(&frame.bytes) {
                Ok((jpeg, width, height)) => {
                    frames += 1;
                    if frames % SCAN_EVERY == 1 {
                        // The reader takes a frame only when idle: a slow scan never queues.
                        let _ = to_reader.try_send(jpeg.clone());
                    }
                    *lock(&shared.preview) = Some(PreviewFrame {
                        sequence: frames,
                        jpeg: Arc::new(jpeg),
                        width,
                        height,
                    });
                    shared.arrived.notify_all();
                }
                Err(e) => tracing::warn!("preview frame refused: {e}"),
            }
        }
        *lock(&shared.status) = live.status(frames);
        std::thread::sleep(Duration::from_millis(4));
    }
}

/// The frame as the window shows it: a JPEG no larger than [`PREVIEW_MAX`]. A camera's MJPEG
/// frame that already fits (and needs no rotation) goes as it came.
pub fn preview_jpeg(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32), StationError> {
    let (max_w, max_h) = PREVIEW_MAX;
    if let Ok(facts) = photoroll_imaging::encode::read_jpeg_facts(bytes)
        && u32::from(facts.width) <= max_w
        && u32::from(facts.height) <= max_h
        && !has_exif(bytes)
    {
        return Ok((
            bytes.to_vec(),
            u32::from(facts.width),
            u32::from(facts.height),
        ));
    }
    let decoded = decode(bytes, max_h, &DecodeLimits::default())
        .map_err(|e| StationError::Preview(e.to_string()))?;
    let image = decoded.image;
    let k = (max_w as f32 / image.width as f32)
        .min(max_h as f32 / image.height as f32)
        .min(1.0);
    let (w, h) = (
        ((image.width as f32 * k).round() as u32).max(1),
        ((image.height as f32 * k).round() as u32).max(1),
    );
    let small = if (w, h) == (image.width, image.height) {
        image
    } else {
        image.resized(w, h, Filter::Bilinear)
    };
    let jpeg = photoroll_imaging::encode::encode_at(&small, 80, 72)
        .map_err(|e| StationError::Preview(e.to_string()))?;
    Ok((jpeg, w, h))
}

/// Whether a JPEG carries EXIF (which may turn it): such frames are decoded upright.
fn has_exif(jpeg: &[u8]) -> bool {
    jpeg[..jpeg.len().min(64 * 1024)]
        .windows(6)
        .any(|w| w == b"Exif\0\0")
}

/// Reads collection codes from the frames handed over, and reports each new set once.
fn read_codes(
    inbox: mpsc::Receiver<Vec<u8>>,
    stop: Arc<AtomicBool>,
    on_codes: impl Fn(Vec<String>),
) {
    let mut scanner = photoroll_qr::LiveScanner::default();
    let mut last: (Vec<String>, Instant) = (Vec::new(), Instant::now());
    while !stop.load(Ordering::Relaxed) {
        let Ok(jpeg) = inbox.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let codes = codes_in(&mut scanner, &jpeg);
        if codes.is_empty() {
            continue;
        }
        // The same phone held up for seconds is one identification; shown again after 5 s.
        if codes == last.0 && last.1.elapsed() < Duration::from_secs(5) {
            continue;
        }
        last = (codes.clone(), Instant::now());
        on_codes(codes);
    }
}

/// The codes in one preview JPEG, through the live scanner's passes.
pub fn codes_in(scanner: &mut photoroll_qr::LiveScanner, jpeg: &[u8]) -> Vec<String> {
    let Ok(decoded) = decode(jpeg, 0, &DecodeLimits::default()) else {
        return Vec::new();
    };
    let image = decoded.image;
    let Some(grey) =
        photoroll_qr::GreyImage::from_rgb(image.width as usize, image.height as usize, &image.data)
    else {
        return Vec::new();
    };
    scanner
        .scan_frame(&grey)
        .into_iter()
        .map(|c| c.payload)
        .collect()
}
