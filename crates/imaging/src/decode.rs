//! Decoding a capture: JPEG or PNG, within limits, upright (EXIF orientation), in sRGB, and for
//! JPEG only at the resolution the standard photo needs (DCT scaling: 1/2, 1/4, 1/8).

use crate::raster::RgbImage;
use std::io::Cursor;

/// What a capture may cost before it is refused. A decompression bomb is a small file that
/// declares a huge image: the pixel limit refuses it before any pixel is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    pub max_bytes: usize,
    /// Width × height as declared by the file (before DCT scaling).
    pub max_pixels: u64,
    pub max_side: u32,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_bytes: 60 * 1024 * 1024,
            // A 100-megapixel medium-format camera fits; anything larger is not a portrait.
            max_pixels: 110_000_000,
            max_side: 20_000,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Jpeg,
    Png,
}

#[derive(Debug)]
pub struct Decoded {
    /// Upright, sRGB, possibly DCT-scaled.
    pub image: RgbImage,
    pub format: SourceFormat,
    /// Upright size of the full-resolution image.
    pub full_width: u32,
    pub full_height: u32,
    /// 1, 2, 4 or 8: `image` is the full image divided by this (JPEG only; PNG is always 1).
    pub scale_denominator: u32,
    /// EXIF orientation applied (1 when none).
    pub orientation: u16,
    /// True when an embedded ICC profile was converted to sRGB.
    pub converted_from_icc: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("文件为空")]
    Empty,
    #[error("文件过大（{size} 字节，上限 {limit} 字节）")]
    TooManyBytes { size: usize, limit: usize },
    #[error("不是 JPEG 或 PNG 图片")]
    UnknownFormat,
    #[error("图片尺寸过大（{width}×{height}），疑似解压炸弹，已拒绝")]
    TooManyPixels { width: u64, height: u64 },
    #[error("图片尺寸无效（{width}×{height}）")]
    BadDimensions { width: u32, height: u32 },
    #[error("图片已损坏，无法解码：{0}")]
    Corrupt(String),
    #[error("不支持的图片格式：{0}")]
    Unsupported(String),
}

/// Sniffs the format from the first bytes, never from a file name.
pub fn sniff(bytes: &[u8]) -> Option<SourceFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(SourceFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(SourceFormat::Png)
    } else {
        None
    }
}

/// Decodes `bytes`. For JPEG, the largest DCT scale whose upright result still has a shorter
/// side of at least `min_short_side` is used (0 = full size).
pub fn decode(
    bytes: &[u8],
    min_short_side: u32,
    limits: &DecodeLimits,
) -> Result<Decoded, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooManyBytes {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    match sniff(bytes) {
        Some(SourceFormat::Jpeg) => guard(|| decode_jpeg(bytes, min_short_side, limits)),
        Some(SourceFormat::Png) => guard(|| decode_png(bytes, limits)),
        None => Err(DecodeError::UnknownFormat),
    }
}

/// The decoders index into buffers sized from the file; a hostile file that trips an assertion
/// inside them must become an error for the photographer, not a crash of the station.
fn guard(f: impl FnOnce() -> Result<Decoded, DecodeError>) -> Result<Decoded, DecodeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(DecodeError::Corrupt("解码器拒绝了该文件".into())))
}

fn check_size(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::BadDimensions { width, height });
    }
    if width > limits.max_side
        || height > limits.max_side
        || width as u64 * height as u64 > limits.max_pixels
    {
        return Err(DecodeError::TooManyPixels {
            width: width as u64,
            height: height as u64,
        });
    }
    Ok(())
}

/// The scale denominator: the largest of 8, 4, 2 that keeps the shorter side ≥ `min_short`.
pub fn choose_denominator(width: u32, height: u32, min_short: u32) -> u32 {
    let short = width.min(height);
    [8u32, 4, 2]
        .into_iter()
        .find(|d| short.div_ceil(*d) >= min_short && min_short > 0)
        .unwrap_or(1)
}

fn decode_jpeg(
    bytes: &[u8],
    min_short_side: u32,
    limits: &DecodeLimits,
) -> Result<Decoded, DecodeError> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder
        .read_info()
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    let info = decoder
        .info()
        .ok_or_else(|| DecodeError::Corrupt("缺少图像头".into()))?;
    let (width, height) = (info.width as u32, info.height as u32);
    check_size(width, height, limits)?;
    let denominator = choose_denominator(width, height, min_short_side);
    if denominator > 1 {
        decoder
            .scale(
                width.div_ceil(denominator) as u16,
                height.div_ceil(denominator) as u16,
            )
            .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    }
    // Progressive files keep every coefficient of the full image while decoding.
    decoder.set_max_decoding_buffer_size(limits.max_pixels as usize * 4);
    let pixels = decoder
        .decode()
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    let info = decoder
        .info()
        .ok_or_else(|| DecodeError::Corrupt("缺少图像头".into()))?;
    let (w, h) = (info.width as u32, info.height as u32);
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&g| [g, g, g]).collect(),
        jpeg_decoder::PixelFormat::L16 => pixels
            .chunks_exact(2)
            .flat_map(|c| {
                let g = c[0];
                [g, g, g]
            })
            .collect(),
        // The decoder has already undone Adobe's inversion; a naive conversion is what a
        // capture would need (cameras never write CMYK; this is a scanned print at most).
        jpeg_decoder::PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let k = 255 - p[3] as u32;
                let f = |c: u8| ((255 - c as u32) * k / 255) as u8;
                [f(p[0]), f(p[1]), f(p[2])]
            })
            .collect(),
    };
    let mut image = RgbImage::from_raw(w, h, rgb)
        .ok_or_else(|| DecodeError::Corrupt("像素数据不完整".into()))?;
    let mut converted_from_icc = false;
    if info.pixel_format == jpeg_decoder::PixelFormat::RGB24
        && let Some(icc) = decoder.icc_profile()
    {
        converted_from_icc = to_srgb(&mut image, &icc);
    }
    let orientation = decoder.exif_data().and_then(exif_orientation).unwrap_or(1);
    finish(
        image,
        SourceFormat::Jpeg,
        width,
        height,
        denominator,
        orientation,
        converted_from_icc,
    )
}

fn decode_png(bytes: &[u8], limits: &DecodeLimits) -> Result<Decoded, DecodeError> {
    // IHDR is always the first chunk: refuse a declared bomb before the decoder reads further.
    if bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        let dim = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        check_size(dim(16), dim(20), limits)?;
    }
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: (limits.max_pixels as usize).saturating_mul(4),
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| match e {
        png::DecodingError::LimitsExceeded => DecodeError::TooManyPixels {
            width: 0,
            height: 0,
        },
        e => DecodeError::Corrupt(e.to_string()),
    })?;
    let (width, height) = (reader.info().width, reader.info().height);
    check_size(width, height, limits)?;
    let orientation = reader
        .info()
        .exif_metadata
        .as_deref()
        .and_then(exif_orientation)
        .unwrap_or(1);
    let icc = reader.info().icc_profile.as_ref().map(|c| c.to_vec());
    let size = reader
        .output_buffer_size()
        .ok_or(DecodeError::TooManyPixels {
            width: width as u64,
            height: height as u64,
        })?;
    let mut buf = vec![0; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    buf.truncate(frame.buffer_size());
    let n = width as usize * height as usize;
    // Transparent pixels go onto white: the wall of a standard photo is light.
    let over_white =
        |c: u8, a: u8| ((c as u32 * a as u32 + 255 * (255 - a as u32) + 127) / 255) as u8;
    let rgb: Vec<u8> = match frame.color_type {
        png::ColorType::Rgb => buf,
        png::ColorType::Rgba => buf
            .chunks_exact(4)
            .flat_map(|p| {
                [
                    over_white(p[0], p[3]),
                    over_white(p[1], p[3]),
                    over_white(p[2], p[3]),
                ]
            })
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g]).collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| {
                let g = over_white(p[0], p[1]);
                [g, g, g]
            })
            .collect(),
        png::ColorType::Indexed => {
            return Err(DecodeError::Unsupported("未展开的调色板 PNG".into()));
        }
    };
    if rgb.len() != n * 3 {
        return Err(DecodeError::Corrupt("像素数据不完整".into()));
    }
    let mut image = RgbImage::from_raw(width, height, rgb).expect("length checked");
    let converted = match (frame.color_type, icc) {
        (png::ColorType::Rgb | png::ColorType::Rgba, Some(icc)) => to_srgb(&mut image, &icc),
        _ => false,
    };
    finish(
        image,
        SourceFormat::Png,
        width,
        height,
        1,
        orientation,
        converted,
    )
}

fn finish(
    image: RgbImage,
    format: SourceFormat,
    width: u32,
    height: u32,
    scale_denominator: u32,
    orientation: u16,
    converted_from_icc: bool,
) -> Result<Decoded, DecodeError> {
    let image = image.oriented(orientation);
    let (full_width, full_height) = if (5..=8).contains(&orientation) {
        (height, width)
    } else {
        (width, height)
    };
    Ok(Decoded {
        image,
        format,
        full_width,
        full_height,
        scale_denominator,
        orientation,
        converted_from_icc,
    })
}

/// Converts pixels in an embedded profile's space to sRGB. Returns false (and leaves the pixels)
/// when the profile is unreadable or already sRGB-like.
fn to_srgb(image: &mut RgbImage, icc: &[u8]) -> bool {
    let Some(source) = qcms::Profile::new_from_slice(icc, false) else {
        return false;
    };
    if source.is_sRGB() {
        return false;
    }
    let srgb = qcms::Profile::new_sRGB();
    match qcms::Transform::new(
        &source,
        &srgb,
        qcms::DataType::RGB8,
        qcms::Intent::Perceptual,
    ) {
        Some(t) => {
            t.apply(&mut image.data);
            true
        }
        None => false,
    }
}

/// The orientation tag (0x0112) of raw EXIF data starting at the TIFF header.
pub fn exif_orientation(raw: &[u8]) -> Option<u16> {
    let exif = exif::Reader::new().read_raw(raw.to_vec()).ok()?;
    let field = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?;
    match field.value.get_uint(0)? {
        v @ 1..=8 => Some(v as u16),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denominators_keep_the_short_side_needed() {
        assert_eq!(choose_denominator(4000, 6000, 960), 4);
        assert_eq!(choose_denominator(4000, 6000, 1001), 2);
        assert_eq!(choose_denominator(4000, 6000, 480), 8);
        assert_eq!(choose_denominator(640, 480, 960), 1);
        assert_eq!(choose_denominator(4000, 6000, 0), 1);
    }

    #[test]
    fn sniffing_reads_bytes_not_names() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(SourceFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(SourceFormat::Png));
        assert_eq!(sniff(b"GIF89a"), None);
    }
}
