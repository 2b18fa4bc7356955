//! The standard photo's settings. Every number in `shared/spec/chsi-photo.md` is a field here
//! with that default, because collection channels and schools vary.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhotoSpec {
    pub width: u32,
    pub height: u32,
    pub dpi: u16,
    /// The file-size window the encoder aims for, in bytes.
    pub min_bytes: usize,
    pub max_bytes: usize,
    /// The lowest JPEG quality the encoder may use to fit the window.
    pub min_quality: u8,
    /// Eye line: pixels from the top edge.
    pub eye_line: Band,
    /// Top of the hair: pixels from the top edge.
    pub head_top: Band,
    /// Face width in pixels.
    pub face_width: Band,
    /// How far the face's centre may sit from the middle, in pixels.
    pub max_centre_offset: f32,
    /// Pose limits in degrees (ISO/IEC 19794-5 as commonly applied to ID photos).
    pub max_roll_deg: f32,
    pub max_yaw_deg: f32,
    pub max_pitch_deg: f32,
    /// Variance of the Laplacian of the face's luma, at output size.
    pub min_sharpness: f32,
    /// Mean face luma (0–255).
    pub face_luma: Band,
    /// Share of face pixels clipped to black or white.
    pub max_clipped: f32,
    /// Replace the wall with `background` (off: keep the capture's wall, pad with its edge colour).
    pub replace_background: bool,
    /// The background colour the person is put onto.
    pub background: [u8; 3],
    /// Left/right face brightness difference, as a share of the brighter side (阴阳脸).
    pub max_illumination_ratio: f32,
    /// Colour distance (RGB) the clothes must keep from the background.
    pub min_clothing_distance: f32,
    /// Share of the wall just outside the person's outline that is textured or close in colour
    /// to the person (or of the mask left undecided, whichever is larger).
    pub max_hard_outline: f32,
    /// Share of eye-region pixels that are specular highlights.
    pub max_glare: f32,
    /// Mean colour distance from the configured colour of the output away from the person's body
    /// (beyond 10 px of its outline).
    pub max_background_deviation: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub min: f32,
    pub max: f32,
}

impl Band {
    pub const fn new(min: f32, max: f32) -> Band {
        Band { min, max }
    }
    pub fn contains(&self, v: f32) -> bool {
        v >= self.min && v <= self.max
    }
    pub fn mid(&self) -> f32 {
        (self.min + self.max) / 2.0
    }
}

/// The backgrounds the channels accept; any other colour can be given as `#RRGGBB`.
pub const BLUE: [u8; 3] = [100, 197, 255];
pub const WHITE: [u8; 3] = [255, 255, 255];
pub const GREY: [u8; 3] = [240, 240, 240];

impl Default for PhotoSpec {
    fn default() -> Self {
        PhotoSpec {
            width: 480,
            height: 640,
            dpi: 300,
            min_bytes: 20 * 1024,
            max_bytes: 40 * 1024,
            min_quality: 60,
            eye_line: Band::new(200.0, 300.0),
            head_top: Band::new(50.0, 110.0),
            face_width: Band::new(180.0, 300.0),
            max_centre_offset: 24.0,
            max_roll_deg: 8.0,
            max_yaw_deg: 5.0,
            max_pitch_deg: 5.0,
            min_sharpness: 40.0,
            face_luma: Band::new(85.0, 215.0),
            max_clipped: 0.05,
            replace_background: true,
            background: BLUE,
            max_illumination_ratio: 0.25,
            min_clothing_distance: 60.0,
            max_hard_outline: 0.3,
            max_glare: 0.02,
            max_background_deviation: 6.0,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("无法识别的背景颜色“{0}”：可用 blue、white、grey 或 #RRGGBB")]
pub struct BadColour(pub String);

/// `blue`, `white`, `grey` (or the Chinese names), or `#RRGGBB`.
pub fn parse_background(text: &str) -> Result<[u8; 3], BadColour> {
    let t = text.trim();
    match t.to_ascii_lowercase().as_str() {
        "blue" | "蓝" | "蓝色" => return Ok(BLUE),
        "white" | "白" | "白色" => return Ok(WHITE),
        "grey" | "gray" | "灰" | "灰色" => return Ok(GREY),
        _ => {}
    }
    let hex = t.strip_prefix('#').unwrap_or("");
    if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        let v = u32::from_str_radix(hex, 16).map_err(|_| BadColour(t.into()))?;
        return Ok([(v >> 16) as u8, (v >> 8) as u8, v as u8]);
    }
    Err(BadColour(t.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backgrounds_by_name_and_hex() {
        assert_eq!(parse_background("blue"), Ok(BLUE));
        assert_eq!(parse_background("白色"), Ok(WHITE));
        assert_eq!(parse_background("#00A3E6"), Ok([0, 0xA3, 0xE6]));
        assert!(parse_background("#00A3E").is_err());
        assert!(parse_background("#GGGGGG").is_err());
        assert!(parse_background("purple").is_err());
    }

    #[test]
    fn defaults_are_the_chsi_figures() {
        let s = PhotoSpec::default();
        assert_eq!((s.width, s.height, s.dpi), (480, 640, 300));
        assert_eq!(s.eye_line, Band::new(200.0, 300.0));
        assert_eq!(s.head_top, Band::new(50.0, 110.0));
        assert_eq!(s.face_width, Band::new(180.0, 300.0));
        assert_eq!(s.background, [100, 197, 255]);
    }
}
