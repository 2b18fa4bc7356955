//! The quality checks: each has a stable code, a score, pass/fail against a setting, and a short
//! sentence a photographer can say to the student.

use crate::detect::{Landmarks, Point, Rect};
use crate::raster::RgbImage;
use crate::spec::PhotoSpec;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckCode {
    FaceCount,
    FaceSize,
    FacePosition,
    HeadTopMargin,
    Roll,
    Yaw,
    Pitch,
    Sharpness,
    Exposure,
    /// Background replacement (part 2).
    IlluminationUniformity,
    ClothingColour,
    BackgroundSeparation,
    GlassesGlare,
    BackgroundUniformity,
    /// Spec checks of a finished file (`photo check` and the encoder's window).
    PixelSize,
    Resolution,
    Format,
    FileSize,
}

/// The reviewers' reasons (domain.md, 人工审核) a failed check stands for, so the station's
/// warning and a later rejection speak the same language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// Size, position or format of the photo (照片规格不符).
    Framing,
    /// 头部歪斜
    HeadTilted,
    /// 照片模糊
    Blur,
    /// 曝光过度/不足
    Exposure,
    /// 非本人单人照 (several people or none)
    NotSinglePerson,
    /// 耳朵/额头被遮挡 (the head is cut off at the top)
    ForeheadCovered,
    /// 背景不符合要求
    Background,
    /// 衣服颜色与背景相近
    BlueClothes,
    /// 脸部有阴影
    Shadow,
    /// 眼镜反光
    GlassesGlare,
}

impl CheckCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            CheckCode::FaceCount => "face_count",
            CheckCode::FaceSize => "face_size",
            CheckCode::FacePosition => "face_position",
            CheckCode::HeadTopMargin => "head_top_margin",
            CheckCode::Roll => "roll",
            CheckCode::Yaw => "yaw",
            CheckCode::Pitch => "pitch",
            CheckCode::Sharpness => "sharpness",
            CheckCode::Exposure => "exposure",
            CheckCode::IlluminationUniformity => "illumination_uniformity",
            CheckCode::ClothingColour => "clothing_colour",
            CheckCode::BackgroundSeparation => "background_separation",
            CheckCode::GlassesGlare => "glasses_glare",
            CheckCode::BackgroundUniformity => "background_uniformity",
            CheckCode::PixelSize => "pixel_size",
            CheckCode::Resolution => "resolution",
            CheckCode::Format => "format",
            CheckCode::FileSize => "file_size",
        }
    }

    pub fn review_reason(&self) -> ReviewReason {
        match self {
            CheckCode::FaceCount => ReviewReason::NotSinglePerson,
            CheckCode::Roll | CheckCode::Yaw | CheckCode::Pitch => ReviewReason::HeadTilted,
            CheckCode::Sharpness => ReviewReason::Blur,
            CheckCode::Exposure => ReviewReason::Exposure,
            CheckCode::HeadTopMargin => ReviewReason::ForeheadCovered,
            CheckCode::IlluminationUniformity => ReviewReason::Shadow,
            CheckCode::ClothingColour => ReviewReason::BlueClothes,
            CheckCode::BackgroundSeparation | CheckCode::BackgroundUniformity => {
                ReviewReason::Background
            }
            CheckCode::GlassesGlare => ReviewReason::GlassesGlare,
            CheckCode::FaceSize
            | CheckCode::FacePosition
            | CheckCode::PixelSize
            | CheckCode::Resolution
            | CheckCode::Format
            | CheckCode::FileSize => ReviewReason::Framing,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub code: CheckCode,
    pub passed: bool,
    pub score: f32,
    /// The setting the score was held against, as text ("180–300", "≤ 5").
    pub limit: String,
    pub message: String,
    pub reason: ReviewReason,
}

impl Check {
    pub fn new(
        code: CheckCode,
        passed: bool,
        score: f32,
        limit: String,
        message: impl Into<String>,
    ) -> Check {
        let score = if score.is_finite() {
            (score * 100.0).round() / 100.0
        } else {
            0.0
        };
        Check {
            code,
            passed,
            score,
            limit,
            message: if passed {
                "通过".into()
            } else {
                message.into()
            },
            reason: code.review_reason(),
        }
    }
}

/// Head pose in degrees, estimated from the six BlazeFace keypoints. Roll is the eye line's
/// angle (positive: the subject's left eye, on the image's right, is lower). Yaw: the nose tip's
/// sideways offset from the ears' midpoint against half the ear distance (a head seen as a
/// cylinder). Pitch: where the nose tip sits between the eye line and the mouth, against its
/// place in a level frontal face.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Pose {
    pub roll: f32,
    pub yaw: f32,
    pub pitch: f32,
}

/// The nose tip's share of the eye-to-mouth distance in a level, frontal face, calibrated on
/// the test portraits (see the imaging tests).
pub const LEVEL_NOSE_RATIO: f32 = 0.52;

pub fn estimate_pose(l: &Landmarks) -> Pose {
    let (re, le) = (l.right_eye, l.left_eye);
    let roll = (le.y - re.y).atan2(le.x - re.x);
    let c = l.eye_centre();
    // Level the keypoints about the eye centre so yaw and pitch do not mix with roll.
    let (s, co) = (-roll).sin_cos();
    let level = |p: Point| Point {
        x: c.x + (p.x - c.x) * co - (p.y - c.y) * s,
        y: c.y + (p.x - c.x) * s + (p.y - c.y) * co,
    };
    let (nose, mouth, rear, lear) = (
        level(l.nose_tip),
        level(l.mouth),
        level(l.right_ear),
        level(l.left_ear),
    );
    let half_ears = ((lear.x - rear.x) / 2.0).abs().max(1e-3);
    let ear_mid = (lear.x + rear.x) / 2.0;
    // The nose tip turns on a radius about 1.3 times half the ear distance (≈10 cm vs 7.5 cm).
    let yaw = ((nose.x - ear_mid) / (1.3 * half_ears))
        .clamp(-1.0, 1.0)
        .asin();
    let eye_to_mouth = (mouth.y - c.y).max(1e-3);
    let ratio = (nose.y - c.y) / eye_to_mouth;
    // The nose tip stands about 0.6 of the eye-to-mouth distance in front of the eyes' plane.
    let pitch = ((LEVEL_NOSE_RATIO - ratio) / 0.6).clamp(-1.0, 1.0).asin();
    Pose {
        roll: roll.to_degrees(),
        yaw: yaw.to_degrees(),
        pitch: pitch.to_degrees(),
    }
}

pub fn pose_checks(pose: &Pose, spec: &PhotoSpec) -> Vec<Check> {
    vec![
        Check::new(
            CheckCode::Roll,
            pose.roll.abs() <= spec.max_roll_deg,
            pose.roll,
            format!("±{}°", spec.max_roll_deg),
            "头部歪了，请把头摆正",
        ),
        Check::new(
            CheckCode::Yaw,
            pose.yaw.abs() <= spec.max_yaw_deg,
            pose.yaw,
            format!("±{}°", spec.max_yaw_deg),
            if pose.yaw > 0.0 {
                "脸偏向一侧了，请正对镜头（向左转回一点）"
            } else {
                "脸偏向一侧了，请正对镜头（向右转回一点）"
            },
        ),
        Check::new(
            CheckCode::Pitch,
            pose.pitch.abs() <= spec.max_pitch_deg,
            pose.pitch,
            format!("±{}°", spec.max_pitch_deg),
            if pose.pitch > 0.0 {
                "请稍微低一点头，平视镜头"
            } else {
                "请稍微抬起头，平视镜头"
            },
        ),
    ]
}

/// Where the face lands in the output, in output pixels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OutputGeometry {
    pub face_width: f32,
    pub eye_line: f32,
    pub centre_offset: f32,
    /// Top of the hair; `None` when the hair runs into the capture's top edge (cut off).
    pub head_top: Option<f32>,
}

pub fn geometry_checks(g: &OutputGeometry, spec: &PhotoSpec) -> Vec<Check> {
    let fw = spec.face_width;
    let size_msg = if g.face_width < fw.min {
        "脸太小了，请靠近镜头一点"
    } else {
        "脸太大了，请离镜头远一点"
    };
    let eye_ok = spec.eye_line.contains(g.eye_line);
    let centred = g.centre_offset.abs() <= spec.max_centre_offset;
    let position_msg = if !centred {
        if g.centre_offset < 0.0 {
            "头部偏左，请往右移一点"
        } else {
            "头部偏右，请往左移一点"
        }
    } else if g.eye_line < spec.eye_line.min {
        "头部太靠上，请把相机抬高一点或坐低一点"
    } else {
        "头部太靠下，请把相机放低一点或坐直"
    };
    let (top_ok, top_score, top_msg) = match g.head_top {
        None => (false, 0.0, "头顶被裁掉了，请把相机抬高或往后站一点"),
        Some(t) if t < spec.head_top.min => (false, t, "头顶离上边太近，请把相机抬高一点"),
        Some(t) if t > spec.head_top.max => (false, t, "头顶离上边太远，请把相机放低一点"),
        Some(t) => (true, t, ""),
    };
    vec![
        Check::new(
            CheckCode::FaceSize,
            fw.contains(g.face_width),
            g.face_width,
            format!("{}–{} px", fw.min, fw.max),
            size_msg,
        ),
        Check::new(
            CheckCode::FacePosition,
            eye_ok && centred,
            if centred { g.eye_line } else { g.centre_offset },
            format!(
                "眼线 {}–{} px，左右偏移 ≤ {} px",
                spec.eye_line.min, spec.eye_line.max, spec.max_centre_offset
            ),
            position_msg,
        ),
        Check::new(
            CheckCode::HeadTopMargin,
            top_ok,
            top_score,
            format!("{}–{} px", spec.head_top.min, spec.head_top.max),
            top_msg,
        ),
    ]
}

/// The face region used by the image checks: the middle of the detector's box (cheeks, eyes,
/// nose, mouth; no hair or background), clamped to the image.
pub fn face_region(bbox: &Rect, width: u32, height: u32) -> (u32, u32, u32, u32) {
    let c = bbox.centre();
    let (w, h) = (bbox.w * 0.6, bbox.h * 0.7);
    let x0 = (c.x - w / 2.0).clamp(0.0, width as f32 - 1.0) as u32;
    let y0 = (c.y - h / 2.0).clamp(0.0, height as f32 - 1.0) as u32;
    let x1 = ((c.x + w / 2.0).clamp(1.0, width as f32) as u32).max(x0 + 1);
    let y1 = ((c.y + h / 2.0).clamp(1.0, height as f32) as u32).max(y0 + 1);
    (x0, y0, x1, y1)
}

/// Variance of the 4-neighbour Laplacian of the luma inside the region: a blurred or upscaled
/// face has little fine detail left.
pub fn laplacian_variance(luma: &[u8], width: u32, region: (u32, u32, u32, u32)) -> f32 {
    let (x0, y0, x1, y1) = region;
    let w = width as usize;
    let (mut sum, mut sum2, mut n) = (0f64, 0f64, 0f64);
    for y in (y0 + 1)..y1.saturating_sub(1) {
        for x in (x0 + 1)..x1.saturating_sub(1) {
            let i = y as usize * w + x as usize;
            let v = 4.0 * luma[i] as f64
                - luma[i - 1] as f64
                - luma[i + 1] as f64
                - luma[i - w] as f64
                - luma[i + w] as f64;
            sum += v;
            sum2 += v * v;
            n += 1.0;
        }
    }
    if n < 1.0 {
        return 0.0;
    }
    let mean = sum / n;
    (sum2 / n - mean * mean) as f32
}

pub fn image_checks(output: &RgbImage, face_box: &Rect, spec: &PhotoSpec) -> Vec<Check> {
    let luma = output.luma();
    let region = face_region(face_box, output.width, output.height);
    let sharpness = laplacian_variance(&luma, output.width, region);
    let (x0, y0, x1, y1) = region;
    let (mut sum, mut n, mut clipped) = (0u64, 0u64, 0u64);
    for y in y0..y1 {
        for x in x0..x1 {
            let v = luma[(y * output.width + x) as usize];
            sum += v as u64;
            n += 1;
            if !(6..=249).contains(&v) {
                clipped += 1;
            }
        }
    }
    let mean = if n == 0 { 0.0 } else { sum as f32 / n as f32 };
    let clipped = if n == 0 {
        0.0
    } else {
        clipped as f32 / n as f32
    };
    let exposure_ok = spec.face_luma.contains(mean) && clipped <= spec.max_clipped;
    let exposure_msg = if mean < spec.face_luma.min {
        "脸部太暗，请打开补光灯或调亮"
    } else if mean > spec.face_luma.max {
        "脸部过亮，请调暗灯光"
    } else {
        "脸部有过曝或死黑的区域，请调整灯光"
    };
    vec![
        Check::new(
            CheckCode::Sharpness,
            sharpness >= spec.min_sharpness,
            sharpness,
            format!("≥ {}", spec.min_sharpness),
            "照片模糊，请对焦后重拍，拍摄时保持不动",
        ),
        Check::new(
            CheckCode::Exposure,
            exposure_ok,
            mean,
            format!(
                "脸部亮度 {}–{}，过曝/死黑 ≤ {}%",
                spec.face_luma.min,
                spec.face_luma.max,
                spec.max_clipped * 100.0
            ),
            exposure_msg,
        ),
    ]
}

/// Where the top of the hair is, found by scanning down the columns above the face for the
/// first row that is no longer wall.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HeadTop {
    /// Row of the first hair pixel.
    At(f32),
    /// Hair in the first row scanned: the head is cut off at the top.
    CutOff,
    /// The wall could not be told from the hair (a busy or uneven wall).
    Unknown,
}

/// Scans rows `start_row..` (rows above are padding, not capture). The wall's colour comes from
/// patches at the left and right edges of the first scanned rows; when they disagree or are
/// busy, the scan is not trusted.
pub fn find_head_top(image: &RgbImage, face: &Rect, start_row: u32) -> HeadTop {
    let (w, h) = (image.width as i64, image.height as i64);
    let start = start_row as i64;
    let patch = |x0: i64, y0: i64, width: i64, height: i64| -> Option<([f32; 3], f32)> {
        let (x0, y0) = (x0.clamp(0, w - 1), y0.clamp(0, h - 1));
        let (x1, y1) = ((x0 + width).min(w), (y0 + height).min(h));
        let mut acc = [0f64; 3];
        let mut n = 0f64;
        for y in y0..y1 {
            for x in x0..x1 {
                let p = image.pixel(x as u32, y as u32);
                for k in 0..3 {
                    acc[k] += p[k] as f64;
                }
                n += 1.0;
            }
        }
        if n == 0.0 {
            return None;
        }
        let mean = acc.map(|a| (a / n) as f32);
        let mut var = 0f64;
        for y in y0..y1 {
            for x in x0..x1 {
                let p = image.pixel(x as u32, y as u32);
                var += (0..3)
                    .map(|k| (p[k] as f64 - mean[k] as f64).powi(2))
                    .sum::<f64>();
            }
        }
        Some((mean, (var / n).sqrt() as f32))
    };
    // The wall beside the head: strips at both edges from the first scanned row down to the
    // face. A busy or uneven wall (a flag, curtains, a shadow) makes the scan untrustworthy.
    let size = (w.min(h) / 16).max(4);
    let bottom = (face.y as i64).clamp(0, h);
    if bottom - start < 4 {
        return HeadTop::Unknown;
    }
    let (Some((left, lsd)), Some((right, rsd))) = (
        patch(0, start, size, bottom - start),
        patch(w - size, start, size, bottom - start),
    ) else {
        return HeadTop::Unknown;
    };
    if dist(&left, &right) > 30.0 || lsd > 20.0 || rsd > 20.0 {
        return HeadTop::Unknown;
    }
    let wall = [
        (left[0] + right[0]) / 2.0,
        (left[1] + right[1]) / 2.0,
        (left[2] + right[2]) / 2.0,
    ];
    let c = face.centre();
    let x0 = (c.x - face.w * 0.3).max(0.0) as u32;
    let x1 = ((c.x + face.w * 0.3).max(0.0) as u32).min(image.width);
    if x1 <= x0 {
        return HeadTop::Unknown;
    }
    let limit = face.y.clamp(0.0, image.height as f32) as u32;
    let differing = |y: u32, from: u32, to: u32| {
        (from..to)
            .filter(|&x| {
                let p = image.pixel(x, y);
                dist(&wall, &[p[0] as f32, p[1] as f32, p[2] as f32]) > 45.0
            })
            .count() as f32
            / (to - from).max(1) as f32
    };
    for y in start_row..limit {
        if differing(y, x0, x1) >= 0.25 {
            // Hair rises in the middle while the wall goes on at both sides; when the sides
            // change too, the "wall" was something else (curtains, a window) and says nothing.
            let side = |k: f32| (c.x + k * face.w).clamp(0.0, image.width as f32) as u32;
            let left = differing(y, side(-1.1), side(-0.75));
            let right = differing(y, side(0.75), side(1.1));
            if left > 0.5 || right > 0.5 {
                return HeadTop::Unknown;
            }
            return if y == start_row {
                HeadTop::CutOff
            } else {
                HeadTop::At(y as f32)
            };
        }
    }
    HeadTop::Unknown
}

fn dist(a: &[f32; 3], b: &[f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frontal() -> Landmarks {
        let p = |x, y| Point { x, y };
        Landmarks {
            right_eye: p(100.0, 100.0),
            left_eye: p(160.0, 100.0),
            nose_tip: p(130.0, 100.0 + LEVEL_NOSE_RATIO * 60.0),
            mouth: p(130.0, 160.0),
            right_ear: p(70.0, 110.0),
            left_ear: p(190.0, 110.0),
        }
    }

    #[test]
    fn a_frontal_level_face_has_no_pose() {
        let pose = estimate_pose(&frontal());
        assert!(
            pose.roll.abs() < 1e-3 && pose.yaw.abs() < 1e-3 && pose.pitch.abs() < 1e-3,
            "{pose:?}"
        );
    }

    #[test]
    fn rotating_the_keypoints_gives_their_roll_and_keeps_yaw_and_pitch() {
        let a = 10f32.to_radians();
        let c = Point { x: 130.0, y: 100.0 };
        let rotated = frontal().map(|p| Point {
            x: c.x + (p.x - c.x) * a.cos() - (p.y - c.y) * a.sin(),
            y: c.y + (p.x - c.x) * a.sin() + (p.y - c.y) * a.cos(),
        });
        let pose = estimate_pose(&rotated);
        assert!((pose.roll - 10.0).abs() < 1e-3, "{pose:?}");
        assert!(pose.yaw.abs() < 1e-3 && pose.pitch.abs() < 1e-3, "{pose:?}");
    }

    #[test]
    fn a_nose_off_the_ear_midpoint_is_yaw_and_a_low_nose_is_pitch() {
        let mut l = frontal();
        l.nose_tip.x += 60.0 * 1.3 * 0.2;
        assert!((estimate_pose(&l).yaw - 0.2f32.asin().to_degrees()).abs() < 1e-3);
        let mut l = frontal();
        l.nose_tip.y += 6.0;
        assert!(estimate_pose(&l).pitch < -5.0);
    }

    #[test]
    fn laplacian_variance_is_zero_on_flat_and_high_on_a_checkerboard() {
        let flat = vec![128u8; 100];
        assert_eq!(laplacian_variance(&flat, 10, (0, 0, 10, 10)), 0.0);
        let board: Vec<u8> = (0..100)
            .map(|i| if (i % 10 + i / 10) % 2 == 0 { 0 } else { 255 })
            .collect();
        assert!(laplacian_variance(&board, 10, (0, 0, 10, 10)) > 10_000.0);
    }

    #[test]
    fn head_top_is_found_on_a_plain_wall_and_refused_on_a_busy_one() {
        let mut img = RgbImage::filled(200, 300, [230, 230, 225]);
        for y in 60..300 {
            for x in 60..140 {
                img.put(x, y, [40, 30, 25]);
            }
        }
        let face = Rect {
            x: 70.0,
            y: 120.0,
            w: 60.0,
            h: 70.0,
        };
        assert_eq!(find_head_top(&img, &face, 0), HeadTop::At(60.0));
        // Rows above `start_row` are padding and never count.
        assert_eq!(find_head_top(&img, &face, 10), HeadTop::At(60.0));
        for x in 60..140 {
            img.put(x, 0, [40, 30, 25]);
        }
        for y in 0..60 {
            for x in 60..140 {
                img.put(x, y, [40, 30, 25]);
            }
        }
        assert_eq!(find_head_top(&img, &face, 0), HeadTop::CutOff);
        for y in 0..40 {
            for x in 0..40 {
                img.put(
                    x,
                    y,
                    if (x + y) % 2 == 0 {
                        [0, 0, 0]
                    } else {
                        [255, 255, 255]
                    },
                );
            }
        }
        assert_eq!(find_head_top(&img, &face, 0), HeadTop::Unknown);
    }
}
