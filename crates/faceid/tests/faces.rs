//! The models in tract against onnxruntime's reference outputs, and the whole pipeline on the
//! real test portraits (`tests/fixtures/faces`, see its SOURCES.md).

use photoroll_faceid::{EMBEDDING_DIM, Embedding, FaceMatcher, MODEL_VERSION, compare};
use photoroll_imaging::decode::{DecodeLimits, decode};
use photoroll_imaging::raster::{Filter, RgbImage};
use sha2::{Digest, Sha256};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn face_bytes(name: &str) -> Vec<u8> {
    std::fs::read(root().join("tests/fixtures/faces").join(name)).unwrap()
}

fn face_image(name: &str) -> RgbImage {
    decode(&face_bytes(name), 0, &DecodeLimits::default())
        .unwrap()
        .image
}

fn matcher() -> FaceMatcher {
    FaceMatcher::shared().expect("the models load")
}

fn embed(name: &str) -> Embedding {
    matcher()
        .embed(&face_bytes(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn cut(image: &RgbImage, x: u32, y: u32, w: u32, h: u32) -> RgbImage {
    let mut out = RgbImage::new(w, h);
    for v in 0..h {
        for u in 0..w {
            out.put(u, v, image.pixel(x + u, y + v));
        }
    }
    out
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn model_version_names_the_embedded_models() {
    let prefix = |file: &str| {
        let bytes = std::fs::read(root().join("models").join(file)).unwrap();
        hex8(&Sha256::digest(&bytes))
    };
    let expected = format!(
        "sface_2021dec:{}+yunet_2023mar:{}",
        prefix("face_recognition_sface_2021dec.onnx"),
        prefix("face_detection_yunet_2023mar.onnx")
    );
    assert_eq!(MODEL_VERSION, expected);
}

fn hex8(digest: &[u8]) -> String {
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// The 320×320 top-left of astronaut.png, unresampled, through YuNet in tract, decoded here,
/// against onnxruntime's outputs decoded by `models/sface_reference.py`.
#[test]
fn yunet_in_tract_finds_what_onnxruntime_finds() {
    let r = reference();
    let expected = &r["yunet"]["faces"];
    let image = cut(&face_image("astronaut.png"), 0, 0, 320, 320);
    let faces = matcher().detect(&image).unwrap();
    assert_eq!(faces.len(), expected.as_array().unwrap().len());
    let (f, e) = (&faces[0], &expected[0]);
    let num = |v: &serde_json::Value| v.as_f64().unwrap() as f32;
    let worst = f
        .landmarks
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let w = &e["landmarks"][n];
            (p.x - num(&w[0])).abs().max((p.y - num(&w[1])).abs())
        })
        .fold(0f32, f32::max);
    eprintln!(
        "YuNet: score {} vs {}, landmarks within {worst:e} px",
        f.score,
        num(&e["score"])
    );
    assert!((f.score - num(&e["score"])).abs() < 1e-3, "{f:?}");
    let b = &e["box"];
    for (got, want) in [f.bbox.x, f.bbox.y, f.bbox.w, f.bbox.h].iter().zip(0..4) {
        assert!((got - num(&b[want])).abs() < 0.05, "{f:?} vs {b}");
    }
    for (n, p) in f.landmarks.iter().enumerate() {
        let want = &e["landmarks"][n];
        assert!(
            (p.x - num(&want[0])).abs() < 0.05 && (p.y - num(&want[1])).abs() < 0.05,
            "landmark {n}: {p:?} vs {want}"
        );
    }
}

/// SFace in tract on a fixed 112×112 block against onnxruntime's raw output.
#[test]
fn sface_in_tract_matches_onnxruntime() {
    let r = reference();
    let raw: Vec<f32> = r["sface"]["raw"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(raw.len(), EMBEDDING_DIM);
    let want = Embedding::from_raw(&raw).unwrap();
    let block = cut(&face_image("astronaut.png"), 170, 60, 112, 112);
    let got = matcher().embed_aligned(&block).unwrap();
    let max_diff = got
        .values()
        .iter()
        .zip(want.values())
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    eprintln!("SFace: max |tract - onnxruntime| = {max_diff:e} (unit-length embeddings)");
    assert!(max_diff < 1e-4, "max |tract - onnxruntime| = {max_diff}");
    assert!(compare(&got, &want) > 0.99999);
}

#[test]
fn the_same_person_on_other_occasions_scores_high() {
    // Obama in 2012, 2009 (head turned, speaking) and 2010: OpenCV's own pipeline gives
    // 0.74–0.79 for these pairs.
    let a = embed("portrait-obama.jpg");
    let b = embed("portrait-obama-turned.jpg");
    let c = embed("portrait-obama-blue-room.jpg");
    for (x, y, what) in [
        (&a, &b, "2012–2009"),
        (&a, &c, "2012–2010"),
        (&b, &c, "2009–2010"),
    ] {
        let s = compare(x, y);
        assert!(s > 0.6, "{what}: {s}");
    }
}

#[test]
fn different_people_score_low() {
    let names = [
        "astronaut.png",
        "portrait-obama.jpg",
        "portrait-biden-full-body.jpg",
        "portrait-grace-hopper.jpg",
    ];
    let e: Vec<Embedding> = names.iter().map(|n| embed(n)).collect();
    for i in 0..e.len() {
        for j in i + 1..e.len() {
            let s = compare(&e[i], &e[j]);
            assert!(s < 0.25, "{} vs {}: {s}", names[i], names[j]);
        }
    }
    // Obama and Biden photographed in the same room on the same day.
    let s = compare(
        &embed("portrait-obama-blue-room.jpg"),
        &embed("portrait-biden-full-body.jpg"),
    );
    assert!(s < 0.25, "same room: {s}");
}

#[test]
fn images_without_a_face_are_no_face() {
    for name in ["no-face-cat-chelsea.png", "no-face-coffee.png"] {
        let err = matcher().embed(&face_bytes(name)).unwrap_err();
        assert!(err.is_no_face(), "{name}: {err}");
    }
    // A plain grey card.
    let grey = RgbImage::filled(300, 400, [128, 128, 128]);
    assert!(matcher().embed_image(&grey).unwrap_err().is_no_face());
}

#[test]
fn a_small_soft_admission_photo_still_matches() {
    // Grace Hopper's head and shoulders at 150×200, saved at JPEG quality 60: the size and
    // quality of an old admission photo.
    let image = face_image("portrait-grace-hopper.jpg");
    let head = cut(&image, 110, 60, 300, 400).resized(150, 200, Filter::Lanczos3);
    let jpeg = photoroll_imaging::encode::encode_at(&head, 60, 72).unwrap();
    let small = matcher().embed_photo(&jpeg).unwrap();
    assert_eq!(small.faces_found, 1);
    let s = compare(&small.embedding, &embed("portrait-grace-hopper.jpg"));
    assert!(s > 0.7, "{s}");
}

#[test]
fn a_small_face_is_found_and_aligned() {
    // Biden stands full length: at the detector's 320 px his eyes are about 15 px apart, and
    // the second look gives landmarks precise enough to match a close-up of the same photo.
    let image = face_image("portrait-biden-full-body.jpg");
    let whole = matcher().embed_image(&image).unwrap();
    let f = whole.face;
    assert!(f.eye_distance() > 50.0, "{f:?}");
    let (l, r) = (f.landmarks[0], f.landmarks[1]);
    assert!(l.x < r.x && (l.y - r.y).abs() < 10.0, "eyes level: {f:?}");
    let c = f.bbox.centre();
    let (x0, y0) = ((c.x - 1.5 * f.bbox.w).max(0.0), (c.y - f.bbox.h).max(0.0));
    let x1 = (c.x + 1.5 * f.bbox.w).min(image.width as f32);
    let y1 = (c.y + 1.5 * f.bbox.h).min(image.height as f32);
    let close = cut(
        &image,
        x0 as u32,
        y0 as u32,
        (x1 - x0) as u32,
        (y1 - y0) as u32,
    );
    let near = matcher().embed_image(&close).unwrap();
    let s = compare(&whole.embedding, &near.embedding);
    assert!(s > 0.9, "{s}");
}

#[test]
fn embedding_is_deterministic() {
    let a = embed("astronaut.png");
    let b = embed("astronaut.png");
    assert_eq!(a, b);
}

#[test]
fn broken_input_is_a_decode_error_not_no_face() {
    let err = matcher().embed(b"not an image").unwrap_err();
    assert!(!err.is_no_face());
    assert!(
        matches!(err, photoroll_faceid::FaceIdError::Decode(_)),
        "{err:?}"
    );
}
