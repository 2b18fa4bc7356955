//! Reading collection-code QR codes (学信网图像采集码) from a still image or a camera frame.
//!
//! What the CHSI code holds is not public, so the payload is kept as the raw text it decodes to;
//! matching it against the roster is the caller's business. rqrr binarises with one global
//! rule, which misses codes on a phone held in uneven light, slightly out of focus or small in
//! the frame. So the frame goes through a few passes, cheapest first: the grey frame as it is;
//! its contrast stretched (a dim screen, grey print); a local-mean (adaptive) threshold, for
//! uneven light; a sharpened copy, for blur; and twice the size, for codes whose modules are a
//! pixel or two wide. A live frame stops at the first pass that finds a code.
//! [`frame_with_code`] draws the other way, for demos and tests.

mod draw;

pub use draw::{DrawError, frame_with_code, svg_with_code};
use serde::Serialize;

/// A grey image, one byte a pixel, row after row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GreyImage {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

impl GreyImage {
    /// `None` when `data` is not `width × height` bytes.
    pub fn new(width: usize, height: usize, data: Vec<u8>) -> Option<GreyImage> {
        (width.checked_mul(height)? == data.len()).then_some(GreyImage {
            width,
            height,
            data,
        })
    }

    /// Luma (BT.601) of interleaved RGB bytes.
    pub fn from_rgb(width: usize, height: usize, rgb: &[u8]) -> Option<GreyImage> {
        if width.checked_mul(height)?.checked_mul(3)? != rgb.len() {
            return None;
        }
        let data = rgb
            .chunks_exact(3)
            .map(|p| ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8)
            .collect();
        Some(GreyImage {
            width,
            height,
            data,
        })
    }

    fn at(&self, x: usize, y: usize) -> u8 {
        self.data[y * self.width + x]
    }
}

/// One code found in the image.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FoundCode {
    /// The text the code holds, exactly as decoded.
    pub payload: String,
    /// The code's four corners, in the input image's pixels.
    pub corners: [(f32, f32); 4],
    /// Which pass found it: `plain`, `stretched`, `adaptive`, `sharpened` or `enlarged`.
    pub pass: &'static str,
}

impl FoundCode {
    fn centre(&self) -> (f32, f32) {
        let (sx, sy) = self
            .corners
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        (sx / 4.0, sy / 4.0)
    }

    fn side(&self) -> f32 {
        let (x0, y0) = self.corners[0];
        let (x1, y1) = self.corners[1];
        ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt()
    }
}

/// How far [`scan`] may go.
#[derive(Clone, Copy, Debug)]
pub struct ScanOptions {
    /// Run the later passes even when an earlier one found codes (a still image, where two
    /// codes in different light may need different passes). A live frame stops at the first
    /// pass that finds something.
    pub exhaustive: bool,
    /// Frames larger than this on their long side are halved first: rqrr's cost grows with
    /// the pixel count and a phone screen filling a tenth of a 1280-pixel frame is still
    /// readable.
    pub max_side: usize,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            exhaustive: true,
            max_side: 2000,
        }
    }
}

/// One preprocessing pass in front of rqrr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    Plain,
    Stretched,
    Adaptive,
    Sharpened,
    Enlarged,
    /// The middle quarter of the frame at twice the size: where a phone is held up to the
    /// camera, at the cost of one plain pass.
    CentreEnlarged,
}

impl Pass {
    pub const ALL: [Pass; 5] = [
        Pass::Plain,
        Pass::Stretched,
        Pass::Adaptive,
        Pass::Sharpened,
        Pass::Enlarged,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Pass::Plain => "plain",
            Pass::Stretched => "stretched",
            Pass::Adaptive => "adaptive",
            Pass::Sharpened => "sharpened",
            Pass::Enlarged => "enlarged",
            Pass::CentreEnlarged => "centre-enlarged",
        }
    }

    /// The prepared image, the factor and the offset back to the input's pixels.
    fn prepare(self, g: &GreyImage) -> (GreyImage, f32, (f32, f32)) {
        match self {
            Pass::Plain => (g.clone(), 1.0, (0.0, 0.0)),
            Pass::Stretched => (stretch_contrast(g), 1.0, (0.0, 0.0)),
            Pass::Adaptive => (adaptive_threshold(g, 7, 2), 1.0, (0.0, 0.0)),
            Pass::Sharpened => (sharpen(g), 1.0, (0.0, 0.0)),
            Pass::Enlarged => (double(g), 0.5, (0.0, 0.0)),
            Pass::CentreEnlarged => {
                let (x0, y0) = (g.width / 4, g.height / 4);
                let (w, h) = (g.width / 2, g.height / 2);
                let mut data = Vec::with_capacity(w * h);
                for y in y0..y0 + h {
                    data.extend_from_slice(&g.data[y * g.width + x0..y * g.width + x0 + w]);
                }
                let centre = GreyImage {
                    width: w,
                    height: h,
                    data,
                };
                (double(&centre), 0.5, (x0 as f32, y0 as f32))
            }
        }
    }
}

/// Every QR code in `image`, top to bottom then left to right, each payload once.
pub fn scan(image: &GreyImage, options: ScanOptions) -> Vec<FoundCode> {
    scan_with(image, options, &Pass::ALL)
}

fn scan_with(image: &GreyImage, options: ScanOptions, passes: &[Pass]) -> Vec<FoundCode> {
    let mut scale = 1.0f32;
    let mut work = image.clone();
    while work.width.max(work.height) > options.max_side.max(64) {
        work = halve(&work);
        scale *= 2.0;
    }
    let mut found: Vec<FoundCode> = Vec::new();
    for &pass in passes {
        if !found.is_empty() && !options.exhaustive {
            break;
        }
        // An enlarged copy of an already large frame costs much and adds nothing.
        if pass == Pass::Enlarged && work.width.max(work.height) > 1400 {
            continue;
        }
        let (prepared, k, (ox, oy)) = pass.prepare(&work);
        for code in decode_all(&prepared) {
            if found.iter().any(|f| f.payload == code.0) {
                continue;
            }
            found.push(FoundCode {
                payload: code.0,
                corners: code
                    .1
                    .map(|(x, y)| ((x * k + ox) * scale, (y * k + oy) * scale)),
                pass: pass.name(),
            });
        }
    }
    reading_order(&mut found);
    found
}

/// Scanning a live preview: each frame gets the plain pass and one of the others in turn (the
/// enlargement only of the frame's middle, where the phone is held), so
/// a frame costs at most two passes (the frames without a code, most of them, included) and a
/// code that needs a particular pass is read within a few frames — a phone is held up for
/// seconds, the preview runs at 15 fps or more.
#[derive(Debug, Default)]
pub struct LiveScanner {
    next: usize,
}

impl LiveScanner {
    pub fn scan_frame(&mut self, frame: &GreyImage) -> Vec<FoundCode> {
        let extras = [
            Pass::Stretched,
            Pass::Adaptive,
            Pass::Sharpened,
            Pass::CentreEnlarged,
        ];
        let extra = extras[self.next % extras.len()];
        self.next += 1;
        let options = ScanOptions {
            exhaustive: false,
            ..ScanOptions::default()
        };
        scan_with(frame, options, &[Pass::Plain, extra])
    }
}

/// Top to bottom, then left to right among codes on the same line (centres closer vertically
/// than half a code's side).
fn reading_order(codes: &mut [FoundCode]) {
    codes.sort_by(|a, b| a.centre().1.total_cmp(&b.centre().1));
    let mut start = 0;
    while start < codes.len() {
        let (_, y0) = codes[start].centre();
        let tolerance = codes[start].side() / 2.0;
        let mut end = start + 1;
        while end < codes.len() && codes[end].centre().1 - y0 <= tolerance {
            end += 1;
        }
        codes[start..end].sort_by(|a, b| a.centre().0.total_cmp(&b.centre().0));
        start = end;
    }
}

type Corners = [(f32, f32); 4];

fn decode_all(image: &GreyImage) -> Vec<(String, Corners)> {
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(image.width, image.height, |x, y| {
            image.at(x, y)
        });
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| {
            let corners = grid.bounds.map(|p| (p.x as f32, p.y as f32));
            grid.decode().ok().map(|(_, text)| (text, corners))
        })
        .collect()
}

/// Mean over a (2r+1)² window from an integral image, clipped at the borders.
fn local_mean(image: &GreyImage, r: usize) -> Vec<u32> {
    let (w, h) = (image.width, image.height);
    let mut integral = vec![0u64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u64;
        for x in 0..w {
            row += image.at(x, y) as u64;
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
        }
    }
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let sum = integral[y1 * (w + 1) + x1] + integral[y0 * (w + 1) + x0]
                - integral[y0 * (w + 1) + x1]
                - integral[y1 * (w + 1) + x0];
            out.push((sum / ((y1 - y0) * (x1 - x0)) as u64) as u32);
        }
    }
    out
}

/// Black where a pixel is darker than its neighbourhood's mean by more than `offset`.
pub fn adaptive_threshold(image: &GreyImage, r: usize, offset: u32) -> GreyImage {
    let mean = local_mean(image, r);
    let data = image
        .data
        .iter()
        .zip(&mean)
        .map(|(&v, &m)| if (v as u32) + offset < m { 0 } else { 255 })
        .collect();
    GreyImage {
        data,
        ..image.clone()
    }
}

/// The 1st to the 99th percentile of the grey levels spread over 0–255.
pub fn stretch_contrast(image: &GreyImage) -> GreyImage {
    let mut histogram = [0usize; 256];
    for &v in &image.data {
        histogram[v as usize] += 1;
    }
    let n = image.data.len();
    let percentile = |share: usize| {
        let mut seen = 0;
        for (level, &count) in histogram.iter().enumerate() {
            seen += count;
            if seen * 100 >= n * share {
                return level as u32;
            }
        }
        255
    };
    let (low, high) = (percentile(1), percentile(99));
    let span = high.saturating_sub(low).max(1);
    let data = image
        .data
        .iter()
        .map(|&v| ((v as u32).saturating_sub(low) * 255 / span).min(255) as u8)
        .collect();
    GreyImage {
        data,
        ..image.clone()
    }
}

/// Unsharp mask: twice the pixel minus its 3×3 mean.
pub fn sharpen(image: &GreyImage) -> GreyImage {
    let mean = local_mean(image, 1);
    let data = image
        .data
        .iter()
        .zip(&mean)
        .map(|(&v, &m)| (2 * v as i32 - m as i32).clamp(0, 255) as u8)
        .collect();
    GreyImage {
        data,
        ..image.clone()
    }
}

fn halve(image: &GreyImage) -> GreyImage {
    let (w, h) = (image.width / 2, image.height / 2);
    let mut data = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let s = image.at(2 * x, 2 * y) as u32
                + image.at(2 * x + 1, 2 * y) as u32
                + image.at(2 * x, 2 * y + 1) as u32
                + image.at(2 * x + 1, 2 * y + 1) as u32;
            data.push((s / 4) as u8);
        }
    }
    GreyImage {
        width: w,
        height: h,
        data,
    }
}

fn double(image: &GreyImage) -> GreyImage {
    let (w, h) = (image.width * 2, image.height * 2);
    let mut data = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            data.push(image.at(x / 2, y / 2));
        }
    }
    GreyImage {
        width: w,
        height: h,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(payload: &str, x: f32, y: f32) -> FoundCode {
        FoundCode {
            payload: payload.into(),
            corners: [
                (x, y),
                (x + 100.0, y),
                (x + 100.0, y + 100.0),
                (x, y + 100.0),
            ],
            pass: "plain",
        }
    }

    #[test]
    fn codes_are_read_top_to_bottom_then_left_to_right() {
        let mut codes = vec![
            code("bottom", 0.0, 400.0),
            code("right", 300.0, 10.0),
            code("left", 0.0, 30.0),
        ];
        reading_order(&mut codes);
        let order: Vec<&str> = codes.iter().map(|c| c.payload.as_str()).collect();
        assert_eq!(order, ["left", "right", "bottom"]);
    }

    #[test]
    fn adaptive_threshold_separates_a_dim_pattern_in_a_gradient() {
        // A faint dark square (−20) on a bright-to-dark ramp: no global threshold splits it.
        let (w, h) = (64, 32);
        let data = (0..w * h)
            .map(|k| {
                let (x, y) = (k % w, k / w);
                let base = 230 - x * 3;
                let dark = (8..16).contains(&(x % 24)) && (8..24).contains(&y);
                (base - if dark { 20 } else { 0 }) as u8
            })
            .collect();
        let img = GreyImage::new(w, h, data).unwrap();
        let t = adaptive_threshold(&img, 7, 4);
        assert_eq!(t.at(12, 16), 0);
        assert_eq!(t.at(20, 16), 255);
        assert_eq!(t.at(60, 16), 0, "the dark square at the ramp's dim end");
    }

    #[test]
    fn sizes_that_do_not_match_are_refused() {
        assert!(GreyImage::new(3, 3, vec![0; 8]).is_none());
        assert!(GreyImage::from_rgb(2, 2, &[0; 11]).is_none());
        assert!(GreyImage::new(usize::MAX, 2, vec![]).is_none());
    }
}
