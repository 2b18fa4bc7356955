//! Drawing a code into a camera frame: what a phone held up to the station's camera shows, for
//! trying a station without a phone (`photoroll qr frame`) and for the tests.

use crate::GreyImage;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DrawError {
    #[error("内容太长，无法生成二维码")]
    TooLong,
    #[error("内容太长，二维码放不进 {width}×{height} 的画面")]
    DoesNotFit { width: usize, height: usize },
}

/// A `width`×`height` frame of a grey wall with `payload` as a QR code in the middle, `module`
/// pixels a module, with its four-module quiet zone.
pub fn frame_with_code(
    payload: &str,
    width: usize,
    height: usize,
    module: usize,
) -> Result<GreyImage, DrawError> {
    let code = qrcode::QrCode::new(payload.as_bytes()).map_err(|_| DrawError::TooLong)?;
    let n = code.width();
    let colors = code.to_colors();
    let side = (n + 8) * module.max(1);
    if side > width || side > height {
        return Err(DrawError::DoesNotFit { width, height });
    }
    let mut data = vec![150u8; width * height];
    let (ox, oy) = ((width - side) / 2, (height - side) / 2);
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = ((x / module) as isize - 4, (y / module) as isize - 4);
            let dark = mx >= 0
                && my >= 0
                && (mx as usize) < n
                && (my as usize) < n
                && colors[my as usize * n + mx as usize] == qrcode::Color::Dark;
            data[(oy + y) * width + ox + x] = if dark { 25 } else { 240 };
        }
    }
    Ok(GreyImage {
        width,
        height,
        data,
    })
}
