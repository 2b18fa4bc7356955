//! Framing: from the eyes and the face box to the crop that puts the face where the spec wants
//! it, levelled, and its rendering to the output size.

use crate::checks::{HeadTop, find_head_top};
use crate::detect::{Detection, Point};
use crate::raster::{Filter, RgbImage};
use crate::spec::PhotoSpec;
use serde::Serialize;

/// Vertical distance from the eye line to the top of the hair as a share of the face box's
/// width, used when the hair cannot be told from the wall.
pub const HAIR_ABOVE_EYES: f32 = 0.85;

/// The skull alone above the eyes, short hair included: a head shorter than this above its eyes
/// does not exist, so a capture edge below it has cut the head off.
pub const MIN_HEAD_ABOVE_EYES: f32 = 0.65;

/// A similarity transform from the (decoded) capture to the output:
/// `out = eye_out + scale * R(angle) * (p - eye)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Framing {
    /// Rotation applied to level the eyes, in degrees (0 when the roll is out of range).
    pub angle_deg: f32,
    /// Output pixels per capture pixel (of the decoded image).
    pub scale: f32,
    /// Eye centre in the capture.
    pub eye: Point,
    /// Where the eye centre lands in the output.
    pub eye_out: Point,
    /// Output rows above the capture's top edge, filled with the capture's edge colour.
    pub padded_top: u32,
    /// The crop was moved or resized to stay inside the capture at the sides or bottom.
    pub constrained: bool,
    /// How the top of the hair was placed: measured against the wall, or estimated.
    pub head_top_measured: bool,
}

impl Framing {
    pub fn forward(&self, p: Point) -> Point {
        let (s, c) = self.angle_deg.to_radians().sin_cos();
        let (dx, dy) = (p.x - self.eye.x, p.y - self.eye.y);
        Point {
            x: self.eye_out.x + self.scale * (dx * c - dy * s),
            y: self.eye_out.y + self.scale * (dx * s + dy * c),
        }
    }

    pub fn inverse(&self, q: Point) -> Point {
        let (s, c) = self.angle_deg.to_radians().sin_cos();
        let (dx, dy) = (
            (q.x - self.eye_out.x) / self.scale,
            (q.y - self.eye_out.y) / self.scale,
        );
        Point {
            x: self.eye.x + dx * c + dy * s,
            y: self.eye.y - dx * s + dy * c,
        }
    }
}

/// Plans the crop for `face` in `image`: face width at the middle of its band, eyes level when
/// the roll is within range, the hair's top at the middle of its band (by moving the eye line
/// within its band, then by shrinking the face within its band), centred, and kept inside the
/// capture at the sides and bottom. Padding is allowed only above the head.
///
/// `hair_above_eyes` (output pixels at the middle face width), when known from a person mask,
/// replaces the measurement on the preview.
pub fn plan(
    image: &RgbImage,
    face: &Detection,
    roll_deg: f32,
    spec: &PhotoSpec,
    hair_above_eyes: Option<f32>,
) -> Framing {
    let (ow, oh) = (spec.width as f32, spec.height as f32);
    let angle_deg = if roll_deg.abs() <= spec.max_roll_deg {
        -roll_deg
    } else {
        0.0
    };
    let eye = face.landmarks.eye_centre();
    let base_scale = spec.face_width.mid() / face.bbox.w.max(1.0);
    let mut framing = Framing {
        angle_deg,
        scale: base_scale,
        eye,
        eye_out: Point {
            x: ow / 2.0 + centre_shift(face, eye),
            y: spec.eye_line.mid(),
        },
        padded_top: 0,
        constrained: false,
        head_top_measured: false,
    };
    // Measure the hair on a half-size preview with the default placement, then place it.
    let half = Framing {
        scale: framing.scale / 2.0,
        eye_out: Point {
            x: framing.eye_out.x / 2.0,
            y: framing.eye_out.y / 2.0,
        },
        ..framing
    };
    let preview = sample_directly(image, &half, spec.width / 2, spec.height / 2);
    let hair_above_eyes = match (hair_above_eyes, head_top_in(&preview, face, &half)) {
        (Some(known), _) => {
            framing.head_top_measured = true;
            known
        }
        (None, HeadTop::At(y)) => {
            framing.head_top_measured = true;
            framing.eye_out.y - 2.0 * y
        }
        (None, HeadTop::CutOff | HeadTop::Unknown) => HAIR_ABOVE_EYES * face.bbox.w * framing.scale,
    };
    let eye_band = (spec.eye_line.min + 5.0, spec.eye_line.max - 5.0);
    let wanted_eye = spec.head_top.mid() + hair_above_eyes;
    if wanted_eye > eye_band.1 {
        // Tall hair: shrink the face (within its band) so the whole head fits under the margin.
        let shrink = ((eye_band.1 - spec.head_top.mid()) / hair_above_eyes)
            .max((spec.face_width.min + 5.0) / spec.face_width.mid());
        framing.scale *= shrink;
        framing.eye_out.y =
            (spec.head_top.mid() + hair_above_eyes * shrink).clamp(eye_band.0, eye_band.1);
    } else {
        framing.eye_out.y = wanted_eye.max(eye_band.0);
    }
    framing.eye_out.x = ow / 2.0 + centre_shift(face, eye) * framing.scale / base_scale;
    keep_inside(image, &mut framing, spec, ow, oh);
    framing.padded_top = padded_rows(image, &framing, spec);
    framing
}

/// How far the eye centre sits from the face box's centre, in output pixels at the base scale:
/// the output centres the face, not the eyes (they differ when the head is turned).
fn centre_shift(face: &Detection, eye: Point) -> f32 {
    let scale = 240.0 / face.bbox.w.max(1.0);
    (eye.x - face.bbox.centre().x) * scale
}

/// Moves (then enlarges) the crop so no output column or bottom row falls outside the capture:
/// only the top may be padded.
fn keep_inside(image: &RgbImage, f: &mut Framing, spec: &PhotoSpec, ow: f32, oh: f32) {
    let (w, h) = (image.width as f32, image.height as f32);
    let (sin, cos) = f.angle_deg.to_radians().sin_cos();
    // A turned output rectangle covers this much of the capture's width.
    let min_scale = (ow * cos.abs() + oh * sin.abs()) / w;
    if f.scale < min_scale {
        f.scale = min_scale * 1.0005;
        f.constrained = true;
    }
    for _ in 0..8 {
        let corners = [
            f.inverse(Point { x: 0.0, y: 0.0 }),
            f.inverse(Point { x: ow, y: 0.0 }),
            f.inverse(Point { x: 0.0, y: oh }),
            f.inverse(Point { x: ow, y: oh }),
        ];
        let min_x = corners.iter().map(|p| p.x).fold(f32::MAX, f32::min);
        let max_x = corners.iter().map(|p| p.x).fold(f32::MIN, f32::max);
        let max_y = corners[2].y.max(corners[3].y);
        let dx = if min_x < 0.0 {
            -min_x
        } else if max_x > w {
            w - max_x
        } else {
            0.0
        };
        let dy = if max_y > h { h - max_y } else { 0.0 };
        if dx.abs() < 0.01 && dy.abs() < 0.01 {
            return;
        }
        f.constrained = true;
        // Moving the crop by (dx, dy) in the capture moves everything by the opposite in the
        // output: the eye lands where the capture point eye − (dx, dy) used to.
        let moved = f.forward(Point {
            x: f.eye.x - dx,
            y: f.eye.y - dy,
        });
        f.eye_out = moved;
        if f.eye_out.y > spec.eye_line.max {
            // The body ends too soon below the face: zoom in about the eyes instead.
            f.eye_out.y = spec.eye_line.max;
            let below = (h - f.eye.y).max(1.0);
            f.scale = f.scale.max((oh - f.eye_out.y) / below);
        }
    }
}

fn padded_rows(image: &RgbImage, f: &Framing, spec: &PhotoSpec) -> u32 {
    let _ = image;
    let mid = spec.width as f32 / 2.0;
    (0..spec.height)
        .take_while(|&y| {
            f.inverse(Point {
                x: mid,
                y: y as f32 + 0.5,
            })
            .y < 0.0
        })
        .count() as u32
}

/// The top of the hair in an output rendered with `framing`, or `CutOff` when the hair starts
/// at the capture's own top edge (the padding above is not hair).
pub fn head_top_in(output: &RgbImage, face: &Detection, framing: &Framing) -> HeadTop {
    let face_out = face.map(|p| framing.forward(p));
    let padded = (0..output.height)
        .take_while(|&y| {
            framing
                .inverse(Point {
                    x: face_out.bbox.centre().x,
                    y: y as f32 + 0.5,
                })
                .y
                < 0.0
        })
        .count() as u32;
    let least_head_top = face_out.landmarks.eye_centre().y - MIN_HEAD_ABOVE_EYES * face_out.bbox.w;
    match find_head_top(output, &face_out.bbox, padded) {
        // Where the wall cannot be read, the least head height above the eyes anyone has
        // still says when the head runs past the capture's top edge.
        HeadTop::Unknown if padded > 0 && least_head_top < padded as f32 => HeadTop::CutOff,
        other => other,
    }
}

/// Where the top of the hair usually is, from the eyes and the face's width.
pub fn estimated_head_top(face: &Detection) -> f32 {
    face.landmarks.eye_centre().y - HAIR_ABOVE_EYES * face.bbox.w
}

/// One bilinear sample per output pixel: aliased when shrinking, good enough to find a hairline.
fn sample_directly(image: &RgbImage, f: &Framing, width: u32, height: u32) -> RgbImage {
    let edge = top_edge_colour(image);
    let mut out = RgbImage::new(width.max(1), height.max(1));
    for v in 0..out.height {
        for u in 0..out.width {
            let p = f.inverse(Point {
                x: u as f32 + 0.5,
                y: v as f32 + 0.5,
            });
            let rgb = if p.y < -0.5 {
                edge
            } else {
                image.sample(p.x - 0.5, p.y - 0.5).map(|c| c.round() as u8)
            };
            out.put(u, v, rgb);
        }
    }
    out
}

/// Renders the framing: the capture is resampled at its own resolution (bilinear, rotated) into
/// an intermediate, which a Lanczos filter brings to the output size. Rows above the capture's
/// top edge get the mean colour of its top rows.
pub fn render(image: &RgbImage, f: &Framing, spec: &PhotoSpec) -> RgbImage {
    let (ow, oh) = (spec.width, spec.height);
    let iw = ((ow as f32 / f.scale).round() as u32).clamp(1, 8192);
    let ih = ((oh as f32 / f.scale).round() as u32).clamp(1, 8192);
    let edge = top_edge_colour(image);
    let (kx, ky) = (ow as f32 / iw as f32, oh as f32 / ih as f32);
    let mut inter = RgbImage::new(iw, ih);
    for b in 0..ih {
        for a in 0..iw {
            let q = Point {
                x: (a as f32 + 0.5) * kx,
                y: (b as f32 + 0.5) * ky,
            };
            let p = f.inverse(q);
            let rgb = if p.y < -0.5 {
                edge
            } else {
                let s = image.sample(p.x - 0.5, p.y - 0.5);
                [s[0].round() as u8, s[1].round() as u8, s[2].round() as u8]
            };
            inter.put(a, b, rgb);
        }
    }
    if (iw, ih) == (ow, oh) {
        inter
    } else {
        inter.resized(ow, oh, Filter::Lanczos3)
    }
}

fn top_edge_colour(image: &RgbImage) -> [u8; 3] {
    let rows = (image.height / 100).clamp(1, 8);
    let mut acc = [0u64; 3];
    let mut n = 0u64;
    for y in 0..rows {
        for x in 0..image.width {
            let p = image.pixel(x, y);
            for k in 0..3 {
                acc[k] += p[k] as u64;
            }
            n += 1;
        }
    }
    acc.map(|a| (a / n.max(1)) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_and_inverse_are_each_others_inverse() {
        let f = Framing {
            angle_deg: 6.0,
            scale: 0.37,
            eye: Point {
                x: 812.0,
                y: 1020.0,
            },
            eye_out: Point { x: 236.0, y: 251.0 },
            padded_top: 0,
            constrained: false,
            head_top_measured: false,
        };
        for p in [
            Point { x: 0.0, y: 0.0 },
            Point {
                x: 1500.0,
                y: 333.0,
            },
            Point {
                x: -20.0,
                y: 4000.0,
            },
        ] {
            let back = f.inverse(f.forward(p));
            assert!(
                (back.x - p.x).abs() < 1e-2 && (back.y - p.y).abs() < 1e-2,
                "{p:?} -> {back:?}"
            );
        }
        assert_eq!(f.forward(f.eye), f.eye_out);
    }
}
