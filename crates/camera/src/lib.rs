//! Where the station's pictures come from. Three real sources behind one trait:
//! - [`uvc::UvcSource`]: a USB (UVC) camera through nokhwa, streaming at its highest MJPEG
//!   resolution; the capture is the newest full-resolution frame (UVC has no separate still
//!   mode in nokhwa);
//! - [`hot_folder::HotFolderSource`]: the folder a DSLR's tethering software writes into; the
//!   newest *complete* JPEG becomes the capture;
//! - [`synthetic::SyntheticSource`]: a folder of images played in a loop, for demos and tests.
//!
//! [`supervisor::Supervisor`] keeps a camera usable through unplugging and replugging.

pub mod hot_folder;
pub mod supervisor;
pub mod synthetic;
pub mod uvc;

use std::path::PathBuf;

/// One picture from a source: the encoded bytes (JPEG from cameras and tethering software,
/// JPEG or PNG from the synthetic folder), for the imaging crate to decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub bytes: Vec<u8>,
    /// Counts up with every new frame of the source, so the preview can skip repeats.
    pub sequence: u64,
    /// Where it came from (a file for the folder sources, the device for a camera).
    pub origin: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error("未检测到摄像头")]
    NoCamera,
    #[error("摄像头「{0}」已断开")]
    Disconnected(String),
    #[error("摄像头「{device}」无法打开（可能被其他程序占用）：{detail}")]
    Busy { device: String, detail: String },
    #[error("摄像头「{device}」不支持 MJPEG 输出")]
    NoMjpeg { device: String },
    #[error("文件夹 {path} 无法读取：{detail}")]
    Folder { path: PathBuf, detail: String },
    #[error("文件夹 {0} 中没有图像")]
    EmptyFolder(PathBuf),
    #[error("还没有新的照片：请在相机上按快门")]
    NothingNew,
    #[error("摄像头错误：{0}")]
    Device(String),
}

/// A source of preview frames and captures.
pub trait CaptureSource: Send {
    /// What the window shows as the source's name.
    fn name(&self) -> String;
    /// The newest frame for the preview, `None` when nothing changed since the last call.
    fn preview(&mut self) -> Result<Option<Frame>, CameraError>;
    /// The picture to standardize, at full resolution.
    fn capture(&mut self) -> Result<Frame, CameraError>;
}

/// JPEG or PNG, by the first bytes; the sources only pick files that are one of these.
pub fn is_image_name(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| {
            let e = e.to_ascii_lowercase();
            e == "jpg" || e == "jpeg" || e == "png"
        })
        .unwrap_or(false)
}
