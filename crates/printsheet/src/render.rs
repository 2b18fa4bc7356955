//! Drawing a plan: the student's photo cover-cropped to each size, cutting guides, the label,
//! and each sheet encoded as a baseline JPEG with the dpi in its JFIF header.

use crate::font::LabelFont;
use crate::geometry::{Rect, Sheet, SheetPlan};
use ab_glyph::{Font, GlyphId, PxScale, ScaleFont, point};
use fast_image_resize as fr;
use std::io::Cursor;

/// The cutting guide: 1 px, just outside each photo.
pub const GUIDE_RGB: [u8; 3] = [0xA0, 0xA0, 0xA0];
/// Label text colour.
pub const LABEL_RGB: [u8; 3] = [0x30, 0x30, 0x30];
/// JPEG quality of the sheets (baseline, 4:2:0).
pub const JPEG_QUALITY: u8 = 92;

/// The largest photo accepted (per side); a standard photo is 480×640.
const MAX_PHOTO_SIDE: u32 = 12_000;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("照片无法读取 (the photo cannot be decoded): {0}")]
    Decode(String),
    #[error("照片缩放失败 (the photo cannot be resized): {0}")]
    Resize(String),
    #[error("排版无效 (the sheet plan is invalid): {0}")]
    InvalidPlan(String),
    #[error("相纸编码失败 (the sheet cannot be encoded as JPEG): {0}")]
    Encode(String),
}

/// Renders every sheet of `plan` with the student's photo (any JPEG; a standard photo is
/// 480×640) and returns one baseline JPEG per sheet (quality 92, the plan's dpi in JFIF).
///
/// `label` (e.g. "王小明  计算机2101班") is drawn in each sheet's label strip when the plan has
/// one and `font` is given; it is shrunk, then cut with "…", to fit. With no font the sheets
/// are drawn without labels: load the font with [`LabelFont::system`], whose error says why
/// there is none, and pass `None`.
pub fn render_sheets(
    plan: &SheetPlan,
    photo_jpeg: &[u8],
    label: &str,
    font: Option<&LabelFont>,
) -> Result<Vec<Vec<u8>>, RenderError> {
    check_plan(plan)?;
    let photo = decode(photo_jpeg)?;

    // One resize per distinct (upright) pixel size.
    let mut resized: Vec<((u32, u32), Vec<u8>)> = Vec::new();
    for p in plan.sheets.iter().flat_map(|s| &s.placements) {
        let upright = if p.rotated { (p.h, p.w) } else { (p.w, p.h) };
        if !resized.iter().any(|(k, _)| *k == upright) {
            resized.push((upright, cover_resize(&photo, upright)?));
        }
    }

    let largest = plan
        .sheets
        .iter()
        .map(|s| s.width_px as usize * s.height_px as usize * 3)
        .max()
        .unwrap_or(0);
    let mut canvas = vec![0u8; largest];
    let mut out = Vec::with_capacity(plan.sheets.len());
    for sheet in &plan.sheets {
        let (w, h) = (sheet.width_px as usize, sheet.height_px as usize);
        let buf = &mut canvas[..w * h * 3];
        buf.fill(255);
        for p in &sheet.placements {
            let upright = if p.rotated { (p.h, p.w) } else { (p.w, p.h) };
            let pixels = &resized
                .iter()
                .find(|(k, _)| *k == upright)
                .ok_or_else(|| RenderError::InvalidPlan("resized photo missing".into()))?
                .1;
            blit(buf, w, p.rect(), pixels, p.rotated);
            guide(buf, w, p.rect());
        }
        if let (Some(rect), Some(font)) = (sheet.label, font) {
            draw_label(buf, w, rect, label, font);
        }
        out.push(encode(buf, sheet, plan.dpi.value())?);
    }
    Ok(out)
}

/// A plan's fields are public: refuse one that would draw outside its sheet.
fn check_plan(plan: &SheetPlan) -> Result<(), RenderError> {
    let bad = |msg: String| Err(RenderError::InvalidPlan(msg));
    for (i, sheet) in plan.sheets.iter().enumerate() {
        let (w, h) = (sheet.width_px, sheet.height_px);
        if w == 0 || h == 0 || w > u32::from(u16::MAX) || h > u32::from(u16::MAX) {
            return bad(format!("sheet {i}: size {w}×{h}"));
        }
        let inside = |r: Rect, room: u32| {
            r.x >= room
                && r.y >= room
                && u64::from(r.x) + u64::from(r.w) + u64::from(room) <= u64::from(w)
                && u64::from(r.y) + u64::from(r.h) + u64::from(room) <= u64::from(h)
        };
        for p in &sheet.placements {
            // Room for the 1 px guide around the photo.
            if p.w == 0 || p.h == 0 || !inside(p.rect(), 1) {
                return bad(format!(
                    "sheet {i}: photo at {:?} outside {w}×{h}",
                    p.rect()
                ));
            }
        }
        if let Some(r) = sheet.label
            && !inside(r, 0)
        {
            return bad(format!("sheet {i}: label at {r:?} outside {w}×{h}"));
        }
    }
    Ok(())
}

struct Photo {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

fn decode(bytes: &[u8]) -> Result<Photo, RenderError> {
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), image::ImageFormat::Jpeg);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| RenderError::Decode(e.to_string()))?
        .into_rgb8();
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return Err(RenderError::Decode(format!("empty image {width}×{height}")));
    }
    Ok(Photo {
        width,
        height,
        rgb: image.into_raw(),
    })
}

/// Scales the photo to fill `(tw, th)` and crops the excess symmetrically (the width, for a
/// 3:4 photo going to a 5:7 print): faces are never stretched.
fn cover_resize(photo: &Photo, (tw, th): (u32, u32)) -> Result<Vec<u8>, RenderError> {
    let (sw, sh) = (f64::from(photo.width), f64::from(photo.height));
    let target = f64::from(tw) / f64::from(th);
    let (cw, ch) = if sw / sh > target {
        (sh * target, sh)
    } else {
        (sw, sw / target)
    };
    let src = fr::images::ImageRef::new(photo.width, photo.height, &photo.rgb, fr::PixelType::U8x3)
        .map_err(|e| RenderError::Resize(e.to_string()))?;
    let mut dst = fr::images::Image::new(tw, th, fr::PixelType::U8x3);
    let options = fr::ResizeOptions::new()
        .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3))
        .crop((sw - cw) / 2.0, (sh - ch) / 2.0, cw, ch);
    fr::Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| RenderError::Resize(e.to_string()))?;
    Ok(dst.into_vec())
}

/// Copies the resized photo into `rect`; a rotated one is turned 90° clockwise (the top of the
/// head to the right).
fn blit(buf: &mut [u8], width: usize, rect: Rect, pixels: &[u8], rotated: bool) {
    let (x0, y0, w, h) = (
        rect.x as usize,
        rect.y as usize,
        rect.w as usize,
        rect.h as usize,
    );
    if !rotated {
        for row in 0..h {
            let dst = ((y0 + row) * width + x0) * 3;
            buf[dst..dst + w * 3].copy_from_slice(&pixels[row * w * 3..(row + 1) * w * 3]);
        }
        return;
    }
    // Source is h wide (columns) and w tall: dst (dx, dy) = src (dy, w - 1 - dx).
    let src_w = h;
    for dy in 0..h {
        let dst_row = ((y0 + dy) * width + x0) * 3;
        for dx in 0..w {
            let s = ((w - 1 - dx) * src_w + dy) * 3;
            let d = dst_row + dx * 3;
            buf[d..d + 3].copy_from_slice(&pixels[s..s + 3]);
        }
    }
}

/// A 1 px grey rectangle just outside `rect`.
fn guide(buf: &mut [u8], width: usize, rect: Rect) {
    let (x0, y0) = (rect.x as usize - 1, rect.y as usize - 1);
    let (x1, y1) = ((rect.x + rect.w) as usize, (rect.y + rect.h) as usize);
    let mut put = |x: usize, y: usize| {
        let i = (y * width + x) * 3;
        buf[i..i + 3].copy_from_slice(&GUIDE_RGB);
    };
    for x in x0..=x1 {
        put(x, y0);
        put(x, y1);
    }
    for y in y0..=y1 {
        put(x0, y);
        put(x1, y);
    }
}

/// Advance width of `chars` at `scale`.
fn text_width(font: &LabelFont, scale: PxScale, chars: &[char]) -> f32 {
    let sf = font.font.as_scaled(scale);
    let mut prev: Option<GlyphId> = None;
    let mut width = 0.0;
    for &c in chars {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            width += sf.kern(p, id);
        }
        width += sf.h_advance(id);
        prev = Some(id);
    }
    width
}

/// Draws `text` centred in `rect`, dark grey, antialiased; shrinks it to at most 60% of its
/// size to fit the width, then cuts it with "…".
fn draw_label(buf: &mut [u8], width: usize, rect: Rect, text: &str, font: &LabelFont) {
    let text: Vec<char> = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.is_empty() || rect.w < 4 || rect.h < 4 {
        return;
    }
    let nominal = rect.h as f32 * 0.6;
    let avail = rect.w as f32 * 0.96;
    let full = text_width(font, PxScale::from(nominal), &text);
    let (px, chars) = if full <= avail {
        (nominal, text)
    } else if full * 0.6 <= avail {
        (nominal * avail / full, text)
    } else {
        let px = nominal * 0.6;
        let scale = PxScale::from(px);
        let mut kept = text;
        loop {
            kept.pop();
            while kept.last().is_some_and(|c| c.is_whitespace()) {
                kept.pop();
            }
            let mut with = kept.clone();
            with.push('…');
            if kept.is_empty() || text_width(font, scale, &with) <= avail {
                break (px, with);
            }
        }
    };
    let scale = PxScale::from(px);
    let sf = font.font.as_scaled(scale);
    let line = text_width(font, scale, &chars);
    let height = sf.ascent() - sf.descent();
    let baseline = rect.y as f32 + (rect.h as f32 - height) / 2.0 + sf.ascent();
    let mut x = rect.x as f32 + (rect.w as f32 - line) / 2.0;
    let mut prev: Option<GlyphId> = None;
    let (clip_x0, clip_y0) = (rect.x as i32, rect.y as i32);
    let (clip_x1, clip_y1) = ((rect.x + rect.w) as i32, (rect.y + rect.h) as i32);
    for c in chars {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            x += sf.kern(p, id);
        }
        prev = Some(id);
        let glyph = id.with_scale_and_position(scale, point(x, baseline));
        x += sf.h_advance(id);
        let Some(outlined) = font.font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i32 + gx as i32;
            let py = bounds.min.y as i32 + gy as i32;
            if px < clip_x0 || py < clip_y0 || px >= clip_x1 || py >= clip_y1 {
                return;
            }
            let i = (py as usize * width + px as usize) * 3;
            let a = coverage.clamp(0.0, 1.0);
            for (k, &ink) in LABEL_RGB.iter().enumerate() {
                let v = f32::from(buf[i + k]);
                buf[i + k] = (v + (f32::from(ink) - v) * a).round() as u8;
            }
        });
    }
}

fn encode(buf: &[u8], sheet: &Sheet, dpi: u32) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(buf.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY);
    encoder.set_density(jpeg_encoder::PixelDensity::dpi(dpi as u16));
    encoder.set_progressive(false);
    // 4:2:0 chroma, as cameras write photos: half the encoding time of 4:4:4 (the default at
    // quality ≥ 90), and the guides and the label are grey, with no colour to lose.
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder
        .encode(
            buf,
            sheet.width_px as u16,
            sheet.height_px as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .map_err(|e| RenderError::Encode(e.to_string()))?;
    Ok(out)
}
