//! The standard photo on real portraits (tests/fixtures/faces, see SOURCES.md) and on images
//! derived from them here: each check is made to fail by one image and to pass by another, and
//! the output's geometry is verified by detecting the face again on the written photo.

use photoroll_imaging::checks::{CheckCode, HeadTop, find_head_top};
use photoroll_imaging::decode::{DecodeError, DecodeLimits, decode};
use photoroll_imaging::encode::{encode_at, read_jpeg_facts};
use photoroll_imaging::raster::{Filter, RgbImage};
use photoroll_imaging::spec::PhotoSpec;
use photoroll_imaging::{Report, Standardized, Standardizer};
use std::sync::OnceLock;

fn standardizer() -> &'static Standardizer {
    static S: OnceLock<Standardizer> = OnceLock::new();
    S.get_or_init(|| Standardizer::new(PhotoSpec::default()).expect("models load"))
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/faces/{name}",
        // The running checkout's, not the one this binary was first compiled in (a shared
        // target dir serves clones at other paths).
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn load(name: &str) -> RgbImage {
    decode(&fixture(name), 0, &DecodeLimits::default())
        .unwrap()
        .image
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    encode_at(img, 95, 72).unwrap()
}

fn run(bytes: &[u8]) -> Standardized {
    standardizer().standardize(bytes)
}

fn passed(report: &Report, code: CheckCode) -> bool {
    report
        .check(code)
        .unwrap_or_else(|| panic!("{code:?} missing from {:?}", report.checks))
        .passed
}

fn crop(img: &RgbImage, x: u32, y: u32, w: u32, h: u32) -> RgbImage {
    let mut out = RgbImage::new(w, h);
    for j in 0..h {
        for i in 0..w {
            out.put(i, j, img.pixel(x + i, y + j));
        }
    }
    out
}

/// Rotated about the centre (positive: clockwise on screen), edges extended.
fn rotate(img: &RgbImage, deg: f32) -> RgbImage {
    let (s, c) = deg.to_radians().sin_cos();
    let (cx, cy) = (img.width as f32 / 2.0, img.height as f32 / 2.0);
    let mut out = RgbImage::new(img.width, img.height);
    for y in 0..img.height {
        for x in 0..img.width {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            let p = img.sample(cx + dx * c + dy * s, cy - dx * s + dy * c);
            out.put(x, y, p.map(|v| v.round() as u8));
        }
    }
    out
}

fn brightness(img: &RgbImage, factor: f32) -> RgbImage {
    let mut out = img.clone();
    for v in out.data.iter_mut() {
        *v = (*v as f32 * factor).round().clamp(0.0, 255.0) as u8;
    }
    out
}

fn box_blur(img: &RgbImage, radius: i64) -> RgbImage {
    let mut out = img.clone();
    let (w, h) = (img.width as i64, img.height as i64);
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0u32; 3];
            let mut n = 0;
            for j in (y - radius).max(0)..=(y + radius).min(h - 1) {
                for i in (x - radius).max(0)..=(x + radius).min(w - 1) {
                    let p = img.pixel(i as u32, j as u32);
                    for k in 0..3 {
                        acc[k] += p[k] as u32;
                    }
                    n += 1;
                }
            }
            out.put(x as u32, y as u32, acc.map(|a| (a / n) as u8));
        }
    }
    out
}

fn side_by_side(a: &RgbImage, b: &RgbImage) -> RgbImage {
    let h = a.height.min(b.height);
    let a = a.resized(a.width * h / a.height, h, Filter::Lanczos3);
    let b = b.resized(b.width * h / b.height, h, Filter::Lanczos3);
    let mut out = RgbImage::new(a.width + b.width, h);
    for y in 0..h {
        for x in 0..a.width {
            out.put(x, y, a.pixel(x, y));
        }
        for x in 0..b.width {
            out.put(a.width + x, y, b.pixel(x, y));
        }
    }
    out
}

/// The written photo, decoded, with its face found again.
fn redetect(result: &Standardized) -> (RgbImage, photoroll_imaging::detect::Detection) {
    let bytes = result.jpeg.as_ref().expect("a photo was written");
    let img = decode(bytes, 0, &DecodeLimits::default()).unwrap().image;
    let (faces, _) = standardizer().detector().detect(&img).unwrap();
    assert_eq!(faces.len(), 1, "one face in the output");
    let face = standardizer().detector().refine(&img, &faces[0]).unwrap();
    (img, face)
}

#[test]
fn a_frontal_portrait_becomes_a_standard_photo_that_passes() {
    let result = run(&fixture("portrait-grace-hopper.jpg"));
    let r = &result.report;
    for code in [
        CheckCode::FaceCount,
        CheckCode::FaceSize,
        CheckCode::FacePosition,
        CheckCode::HeadTopMargin,
        CheckCode::Roll,
        CheckCode::Yaw,
        CheckCode::Pitch,
        CheckCode::Sharpness,
        CheckCode::Exposure,
        CheckCode::FileSize,
    ] {
        assert!(passed(r, code), "{code:?}: {:?}", r.check(code));
    }
    let bytes = result.jpeg.as_ref().unwrap();
    let spec = PhotoSpec::default();
    assert!(
        (spec.min_bytes..=spec.max_bytes).contains(&bytes.len()),
        "{} bytes",
        bytes.len()
    );
    let facts = read_jpeg_facts(bytes).unwrap();
    assert_eq!((facts.width, facts.height, facts.components), (480, 640, 3));
    assert_eq!(facts.dpi(), Some((300.0, 300.0)));
    // The geometry, found again on the written file.
    let (_, face) = redetect(&result);
    let eye = face.landmarks.eye_centre();
    assert!(spec.eye_line.contains(eye.y), "eye line at {}", eye.y);
    assert!(
        spec.face_width.contains(face.bbox.w),
        "face width {}",
        face.bbox.w
    );
    assert!(
        (face.bbox.centre().x - 240.0).abs() <= spec.max_centre_offset,
        "centre {}",
        face.bbox.centre().x
    );
    let roll = (face.landmarks.left_eye.y - face.landmarks.right_eye.y)
        .atan2(face.landmarks.left_eye.x - face.landmarks.right_eye.x)
        .to_degrees();
    assert!(roll.abs() < 3.0, "roll {roll}");
    // The report speaks of the capture's own pixels.
    let face = r.face.unwrap();
    assert!(
        face.bbox.x > 100.0 && face.bbox.x + face.bbox.w < 420.0,
        "{:?}",
        face.bbox
    );
}

#[test]
fn a_tilt_within_range_is_levelled_and_beyond_range_fails_roll() {
    let img = load("portrait-grace-hopper.jpg");
    let levelled = run(&jpeg(&rotate(&img, 6.0)));
    assert!(
        passed(&levelled.report, CheckCode::Roll),
        "{:?}",
        levelled.report.check(CheckCode::Roll)
    );
    let crop = levelled.report.crop.as_ref().unwrap();
    assert!(
        (crop.angle_deg.abs() - 6.0).abs() < 2.5,
        "levelled by {}",
        crop.angle_deg
    );
    let (_, face) = redetect(&levelled);
    let l = face.landmarks;
    let roll = (l.left_eye.y - l.right_eye.y)
        .atan2(l.left_eye.x - l.right_eye.x)
        .to_degrees();
    assert!(roll.abs() < 3.0, "output roll {roll}");

    let tilted = run(&jpeg(&rotate(&img, 14.0)));
    let roll = tilted.report.check(CheckCode::Roll).unwrap();
    assert!(!roll.passed && roll.score.abs() > 8.0, "{roll:?}");
    assert_eq!(
        tilted.report.crop.as_ref().unwrap().angle_deg,
        0.0,
        "not levelled beyond the range"
    );
    assert!(tilted.jpeg.is_some(), "the photo is still written");
}

#[test]
fn a_turned_head_fails_yaw_and_a_frontal_one_passes() {
    let turned = run(&fixture("portrait-obama-turned.jpg")).report;
    let yaw = turned.check(CheckCode::Yaw).unwrap();
    assert!(!yaw.passed && yaw.score.abs() > 10.0, "{yaw:?}");
    let profile = run(&fixture("camera-profile.png")).report;
    assert!(!passed(&profile, CheckCode::Yaw));
    let frontal = run(&fixture("portrait-grace-hopper.jpg")).report;
    assert!(passed(&frontal, CheckCode::Yaw));
}

#[test]
fn a_face_seen_from_below_fails_pitch_and_a_level_one_passes() {
    // A full-length photograph taken from chest height sees Biden's face from below.
    let up = run(&fixture("portrait-biden-full-body.jpg")).report;
    let pitch = up.check(CheckCode::Pitch).unwrap();
    assert!(!pitch.passed && pitch.score > 5.0, "{pitch:?}");
    assert!(pitch.message.contains("低一点头"), "{pitch:?}");
    for name in [
        "astronaut.png",
        "portrait-grace-hopper.jpg",
        "portrait-obama.jpg",
    ] {
        let r = run(&fixture(name)).report;
        assert!(
            passed(&r, CheckCode::Pitch),
            "{name}: {:?}",
            r.check(CheckCode::Pitch)
        );
    }
}

#[test]
fn a_blurred_or_upscaled_face_fails_sharpness() {
    let img = load("portrait-grace-hopper.jpg");
    let blurred = run(&jpeg(&box_blur(&img, 4))).report;
    assert!(
        !passed(&blurred, CheckCode::Sharpness),
        "{:?}",
        blurred.check(CheckCode::Sharpness)
    );
    // A 512-pixel portrait with a 100-pixel face has to be enlarged 2.4×.
    assert!(!passed(
        &run(&fixture("astronaut.png")).report,
        CheckCode::Sharpness
    ));
    assert!(passed(&run(&jpeg(&img)).report, CheckCode::Sharpness));
}

#[test]
fn dark_and_overexposed_faces_fail_exposure() {
    let img = load("portrait-grace-hopper.jpg");
    let dark = run(&jpeg(&brightness(&img, 0.35))).report;
    let check = dark.check(CheckCode::Exposure).unwrap();
    assert!(!check.passed && check.score < 85.0, "{check:?}");
    assert!(check.message.contains("暗"));
    let bright = run(&jpeg(&brightness(&img, 1.9))).report;
    assert!(
        !passed(&bright, CheckCode::Exposure),
        "{:?}",
        bright.check(CheckCode::Exposure)
    );
    assert!(passed(&run(&jpeg(&img)).report, CheckCode::Exposure));
}

#[test]
fn two_people_fail_face_count_and_no_face_writes_nothing() {
    let pair = side_by_side(
        &load("portrait-grace-hopper.jpg"),
        &load("portrait-obama.jpg"),
    );
    let result = run(&jpeg(&pair));
    let count = result.report.check(CheckCode::FaceCount).unwrap();
    assert!(!count.passed && count.score == 2.0, "{count:?}");
    assert!(result.jpeg.is_some());

    for name in ["no-face-coffee.png", "no-face-cat-chelsea.png"] {
        let result = run(&fixture(name));
        assert!(result.jpeg.is_none(), "{name}");
        assert!(!passed(&result.report, CheckCode::FaceCount), "{name}");
        assert!(
            result.report.error.is_none(),
            "{name}: no face is a failed check, not an error"
        );
    }
}

#[test]
fn a_face_too_close_fails_face_size() {
    let img = load("portrait-obama.jpg");
    let face = run(&jpeg(&img)).report.face.unwrap().bbox;
    // Cut the capture to little more than the face: the crop cannot widen, the face grows.
    let (x, w) = ((face.x - face.w * 0.15) as u32, (face.w * 1.3) as u32);
    let (y, h) = (
        (face.y - face.h * 0.8).max(0.0) as u32,
        (face.h * 2.6) as u32,
    );
    let close = run(&jpeg(&crop(&img, x, y, w, h.min(img.height - y)))).report;
    let size = close.check(CheckCode::FaceSize).unwrap();
    assert!(!size.passed && size.score > 300.0, "{size:?}");
    assert!(close.crop.unwrap().constrained);
    assert!(passed(&run(&jpeg(&img)).report, CheckCode::FaceSize));
}

#[test]
fn a_face_at_the_edge_fails_face_position_and_is_not_padded_sideways() {
    let img = load("portrait-obama.jpg");
    let face = run(&jpeg(&img)).report.face.unwrap().bbox;
    let x = (face.x - face.w * 0.1) as u32;
    let edge = crop(&img, x, 0, img.width - x, img.height);
    let result = run(&jpeg(&edge));
    let position = result.report.check(CheckCode::FacePosition).unwrap();
    assert!(!position.passed, "{position:?}");
    assert!(position.message.contains("偏"), "{position:?}");
    assert!(result.report.crop.as_ref().unwrap().constrained);
    let (_, again) = redetect(&result);
    assert!(
        again.bbox.centre().x < 240.0 - 24.0,
        "the face stays where the capture has it"
    );
}

#[test]
fn the_top_of_the_hair_is_measured_against_a_plain_wall() {
    // The photographer in `camera-profile.png` stands against a plain sky; his hair starts
    // about 68 px from the top of the 512-pixel frame.
    let img = load("camera-profile.png");
    let (faces, _) = standardizer().detector().detect(&img).unwrap();
    match find_head_top(&img, &faces[0].bbox, 0) {
        HeadTop::At(y) => assert!((55.0..=85.0).contains(&y), "hair top at {y}"),
        other => panic!("{other:?}"),
    }
    // Behind Grace Hopper hang a flag and a blue cloth: the wall cannot be read.
    let img = load("portrait-grace-hopper.jpg");
    let (faces, _) = standardizer().detector().detect(&img).unwrap();
    assert_eq!(find_head_top(&img, &faces[0].bbox, 0), HeadTop::Unknown);
}

#[test]
fn a_head_cut_off_at_the_top_fails_head_top_margin() {
    let img = load("portrait-grace-hopper.jpg");
    let whole = run(&jpeg(&img)).report;
    assert!(
        passed(&whole, CheckCode::HeadTopMargin),
        "{:?}",
        whole.check(CheckCode::HeadTopMargin)
    );
    // Cut the capture through the forehead.
    let face = whole.face.unwrap().bbox;
    let y = (face.y + face.h * 0.1) as u32;
    let cut = run(&jpeg(&crop(&img, 0, y, img.width, img.height - y))).report;
    let top = cut.check(CheckCode::HeadTopMargin).unwrap();
    assert!(!top.passed && top.message.contains("头顶"), "{top:?}");
}

#[test]
fn exif_orientation_is_applied_before_anything_else() {
    let img = load("portrait-grace-hopper.jpg");
    // What a camera held on its side stores: the pixels turned, with orientation 6 to undo it.
    let stored = rotate_quarter_ccw(&img);
    let mut bytes = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut bytes, 95);
    // Big-endian TIFF header, one IFD entry: Orientation (0x0112), SHORT, 1, value 6.
    let tiff: [u8; 26] = [
        b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0,
    ];
    enc.add_exif_metadata(&tiff).unwrap();
    enc.encode(
        &stored.data,
        stored.width as u16,
        stored.height as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    let result = run(&bytes);
    let source = result.report.source.as_ref().unwrap();
    assert_eq!(source.orientation, 6);
    assert_eq!((source.width, source.height), (img.width, img.height));
    assert!(passed(&result.report, CheckCode::Roll));
    assert!(passed(&result.report, CheckCode::FacePosition));
}

fn rotate_quarter_ccw(img: &RgbImage) -> RgbImage {
    let mut out = RgbImage::new(img.height, img.width);
    for y in 0..img.height {
        for x in 0..img.width {
            out.put(y, img.width - 1 - x, img.pixel(x, y));
        }
    }
    out
}

#[test]
fn a_large_capture_is_decoded_scaled_and_framed_the_same() {
    // 2400×3600 from the portrait: decoded at 1/2, the face still lands in its bands.
    let img = load("portrait-obama.jpg");
    let big = img.resized(2400, 3000, Filter::Lanczos3);
    let result = run(&jpeg(&big));
    let source = result.report.source.as_ref().unwrap();
    assert_eq!(source.scale_denominator, 2, "{source:?}");
    assert_eq!((source.width, source.height), (2400, 3000));
    assert!(passed(&result.report, CheckCode::FacePosition));
    assert!(passed(&result.report, CheckCode::FaceSize));
    let (_, face) = redetect(&result);
    assert!(
        PhotoSpec::default()
            .eye_line
            .contains(face.landmarks.eye_centre().y)
    );
}

#[test]
fn a_small_face_in_a_large_capture_is_decoded_again_finer() {
    // The astronaut's face is a fifth of the frame's width; at 2048×2048 the capture decodes at
    // 1/2, where the face is too small for a 240-pixel output face.
    let img = load("astronaut.png");
    let big = img.resized(2048, 2048, Filter::Bilinear);
    let result = run(&jpeg(&big));
    let source = result.report.source.as_ref().unwrap();
    assert_eq!(source.decode_passes, 2, "{source:?}");
    assert_eq!(source.scale_denominator, 1);
    assert!(result.jpeg.is_some());
}

#[test]
fn unreadable_and_hostile_files_are_refused_with_a_message() {
    let s = standardizer();
    for (bytes, what) in [
        (Vec::new(), "empty"),
        (b"GIF89a....".to_vec(), "gif"),
        (
            fixture("portrait-obama.jpg")[..2000].to_vec(),
            "truncated jpeg",
        ),
    ] {
        let r = s.standardize(&bytes);
        assert!(r.jpeg.is_none(), "{what}");
        assert!(r.report.error.is_some(), "{what}");
    }
    // A JPEG header declaring 60000×60000 (a decompression bomb) is refused before decoding.
    let mut bomb = jpeg(&RgbImage::filled(16, 16, [200, 200, 200]));
    let sof = bomb.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bomb[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    match decode(&bomb, 0, &DecodeLimits::default()) {
        Err(DecodeError::TooManyPixels {
            width: 60000,
            height: 60000,
        }) => {}
        other => panic!("{other:?}"),
    }
    let r = s.standardize(&bomb);
    assert!(r.report.error.unwrap().contains("解压炸弹"));
    // The same for a PNG whose header declares 100000×100000.
    let mut png = Vec::new();
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    assert!(matches!(
        decode(&png, 0, &DecodeLimits::default()),
        Err(DecodeError::TooManyPixels { .. })
    ));
    // Over the byte limit.
    let limits = DecodeLimits {
        max_bytes: 1000,
        ..DecodeLimits::default()
    };
    assert!(matches!(
        decode(&fixture("astronaut.png"), 0, &limits),
        Err(DecodeError::TooManyBytes { .. })
    ));
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn the_delivery_checker_accepts_our_output_and_names_what_is_wrong_with_others() {
    let s = standardizer();
    let ours = run(&fixture("portrait-grace-hopper.jpg")).jpeg.unwrap();
    let report = s.check_photo(&ours);
    assert!(report.passed(), "{:?}", report.checks);
    // Right content, wrong file: 72 dpi and 600×800.
    let img = decode(&ours, 0, &DecodeLimits::default()).unwrap().image;
    let wrong = encode_at(&img.resized(600, 800, Filter::Lanczos3), 90, 72).unwrap();
    let report = s.check_photo(&wrong);
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.code.as_str())
        .collect();
    assert!(
        failed.contains(&"pixel_size") && failed.contains(&"resolution"),
        "{failed:?}"
    );
    // Not a JPEG at all.
    let report = s.check_photo(&fixture("astronaut.png"));
    assert!(!report.passed());
    assert_eq!(report.checks[0].code, CheckCode::Format);
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let r = standardizer().standardize(&bytes);
            prop_assert!(r.jpeg.is_none());
        }

        #[test]
        fn damaged_real_captures_never_panic(cuts in proptest::collection::vec((0usize..30_000, any::<u8>()), 1..12), len in 100usize..40_000) {
            let mut bytes = fixture("portrait-grace-hopper.jpg");
            for (at, v) in cuts {
                let i = at % bytes.len();
                bytes[i] = v;
            }
            bytes.truncate(len.min(bytes.len()));
            let r = standardizer().standardize(&bytes);
            prop_assert!(r.jpeg.is_some() || r.report.error.is_some() || r.report.check(CheckCode::FaceCount).is_some());
        }
    }
}

fn spec_with_background(background: [u8; 3]) -> Standardizer {
    Standardizer::new(PhotoSpec {
        background,
        ..PhotoSpec::default()
    })
    .unwrap()
}

#[test]
fn the_background_is_replaced_with_the_configured_colour() {
    for (colour, name) in [([100u8, 197, 255], "blue"), ([255, 255, 255], "white")] {
        let s = spec_with_background(colour);
        let result = s.standardize(&fixture("portrait-obama.jpg"));
        let r = &result.report;
        assert!(
            passed(r, CheckCode::BackgroundUniformity),
            "{name}: {:?}",
            r.check(CheckCode::BackgroundUniformity)
        );
        assert!(
            passed(r, CheckCode::BackgroundSeparation),
            "{name}: {:?}",
            r.check(CheckCode::BackgroundSeparation)
        );
        // The written file's corners and the band above the head are the colour (JPEG ± a little).
        let img = decode(result.jpeg.as_ref().unwrap(), 0, &DecodeLimits::default())
            .unwrap()
            .image;
        for (x, y) in [(5, 5), (474, 5), (240, 20), (5, 300)] {
            let p = img.pixel(x, y);
            let d = (0..3)
                .map(|k| (p[k] as i32 - colour[k] as i32).abs())
                .max()
                .unwrap();
            assert!(d <= 8, "{name} at ({x},{y}): {p:?}");
        }
        // The hair's top is measured on the mask now, and placed in its band.
        assert!(
            passed(r, CheckCode::HeadTopMargin),
            "{name}: {:?}",
            r.check(CheckCode::HeadTopMargin)
        );
    }
}

#[test]
fn clothes_the_colour_of_the_background_fail_clothing_colour() {
    // Obama's suit is a dark navy: on a dark navy background it would vanish.
    let navy = spec_with_background([30, 36, 52]);
    let r = navy.standardize(&fixture("portrait-obama.jpg")).report;
    let c = r.check(CheckCode::ClothingColour).unwrap();
    assert!(!c.passed, "{c:?}");
    assert!(passed(
        &run(&fixture("portrait-obama.jpg")).report,
        CheckCode::ClothingColour
    ));
}

#[test]
fn one_side_of_the_face_in_shadow_fails_illumination_uniformity() {
    let img = load("portrait-grace-hopper.jpg");
    let face = run(&jpeg(&img)).report.face.unwrap().bbox;
    // Darken everything left of the face's middle, as a light from one side would.
    let mut shaded = img.clone();
    let mid = face.centre().x as u32;
    for y in 0..img.height {
        for x in 0..mid {
            let p = img.pixel(x, y);
            shaded.put(x, y, p.map(|v| (v as f32 * 0.45) as u8));
        }
    }
    let r = run(&jpeg(&shaded)).report;
    let c = r.check(CheckCode::IlluminationUniformity).unwrap();
    assert!(!c.passed, "{c:?}");
    assert!(passed(
        &run(&jpeg(&img)).report,
        CheckCode::IlluminationUniformity
    ));
}

#[test]
fn highlights_on_the_glasses_fail_glasses_glare() {
    let img = load("portrait-grace-hopper.jpg");
    let clean = run(&jpeg(&img)).report;
    assert!(passed(&clean, CheckCode::GlassesGlare));
    // Two specular spots on the lenses, as a flash straight ahead leaves.
    let l = clean.face.unwrap().landmarks;
    let mut glare = img.clone();
    for eye in [l.right_eye, l.left_eye] {
        for y in (eye.y as u32 - 6)..(eye.y as u32 + 6) {
            for x in (eye.x as u32 - 9)..(eye.x as u32 + 9) {
                glare.put(x, y, [255, 255, 255]);
            }
        }
    }
    let r = run(&jpeg(&glare)).report;
    let c = r.check(CheckCode::GlassesGlare).unwrap();
    assert!(!c.passed, "{c:?}");
}

#[test]
fn keeping_the_wall_skips_replacement_and_its_checks() {
    let s = Standardizer::new(PhotoSpec {
        replace_background: false,
        ..PhotoSpec::default()
    })
    .unwrap();
    let result = s.standardize(&fixture("portrait-grace-hopper.jpg"));
    let r = &result.report;
    assert!(r.check(CheckCode::BackgroundUniformity).is_none());
    assert!(passed(r, CheckCode::FacePosition));
    // The flag behind her is still there: the top-left corner is not the blue background.
    let img = decode(result.jpeg.as_ref().unwrap(), 0, &DecodeLimits::default())
        .unwrap()
        .image;
    let p = img.pixel(5, 200);
    assert!(
        (p[0] as i32 - 100).abs() > 20 || (p[2] as i32 - 255).abs() > 20,
        "{p:?}"
    );
}

/// A capture framed to the standard photo with its own wall kept (no replacement).
fn framed_with_its_wall(name: &str) -> RgbImage {
    let keep = Standardizer::new(PhotoSpec {
        replace_background: false,
        ..PhotoSpec::default()
    })
    .unwrap();
    keep.standardize(&fixture(name)).image.unwrap()
}

/// Obama's framed photo with the alpha of his matte, recomposited onto `wall(x, y)`: the same
/// person, as if photographed in front of another wall.
fn obama_in_front_of(wall: impl Fn(u32, u32) -> [u8; 3]) -> RgbImage {
    use photoroll_imaging::matte::{Segmenter, composite, refine_alpha};
    let framed = framed_with_its_wall("portrait-obama.jpg");
    let segmenter = Segmenter::load().unwrap();
    let alpha = refine_alpha(&framed, &segmenter.mask(&framed).unwrap());
    let person = composite(&framed, &alpha, [0, 0, 0]);
    let mut out = RgbImage::new(framed.width, framed.height);
    for y in 0..framed.height {
        for x in 0..framed.width {
            let k = (y * framed.width + x) as usize;
            let (p, w) = (person.pixel(x, y), wall(x, y));
            out.put(
                x,
                y,
                [0, 1, 2].map(|c| (p[c] as f32 + (1.0 - alpha[k]) * w[c] as f32).round() as u8),
            );
        }
    }
    out
}

#[test]
fn a_striped_or_skin_coloured_wall_fails_background_separation() {
    let plain = run(&jpeg(&obama_in_front_of(|_, _| [214, 204, 186]))).report;
    assert!(
        passed(&plain, CheckCode::BackgroundSeparation),
        "{:?}",
        plain.check(CheckCode::BackgroundSeparation)
    );
    // Fine stripes: the outline cannot be told from the wall's own edges.
    let stripes = run(&jpeg(&obama_in_front_of(|x, y| {
        if (x / 6 + y / 6) % 2 == 0 {
            [30, 30, 40]
        } else {
            [220, 180, 150]
        }
    })))
    .report;
    let c = stripes.check(CheckCode::BackgroundSeparation).unwrap();
    assert!(!c.passed, "{c:?}");
    // A wall the colour of the face beside it.
    let skin = run(&jpeg(&obama_in_front_of(|_, _| [190, 140, 115]))).report;
    let c = skin.check(CheckCode::BackgroundSeparation).unwrap();
    assert!(!c.passed, "{c:?}");
    // Still a photo is written: the report tells the photographer why it may not be clean.
    assert!(skin.encoding.is_some());
}

#[test]
fn a_patch_of_wall_left_in_the_output_fails_background_uniformity() {
    use photoroll_imaging::matte::checks::background_uniformity;
    use photoroll_imaging::matte::{Segmenter, refine_alpha};
    let spec = PhotoSpec::default();
    let result = run(&fixture("portrait-obama.jpg"));
    let clean = result.image.unwrap();
    let segmenter = Segmenter::load().unwrap();
    let alpha = refine_alpha(&clean, &segmenter.mask(&clean).unwrap());
    let ok = background_uniformity(
        &clean,
        &alpha,
        spec.background,
        spec.max_background_deviation,
    );
    assert!(ok.passed, "{ok:?}");
    // What a matte that kept part of the old wall gives: the original capture's top-left
    // corner (its office wall and window) left beside the head.
    let framed = framed_with_its_wall("portrait-obama.jpg");
    let mut leaky = clean.clone();
    for y in 0..220 {
        for x in 0..110 {
            leaky.put(x, y, framed.pixel(x, y));
        }
    }
    let c = background_uniformity(
        &leaky,
        &alpha,
        spec.background,
        spec.max_background_deviation,
    );
    assert!(!c.passed, "{c:?}");
    // A second object the matte kept apart from the body counts too, even where its alpha
    // says person: a dark pole at the right edge.
    let mut pole = clean.clone();
    let mut pole_alpha = alpha.clone();
    for y in 0..400 {
        for x in 455..475 {
            pole.put(x, y, [40, 40, 40]);
            pole_alpha[(y * clean.width + x) as usize] = 1.0;
        }
    }
    let c = background_uniformity(
        &pole,
        &pole_alpha,
        spec.background,
        spec.max_background_deviation,
    );
    assert!(!c.passed, "{c:?}");
}
