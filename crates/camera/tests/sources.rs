//! The capture sources on real files and folders, and the supervisor's recovery on a scripted
//! device list (no real camera is attached to the machines this runs on; the nokhwa backend
//! itself is exercised by enumerating, which finds none).

use photoroll_camera::hot_folder::{HotFolderSource, is_complete_jpeg};
use photoroll_camera::supervisor::{CameraStatus, DeviceInfo, DeviceLister, Supervisor};
use photoroll_camera::synthetic::SyntheticSource;
use photoroll_camera::uvc::{
    MjpegMode, SystemCameras, UvcSource, camera_modes, highest_mjpeg, mjpeg_modes, pick_mjpeg,
};
use photoroll_camera::{CameraError, CaptureSource, Frame};
use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn face(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/faces/{name}",
        // The running checkout's, not the one this binary was first compiled in (a shared
        // target dir serves clones at other paths).
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_synthetic_source_plays_its_folder_in_name_order_and_loops() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.jpg"), face("portrait-obama.jpg")).unwrap();
    std::fs::write(dir.path().join("a.png"), face("astronaut.png")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"not a picture").unwrap();
    let mut source = SyntheticSource::open(dir.path()).unwrap();
    let first = source.preview().unwrap().expect("a first frame");
    assert!(first.origin.ends_with("a.png"));
    assert_eq!(first.bytes, face("astronaut.png"));
    assert!(
        source.preview().unwrap().is_none(),
        "nothing new until the next student"
    );
    assert_eq!(source.capture().unwrap(), first);
    assert!(source.advance().unwrap().origin.ends_with("b.jpg"));
    assert!(source.advance().unwrap().origin.ends_with("a.png"), "loops");

    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        SyntheticSource::open(empty.path()),
        Err(CameraError::EmptyFolder(_))
    ));
    assert!(matches!(
        SyntheticSource::open(&empty.path().join("missing")),
        Err(CameraError::Folder { .. })
    ));
}

#[test]
fn whole_jpegs_are_told_from_partial_ones() {
    let jpeg = face("portrait-obama.jpg");
    assert!(is_complete_jpeg(&jpeg));
    assert!(!is_complete_jpeg(&jpeg[..jpeg.len() / 2]));
    assert!(!is_complete_jpeg(&jpeg[..jpeg.len() - 1]));
    let mut padded = jpeg.clone();
    padded.extend_from_slice(&[0; 64]);
    assert!(is_complete_jpeg(&padded), "cameras pad the end with zeros");
    assert!(!is_complete_jpeg(b""));
    assert!(!is_complete_jpeg(&face("astronaut.png")));
}

/// Polls `capture` until it gives a frame or `limit` passes.
fn capture_within(source: &mut HotFolderSource, limit: Duration) -> Option<Frame> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        match source.capture() {
            Ok(f) => return Some(f),
            Err(CameraError::NothingNew) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("{e}"),
        }
    }
    None
}

#[test]
fn the_hot_folder_takes_the_newest_complete_shot_never_a_file_still_being_written() {
    let dir = tempfile::tempdir().unwrap();
    // A shot from an earlier session is never a capture.
    std::fs::write(dir.path().join("IMG_0001.JPG"), face("portrait-obama.jpg")).unwrap();
    let settle = Duration::from_millis(150);
    let mut source = HotFolderSource::watch(dir.path(), settle).unwrap();
    assert!(matches!(source.capture(), Err(CameraError::NothingNew)));

    // The tethering software writes the next shot slowly, in chunks.
    let shot = face("portrait-grace-hopper.jpg");
    let path = dir.path().join("IMG_0002.JPG");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunks: Vec<&[u8]> = shot.chunks(shot.len() / 4 + 1).collect();
    for chunk in &chunks[..chunks.len() - 1] {
        file.write_all(chunk).unwrap();
        file.flush().unwrap();
        // Longer than `settle`: a stalled write must still not be taken, because it is not a
        // whole JPEG yet.
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            matches!(source.capture(), Err(CameraError::NothingNew)),
            "a partial file was taken"
        );
    }
    file.write_all(chunks[chunks.len() - 1]).unwrap();
    drop(file);
    // The live loop asks many times a second: the settled shot is read once, not each time.
    let start = std::time::Instant::now();
    let mut previews = 0;
    while start.elapsed() < Duration::from_secs(5) && previews < 1 {
        if source.preview().unwrap().is_some() {
            previews += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(previews, 1, "the finished shot is previewed");
    let reads_after_preview = source.files_read();
    for _ in 0..50 {
        assert!(source.preview().unwrap().is_none(), "previewed once");
    }
    let frame = capture_within(&mut source, Duration::from_secs(5)).expect("the finished shot");
    assert_eq!(frame.bytes, shot);
    assert_eq!(
        source.files_read(),
        reads_after_preview,
        "50 more loops and the capture reuse the settled bytes"
    );
    assert!(frame.origin.ends_with("IMG_0002.JPG"));
    // Taken once: the same shot is not the next student's capture.
    assert!(matches!(source.capture(), Err(CameraError::NothingNew)));

    // Two quick shots: the newer one wins, and the older is passed over.
    std::fs::write(dir.path().join("IMG_0003.JPG"), face("portrait-obama.jpg")).unwrap();
    std::thread::sleep(Duration::from_millis(30));
    std::fs::write(
        dir.path().join("IMG_0004.JPG"),
        face("portrait-obama-turned.jpg"),
    )
    .unwrap();
    let frame = capture_within(&mut source, Duration::from_secs(5)).expect("the newest shot");
    assert!(frame.origin.ends_with("IMG_0004.JPG"), "{}", frame.origin);
    std::thread::sleep(Duration::from_millis(300));
    assert!(matches!(source.capture(), Err(CameraError::NothingNew)));
}

/// A device list that changes as the script says, one entry per `list` call (the last repeats).
struct Script(Arc<Mutex<VecDeque<Vec<DeviceInfo>>>>);

impl DeviceLister for Script {
    fn list(&mut self) -> Result<Vec<DeviceInfo>, CameraError> {
        let mut q = self.0.lock().unwrap();
        Ok(if q.len() > 1 {
            q.pop_front().unwrap()
        } else {
            q.front().cloned().unwrap_or_default()
        })
    }
}

struct Still(String);

impl CaptureSource for Still {
    fn name(&self) -> String {
        self.0.clone()
    }
    fn preview(&mut self) -> Result<Option<Frame>, CameraError> {
        Ok(None)
    }
    fn capture(&mut self) -> Result<Frame, CameraError> {
        Err(CameraError::NothingNew)
    }
}

fn cam(id: &str) -> DeviceInfo {
    DeviceInfo {
        id: id.into(),
        name: "HD Pro Webcam C920".into(),
    }
}

#[test]
fn the_supervisor_recovers_a_camera_unplugged_and_replugged_and_reports_a_busy_one() {
    let script = Arc::new(Mutex::new(VecDeque::from(vec![
        vec![],         // no camera at start
        vec![cam("0")], // plugged in: but another program holds it
        vec![cam("0")], // freed
        vec![],         // unplugged
        vec![cam("2")], // replugged: the system gives it another index
    ])));
    let busy = Arc::new(Mutex::new(true));
    let held = busy.clone();
    let mut supervisor = Supervisor::new(
        Script(script),
        Box::new(move |d: &DeviceInfo| {
            if std::mem::replace(&mut *held.lock().unwrap(), false) {
                return Err(CameraError::Busy {
                    device: d.name.clone(),
                    detail: "Device or resource busy".into(),
                });
            }
            Ok(Box::new(Still(d.name.clone())) as Box<dyn CaptureSource>)
        }),
    );
    assert_eq!(supervisor.tick(), &CameraStatus::NoCamera);
    assert!(supervisor.status().message().contains("未检测到摄像头"));
    assert!(supervisor.source().is_none());

    let status = supervisor.tick().clone();
    assert!(matches!(&status, CameraStatus::Unusable { device, .. } if device.id == "0"));
    assert!(status.message().contains("占用"), "{}", status.message());

    assert_eq!(supervisor.tick(), &CameraStatus::Connected(cam("0")));
    assert!(supervisor.source().is_some());

    // A frame read fails: the camera is gone until it is listed again.
    supervisor.report_failure();
    assert_eq!(supervisor.status(), &CameraStatus::Lost(cam("0")));
    assert!(supervisor.source().is_none());
    assert_eq!(supervisor.tick(), &CameraStatus::Lost(cam("0")));
    assert!(supervisor.status().message().contains("已断开"));

    // Back under another index, same name: reconnected without a restart.
    assert_eq!(supervisor.tick(), &CameraStatus::Connected(cam("2")));
    assert_eq!(supervisor.source().unwrap().name(), "HD Pro Webcam C920");
}

struct Failing;

impl DeviceLister for Failing {
    fn list(&mut self) -> Result<Vec<DeviceInfo>, CameraError> {
        Err(CameraError::Device(
            "permission denied on /dev/video0".into(),
        ))
    }
}

#[test]
fn a_failed_enumeration_is_shown_not_swallowed() {
    let mut supervisor = Supervisor::new(
        Failing,
        Box::new(
            |_: &DeviceInfo| -> Result<Box<dyn CaptureSource>, CameraError> {
                unreachable!("nothing to open")
            },
        ),
    );
    let status = supervisor.tick().clone();
    assert!(matches!(status, CameraStatus::ListFailed(_)));
    assert!(
        status.message().contains("permission denied"),
        "{}",
        status.message()
    );
}

#[test]
fn the_real_backend_enumerates_and_a_missing_camera_is_a_clear_error() {
    // nokhwa's V4L backend, for real: CI machines have no camera, so the list is empty and
    // opening one fails with a message rather than a panic.
    let devices = SystemCameras
        .list()
        .expect("enumeration works without a camera");
    let mut supervisor = Supervisor::new(
        SystemCameras,
        Box::new(|d: &DeviceInfo| {
            UvcSource::open(d).map(|s| Box::new(s) as Box<dyn CaptureSource>)
        }),
    );
    let status = supervisor.tick().clone();
    if devices.is_empty() {
        assert_eq!(status, CameraStatus::NoCamera);
        let err = UvcSource::open(&DeviceInfo {
            id: "0".into(),
            name: "不存在的摄像头".into(),
        })
        .expect_err("no camera to open");
        assert!(err.to_string().contains("不存在的摄像头"), "{err}");
    } else {
        // A machine with a camera: it is either connected or says why not.
        assert!(!matches!(status, CameraStatus::NoCamera), "{status:?}");
    }
}

#[test]
fn the_highest_mjpeg_format_is_chosen() {
    use nokhwa::utils::{CameraFormat, FrameFormat, Resolution};
    let formats = [
        CameraFormat::new(Resolution::new(1920, 1080), FrameFormat::YUYV, 5),
        CameraFormat::new(Resolution::new(1280, 720), FrameFormat::MJPEG, 30),
        CameraFormat::new(Resolution::new(1920, 1080), FrameFormat::MJPEG, 15),
        CameraFormat::new(Resolution::new(1920, 1080), FrameFormat::MJPEG, 30),
        CameraFormat::new(Resolution::new(640, 480), FrameFormat::MJPEG, 60),
    ];
    let best = highest_mjpeg(&formats).unwrap();
    assert_eq!(
        (best.resolution(), best.frame_rate()),
        (Resolution::new(1920, 1080), 30)
    );
    assert!(highest_mjpeg(&formats[..1]).is_none());
}

#[test]
fn the_photographers_resolution_is_used_when_the_camera_offers_it() {
    use nokhwa::utils::{CameraFormat, FrameFormat, Resolution};
    let formats = [
        CameraFormat::new(Resolution::new(3840, 2160), FrameFormat::MJPEG, 15),
        CameraFormat::new(Resolution::new(1920, 1080), FrameFormat::MJPEG, 15),
        CameraFormat::new(Resolution::new(1920, 1080), FrameFormat::MJPEG, 30),
        CameraFormat::new(Resolution::new(1920, 1080), FrameFormat::YUYV, 60),
        CameraFormat::new(Resolution::new(1280, 720), FrameFormat::MJPEG, 30),
    ];
    let fhd = pick_mjpeg(&formats, Some((1920, 1080))).unwrap();
    assert_eq!(
        (fhd.resolution(), fhd.frame_rate()),
        (Resolution::new(1920, 1080), 30)
    );
    // Not offered (another camera model): the highest instead.
    let other = pick_mjpeg(&formats, Some((1600, 1200))).unwrap();
    assert_eq!(other.resolution(), Resolution::new(3840, 2160));
    assert_eq!(
        pick_mjpeg(&formats, None).unwrap().resolution(),
        Resolution::new(3840, 2160)
    );
    assert_eq!(
        mjpeg_modes(&formats),
        vec![
            MjpegMode {
                width: 3840,
                height: 2160,
                fps: 15
            },
            MjpegMode {
                width: 1920,
                height: 1080,
                fps: 30
            },
            MjpegMode {
                width: 1280,
                height: 720,
                fps: 30
            },
        ]
    );
    assert!(pick_mjpeg(&formats[3..4], Some((1920, 1080))).is_none());
}

#[test]
fn reading_the_modes_of_a_missing_camera_is_a_clear_error() {
    let err = camera_modes(&photoroll_camera::supervisor::DeviceInfo {
        id: "97".into(),
        name: "不存在的摄像头".into(),
    })
    .expect_err("no such camera");
    assert!(err.to_string().contains("不存在的摄像头"), "{err}");
}
