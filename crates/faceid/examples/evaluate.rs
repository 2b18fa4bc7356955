//! The portrait comparison's accuracy on every real face the repository ships, as the README's
//! "Portrait comparison: accuracy, honestly" reports it.
//!
//!     cargo run --release -p photoroll-faceid --example evaluate [-- --faces DIR] [--json FILE]
//!         [--same 0.363] [--possibly-same 0.28]
//!
//! Subjects: the real photos of `tests/fixtures/faces` (see its SOURCES.md): five people, one of
//! them photographed on three occasions (2009, 2010, 2012). Each photo is the "collected photo";
//! from each one, simulated admission photos (录取照片) are made: a head-and-shoulders cut resized
//! to 150×200, turned by -10…+10°, sharp or slightly blurred, as taken or faded like an old print,
//! saved as JPEG at quality 60, 70 or 80 (5 × 2 × 2 × 3 = 60 per photo). Pairs:
//!
//! - collected × collected: every pair of the original photos;
//! - collected × admission: every original against every simulated admission photo; the same
//!   person is a genuine pair (from the same photo, or from another occasion), different people
//!   an impostor pair.
//!
//! Deterministic: no randomness, the same numbers on every run of the same build.

use photoroll_core::compare::{CompareThresholds, Verdict, verdict};
use photoroll_faceid::{Embedding, FaceMatcher, compare};
use photoroll_imaging::decode::{DecodeLimits, decode};
use photoroll_imaging::raster::{Filter, RgbImage};
use std::path::PathBuf;

/// Photo file → person. Every real face photo in `tests/fixtures/faces`.
const SUBJECTS: [(&str, &str); 7] = [
    ("astronaut.png", "collins"),
    ("camera-profile.png", "camera_man"),
    ("portrait-obama.jpg", "obama"),
    ("portrait-obama-turned.jpg", "obama"),
    ("portrait-obama-blue-room.jpg", "obama"),
    ("portrait-biden-full-body.jpg", "biden"),
    ("portrait-grace-hopper.jpg", "hopper"),
];
const NO_FACE: [&str; 2] = ["no-face-cat-chelsea.png", "no-face-coffee.png"];

const ANGLES: [f32; 5] = [-10.0, -5.0, 0.0, 5.0, 10.0];
const BLURS: [f32; 2] = [0.0, 1.2];
const FADES: [bool; 2] = [false, true];
const QUALITIES: [u8; 3] = [60, 70, 80];

struct Args {
    faces: PathBuf,
    json: Option<PathBuf>,
    thresholds: CompareThresholds,
}

fn args() -> Args {
    let mut faces = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/faces"
    ));
    let mut json = None;
    let mut t = CompareThresholds::default();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--faces" => faces = PathBuf::from(v),
            "--json" => json = Some(PathBuf::from(v)),
            "--same" => t.same = v.parse().expect("--same"),
            "--possibly-same" => t.possibly_same = v.parse().expect("--possibly-same"),
            _ => panic!("unknown argument {a}"),
        }
    }
    let thresholds = CompareThresholds::new(t.same, t.possibly_same).expect("thresholds");
    Args {
        faces,
        json,
        thresholds,
    }
}

/// Separable Gaussian blur, σ in pixels (edges clamped).
fn blur(image: &RgbImage, sigma: f32) -> RgbImage {
    if sigma <= 0.0 {
        return image.clone();
    }
    let r = (sigma * 3.0).ceil() as i32;
    let kernel: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / sum).collect();
    let (w, h) = (image.width as i32, image.height as i32);
    let pass = |src: &RgbImage, horizontal: bool| {
        let mut out = RgbImage::new(src.width, src.height);
        for y in 0..h {
            for x in 0..w {
                let mut acc = [0f32; 3];
                for (k, weight) in kernel.iter().enumerate() {
                    let d = k as i32 - r;
                    let (sx, sy) = if horizontal {
                        ((x + d).clamp(0, w - 1), y)
                    } else {
                        (x, (y + d).clamp(0, h - 1))
                    };
                    let p = src.pixel(sx as u32, sy as u32);
                    for c in 0..3 {
                        acc[c] += weight * p[c] as f32;
                    }
                }
                out.put(
                    x as u32,
                    y as u32,
                    acc.map(|v| v.round().clamp(0.0, 255.0) as u8),
                );
            }
        }
        out
    };
    pass(&pass(image, true), false)
}

/// Turned by `degrees` about the centre (clockwise on screen for positive), same size, the
/// corners filled with the nearest edge (a scanned print's border would be similar).
fn rotate(image: &RgbImage, degrees: f32) -> RgbImage {
    if degrees == 0.0 {
        return image.clone();
    }
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = (
        (image.width as f32 - 1.0) / 2.0,
        (image.height as f32 - 1.0) / 2.0,
    );
    let mut out = RgbImage::new(image.width, image.height);
    for y in 0..image.height {
        for x in 0..image.width {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            let (sx, sy) = (c * dx + s * dy + cx, -s * dx + c * dy + cy);
            out.put(x, y, image.sample(sx, sy).map(|v| v.round() as u8));
        }
    }
    out
}

/// An old print: contrast down by a fifth towards a warm grey, a little yellow.
fn fade(image: &RgbImage) -> RgbImage {
    let mut out = image.clone();
    for px in out.data.chunks_exact_mut(3) {
        let tint = [1.0, 0.97, 0.88];
        for c in 0..3 {
            let v = (px[c] as f32 * 0.8 + 40.0) * tint[c];
            px[c] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// A 3:4 head-and-shoulders cut around the face (as an admission photo is framed), 150×200.
fn admission_cut(image: &RgbImage, face: &photoroll_faceid::Face) -> RgbImage {
    let b = face.bbox;
    let w = (b.w * 2.0)
        .min(image.width as f32)
        .min(image.height as f32 * 0.75);
    let h = w * 4.0 / 3.0;
    let x0 = (b.x + b.w / 2.0 - w / 2.0).clamp(0.0, image.width as f32 - w);
    let y0 = (b.y - b.h * 0.4).clamp(0.0, image.height as f32 - h);
    let (x0, y0, w, h) = (x0 as u32, y0 as u32, w as u32, h as u32);
    let mut cut = RgbImage::new(w, h);
    for y in 0..h {
        for x in 0..w {
            cut.put(x, y, image.pixel(x0 + x, y0 + y));
        }
    }
    cut.resized(150, 200, Filter::Lanczos3)
}

#[derive(Default)]
struct Tally {
    same: usize,
    possibly: usize,
    different: usize,
    scores: Vec<f32>,
}

impl Tally {
    fn add(&mut self, score: f32, t: &CompareThresholds) {
        self.scores.push(score);
        match verdict(score, t) {
            Verdict::Same => self.same += 1,
            Verdict::PossiblySame => self.possibly += 1,
            Verdict::Different => self.different += 1,
        }
    }
    fn n(&self) -> usize {
        self.scores.len()
    }
    fn min(&self) -> f32 {
        self.scores.iter().copied().fold(f32::INFINITY, f32::min)
    }
    fn max(&self) -> f32 {
        self.scores
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max)
    }
    fn median(&self) -> f32 {
        let mut s = self.scores.clone();
        s.sort_by(f32::total_cmp);
        s.get(s.len() / 2).copied().unwrap_or(f32::NAN)
    }
    fn line(&self, name: &str) -> String {
        format!(
            "{name:<44} {:>5}  same {:>5}  possibly {:>4}  different {:>5}  min {:>6.3}  median {:>6.3}  max {:>6.3}",
            self.n(),
            self.same,
            self.possibly,
            self.different,
            self.min(),
            self.median(),
            self.max()
        )
    }
}

struct Photo {
    file: String,
    person: &'static str,
    embedding: Embedding,
}

struct Admission {
    from: String,
    person: &'static str,
    label: String,
    embedding: Option<Embedding>,
}

fn main() {
    let args = args();
    let matcher = FaceMatcher::shared().expect("models");
    let t = args.thresholds;
    let mut originals = Vec::new();
    let mut admissions = Vec::new();
    for (file, person) in SUBJECTS {
        let bytes = std::fs::read(args.faces.join(file)).expect(file);
        let decoded = decode(&bytes, 480, &DecodeLimits::default())
            .expect(file)
            .image;
        let found = matcher.embed_image(&decoded).expect(file);
        originals.push(Photo {
            file: file.to_string(),
            person,
            embedding: found.embedding.clone(),
        });
        let cut = admission_cut(&decoded, &found.face);
        for angle in ANGLES {
            for sigma in BLURS {
                for faded in FADES {
                    let base = rotate(&blur(&cut, sigma), angle);
                    let base = if faded { fade(&base) } else { base };
                    for q in QUALITIES {
                        let jpeg =
                            photoroll_imaging::encode::encode_at(&base, q, 72).expect("jpeg");
                        let label = format!(
                            "{angle:+}° blur {sigma} {} q{q} ({} bytes)",
                            if faded { "faded" } else { "as is" },
                            jpeg.len()
                        );
                        let embedding = match matcher.embed(&jpeg) {
                            Ok(e) => Some(e),
                            Err(e) if e.is_no_face() => None,
                            Err(e) => panic!("{file} {label}: {e}"),
                        };
                        admissions.push(Admission {
                            from: file.to_string(),
                            person,
                            label,
                            embedding,
                        });
                    }
                }
            }
        }
    }

    let mut no_face_ok = 0;
    for file in NO_FACE {
        let bytes = std::fs::read(args.faces.join(file)).expect(file);
        if matches!(matcher.embed(&bytes), Err(e) if e.is_no_face()) {
            no_face_ok += 1;
        }
    }

    let mut real_genuine = Tally::default();
    let mut real_impostor = Tally::default();
    let mut rows = Vec::new();
    for i in 0..originals.len() {
        for j in i + 1..originals.len() {
            let (a, b) = (&originals[i], &originals[j]);
            let s = compare(&a.embedding, &b.embedding);
            if a.person == b.person {
                real_genuine.add(s, &t);
            } else {
                real_impostor.add(s, &t);
            }
            rows.push(serde_json::json!({"a": a.file, "b": b.file, "kind": "collected", "genuine": a.person == b.person, "score": s}));
        }
    }
    let mut same_photo = Tally::default();
    let mut other_occasion = Tally::default();
    let mut impostor = Tally::default();
    let mut impostor_same_room = Tally::default();
    let mut admission_no_face = 0;
    let mut worst_impostor: Option<(f32, String)> = None;
    let mut worst_genuine: Option<(f32, String)> = None;
    for a in &originals {
        for b in &admissions {
            let Some(eb) = &b.embedding else { continue };
            let s = compare(&a.embedding, eb);
            let what = format!("{} vs admission from {} {}", a.file, b.from, b.label);
            if a.person == b.person {
                if a.file == b.from {
                    same_photo.add(s, &t);
                } else {
                    other_occasion.add(s, &t);
                }
                if worst_genuine.as_ref().is_none_or(|(w, _)| s < *w) {
                    worst_genuine = Some((s, what.clone()));
                }
            } else {
                impostor.add(s, &t);
                let room = [
                    "portrait-obama-blue-room.jpg",
                    "portrait-biden-full-body.jpg",
                ];
                if room.contains(&a.file.as_str()) && room.contains(&b.from.as_str()) {
                    impostor_same_room.add(s, &t);
                }
                if worst_impostor.as_ref().is_none_or(|(w, _)| s > *w) {
                    worst_impostor = Some((s, what.clone()));
                }
            }
            rows.push(serde_json::json!({"a": a.file, "b": format!("{} {}", b.from, b.label), "kind": "admission", "genuine": a.person == b.person, "score": s}));
        }
    }
    admission_no_face += admissions.iter().filter(|a| a.embedding.is_none()).count();

    let people: std::collections::BTreeSet<&str> = originals.iter().map(|p| p.person).collect();
    println!(
        "Portrait comparison, {} (thresholds: same ≥ {}, possibly same ≥ {})",
        photoroll_faceid::MODEL_VERSION,
        t.same,
        t.possibly_same
    );
    println!(
        "{} photos of {} people; {} simulated admission photos ({} per photo); no-face images recognised as such: {no_face_ok}/{}",
        originals.len(),
        people.len(),
        admissions.len(),
        admissions.len() / originals.len(),
        NO_FACE.len()
    );
    println!("admission photos in which no face was found: {admission_no_face}");
    println!(
        "{}",
        real_genuine.line("genuine, collected × collected (3 occasions)")
    );
    println!(
        "{}",
        same_photo.line("genuine, collected × admission of same photo")
    );
    println!(
        "{}",
        other_occasion.line("genuine, collected × admission, other occasion")
    );
    println!("{}", real_impostor.line("impostor, collected × collected"));
    println!("{}", impostor.line("impostor, collected × admission"));
    println!(
        "{}",
        impostor_same_room.line("  of which same room, same day (Obama/Biden)")
    );
    let genuine_n = real_genuine.n() + same_photo.n() + other_occasion.n();
    let impostor_n = real_impostor.n() + impostor.n();
    let fr = real_genuine.different + same_photo.different + other_occasion.different;
    let fa = real_impostor.same + impostor.same;
    let review_g = real_genuine.possibly + same_photo.possibly + other_occasion.possibly;
    let review_i = real_impostor.possibly + impostor.possibly;
    println!(
        "false rejects (genuine judged different): {fr} of {genuine_n}; sent to review (possibly same): {review_g}"
    );
    println!(
        "false accepts (impostor judged same): {fa} of {impostor_n}; sent to review (possibly same): {review_i}"
    );
    if let Some((s, w)) = &worst_genuine {
        println!("lowest genuine score {s:.3}: {w}");
    }
    if let Some((s, w)) = &worst_impostor {
        println!("highest impostor score {s:.3}: {w}");
    }
    if let Some(path) = args.json {
        let doc = serde_json::json!({
            "model_version": photoroll_faceid::MODEL_VERSION,
            "thresholds": {"same": t.same, "possibly_same": t.possibly_same},
            "pairs": rows,
        });
        std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).expect("write json");
        println!("scores written to {}", path.display());
    }
}
