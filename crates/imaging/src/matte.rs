//! Background replacement: MediaPipe's selfie segmentation (converted to ONNX, see
//! `models/PROVENANCE.md`) gives a coarse person mask; a guided filter on the photo sharpens it
//! along hair and shoulders; the old wall's colour is taken out of the soft edge
//! (decontamination) before the person goes onto the new background.

use crate::detect::DetectError;
use crate::raster::{Filter, RgbImage};
use tract_onnx::prelude::*;

const SELFIE_SEGMENTATION_ONNX: &[u8] = include_bytes!("../../../models/selfie_segmentation.onnx");
const MASK_SIDE: u32 = 256;

pub struct Segmenter {
    plan: std::sync::Arc<TypedRunnableModel>,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Segmenter(selfie_segmentation 256×256)")
    }
}

impl Segmenter {
    pub fn load() -> Result<Segmenter, DetectError> {
        let n = MASK_SIDE as usize;
        let plan = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(SELFIE_SEGMENTATION_ONNX))
            .and_then(|m| m.with_input_fact(0, f32::fact([1, n, n, 3]).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| DetectError::Model(e.to_string()))?;
        Ok(Segmenter { plan })
    }

    /// The person's probability per pixel of `image`, at `image`'s size. The model sees the image
    /// squeezed to 256×256 (as MediaPipe feeds it) with RGB in [0, 1].
    pub fn mask(&self, image: &RgbImage) -> Result<Vec<f32>, DetectError> {
        let small = image.resized(MASK_SIDE, MASK_SIDE, Filter::Bilinear);
        let data: Vec<f32> = small.data.iter().map(|&v| v as f32 / 255.0).collect();
        let n = MASK_SIDE as usize;
        let tensor = Tensor::from_shape(&[1, n, n, 3], &data)
            .map_err(|e| DetectError::Inference(e.to_string()))?;
        let out = self
            .plan
            .run(tvec!(tensor.into()))
            .map_err(|e| DetectError::Inference(e.to_string()))?;
        let view = out[0]
            .to_plain_array_view::<f32>()
            .map_err(|e| DetectError::Inference(e.to_string()))?;
        let coarse: Vec<f32> = view.iter().map(|v| v.clamp(0.0, 1.0)).collect();
        if coarse.len() != n * n {
            return Err(DetectError::Inference("分割模型输出形状不符".into()));
        }
        Ok(upsample(&coarse, MASK_SIDE, image.width, image.height))
    }
}

/// The top of the hair: the first row where a quarter of the face's middle columns is person.
pub fn head_top(alpha: &[f32], width: u32, face: &crate::detect::Rect) -> Option<f32> {
    let w = width as usize;
    let h = alpha.len() / w.max(1);
    let c = face.centre();
    let x0 = (c.x - face.w * 0.3).max(0.0) as usize;
    let x1 = ((c.x + face.w * 0.3).max(0.0) as usize).min(w);
    if x1 <= x0 {
        return None;
    }
    let limit = (face.y.max(0.0) as usize).min(h);
    (0..limit)
        .find(|&y| {
            alpha[y * w + x0..y * w + x1]
                .iter()
                .filter(|&&a| a > 0.5)
                .count()
                * 4
                >= x1 - x0
        })
        .map(|y| y as f32)
}

/// Bilinear upsampling of a square mask to `w`×`h`.
pub fn upsample(mask: &[f32], side: u32, w: u32, h: u32) -> Vec<f32> {
    let mut out = Vec::with_capacity(w as usize * h as usize);
    let (kx, ky) = (side as f32 / w as f32, side as f32 / h as f32);
    let last = (side - 1) as f32;
    for y in 0..h {
        let sy = ((y as f32 + 0.5) * ky - 0.5).clamp(0.0, last);
        let (y0, fy) = (sy.floor() as usize, sy.fract());
        let y1 = (y0 + 1).min(side as usize - 1);
        for x in 0..w {
            let sx = ((x as f32 + 0.5) * kx - 0.5).clamp(0.0, last);
            let (x0, fx) = (sx.floor() as usize, sx.fract());
            let x1 = (x0 + 1).min(side as usize - 1);
            let s = side as usize;
            let top = mask[y0 * s + x0] * (1.0 - fx) + mask[y0 * s + x1] * fx;
            let bottom = mask[y1 * s + x0] * (1.0 - fx) + mask[y1 * s + x1] * fx;
            out.push(top * (1.0 - fy) + bottom * fy);
        }
    }
    out
}

/// Mean over a (2r+1)² window, clipped at the borders: O(1) a pixel. The window is separable,
/// so a running sum along each row and then down each column gives it; the matte runs about
/// ten of these a photo. f32 sums drift by at most ~1e-5 of the value range over a 640-pixel
/// column, far below what an 8-bit output can show.
pub fn box_mean(values: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    if w == 0 || h == 0 {
        return Vec::new();
    }
    // Along rows: each pixel's mean over its row window.
    let mut rows = vec![0f32; w * h];
    for (row, out) in values.chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
        let mut sum: f32 = row[..(r + 1).min(w)].iter().sum();
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            out[x] = sum / (x1 - x0) as f32;
            if x + r + 1 < w {
                sum += row[x + r + 1];
            }
            if x >= r {
                sum -= row[x - r];
            }
        }
    }
    // Down columns, a whole row of running sums at a time.
    let mut out = vec![0f32; w * h];
    let mut sums = vec![0f32; w];
    for y in 0..(r + 1).min(h) {
        for (s, &v) in sums.iter_mut().zip(&rows[y * w..(y + 1) * w]) {
            *s += v;
        }
    }
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        let inv = 1.0 / (y1 - y0) as f32;
        for (o, &s) in out[y * w..(y + 1) * w].iter_mut().zip(&sums) {
            *o = s * inv;
        }
        if y + r + 1 < h {
            let add = &rows[(y + r + 1) * w..(y + r + 2) * w];
            for (s, &v) in sums.iter_mut().zip(add) {
                *s += v;
            }
        }
        if y >= r {
            let sub = &rows[(y - r) * w..(y - r + 1) * w];
            for (s, &v) in sums.iter_mut().zip(sub) {
                *s -= v;
            }
        }
    }
    out
}

/// He, Sun and Tang's guided filter with a grey guide (values in [0, 1]): the output follows the
/// guide's edges (hair against the wall) while keeping the input's values in flat regions.
pub fn guided_filter(
    guide: &[f32],
    input: &[f32],
    w: usize,
    h: usize,
    r: usize,
    eps: f32,
) -> Vec<f32> {
    let mean_i = box_mean(guide, w, h, r);
    let mean_p = box_mean(input, w, h, r);
    let ip: Vec<f32> = guide.iter().zip(input).map(|(i, p)| i * p).collect();
    let ii: Vec<f32> = guide.iter().map(|i| i * i).collect();
    let corr_ip = box_mean(&ip, w, h, r);
    let corr_ii = box_mean(&ii, w, h, r);
    let mut a = Vec::with_capacity(w * h);
    let mut b = Vec::with_capacity(w * h);
    for k in 0..w * h {
        let var = corr_ii[k] - mean_i[k] * mean_i[k];
        let cov = corr_ip[k] - mean_i[k] * mean_p[k];
        let ak = cov / (var + eps);
        a.push(ak);
        b.push(mean_p[k] - ak * mean_i[k]);
    }
    let mean_a = box_mean(&a, w, h, r);
    let mean_b = box_mean(&b, w, h, r);
    (0..w * h)
        .map(|k| (mean_a[k] * guide[k] + mean_b[k]).clamp(0.0, 1.0))
        .collect()
}

/// The refined alpha of `image` from a coarse mask at the same size.
pub fn refine_alpha(image: &RgbImage, coarse: &[f32]) -> Vec<f32> {
    let (w, h) = (image.width as usize, image.height as usize);
    let guide: Vec<f32> = image.luma().iter().map(|&v| v as f32 / 255.0).collect();
    // A radius of a strand's width at output size and a small epsilon keep single hairs. A
    // colour guide (He et al., eq. 19) was tried: 53–62% of edge pixels within 0.1 instead of
    // 54–59%, for 46 ms instead of 17 a pass. Not worth it.
    let refined = guided_filter(&guide, coarse, w, h, 6, 1e-3);
    // Where the model is sure, it stays sure: the filter only decides the uncertain band.
    refined
        .iter()
        .zip(coarse)
        .map(|(&r, &c)| {
            if c > 0.97 {
                1.0
            } else if c < 0.03 {
                0.0
            } else {
                r
            }
        })
        .collect()
}

/// Takes out soft alpha that lies far from the person's solid body beside the head: wall the
/// model half believed in (a bright window next to the hair, a flag pole along a cap). Hair
/// strands lie within a few pixels of solid hair, so they stay; so does whatever is straight
/// above the face (a light hat crown, blond or white hair the model was unsure of), the one
/// place a soft region far from the solid body is more likely the person than the wall.
pub fn drop_stray_soft_alpha(alpha: &[f32], width: u32, face: &crate::detect::Rect) -> Vec<f32> {
    let w = width as usize;
    let h = alpha.len() / w.max(1);
    let solid: Vec<f32> = alpha.iter().map(|&a| f32::from(a >= 0.9)).collect();
    // Within ~7 px of solid body keeps everything; beyond ~10 px keeps nothing.
    let near = box_mean(&solid, w, h, 10);
    let (x0, x1) = (face.x, face.x + face.w);
    let chin = face.y + face.h;
    (0..w * h)
        .map(|k| {
            let a = alpha[k];
            let (x, y) = ((k % w) as f32, (k / w) as f32);
            if a >= 0.9 || (x >= x0 && x <= x1) || y > chin {
                a
            } else {
                a * (near[k] * 6.0).min(1.0)
            }
        })
        .collect()
}

/// Replaces the background: the old wall colour behind each soft-edge pixel is estimated from
/// the wall nearby (a normalised blur of the pixels with low alpha), removed from the pixel
/// (F = (I − (1 − α)·W) / α), and the person is laid onto `background`.
pub fn composite(image: &RgbImage, alpha: &[f32], background: [u8; 3]) -> RgbImage {
    let (w, h) = (image.width as usize, image.height as usize);
    let wall_weight: Vec<f32> = alpha.iter().map(|a| (1.0 - a).powi(4)).collect();
    let weight_mean = box_mean(&wall_weight, w, h, 12);
    let mut wall = [Vec::new(), Vec::new(), Vec::new()];
    for (c, out) in wall.iter_mut().enumerate() {
        let weighted: Vec<f32> = (0..w * h)
            .map(|k| image.data[k * 3 + c] as f32 * wall_weight[k])
            .collect();
        *out = box_mean(&weighted, w, h, 12);
    }
    let mut out = RgbImage::new(image.width, image.height);
    for k in 0..w * h {
        let a = alpha[k];
        let mut px = [0u8; 3];
        for c in 0..3 {
            let i = image.data[k * 3 + c] as f32;
            let f = if a > 0.995 || weight_mean[k] < 1e-4 {
                i
            } else if a < 0.005 {
                0.0
            } else {
                let wall_c = wall[c][k] / weight_mean[k];
                ((i - (1.0 - a) * wall_c) / a).clamp(0.0, 255.0)
            };
            px[c] = (a * f + (1.0 - a) * background[c] as f32)
                .round()
                .clamp(0.0, 255.0) as u8;
        }
        out.data[k * 3..k * 3 + 3].copy_from_slice(&px);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_mean_matches_the_brute_force_mean_on_odd_shapes() {
        for (w, h, r) in [(7usize, 5usize, 2usize), (3, 9, 4), (1, 1, 3), (13, 2, 1)] {
            let v: Vec<f32> = (0..w * h).map(|k| ((k * 37) % 11) as f32).collect();
            let m = box_mean(&v, w, h, r);
            for y in 0..h {
                for x in 0..w {
                    let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
                    let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
                    let mut sum = 0.0;
                    for yy in y0..y1 {
                        for xx in x0..x1 {
                            sum += v[yy * w + xx];
                        }
                    }
                    let want = sum / ((x1 - x0) * (y1 - y0)) as f32;
                    assert!(
                        (m[y * w + x] - want).abs() < 1e-4,
                        "{w}×{h} r{r} at {x},{y}"
                    );
                }
            }
        }
    }

    #[test]
    fn box_mean_is_the_window_mean_clipped_at_borders() {
        let v: Vec<f32> = (0..9).map(|x| x as f32).collect();
        let m = box_mean(&v, 3, 3, 1);
        assert!((m[4] - 4.0).abs() < 1e-6);
        assert!((m[0] - (0.0 + 1.0 + 3.0 + 4.0) / 4.0).abs() < 1e-6);
    }

    #[test]
    fn guided_filter_snaps_a_blurred_mask_to_the_guides_edge() {
        // Guide: a sharp step at x = 10; mask: a ramp over x = 6..14.
        let (w, h) = (20, 8);
        let guide: Vec<f32> = (0..w * h)
            .map(|k| if k % w < 10 { 0.1 } else { 0.9 })
            .collect();
        let mask: Vec<f32> = (0..w * h)
            .map(|k| ((k % w) as f32 - 6.0).clamp(0.0, 8.0) / 8.0)
            .collect();
        let out = guided_filter(&guide, &mask, w, h, 4, 1e-4);
        let row = &out[3 * w..4 * w];
        assert!(row[8] < 0.3 && row[11] > 0.7, "{row:?}");
    }

    #[test]
    fn soft_alpha_far_beside_the_head_goes_and_hair_and_what_is_above_the_face_stay() {
        // A solid head (x 40..80, y 20..100) with the face box inside it, a soft strand 4 px
        // off its side, a soft patch 20 px off its side (a window the model half believed), and
        // a soft crown 20 px above it straight over the face (a light hat).
        let (w, h) = (140usize, 120usize);
        let mut alpha = vec![0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                alpha[y * w + x] = match (x, y) {
                    (40..80, 20..100) => 1.0,
                    (83..85, 40..60) => 0.5,
                    (100..110, 30..60) => 0.6,
                    (50..70, 0..5) => 0.6,
                    _ => 0.0,
                };
            }
        }
        let face = crate::detect::Rect {
            x: 45.0,
            y: 40.0,
            w: 30.0,
            h: 40.0,
        };
        let out = drop_stray_soft_alpha(&alpha, w as u32, &face);
        let at = |x: usize, y: usize| out[y * w + x];
        assert_eq!(at(60, 50), 1.0, "the solid head stays");
        assert_eq!(at(84, 50), 0.5, "a strand next to the hair stays");
        assert_eq!(at(105, 45), 0.0, "a soft patch far beside the head goes");
        assert_eq!(at(60, 2), 0.6, "what is straight above the face stays");
    }

    #[test]
    fn compositing_removes_the_old_wall_from_a_soft_edge() {
        // Left: person (dark red); right: a green wall; a 50% edge pixel in between mixes both.
        let (w, h) = (40u32, 4u32);
        let mut img = RgbImage::new(w, h);
        let mut alpha = vec![0f32; (w * h) as usize];
        for y in 0..h {
            for x in 0..w {
                let (a, px) = match x {
                    0..20 => (1.0, [120, 20, 20]),
                    // Half the person and half the wall.
                    20 => (0.5, [60, 110, 10]),
                    _ => (0.0, [0, 200, 0]),
                };
                img.put(x, y, px);
                alpha[(y * w + x) as usize] = a;
            }
        }
        let out = composite(&img, &alpha, [255, 255, 255]);
        let edge = out.pixel(20, 1);
        // 0.5 * person + 0.5 * white, with no green left.
        assert!(
            (edge[0] as i32 - 188).abs() <= 3 && (edge[1] as i32 - 138).abs() <= 3,
            "{edge:?}"
        );
        assert_eq!(out.pixel(35, 1), [255, 255, 255]);
        assert_eq!(out.pixel(5, 1), [120, 20, 20]);
    }
}

/// The checks of this part, on the composited output and its alpha.
pub mod checks {
    use super::box_mean;
    use crate::checks::{Check, CheckCode};
    use crate::detect::Detection;
    use crate::raster::{RgbImage, luma};

    fn dist(a: [u8; 3], b: [u8; 3]) -> f32 {
        let d = |i: usize| a[i] as f32 - b[i] as f32;
        (d(0) * d(0) + d(1) * d(1) + d(2) * d(2)).sqrt()
    }

    /// The pixels of the largest 4-connected region where `alpha ≥ 0.5`: the person's body.
    /// Anything else the matte kept (a flag pole, a chair back, someone passing behind) is not
    /// part of it.
    pub fn main_body(alpha: &[f32], w: usize, h: usize) -> Vec<bool> {
        let solid: Vec<bool> = alpha.iter().map(|&a| a >= 0.5).collect();
        let mut label = vec![0u32; w * h];
        let (mut best, mut best_size, mut next) = (0u32, 0usize, 0u32);
        let mut stack = Vec::new();
        for start in 0..w * h {
            if !solid[start] || label[start] != 0 {
                continue;
            }
            next += 1;
            let mut size = 0usize;
            label[start] = next;
            stack.push(start);
            while let Some(k) = stack.pop() {
                size += 1;
                let (x, y) = (k % w, k / w);
                let mut visit = |n: usize| {
                    if solid[n] && label[n] == 0 {
                        label[n] = next;
                        stack.push(n);
                    }
                };
                if x > 0 {
                    visit(k - 1);
                }
                if x + 1 < w {
                    visit(k + 1);
                }
                if y > 0 {
                    visit(k - w);
                }
                if y + 1 < h {
                    visit(k + w);
                }
            }
            if size > best_size {
                (best, best_size) = (next, size);
            }
        }
        label.iter().map(|&l| best != 0 && l == best).collect()
    }

    /// True within `r` pixels (a square window) of a `true` pixel.
    fn dilate(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
        let v: Vec<f32> = mask.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
        box_mean(&v, w, h, r).iter().map(|&m| m > 1e-6).collect()
    }

    /// The output's background is the configured colour everywhere but the person's body and
    /// its soft edge: proof that the replacement worked. Whatever the matte kept apart from the
    /// body (a flag pole, a chair back, a second person, a faint patch of wall) shows here.
    pub fn background_uniformity(
        out: &RgbImage,
        alpha: &[f32],
        background: [u8; 3],
        max_mean: f32,
    ) -> Check {
        let (w, h) = (out.width as usize, out.height as usize);
        let body = dilate(&main_body(alpha, w, h), w, h, 10);
        let mut total = 0f32;
        let mut n = 0f32;
        for (k, &near_body) in body.iter().enumerate() {
            if !near_body {
                let p = [out.data[k * 3], out.data[k * 3 + 1], out.data[k * 3 + 2]];
                total += dist(p, background);
                n += 1.0;
            }
        }
        let mean = if n > 0.0 { total / n } else { f32::MAX };
        Check::new(
            CheckCode::BackgroundUniformity,
            mean <= max_mean,
            mean,
            format!("平均色差 ≤ {max_mean}"),
            "背景不够均匀，请换纯色背景墙后重拍",
        )
    }

    /// Clothes close to the background colour vanish into it (a blue shirt on blue): the
    /// person's lowest fifth against the background colour.
    pub fn clothing_colour(
        out: &RgbImage,
        alpha: &[f32],
        background: [u8; 3],
        min_distance: f32,
    ) -> Check {
        let (w, h) = (out.width as usize, out.height as usize);
        let mut acc = [0f64; 3];
        let mut n = 0f64;
        for y in h * 4 / 5..h {
            for x in 0..w {
                let k = y * w + x;
                if alpha[k] > 0.9 {
                    for (c, a) in acc.iter_mut().enumerate() {
                        *a += out.data[k * 3 + c] as f64;
                    }
                    n += 1.0;
                }
            }
        }
        let distance = if n < 1.0 {
            f32::MAX
        } else {
            dist(acc.map(|a| (a / n) as u8), background)
        };
        Check::new(
            CheckCode::ClothingColour,
            distance >= min_distance,
            distance.min(999.0),
            format!("衣服与背景色差 ≥ {min_distance}"),
            "衣服颜色和背景太接近，请换一件别的颜色的上衣",
        )
    }

    /// 阴阳脸: one side of the face much darker than the other.
    pub fn illumination_uniformity(out: &RgbImage, face: &Detection, max_ratio: f32) -> Check {
        let b = face.bbox;
        let (y0, y1) = (
            (b.y + b.h * 0.25).max(0.0) as u32,
            ((b.y + b.h * 0.9) as u32).min(out.height),
        );
        let mid = b.centre().x;
        let half = |from: f32, to: f32| {
            let (x0, x1) = (from.max(0.0) as u32, (to as u32).min(out.width));
            let mut sum = 0f64;
            let mut n = 0f64;
            for y in y0..y1 {
                for x in x0..x1 {
                    let p = out.pixel(x, y);
                    sum += luma(p[0], p[1], p[2]) as f64;
                    n += 1.0;
                }
            }
            if n == 0.0 { 0.0 } else { (sum / n) as f32 }
        };
        let left = half(mid - b.w * 0.35, mid - b.w * 0.05);
        let right = half(mid + b.w * 0.05, mid + b.w * 0.35);
        let ratio = (left - right).abs() / left.max(right).max(1.0);
        Check::new(
            CheckCode::IlluminationUniformity,
            ratio <= max_ratio,
            ratio,
            format!("左右脸亮度差 ≤ {:.0}%", max_ratio * 100.0),
            "脸部一侧太暗，请调整灯光让两侧亮度一致",
        )
    }

    /// Specular highlights on glasses: near-white, unsaturated pixels around the eyes.
    pub fn glasses_glare(out: &RgbImage, face: &Detection, max_share: f32) -> Check {
        let r = (face.bbox.w * 0.12).max(3.0);
        let mut glare = 0f32;
        let mut n = 0f32;
        for eye in [face.landmarks.right_eye, face.landmarks.left_eye] {
            let (x0, x1) = (
                (eye.x - r).max(0.0) as u32,
                ((eye.x + r) as u32).min(out.width),
            );
            let (y0, y1) = (
                (eye.y - r).max(0.0) as u32,
                ((eye.y + r) as u32).min(out.height),
            );
            for y in y0..y1 {
                for x in x0..x1 {
                    let p = out.pixel(x, y);
                    let (mx, mn) = (
                        p.iter().max().copied().unwrap_or(0),
                        p.iter().min().copied().unwrap_or(0),
                    );
                    if mn >= 235 && mx - mn < 25 {
                        glare += 1.0;
                    }
                    n += 1.0;
                }
            }
        }
        let share = if n > 0.0 { glare / n } else { 0.0 };
        Check::new(
            CheckCode::GlassesGlare,
            share <= max_share,
            share,
            format!("眼部反光 ≤ {:.0}%", max_share * 100.0),
            "眼镜反光，请摘下眼镜或调整灯光角度",
        )
    }

    /// Whether the wall lets the person be cut out cleanly. Along the outside of the person's
    /// outline (a ring a few pixels wide where the mask says wall), a pixel is hard to separate
    /// when the wall there is textured (stripes, shelves, a busy poster) or when its colour is
    /// close to the person just inside the outline (a dark coat against a dark door). The score
    /// is the share of such pixels, with the share of undecided mask as a floor.
    pub fn background_separation(framed: &RgbImage, coarse: &[f32], max_share: f32) -> Check {
        let (w, h) = (framed.width as usize, framed.height as usize);
        const RING: usize = 8;
        let person: Vec<f32> = coarse.iter().map(|&m| f32::from(m > 0.5)).collect();
        let wall: Vec<f32> = coarse.iter().map(|&m| f32::from(m < 0.1)).collect();
        let near_person = box_mean(&person, w, h, RING);
        // The person's colour just inside the outline, as a normalised local mean.
        let mut inside = [Vec::new(), Vec::new(), Vec::new()];
        for (c, out) in inside.iter_mut().enumerate() {
            let v: Vec<f32> = (0..w * h)
                .map(|k| framed.data[k * 3 + c] as f32 * person[k])
                .collect();
            *out = box_mean(&v, w, h, RING);
        }
        let luma = framed.luma();
        let (mut ring, mut hard) = (0usize, 0usize);
        for y in 1..h.saturating_sub(1) {
            for x in 1..w.saturating_sub(1) {
                let k = y * w + x;
                if wall[k] == 0.0 || near_person[k] < 1e-6 {
                    continue;
                }
                ring += 1;
                let g = |a: usize, b: usize| (luma[a] as f32 - luma[b] as f32).abs();
                let texture = g(k - 1, k + 1) + g(k - w, k + w);
                let weight = near_person[k];
                let p = [0, 1, 2].map(|c| (inside[c][k] / weight).clamp(0.0, 255.0) as u8);
                let q = [
                    framed.data[k * 3],
                    framed.data[k * 3 + 1],
                    framed.data[k * 3 + 2],
                ];
                if texture > 40.0 || dist(p, q) < 45.0 {
                    hard += 1;
                }
            }
        }
        let person_px = person.iter().filter(|&&p| p > 0.0).count().max(1) as f32;
        let unsure = coarse.iter().filter(|&&m| m > 0.15 && m < 0.85).count() as f32;
        let share = (hard as f32 / ring.max(1) as f32).max(unsure / person_px);
        Check::new(
            CheckCode::BackgroundSeparation,
            share <= max_share,
            share,
            format!("难分离边缘 ≤ {:.0}%", max_share * 100.0),
            "背景太杂或颜色和人太接近，无法干净抠图，请换纯色背景",
        )
    }
}
