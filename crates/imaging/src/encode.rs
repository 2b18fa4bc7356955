//! Encoding the standard photo: baseline JPEG, JFIF with the spec's dpi, sRGB (JFIF's colour
//! space, no profile needed), no alpha, at the quality that lands inside the file-size window.

use crate::raster::RgbImage;
use crate::spec::PhotoSpec;
use jpeg_encoder::{ColorType, Encoder, PixelDensity};

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("JPEG 编码失败：{0}")]
    Jpeg(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub quality: u8,
    /// False when no quality from `min_quality` to 100 lands inside the window; `bytes` is then
    /// the closest one.
    pub in_window: bool,
}

pub fn encode_at(image: &RgbImage, quality: u8, dpi: u16) -> Result<Vec<u8>, EncodeError> {
    encode_with(image, quality, dpi, true)
}

/// Optimised Huffman tables save 5–10% of the file for a second pass over the data; the
/// quality search probes without them (a file that fits without them fits with them).
fn encode_with(
    image: &RgbImage,
    quality: u8,
    dpi: u16,
    optimize: bool,
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(64 * 1024);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_density(PixelDensity::dpi(dpi));
    encoder.set_optimized_huffman_tables(optimize);
    encoder
        .encode(
            &image.data,
            image.width as u16,
            image.height as u16,
            ColorType::Rgb,
        )
        .map_err(|e| EncodeError::Jpeg(e.to_string()))?;
    Ok(out)
}

/// The highest quality whose file fits under the window's top; file size grows with quality,
/// so a binary search over `min_quality..=100` needs about six quick probes and one final
/// encode with optimised tables.
pub fn encode_in_window(image: &RgbImage, spec: &PhotoSpec) -> Result<Encoded, EncodeError> {
    let (mut lo, mut hi) = (spec.min_quality.clamp(1, 100), 100u8);
    let mut best: Option<u8> = None;
    while lo <= hi {
        let q = lo + (hi - lo) / 2;
        let size = encode_with(image, q, spec.dpi, false)?.len();
        if size <= spec.max_bytes {
            best = Some(q);
            lo = q + 1;
        } else {
            if q == 0 {
                break;
            }
            hi = q - 1;
        }
    }
    match best {
        Some(quality) => {
            let bytes = encode_at(image, quality, spec.dpi)?;
            Ok(Encoded {
                in_window: bytes.len() >= spec.min_bytes,
                bytes,
                quality,
            })
        }
        None => {
            // Even the lowest allowed quality is too big: keep it and say so.
            let quality = spec.min_quality.clamp(1, 100);
            Ok(Encoded {
                bytes: encode_at(image, quality, spec.dpi)?,
                quality,
                in_window: false,
            })
        }
    }
}

/// What a finished JPEG says about itself, read from its markers (not decoded): enough for the
/// delivery checker. Refuses anything that is not a JPEG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JpegFacts {
    pub width: u16,
    pub height: u16,
    pub components: u8,
    pub progressive: bool,
    /// JFIF density as (unit, x, y): unit 1 = dots per inch, 2 = per cm, 0 = aspect ratio only.
    pub density: Option<(u8, u16, u16)>,
}

impl JpegFacts {
    pub fn dpi(&self) -> Option<(f32, f32)> {
        match self.density? {
            (1, x, y) => Some((x as f32, y as f32)),
            (2, x, y) => Some((x as f32 * 2.54, y as f32 * 2.54)),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MarkerError {
    #[error("不是 JPEG 文件")]
    NotJpeg,
    #[error("JPEG 文件结构损坏：{0}")]
    Broken(&'static str),
}

pub fn read_jpeg_facts(bytes: &[u8]) -> Result<JpegFacts, MarkerError> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err(MarkerError::NotJpeg);
    }
    let mut i = 2usize;
    let mut density = None;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while bytes.get(i) == Some(&0xFF) && bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(i), bytes.get(i + 1)) else {
            return Err(MarkerError::Broken("找不到图像帧头"));
        };
        i += 2;
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            return Err(MarkerError::Broken("图像数据之前没有帧头"));
        }
        let len = match (bytes.get(i), bytes.get(i + 1)) {
            (Some(&a), Some(&b)) => u16::from_be_bytes([a, b]) as usize,
            _ => return Err(MarkerError::Broken("段长度缺失")),
        };
        if len < 2 || i + len > bytes.len() {
            return Err(MarkerError::Broken("段长度越界"));
        }
        let body = &bytes[i + 2..i + len];
        match marker {
            0xE0 if body.starts_with(b"JFIF\0") && body.len() >= 12 => {
                density = Some((
                    body[7],
                    u16::from_be_bytes([body[8], body[9]]),
                    u16::from_be_bytes([body[10], body[11]]),
                ));
            }
            0xC0..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => {
                if body.len() < 6 {
                    return Err(MarkerError::Broken("帧头过短"));
                }
                return Ok(JpegFacts {
                    height: u16::from_be_bytes([body[1], body[2]]),
                    width: u16::from_be_bytes([body[3], body[4]]),
                    components: body[5],
                    progressive: matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE),
                    density,
                });
            }
            _ => {}
        }
        i += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn textured(w: u32, h: u32) -> RgbImage {
        let mut img = RgbImage::new(w, h);
        let mut seed = 7u32;
        for y in 0..h {
            for x in 0..w {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let n = (seed >> 24) as u8 / 24;
                img.put(
                    x,
                    y,
                    [(x % 256) as u8 / 2 + n, (y % 256) as u8 / 2 + n, 128],
                );
            }
        }
        img
    }

    #[test]
    fn the_encoder_lands_in_the_window_and_records_300_dpi() {
        let spec = PhotoSpec::default();
        let e = encode_in_window(&textured(480, 640), &spec).unwrap();
        assert!(e.in_window, "{} bytes at q{}", e.bytes.len(), e.quality);
        assert!((spec.min_bytes..=spec.max_bytes).contains(&e.bytes.len()));
        let facts = read_jpeg_facts(&e.bytes).unwrap();
        assert_eq!((facts.width, facts.height, facts.components), (480, 640, 3));
        assert!(!facts.progressive);
        assert_eq!(facts.dpi(), Some((300.0, 300.0)));
    }

    #[test]
    fn a_flat_image_that_cannot_reach_the_window_is_flagged() {
        let spec = PhotoSpec::default();
        let e = encode_in_window(&RgbImage::filled(480, 640, [100, 197, 255]), &spec).unwrap();
        assert!(!e.in_window);
        assert_eq!(e.quality, 100);
    }

    #[test]
    fn marker_reader_refuses_what_is_not_a_jpeg() {
        assert_eq!(read_jpeg_facts(b"GIF89a"), Err(MarkerError::NotJpeg));
        assert!(matches!(
            read_jpeg_facts(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00]),
            Err(MarkerError::Broken(_))
        ));
        assert!(matches!(
            read_jpeg_facts(&[0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF]),
            Err(MarkerError::Broken(_))
        ));
    }

    proptest! {
        #[test]
        fn marker_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut b = vec![0xFF, 0xD8];
            b.extend(bytes);
            let _ = read_jpeg_facts(&b);
        }
    }
}
