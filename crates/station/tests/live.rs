//! The live loop on real files: a synthetic folder of real JPEGs (a 910×1137 portrait and a
//! 1280×720 frame holding a collection code), previews pulled the way the window pulls them,
//! captures at full resolution, the next student, codes read from the live frames.

use photoroll_imaging::encode::encode_at;
use photoroll_imaging::raster::RgbImage;
use photoroll_station::{PREVIEW_MAX, SourceChoice, Station, preview_jpeg};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn portrait() -> Vec<u8> {
    // The running checkout's, not the one this binary was first compiled in.
    let dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    std::fs::read(format!(
        "{dir}/../../tests/fixtures/faces/portrait-obama.jpg"
    ))
    .unwrap()
}

/// A 1280×720 JPEG of a grey wall with `payload` as a QR code, 8 px a module.
fn frame_with_code(payload: &str) -> Vec<u8> {
    let grey = photoroll_qr::frame_with_code(payload, 1280, 720, 8).unwrap();
    let rgb = grey.data.iter().flat_map(|&v| [v, v, v]).collect();
    encode_at(&RgbImage::from_raw(1280, 720, rgb).unwrap(), 90, 72).unwrap()
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn previews_fit_the_window_and_captures_keep_full_resolution() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1.jpg"), portrait()).unwrap();
    let second = frame_with_code("2026000000123");
    std::fs::write(dir.path().join("2.jpg"), &second).unwrap();
    let station = Station::start(
        SourceChoice::Synthetic {
            folder: dir.path().into(),
            frame_interval: None,
        },
        |_| {},
    );
    let first = station
        .preview_after(0, Duration::from_secs(10))
        .expect("a preview frame");
    assert!(first.width <= PREVIEW_MAX.0 && first.height <= PREVIEW_MAX.1);
    assert_eq!(
        first.height, 720,
        "the portrait is scaled to the preview's height"
    );
    assert!(first.jpeg.starts_with(&[0xFF, 0xD8]));
    assert_eq!(
        station.capture(Duration::from_secs(5)).unwrap().bytes,
        portrait()
    );
    wait_for("status says live", || station.status().live);

    station.next_subject();
    let next = station
        .preview_after(first.sequence, Duration::from_secs(10))
        .expect("the next student's frame");
    assert!(next.sequence > first.sequence);
    // A 720p frame goes to the window as it came.
    assert_eq!(next.jpeg.as_slice(), second.as_slice());
    assert_eq!(
        station.capture(Duration::from_secs(5)).unwrap().bytes,
        second
    );
}

#[test]
fn codes_held_up_to_the_camera_are_read_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.jpg"), frame_with_code("CHSI-98765-XYZ")).unwrap();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = heard.clone();
    let station = Station::start(
        SourceChoice::Synthetic {
            folder: dir.path().into(),
            frame_interval: Some(Duration::from_millis(30)),
        },
        move |codes| sink.lock().unwrap().push(codes),
    );
    wait_for("the code is read", || !heard.lock().unwrap().is_empty());
    std::thread::sleep(Duration::from_millis(500));
    drop(station);
    let heard = heard.lock().unwrap();
    assert_eq!(heard[0], vec!["CHSI-98765-XYZ".to_string()]);
    assert_eq!(
        heard.len(),
        1,
        "the same code held up is one identification"
    );
}

#[test]
fn a_folder_without_images_says_so_and_refuses_captures() {
    let dir = tempfile::tempdir().unwrap();
    let station = Station::start(
        SourceChoice::Synthetic {
            folder: dir.path().into(),
            frame_interval: None,
        },
        |_| {},
    );
    wait_for("status message", || {
        station.status().message.contains("没有图像")
    });
    assert!(!station.status().live);
    assert!(station.capture(Duration::from_secs(5)).is_err());
}

#[test]
fn a_hot_folder_shows_the_newest_complete_photo() {
    let dir = tempfile::tempdir().unwrap();
    let station = Station::start(SourceChoice::HotFolder(dir.path().into()), |_| {});
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(dir.path().join("IMG_0001.JPG"), portrait()).unwrap();
    let frame = station
        .preview_after(0, Duration::from_secs(10))
        .expect("the tethered shot appears");
    assert_eq!(frame.height, 720);
    assert_eq!(
        station.capture(Duration::from_secs(5)).unwrap().bytes,
        portrait()
    );
}

#[test]
fn broken_frames_are_refused_with_a_message() {
    assert!(preview_jpeg(b"\xFF\xD8\xFF\xE0 not really").is_err());
    assert!(preview_jpeg(&[]).is_err());
}
