//! Five-point alignment: the similarity transform (scale, rotation, translation; never a
//! mirror) that best maps the detected landmarks onto SFace's 112×112 template in the least
//! squares sense, and the warp that cuts the aligned face out of the photo.
//!
//! Umeyama's method in two dimensions has a closed form: with both point sets centred,
//! `a = Σ (x·u + y·v)`, `b = Σ (x·v − y·u)` and `n = Σ (x² + y²)`, the best similarity is
//! `s·cos θ = a / n`, `s·sin θ = b / n`, and the translation carries the source centroid onto
//! the template's. This is what OpenCV's `FaceRecognizerSF::alignCrop` computes through a 2×2
//! SVD whenever the landmarks are not mirrored (its reflection branch never applies to a face).

use photoroll_imaging::detect::Point;
use photoroll_imaging::raster::{Filter, RgbImage};

/// SFace's input side.
pub const ALIGNED_SIZE: u32 = 112;

/// Where the five landmarks go in the 112×112 crop (the ArcFace template, as OpenCV's
/// `FaceRecognizerSF` uses it): the subject's right eye (image left), left eye, nose tip, right
/// and left mouth corners.
pub const TEMPLATE: [Point; 5] = [
    Point {
        x: 38.2946,
        y: 51.6963,
    },
    Point {
        x: 73.5318,
        y: 51.5014,
    },
    Point {
        x: 56.0252,
        y: 71.7366,
    },
    Point {
        x: 41.5493,
        y: 92.3655,
    },
    Point {
        x: 70.7299,
        y: 92.2041,
    },
];

/// `p ↦ (a·x − b·y + tx, b·x + a·y + ty)`: a uniform scale `√(a² + b²)`, a rotation and a shift.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Similarity {
    pub a: f64,
    pub b: f64,
    pub tx: f64,
    pub ty: f64,
}

impl Similarity {
    pub fn scale(&self) -> f64 {
        self.a.hypot(self.b)
    }

    /// Rotation in radians (counter-clockwise in x-right, y-up terms; clockwise on screen).
    pub fn angle(&self) -> f64 {
        self.b.atan2(self.a)
    }

    pub fn apply(&self, p: Point) -> Point {
        let (x, y) = (p.x as f64, p.y as f64);
        Point {
            x: (self.a * x - self.b * y + self.tx) as f32,
            y: (self.b * x + self.a * y + self.ty) as f32,
        }
    }

    /// The inverse transform, or `None` for a degenerate (zero-scale) one.
    pub fn inverse(&self) -> Option<Similarity> {
        let n = self.a * self.a + self.b * self.b;
        if n <= f64::EPSILON || !n.is_finite() {
            return None;
        }
        let (a, b) = (self.a / n, -self.b / n);
        Some(Similarity {
            a,
            b,
            tx: -(a * self.tx - b * self.ty),
            ty: -(b * self.tx + a * self.ty),
        })
    }

    /// `self` after `first`: `p ↦ self(first(p))`.
    pub fn after(&self, first: &Similarity) -> Similarity {
        Similarity {
            a: self.a * first.a - self.b * first.b,
            b: self.b * first.a + self.a * first.b,
            tx: self.a * first.tx - self.b * first.ty + self.tx,
            ty: self.b * first.tx + self.a * first.ty + self.ty,
        }
    }
}

/// The least-squares similarity taking `src[i]` to `dst[i]`. `None` when the source points all
/// coincide (no scale can be told) or the arrays differ in length or are empty.
pub fn estimate_similarity(src: &[Point], dst: &[Point]) -> Option<Similarity> {
    if src.len() != dst.len() || src.is_empty() {
        return None;
    }
    let n = src.len() as f64;
    let mean = |ps: &[Point]| {
        let (sx, sy) = ps
            .iter()
            .fold((0.0, 0.0), |(x, y), p| (x + p.x as f64, y + p.y as f64));
        (sx / n, sy / n)
    };
    let (smx, smy) = mean(src);
    let (dmx, dmy) = mean(dst);
    let (mut a, mut b, mut var) = (0.0, 0.0, 0.0);
    for (s, d) in src.iter().zip(dst) {
        let (x, y) = (s.x as f64 - smx, s.y as f64 - smy);
        let (u, v) = (d.x as f64 - dmx, d.y as f64 - dmy);
        a += x * u + y * v;
        b += x * v - y * u;
        var += x * x + y * y;
    }
    if var <= 1e-12 || !var.is_finite() {
        return None;
    }
    let (a, b) = (a / var, b / var);
    Some(Similarity {
        a,
        b,
        tx: dmx - (a * smx - b * smy),
        ty: dmy - (b * smx + a * smy),
    })
}

/// The 112×112 crop SFace wants: every output pixel `q` shows the photo at `to_crop⁻¹(q)`,
/// sampled bilinearly with pixel centres on integer coordinates and black outside the photo (as
/// OpenCV's `warpAffine` with `INTER_LINEAR` and a constant border does). A face much larger
/// than the template is first shrunk with a proper low-pass resize, so the crop does not alias.
pub fn warp_aligned(image: &RgbImage, to_crop: &Similarity) -> Option<RgbImage> {
    let mut to_crop = *to_crop;
    let mut source = std::borrow::Cow::Borrowed(image);
    let scale = to_crop.scale();
    if scale < 0.6 {
        // Cut the part of the photo the crop sees (plus a margin for the filter), shrink it so
        // that the remaining transform is close to 1:1, and warp from that.
        let back = to_crop.inverse()?;
        let side = ALIGNED_SIZE as f32;
        let corners = [(0.0, 0.0), (side, 0.0), (0.0, side), (side, side)]
            .map(|(x, y)| back.apply(Point { x, y }));
        let margin = (2.0 / scale) as f32;
        let x0 = (corners.iter().map(|p| p.x).fold(f32::INFINITY, f32::min) - margin)
            .floor()
            .max(0.0);
        let y0 = (corners.iter().map(|p| p.y).fold(f32::INFINITY, f32::min) - margin)
            .floor()
            .max(0.0);
        let x1 = (corners
            .iter()
            .map(|p| p.x)
            .fold(f32::NEG_INFINITY, f32::max)
            + margin)
            .ceil()
            .min(image.width as f32);
        let y1 = (corners
            .iter()
            .map(|p| p.y)
            .fold(f32::NEG_INFINITY, f32::max)
            + margin)
            .ceil()
            .min(image.height as f32);
        if x1 - x0 >= 2.0 && y1 - y0 >= 2.0 {
            let (cx, cy, cw, ch) = (x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32);
            let mut cut = RgbImage::new(cw, ch);
            for y in 0..ch {
                let from = ((cy + y) as usize * image.width as usize + cx as usize) * 3;
                let to = (y as usize * cw as usize) * 3;
                cut.data[to..to + cw as usize * 3]
                    .copy_from_slice(&image.data[from..from + cw as usize * 3]);
            }
            // Shrink by `scale` (rounded to whole pixels); the warp then scales by about 1.
            let (sw, sh) = (
                ((cw as f64 * scale).round() as u32).max(1),
                ((ch as f64 * scale).round() as u32).max(1),
            );
            let small = cut.resized(sw, sh, Filter::Lanczos3);
            let (kx, ky) = (sw as f64 / cw as f64, sh as f64 / ch as f64);
            let k = (kx + ky) / 2.0;
            // Photo → cut (shift) → small (scale about the pixel-centre convention).
            let photo_to_small = Similarity {
                a: k,
                b: 0.0,
                tx: (-(cx as f64) + 0.5) * k - 0.5,
                ty: (-(cy as f64) + 0.5) * k - 0.5,
            };
            to_crop = to_crop.after(&photo_to_small.inverse()?);
            source = std::borrow::Cow::Owned(small);
        }
    }
    let back = to_crop.inverse()?;
    let src = source.as_ref();
    let (w, h) = (src.width as i64, src.height as i64);
    let mut out = RgbImage::new(ALIGNED_SIZE, ALIGNED_SIZE);
    for v in 0..ALIGNED_SIZE {
        for u in 0..ALIGNED_SIZE {
            let p = back.apply(Point {
                x: u as f32,
                y: v as f32,
            });
            let (x0, y0) = (p.x.floor(), p.y.floor());
            let (fx, fy) = (p.x - x0, p.y - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let at = |x: i64, y: i64| -> [f32; 3] {
                if x < 0 || y < 0 || x >= w || y >= h {
                    [0.0; 3]
                } else {
                    src.pixel(x as u32, y as u32).map(|c| c as f32)
                }
            };
            let (p00, p10, p01, p11) = (
                at(x0, y0),
                at(x0 + 1, y0),
                at(x0, y0 + 1),
                at(x0 + 1, y0 + 1),
            );
            let mut rgb = [0u8; 3];
            for c in 0..3 {
                let top = p00[c] * (1.0 - fx) + p10[c] * fx;
                let bottom = p01[c] * (1.0 - fx) + p11[c] * fx;
                rgb[c] = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
            }
            out.put(u, v, rgb);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Point, b: Point, tol: f32) -> bool {
        (a.x - b.x).abs() <= tol && (a.y - b.y).abs() <= tol
    }

    #[test]
    fn a_known_similarity_is_recovered_exactly() {
        // Scale 0.37, rotated 12°, shifted: the template pushed back into a "photo".
        let angle = 12f64.to_radians();
        let truth = Similarity {
            a: 0.37 * angle.cos(),
            b: 0.37 * angle.sin(),
            tx: -41.5,
            ty: 17.25,
        };
        let photo = truth.inverse().unwrap();
        let src = TEMPLATE.map(|p| photo.apply(p));
        let found = estimate_similarity(&src, &TEMPLATE).unwrap();
        assert!((found.a - truth.a).abs() < 1e-5, "{found:?} vs {truth:?}");
        assert!((found.b - truth.b).abs() < 1e-5, "{found:?} vs {truth:?}");
        assert!((found.tx - truth.tx).abs() < 1e-3, "{found:?} vs {truth:?}");
        assert!((found.ty - truth.ty).abs() < 1e-3, "{found:?} vs {truth:?}");
        assert!((found.scale() - 0.37).abs() < 1e-6);
        assert!((found.angle() - angle).abs() < 1e-6);
        for (s, d) in src.iter().zip(TEMPLATE) {
            assert!(close(found.apply(*s), d, 1e-3));
        }
    }

    #[test]
    fn noisy_points_give_the_least_squares_fit() {
        // Pure scale 2 plus a shift, with the points jittered symmetrically: the fit keeps the
        // scale and the shift and turns by nothing.
        let src = [
            Point { x: 0.0, y: 0.0 },
            Point { x: 10.0, y: 0.0 },
            Point { x: 0.0, y: 10.0 },
            Point { x: 10.0, y: 10.0 },
        ];
        let jitter = [(0.5, 0.0), (-0.5, 0.0), (0.5, 0.0), (-0.5, 0.0)];
        let dst: Vec<Point> = src
            .iter()
            .zip(jitter)
            .map(|(p, (jx, jy))| Point {
                x: 2.0 * p.x + 3.0 + jx,
                y: 2.0 * p.y - 4.0 + jy,
            })
            .collect();
        let fit = estimate_similarity(&src, &dst).unwrap();
        assert!(fit.b.abs() < 1e-9);
        assert!((fit.a - 1.95).abs() < 1e-9, "{fit:?}");
        // The residual of the fit is no larger than that of the true transform.
        let truth = Similarity {
            a: 2.0,
            b: 0.0,
            tx: 3.0,
            ty: -4.0,
        };
        let residual = |t: &Similarity| -> f64 {
            src.iter()
                .zip(&dst)
                .map(|(s, d)| {
                    let p = t.apply(*s);
                    ((p.x - d.x) as f64).powi(2) + ((p.y - d.y) as f64).powi(2)
                })
                .sum()
        };
        assert!(residual(&fit) <= residual(&truth) + 1e-9);
    }

    #[test]
    fn mirrored_landmarks_are_not_flipped_back() {
        // A mirror image of the template cannot be reached by a similarity; the fit stays a
        // proper rotation (scale×rotation, determinant a² + b² > 0) and never mirrors.
        let src = TEMPLATE.map(|p| Point { x: -p.x, y: p.y });
        let fit = estimate_similarity(&src, &TEMPLATE).unwrap();
        assert!(fit.a * fit.a + fit.b * fit.b > 0.0);
    }

    #[test]
    fn degenerate_input_is_refused() {
        let same = [Point { x: 4.0, y: 4.0 }; 5];
        assert!(estimate_similarity(&same, &TEMPLATE).is_none());
        assert!(estimate_similarity(&same[..3], &TEMPLATE).is_none());
        assert!(estimate_similarity(&[], &[]).is_none());
    }

    #[test]
    fn composition_and_inverse_agree() {
        let t = Similarity {
            a: 0.8,
            b: -0.3,
            tx: 5.0,
            ty: 9.0,
        };
        let id = t.after(&t.inverse().unwrap());
        assert!((id.a - 1.0).abs() < 1e-12 && id.b.abs() < 1e-12);
        assert!(id.tx.abs() < 1e-9 && id.ty.abs() < 1e-9);
        let p = Point { x: 3.0, y: -7.0 };
        let twice = t.after(&t).apply(p);
        assert!(close(twice, t.apply(t.apply(p)), 1e-4));
    }

    #[test]
    fn the_warp_puts_the_landmarks_on_the_template() {
        // A photo with five bright dots where a face's landmarks would be, turned 8° and at
        // 3× the template's scale: after the warp each dot sits on its template point.
        let angle = 8f64.to_radians();
        let to_crop = Similarity {
            a: angle.cos() / 3.0,
            b: angle.sin() / 3.0,
            tx: -20.0,
            ty: -35.0,
        };
        let back = to_crop.inverse().unwrap();
        let mut photo = RgbImage::new(500, 500);
        for t in TEMPLATE {
            let p = back.apply(t);
            for dy in -4i32..=4 {
                for dx in -4i32..=4 {
                    let (x, y) = (p.x.round() as i32 + dx, p.y.round() as i32 + dy);
                    photo.put(x as u32, y as u32, [255, 255, 255]);
                }
            }
        }
        let crop = warp_aligned(&photo, &to_crop).unwrap();
        assert_eq!((crop.width, crop.height), (112, 112));
        for t in TEMPLATE {
            let v = crop.pixel(t.x.round() as u32, t.y.round() as u32);
            assert!(v[0] > 200, "dot missing at {t:?}: {v:?}");
        }
        // Between the eyes there is nothing.
        assert!(crop.pixel(56, 40)[0] < 30);
    }
}
