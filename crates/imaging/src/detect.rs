//! Face detection with landmarks: MediaPipe's BlazeFace detectors (converted to ONNX, see
//! `models/PROVENANCE.md`) run in tract. Anchor generation, box decoding and the weighted
//! non-maximum suppression are MediaPipe's post-processing, written here.

use crate::raster::{Filter, RgbImage};
use serde::Serialize;
use tract_onnx::prelude::*;

const SHORT_RANGE_ONNX: &[u8] = include_bytes!("../../../models/face_detection_short_range.onnx");
const FULL_RANGE_ONNX: &[u8] = include_bytes!("../../../models/face_detection_full_range.onnx");

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }
    pub fn iou(&self, other: &Rect) -> f32 {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = (self.x + self.w).min(other.x + other.w);
        let y1 = (self.y + self.h).min(other.y + other.h);
        let inter = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }
    pub fn centre(&self) -> Point {
        Point {
            x: self.x + self.w / 2.0,
            y: self.y + self.h / 2.0,
        }
    }
}

/// The six BlazeFace keypoints, named from the subject's side: the subject's right eye is on
/// the image's left in a frontal photo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Landmarks {
    pub right_eye: Point,
    pub left_eye: Point,
    pub nose_tip: Point,
    pub mouth: Point,
    pub right_ear: Point,
    pub left_ear: Point,
}

impl Landmarks {
    pub fn from_array(p: [Point; 6]) -> Landmarks {
        Landmarks {
            right_eye: p[0],
            left_eye: p[1],
            nose_tip: p[2],
            mouth: p[3],
            right_ear: p[4],
            left_ear: p[5],
        }
    }
    pub fn to_array(&self) -> [Point; 6] {
        [
            self.right_eye,
            self.left_eye,
            self.nose_tip,
            self.mouth,
            self.right_ear,
            self.left_ear,
        ]
    }
    pub fn map(&self, f: impl Fn(Point) -> Point) -> Landmarks {
        Landmarks::from_array(self.to_array().map(f))
    }
    pub fn eye_centre(&self) -> Point {
        Point {
            x: (self.right_eye.x + self.left_eye.x) / 2.0,
            y: (self.right_eye.y + self.left_eye.y) / 2.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Detection {
    pub score: f32,
    #[serde(rename = "box")]
    pub bbox: Rect,
    pub landmarks: Landmarks,
}

impl Detection {
    pub fn map(&self, f: impl Fn(Point) -> Point + Copy) -> Detection {
        let a = f(Point {
            x: self.bbox.x,
            y: self.bbox.y,
        });
        let b = f(Point {
            x: self.bbox.x + self.bbox.w,
            y: self.bbox.y + self.bbox.h,
        });
        Detection {
            score: self.score,
            bbox: Rect {
                x: a.x.min(b.x),
                y: a.y.min(b.y),
                w: (b.x - a.x).abs(),
                h: (b.y - a.y).abs(),
            },
            landmarks: self.landmarks.map(f),
        }
    }
}

/// An SSD anchor centre in the model's normalised input square (anchor sizes are fixed at 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchor {
    pub x: f32,
    pub y: f32,
}

/// MediaPipe's SsdAnchorsCalculator with `fixed_anchor_size`, aspect ratio 1 and offset 0.5:
/// consecutive layers with the same stride share one feature map, and every layer adds its
/// anchors per cell (two when an interpolated scale is configured, else one).
pub fn ssd_anchors(input_size: u32, strides: &[u32], anchors_per_layer: u32) -> Vec<Anchor> {
    let mut out = Vec::new();
    let mut layer = 0;
    while layer < strides.len() {
        let stride = strides[layer];
        let mut same = 0;
        while layer + same < strides.len() && strides[layer + same] == stride {
            same += 1;
        }
        let per_cell = same as u32 * anchors_per_layer;
        let fm = input_size.div_ceil(stride);
        for y in 0..fm {
            for x in 0..fm {
                for _ in 0..per_cell {
                    out.push(Anchor {
                        x: (x as f32 + 0.5) / fm as f32,
                        y: (y as f32 + 0.5) / fm as f32,
                    });
                }
            }
        }
        layer += same;
    }
    out
}

/// Decodes the raw model outputs (16 regressors and one logit per anchor) into detections in
/// the normalised input square, keeping those scoring at least `min_score`.
pub fn decode_detections(
    regressors: &[f32],
    logits: &[f32],
    anchors: &[Anchor],
    input_size: f32,
    min_score: f32,
) -> Vec<Detection> {
    let mut out = Vec::new();
    for (i, anchor) in anchors.iter().enumerate() {
        let (Some(&logit), Some(r)) = (logits.get(i), regressors.get(i * 16..i * 16 + 16)) else {
            break;
        };
        // MediaPipe clips logits to ±100 before the sigmoid.
        let score = 1.0 / (1.0 + (-logit.clamp(-100.0, 100.0)).exp());
        if score < min_score || !score.is_finite() {
            continue;
        }
        let cx = r[0] / input_size + anchor.x;
        let cy = r[1] / input_size + anchor.y;
        let w = r[2] / input_size;
        let h = r[3] / input_size;
        if !(w > 0.0 && h > 0.0 && w.is_finite() && h.is_finite()) {
            continue;
        }
        let mut points = [Point::default(); 6];
        for (k, p) in points.iter_mut().enumerate() {
            p.x = r[4 + 2 * k] / input_size + anchor.x;
            p.y = r[5 + 2 * k] / input_size + anchor.y;
        }
        out.push(Detection {
            score,
            bbox: Rect {
                x: cx - w / 2.0,
                y: cy - h / 2.0,
                w,
                h,
            },
            landmarks: Landmarks::from_array(points),
        });
    }
    out
}

/// MediaPipe's weighted non-maximum suppression: the best remaining detection absorbs every
/// other one overlapping it by more than `iou_threshold`, and its box and keypoints become the
/// score-weighted mean of the group (steadier than keeping the single best box).
pub fn weighted_nms(mut detections: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !detections.is_empty() {
        let best = detections[0];
        let (group, rest): (Vec<Detection>, Vec<Detection>) = detections
            .into_iter()
            .partition(|d| d.bbox.iou(&best.bbox) > iou_threshold || *d == best);
        detections = rest;
        let total: f32 = group.iter().map(|d| d.score).sum();
        let mut merged = best;
        if total > 0.0 {
            let avg = |f: &dyn Fn(&Detection) -> f32| {
                group.iter().map(|d| f(d) * d.score).sum::<f32>() / total
            };
            merged.bbox = Rect {
                x: avg(&|d| d.bbox.x),
                y: avg(&|d| d.bbox.y),
                w: avg(&|d| d.bbox.w),
                h: avg(&|d| d.bbox.h),
            };
            let mut points = best.landmarks.to_array();
            for (k, p) in points.iter_mut().enumerate() {
                p.x = avg(&|d| d.landmarks.to_array()[k].x);
                p.y = avg(&|d| d.landmarks.to_array()[k].y);
            }
            merged.landmarks = Landmarks::from_array(points);
        }
        out.push(merged);
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("人脸检测模型无法加载：{0}")]
    Model(String),
    #[error("人脸检测失败：{0}")]
    Inference(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    Nhwc,
    Nchw,
}

/// One BlazeFace model, loaded and optimised once.
struct BlazeFace {
    plan: std::sync::Arc<TypedRunnableModel>,
    layout: Layout,
    input: u32,
    anchors: Vec<Anchor>,
    min_score: f32,
}

impl std::fmt::Debug for BlazeFace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "BlazeFace({}px, {} anchors)",
            self.input,
            self.anchors.len()
        )
    }
}

impl BlazeFace {
    fn load(
        bytes: &[u8],
        input: u32,
        anchors: Vec<Anchor>,
        min_score: f32,
    ) -> Result<BlazeFace, DetectError> {
        let model = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .map_err(|e| DetectError::Model(e.to_string()))?;
        let declared = model
            .input_fact(0)
            .map_err(|e| DetectError::Model(e.to_string()))?
            .shape
            .as_concrete_finite()
            .ok()
            .flatten()
            .map(|s| s.to_vec());
        let layout = match declared.as_deref() {
            Some([_, 3, _, _]) => Layout::Nchw,
            _ => Layout::Nhwc,
        };
        let shape: [usize; 4] = match layout {
            Layout::Nhwc => [1, input as usize, input as usize, 3],
            Layout::Nchw => [1, 3, input as usize, input as usize],
        };
        let plan = model
            .with_input_fact(0, f32::fact(shape).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| DetectError::Model(e.to_string()))?;
        Ok(BlazeFace {
            plan,
            layout,
            input,
            anchors,
            min_score,
        })
    }

    /// Detections in `image`'s pixel coordinates. The image is letterboxed into the model's
    /// square input (as MediaPipe does with keep-aspect-ratio), so faces keep their shape.
    fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>, DetectError> {
        let n = self.input;
        let k = n as f32 / image.width.max(image.height) as f32;
        let (w, h) = (
            ((image.width as f32 * k).round() as u32).clamp(1, n),
            ((image.height as f32 * k).round() as u32).clamp(1, n),
        );
        let small = image.resized(w, h, Filter::Bilinear);
        let (ox, oy) = ((n - w) / 2, (n - h) / 2);
        let side = n as usize;
        let mut data = vec![0f32; side * side * 3];
        for y in 0..h {
            for x in 0..w {
                let p = small.pixel(x, y);
                let (px, py) = ((x + ox) as usize, (y + oy) as usize);
                for (c, &channel) in p.iter().enumerate() {
                    // BlazeFace wants RGB in [-1, 1].
                    let v = channel as f32 / 127.5 - 1.0;
                    let at = match self.layout {
                        Layout::Nhwc => (py * side + px) * 3 + c,
                        Layout::Nchw => c * side * side + py * side + px,
                    };
                    data[at] = v;
                }
            }
        }
        // Padding is black in MediaPipe's letterbox: -1 after normalisation.
        if w < n || h < n {
            for y in 0..n {
                for x in 0..n {
                    if x >= ox && x < ox + w && y >= oy && y < oy + h {
                        continue;
                    }
                    for c in 0..3 {
                        let at = match self.layout {
                            Layout::Nhwc => (y as usize * side + x as usize) * 3 + c,
                            Layout::Nchw => c * side * side + y as usize * side + x as usize,
                        };
                        data[at] = -1.0;
                    }
                }
            }
        }
        let shape: [usize; 4] = match self.layout {
            Layout::Nhwc => [1, side, side, 3],
            Layout::Nchw => [1, 3, side, side],
        };
        let tensor =
            Tensor::from_shape(&shape, &data).map_err(|e| DetectError::Inference(e.to_string()))?;
        let outputs = self
            .plan
            .run(tvec!(tensor.into()))
            .map_err(|e| DetectError::Inference(e.to_string()))?;
        let (mut regressors, mut logits): (Option<Vec<f32>>, Option<Vec<f32>>) = (None, None);
        for o in outputs.iter() {
            let view = o
                .to_plain_array_view::<f32>()
                .map_err(|e| DetectError::Inference(e.to_string()))?;
            let values: Vec<f32> = view.iter().copied().collect();
            match view.shape().last() {
                Some(16) => regressors = Some(values),
                Some(1) => logits = Some(values),
                _ => {}
            }
        }
        let (Some(regressors), Some(logits)) = (regressors, logits) else {
            return Err(DetectError::Inference("模型输出形状不符".into()));
        };
        let found = decode_detections(
            &regressors,
            &logits,
            &self.anchors,
            n as f32,
            self.min_score,
        );
        let merged = weighted_nms(found, 0.3);
        let to_image = |p: Point| Point {
            x: (p.x * n as f32 - ox as f32) / k,
            y: (p.y * n as f32 - oy as f32) / k,
        };
        Ok(merged.into_iter().map(|d| d.map(to_image)).collect())
    }
}

/// Which model found the faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorModel {
    ShortRange,
    FullRange,
}

/// Both BlazeFace models. The short-range one (faces within about 2 m, the station's case) runs
/// first; the full-range one looks again when it finds nothing, for captures taken from further.
#[derive(Debug)]
pub struct FaceDetector {
    short: BlazeFace,
    full: BlazeFace,
}

impl FaceDetector {
    pub fn load() -> Result<FaceDetector, DetectError> {
        Ok(FaceDetector {
            short: BlazeFace::load(
                SHORT_RANGE_ONNX,
                128,
                ssd_anchors(128, &[8, 16, 16, 16], 2),
                0.5,
            )?,
            full: BlazeFace::load(FULL_RANGE_ONNX, 192, ssd_anchors(192, &[4], 1), 0.6)?,
        })
    }

    pub fn detect(&self, image: &RgbImage) -> Result<(Vec<Detection>, DetectorModel), DetectError> {
        let faces = self.short.detect(image)?;
        if !faces.is_empty() {
            return Ok((faces, DetectorModel::ShortRange));
        }
        Ok((self.full.detect(image)?, DetectorModel::FullRange))
    }

    /// Runs the short-range model again on a square around `face`, turned upright by the roll
    /// its eyes show, so the face fills most of the model's input and sits level (as MediaPipe
    /// prepares its face crops). In the whole frame the eyes are a dozen model pixels apart and
    /// one pixel of keypoint error tilts the eye line by 4°. Returns `face` unchanged when the
    /// second look finds nothing like it near the middle.
    pub fn refine(&self, image: &RgbImage, face: &Detection) -> Result<Detection, DetectError> {
        let side = (face.bbox.w.max(face.bbox.h) * REFINE_CROP)
            .round()
            .clamp(16.0, 4096.0) as u32;
        let c = face.bbox.centre();
        let l = face.landmarks;
        let roll = (l.left_eye.y - l.right_eye.y).atan2(l.left_eye.x - l.right_eye.x);
        let (sin, cos) = roll.sin_cos();
        let half = side as f32 / 2.0;
        // Crop pixel (u, v) shows the capture at c + R(roll) * ((u, v) - half).
        let to_image = move |p: Point| Point {
            x: c.x + (p.x - half) * cos - (p.y - half) * sin,
            y: c.y + (p.x - half) * sin + (p.y - half) * cos,
        };
        let mut crop = RgbImage::new(side, side);
        for v in 0..side {
            for u in 0..side {
                let p = to_image(Point {
                    x: u as f32 + 0.5,
                    y: v as f32 + 0.5,
                });
                if p.x >= 0.0 && p.y >= 0.0 && p.x < image.width as f32 && p.y < image.height as f32
                {
                    let s = image.sample(p.x - 0.5, p.y - 0.5);
                    crop.put(u, v, s.map(|x| x.round() as u8));
                }
            }
        }
        let found = self.short.detect(&crop)?;
        let middle = Point { x: half, y: half };
        let off =
            |d: &Detection| (d.bbox.centre().x - middle.x).hypot(d.bbox.centre().y - middle.y);
        let nearest = found.into_iter().min_by(|a, b| off(a).total_cmp(&off(b)));
        Ok(match nearest {
            Some(d)
                if off(&d) < side as f32 / 4.0
                    && (0.6..1.6).contains(&(d.bbox.w / face.bbox.w.max(1.0))) =>
            {
                // Keypoints go back exactly; the upright box becomes the axis-aligned box of its
                // turned corners' centre with the same size (faces are boxed square).
                let centre = to_image(d.bbox.centre());
                Detection {
                    score: d.score,
                    bbox: Rect {
                        x: centre.x - d.bbox.w / 2.0,
                        y: centre.y - d.bbox.h / 2.0,
                        w: d.bbox.w,
                        h: d.bbox.h,
                    },
                    landmarks: d.landmarks.map(to_image),
                }
            }
            _ => *face,
        })
    }
}

/// The refinement crop's side, in face-box widths: the face then spans a little over half the
/// model's input, inside the range of its anchors.
const REFINE_CROP: f32 = 1.8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_counts_match_the_models() {
        assert_eq!(ssd_anchors(128, &[8, 16, 16, 16], 2).len(), 896);
        assert_eq!(ssd_anchors(192, &[4], 1).len(), 2304);
    }

    #[test]
    fn anchors_are_cell_centres_in_row_order() {
        let a = ssd_anchors(128, &[8, 16, 16, 16], 2);
        // Stride 8: a 16×16 map, two anchors per cell.
        assert_eq!(
            a[0],
            Anchor {
                x: 0.5 / 16.0,
                y: 0.5 / 16.0
            }
        );
        assert_eq!(a[1], a[0]);
        assert_eq!(
            a[2],
            Anchor {
                x: 1.5 / 16.0,
                y: 0.5 / 16.0
            }
        );
        // Stride 16: an 8×8 map, six anchors per cell (three layers × two).
        assert_eq!(
            a[512],
            Anchor {
                x: 0.5 / 8.0,
                y: 0.5 / 8.0
            }
        );
        assert_eq!(a[517], a[512]);
        assert_eq!(
            a[518],
            Anchor {
                x: 1.5 / 8.0,
                y: 0.5 / 8.0
            }
        );
        assert_eq!(
            a[895],
            Anchor {
                x: 7.5 / 8.0,
                y: 7.5 / 8.0
            }
        );
    }

    fn raw(anchor: usize, logit: f32, dx: f32, w: f32) -> (Vec<f32>, Vec<f32>) {
        let mut regs = vec![0f32; 3 * 16];
        let mut logits = vec![-10f32; 3];
        logits[anchor] = logit;
        regs[anchor * 16] = dx;
        regs[anchor * 16 + 2] = w;
        regs[anchor * 16 + 3] = w;
        regs[anchor * 16 + 4] = -8.0; // right eye 8 px left of the anchor
        (regs, logits)
    }

    #[test]
    fn decoding_offsets_from_the_anchor_and_scales_by_the_input() {
        let anchors = vec![Anchor { x: 0.25, y: 0.5 }; 3];
        let (regs, logits) = raw(1, 2.0, 32.0, 64.0);
        let d = decode_detections(&regs, &logits, &anchors, 128.0, 0.5);
        assert_eq!(d.len(), 1);
        let d = d[0];
        assert!((d.score - 0.880797).abs() < 1e-5);
        assert!((d.bbox.centre().x - 0.5).abs() < 1e-6);
        assert!((d.bbox.w - 0.5).abs() < 1e-6);
        assert!((d.landmarks.right_eye.x - 0.1875).abs() < 1e-6);
    }

    #[test]
    fn low_scores_and_broken_boxes_are_dropped() {
        let anchors = vec![Anchor { x: 0.5, y: 0.5 }; 3];
        let (regs, logits) = raw(0, -1.0, 0.0, 10.0);
        assert!(decode_detections(&regs, &logits, &anchors, 128.0, 0.5).is_empty());
        let (regs, logits) = raw(0, 5.0, 0.0, -3.0);
        assert!(decode_detections(&regs, &logits, &anchors, 128.0, 0.5).is_empty());
        let (regs, logits) = raw(0, f32::NAN, 0.0, 10.0);
        assert!(decode_detections(&regs, &logits, &anchors, 128.0, 0.5).is_empty());
        // Outputs shorter than the anchors do not panic.
        assert!(decode_detections(&regs[..10], &logits, &anchors, 128.0, 0.5).is_empty());
    }

    fn det(score: f32, x: f32, w: f32) -> Detection {
        Detection {
            score,
            bbox: Rect { x, y: 0.0, w, h: w },
            landmarks: Landmarks::from_array([Point { x, y: 0.0 }; 6]),
        }
    }

    #[test]
    fn nms_merges_overlaps_by_score_and_keeps_separate_faces() {
        let out = weighted_nms(
            vec![
                det(0.6, 2.0, 10.0),
                det(0.9, 0.0, 10.0),
                det(0.8, 50.0, 10.0),
            ],
            0.3,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        // (0.9 * 0 + 0.6 * 2) / 1.5
        assert!((out[0].bbox.x - 0.8).abs() < 1e-5);
        assert!((out[0].landmarks.nose_tip.x - 0.8).abs() < 1e-5);
        assert_eq!(out[1].bbox.x, 50.0);
    }

    #[test]
    fn iou_of_disjoint_identical_and_half_overlapping_boxes() {
        let a = Rect {
            x: 0.0,
            y: 0.0,
            w: 2.0,
            h: 2.0,
        };
        assert_eq!(a.iou(&a), 1.0);
        assert_eq!(a.iou(&Rect { x: 5.0, ..a }), 0.0);
        assert!((a.iou(&Rect { x: 1.0, ..a }) - 1.0 / 3.0).abs() < 1e-6);
    }
}
