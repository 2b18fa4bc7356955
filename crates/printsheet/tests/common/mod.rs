//! Test helpers: a synthetic standard photo, decoding the sheets, reading JFIF.
#![allow(dead_code)]

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, RgbImage};

/// Where the synthetic photo's disc is and how big: a circle shows any stretching.
pub const DISC_CENTRE: (f64, f64) = (240.0, 300.0);
pub const DISC_RADIUS: f64 = 150.0;

/// A 480×640 portrait-like photo: light blue background, a dark disc for the head, grey
/// shoulders, encoded with image's JpegEncoder.
pub fn synthetic_photo() -> Vec<u8> {
    let img = RgbImage::from_fn(480, 640, |x, y| {
        let (fx, fy) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        let d = ((fx - DISC_CENTRE.0).powi(2) + (fy - DISC_CENTRE.1).powi(2)).sqrt();
        if d <= DISC_RADIUS {
            image::Rgb([40, 30, 30])
        } else if fy > 520.0 {
            image::Rgb([150, 150, 170])
        } else {
            image::Rgb([200, 222, 245])
        }
    });
    encode(&img)
}

pub fn encode(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

pub fn decode(jpeg: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .unwrap()
        .into_rgb8()
}

/// The JFIF APP0 density: (units, x, y). Units 1 = dots per inch.
pub fn jfif_density(jpeg: &[u8]) -> Option<(u8, u16, u16)> {
    if jpeg.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut i = 2;
    while i + 4 <= jpeg.len() {
        if jpeg[i] != 0xFF {
            return None;
        }
        let marker = jpeg[i + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        let body = jpeg.get(i + 4..i + 2 + len)?;
        if marker == 0xE0 && body.starts_with(b"JFIF\0") && body.len() >= 12 {
            return Some((
                body[7],
                u16::from_be_bytes([body[8], body[9]]),
                u16::from_be_bytes([body[10], body[11]]),
            ));
        }
        if marker == 0xDA {
            return None;
        }
        i += 2 + len;
    }
    None
}

/// The start-of-frame marker (0xC0 baseline, 0xC2 progressive).
pub fn sof_marker(jpeg: &[u8]) -> Option<u8> {
    let mut i = 2;
    while i + 4 <= jpeg.len() {
        let marker = jpeg[i + 1];
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            return Some(marker);
        }
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        i += 2 + len;
    }
    None
}

pub fn is_white(p: &image::Rgb<u8>) -> bool {
    p.0.iter().all(|&c| c >= 235)
}

/// Bounding boxes (x, y, w, h) of the 8-connected non-white regions of at least `min_side`
/// on both sides.
pub fn regions(img: &RgbImage, min_side: u32) -> Vec<(u32, u32, u32, u32)> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    // 1 = ink not yet visited.
    let mut mask: Vec<u8> = img
        .as_raw()
        .chunks_exact(3)
        .map(|p| u8::from(p[0] < 235 || p[1] < 235 || p[2] < 235))
        .collect();
    let mut out = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    for start in 0..mask.len() {
        if mask[start] == 0 {
            continue;
        }
        mask[start] = 0;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let j = ny * w + nx;
                    if mask[j] == 1 {
                        mask[j] = 0;
                        stack.push(j);
                    }
                }
            }
        }
        let (bw, bh) = ((x1 - x0 + 1) as u32, (y1 - y0 + 1) as u32);
        if bw >= min_side && bh >= min_side {
            out.push((x0 as u32, y0 as u32, bw, bh));
        }
    }
    out
}
