//! The standard photo: decode a capture, find the face and its landmarks, frame it to the spec,
//! encode it inside the file-size window, and say what a reviewer would reject.
//!
//! `Standardizer` holds the loaded detectors; load it once (a few hundred ms) and reuse it.

pub mod checks;
pub mod decode;
pub mod detect;
pub mod encode;
pub mod framing;
pub mod matte;
pub mod raster;
pub mod spec;

use checks::{Check, CheckCode, HeadTop, OutputGeometry, Pose};
use decode::{DecodeError, DecodeLimits, Decoded, SourceFormat};
use detect::{DetectError, Detection, DetectorModel, FaceDetector};
use raster::RgbImage;
use serde::Serialize;
use spec::PhotoSpec;
use std::time::Instant;

pub use raster::RgbImage as Image;

#[derive(Debug, thiserror::Error)]
pub enum ImagingError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Detect(#[from] DetectError),
    #[error(transparent)]
    Encode(#[from] encode::EncodeError),
}

/// The report of one standardisation, as `photoroll photo standardize --json` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Where the photo was written (filled in by the caller that writes it).
    pub output: Option<String>,
    pub checks: Vec<Check>,
    /// The subject's face in the capture's full-resolution, upright pixels.
    pub face: Option<Detection>,
    pub faces_found: usize,
    pub detector: Option<DetectorModel>,
    pub pose: Option<Pose>,
    pub crop: Option<CropReport>,
    pub source: Option<SourceReport>,
    pub encoding: Option<EncodingReport>,
    pub timings_ms: Timings,
    pub error: Option<String>,
}

impl Report {
    pub fn failed(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.passed)
    }
    pub fn check(&self, code: CheckCode) -> Option<&Check> {
        self.checks.iter().find(|c| c.code == code)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct CropReport {
    /// The framing in full-resolution capture pixels.
    pub angle_deg: f32,
    pub scale: f32,
    pub eye_centre: detect::Point,
    pub eye_out: detect::Point,
    pub padded_top_px: u32,
    pub constrained: bool,
    pub head_top_measured: bool,
    /// Where the face landed in the output.
    pub geometry: OutputGeometry,
}

#[derive(Clone, Debug, Serialize)]
pub struct SourceReport {
    pub format: SourceFormat,
    pub width: u32,
    pub height: u32,
    pub orientation: u16,
    pub decoded_width: u32,
    pub decoded_height: u32,
    pub scale_denominator: u32,
    pub decode_passes: u32,
    pub converted_from_icc: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct EncodingReport {
    pub bytes: usize,
    pub quality: u8,
    pub dpi: u16,
    pub width: u32,
    pub height: u32,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    pub decode: f64,
    pub detect: f64,
    pub frame: f64,
    pub matte: f64,
    pub checks: f64,
    pub encode: f64,
    pub total: f64,
}

/// A finished standardisation: the report, and the JPEG when one could be made.
#[derive(Debug)]
pub struct Standardized {
    pub report: Report,
    pub jpeg: Option<Vec<u8>>,
    /// The output pixels (for the station's side-by-side view and the tests).
    pub image: Option<RgbImage>,
}

#[derive(Debug)]
pub struct Standardizer {
    detector: FaceDetector,
    segmenter: matte::Segmenter,
    pub spec: PhotoSpec,
    pub limits: DecodeLimits,
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e5).round() / 100.0
}

impl Standardizer {
    pub fn new(spec: PhotoSpec) -> Result<Standardizer, ImagingError> {
        Ok(Standardizer {
            detector: FaceDetector::load()?,
            segmenter: matte::Segmenter::load()?,
            spec,
            limits: DecodeLimits::default(),
        })
    }

    pub fn detector(&self) -> &FaceDetector {
        &self.detector
    }

    /// Turns a capture into the standard photo. Errors (unreadable file, no face) come back
    /// inside the report with no JPEG, never as a panic.
    pub fn standardize(&self, bytes: &[u8]) -> Standardized {
        let start = Instant::now();
        let mut report = Report {
            output: None,
            checks: Vec::new(),
            face: None,
            faces_found: 0,
            detector: None,
            pose: None,
            crop: None,
            source: None,
            encoding: None,
            timings_ms: Timings::default(),
            error: None,
        };
        let result = self.run(bytes, &mut report);
        report.timings_ms.total = ms(start);
        match result {
            Ok(Some((jpeg, image))) => Standardized {
                report,
                jpeg: Some(jpeg),
                image: Some(image),
            },
            Ok(None) => Standardized {
                report,
                jpeg: None,
                image: None,
            },
            Err(e) => {
                report.error = Some(e.to_string());
                Standardized {
                    report,
                    jpeg: None,
                    image: None,
                }
            }
        }
    }

    fn run(
        &self,
        bytes: &[u8],
        report: &mut Report,
    ) -> Result<Option<(Vec<u8>, RgbImage)>, ImagingError> {
        let spec = &self.spec;
        let t = Instant::now();
        // Twice the output's width on the short side: enough unless the face is small in the
        // frame, in which case the capture is decoded again finer (below).
        let mut decoded = decode::decode(bytes, spec.width * 2, &self.limits)?;
        report.timings_ms.decode = ms(t);

        let t = Instant::now();
        let (faces, model) = self.detector.detect(&decoded.image)?;
        report.timings_ms.detect = ms(t);
        report.faces_found = faces.len();
        report.detector = Some(model);
        let Some(coarse) = main_face(&faces, &decoded.image) else {
            report.checks.push(Check::new(
                CheckCode::FaceCount,
                false,
                0.0,
                "1".into(),
                "没有检测到人脸，请正对镜头",
            ));
            report.source = Some(source_report(&decoded, 1));
            return Ok(None);
        };
        let mut face = self.detector.refine(&decoded.image, &coarse)?;
        report.timings_ms.detect = ms(t);

        let t = Instant::now();
        let pose = checks::estimate_pose(&face.landmarks);
        let mut framing = framing::plan(&decoded.image, &face, pose.roll, spec, None);
        let mut passes = 1;
        // The face is small in the frame: the DCT-scaled decode has too few pixels for the crop.
        if framing.scale > 1.05 && decoded.scale_denominator > 1 {
            let t2 = Instant::now();
            let old = decoded.scale_denominator as f32;
            let short = decoded.image.width.min(decoded.image.height) as f32;
            let finer = decode::decode(bytes, (short * framing.scale).ceil() as u32, &self.limits)?;
            let k = old / finer.scale_denominator as f32;
            face = face.map(|p| detect::Point {
                x: p.x * k,
                y: p.y * k,
            });
            decoded = finer;
            passes = 2;
            report.timings_ms.decode += ms(t2);
            framing = framing::plan(&decoded.image, &face, pose.roll, spec, None);
        }
        let mut framed = framing::render(&decoded.image, &framing, spec);
        report.timings_ms.frame = ms(t);

        // Background replacement: the person's mask, refined along the hair, the old wall
        // taken out of the soft edge, the configured colour behind.
        let t = Instant::now();
        let matted = if spec.replace_background {
            let mut coarse = self.segmenter.mask(&framed)?;
            // The mask shows the hair against any wall: when it puts the hair outside its band,
            // frame once more with the measured height. The coarse mask is enough to measure
            // that; the edge is refined once, on the final framing.
            let face_now = face.map(|p| framing.forward(p));
            if let Some(y) = matte::head_top(&coarse, framed.width, &face_now.bbox)
                && y > framing.padded_top as f32 + 1.0
                && !spec.head_top.contains(y)
            {
                let at_mid_width = spec.face_width.mid() / face_now.bbox.w.max(1.0);
                let hair = (framing.eye_out.y - y) * at_mid_width;
                framing = framing::plan(&decoded.image, &face, pose.roll, spec, Some(hair));
                framed = framing::render(&decoded.image, &framing, spec);
                coarse = self.segmenter.mask(&framed)?;
            }
            let alpha = matte::refine_alpha(&framed, &coarse);
            let face_framed = face.map(|p| framing.forward(p));
            let alpha = matte::drop_stray_soft_alpha(&alpha, framed.width, &face_framed.bbox);
            let output = matte::composite(&framed, &alpha, spec.background);
            Some((output, alpha, coarse))
        } else {
            None
        };
        report.timings_ms.matte = ms(t);

        let t = Instant::now();
        let face_out = face.map(|p| framing.forward(p));
        let head_top = match &matted {
            // The mask shows the hair against any wall; the capture's top edge still limits it.
            Some((_, alpha, _)) => match matte::head_top(alpha, framed.width, &face_out.bbox) {
                Some(y) if framing.padded_top > 0 && y <= framing.padded_top as f32 + 1.0 => None,
                Some(y) => Some(y),
                None => Some(framing::estimated_head_top(&face_out)),
            },
            None => match framing::head_top_in(&framed, &face, &framing) {
                HeadTop::At(y) => Some(y),
                HeadTop::CutOff => None,
                // An uneven wall: trust the framing's estimate of where the hair is.
                HeadTop::Unknown => Some(framing::estimated_head_top(&face_out)),
            },
        };
        let geometry = OutputGeometry {
            face_width: face_out.bbox.w,
            eye_line: face_out.landmarks.eye_centre().y,
            centre_offset: face_out.bbox.centre().x - spec.width as f32 / 2.0,
            head_top,
        };
        report.checks.push(Check::new(
            CheckCode::FaceCount,
            faces.len() == 1,
            faces.len() as f32,
            "1".into(),
            "画面里不止一个人，请其他人离开镜头",
        ));
        report
            .checks
            .extend(checks::geometry_checks(&geometry, spec));
        report.checks.extend(checks::pose_checks(&pose, spec));
        report
            .checks
            .extend(checks::image_checks(&framed, &face_out.bbox, spec));
        report.checks.push(matte::checks::illumination_uniformity(
            &framed,
            &face_out,
            spec.max_illumination_ratio,
        ));
        report.checks.push(matte::checks::glasses_glare(
            &framed,
            &face_out,
            spec.max_glare,
        ));
        if let Some((output, alpha, coarse)) = &matted {
            report.checks.push(matte::checks::clothing_colour(
                output,
                alpha,
                spec.background,
                spec.min_clothing_distance,
            ));
            report.checks.push(matte::checks::background_separation(
                &framed,
                coarse,
                spec.max_hard_outline,
            ));
            report.checks.push(matte::checks::background_uniformity(
                output,
                alpha,
                spec.background,
                spec.max_background_deviation,
            ));
        }
        let output = matted.map(|(output, _, _)| output).unwrap_or(framed);
        report.timings_ms.checks = ms(t);

        let t = Instant::now();
        let encoded = encode::encode_in_window(&output, spec)?;
        report.timings_ms.encode = ms(t);
        report.checks.push(Check::new(
            CheckCode::FileSize,
            encoded.in_window,
            encoded.bytes.len() as f32 / 1024.0,
            format!("{}–{} KB", spec.min_bytes / 1024, spec.max_bytes / 1024),
            "照片文件大小不在要求范围内",
        ));

        let full = decoded.scale_denominator as f32;
        let to_full = |p: detect::Point| detect::Point {
            x: p.x * full,
            y: p.y * full,
        };
        report.face = Some(face.map(to_full));
        report.pose = Some(pose);
        report.crop = Some(CropReport {
            angle_deg: framing.angle_deg,
            scale: framing.scale / full,
            eye_centre: to_full(framing.eye),
            eye_out: framing.eye_out,
            padded_top_px: framing.padded_top,
            constrained: framing.constrained,
            head_top_measured: framing.head_top_measured,
            geometry,
        });
        report.source = Some(source_report(&decoded, passes));
        report.encoding = Some(EncodingReport {
            bytes: encoded.bytes.len(),
            quality: encoded.quality,
            dpi: spec.dpi,
            width: output.width,
            height: output.height,
        });
        Ok(Some((encoded.bytes, output)))
    }
}

/// The subject: the largest face, preferring one near the middle (a passer-by at the edge of
/// the frame is not the student).
fn main_face(faces: &[Detection], image: &RgbImage) -> Option<Detection> {
    let cx = image.width as f32 / 2.0;
    faces
        .iter()
        .max_by(|a, b| {
            let weight = |d: &Detection| {
                d.bbox.area() / (1.0 + ((d.bbox.centre().x - cx).abs() / image.width as f32))
            };
            weight(a).total_cmp(&weight(b))
        })
        .copied()
}

fn source_report(d: &Decoded, passes: u32) -> SourceReport {
    SourceReport {
        format: d.format,
        width: d.full_width,
        height: d.full_height,
        orientation: d.orientation,
        decoded_width: d.image.width,
        decoded_height: d.image.height,
        scale_denominator: d.scale_denominator,
        decode_passes: passes,
        converted_from_icc: d.converted_from_icc,
    }
}

/// The delivery checker: an existing standard photo against the spec, with the face found again.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub checks: Vec<Check>,
    pub face: Option<Detection>,
    pub geometry: Option<OutputGeometry>,
    pub error: Option<String>,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.checks.iter().all(|c| c.passed)
    }
}

/// The checks a finished photo's file answers by itself, from its markers (no decode): format,
/// pixel size, resolution and file size. The second value is false when the bytes are not a
/// readable JPEG (only the failed format check is returned then). The delivery package runs
/// these on every photo it writes.
pub fn file_checks(bytes: &[u8], spec: &PhotoSpec) -> (Vec<Check>, bool) {
    let facts = match encode::read_jpeg_facts(bytes) {
        Ok(f) => f,
        Err(e) => {
            let format = Check::new(CheckCode::Format, false, 0.0, "JPEG".into(), e.to_string());
            return (vec![format], false);
        }
    };
    let dpi = facts.dpi().map(|d| d.0).unwrap_or(0.0);
    let checks = vec![
        Check::new(
            CheckCode::PixelSize,
            facts.width as u32 == spec.width && facts.height as u32 == spec.height,
            facts.width as f32,
            format!("{}×{}", spec.width, spec.height),
            format!(
                "照片尺寸为 {}×{}，应为 {}×{}",
                facts.width, facts.height, spec.width, spec.height
            ),
        ),
        Check::new(
            CheckCode::Resolution,
            (dpi - spec.dpi as f32).abs() < 1.0,
            dpi,
            format!("{} dpi", spec.dpi),
            format!("分辨率应为 {} dpi", spec.dpi),
        ),
        Check::new(
            CheckCode::Format,
            facts.components == 3,
            facts.components as f32,
            "JPEG，24 位 RGB".into(),
            "应为 24 位彩色 JPEG",
        ),
        Check::new(
            CheckCode::FileSize,
            (spec.min_bytes..=spec.max_bytes).contains(&bytes.len()),
            bytes.len() as f32 / 1024.0,
            format!("{}–{} KB", spec.min_bytes / 1024, spec.max_bytes / 1024),
            "照片文件大小不在要求范围内",
        ),
    ];
    (checks, true)
}

impl Standardizer {
    pub fn check_photo(&self, bytes: &[u8]) -> CheckReport {
        let mut checks = Vec::new();
        match self.check_photo_into(bytes, &mut checks) {
            Ok((face, geometry)) => CheckReport {
                checks,
                face,
                geometry,
                error: None,
            },
            Err(e) => CheckReport {
                checks,
                face: None,
                geometry: None,
                error: Some(e.to_string()),
            },
        }
    }

    /// The checks go into `checks` as they are made, so an error part-way keeps the earlier ones.
    fn check_photo_into(
        &self,
        bytes: &[u8],
        checks: &mut Vec<Check>,
    ) -> Result<(Option<Detection>, Option<OutputGeometry>), ImagingError> {
        let spec = &self.spec;
        let (file, readable) = file_checks(bytes, spec);
        checks.extend(file);
        if !readable {
            return Ok((None, None));
        }
        let decoded = decode::decode(bytes, 0, &self.limits)?;
        let (faces, _) = self.detector.detect(&decoded.image)?;
        checks.push(Check::new(
            CheckCode::FaceCount,
            faces.len() == 1,
            faces.len() as f32,
            "1".into(),
            if faces.is_empty() {
                "照片中没有检测到人脸"
            } else {
                "照片中不止一张人脸"
            },
        ));
        let Some(coarse) = main_face(&faces, &decoded.image) else {
            return Ok((None, None));
        };
        let face = self.detector.refine(&decoded.image, &coarse)?;
        let head_top = match checks::find_head_top(&decoded.image, &face.bbox, 0) {
            HeadTop::At(y) => Some(y),
            HeadTop::CutOff => None,
            HeadTop::Unknown => Some(framing::estimated_head_top(&face)),
        };
        let geometry = OutputGeometry {
            face_width: face.bbox.w,
            eye_line: face.landmarks.eye_centre().y,
            centre_offset: face.bbox.centre().x - decoded.image.width as f32 / 2.0,
            head_top,
        };
        checks.extend(checks::geometry_checks(&geometry, spec));
        Ok((Some(face), Some(geometry)))
    }
}
