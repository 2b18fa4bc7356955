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

/// `payload` as a QR code in SVG: one path of unit squares with a four-module quiet zone,
/// crisp at any print size (the session sheet).
pub fn svg_with_code(payload: &str) -> Result<String, DrawError> {
    let code = qrcode::QrCode::new(payload.as_bytes()).map_err(|_| DrawError::TooLong)?;
    let n = code.width();
    let side = n + 8;
    let mut path = String::new();
    for (k, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", k % n + 4, k / n + 4));
        }
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

#[cfg(test)]
mod svg_tests {
    #[test]
    fn svg_codes_have_one_square_per_dark_module() {
        let svg = super::svg_with_code("PHOTOROLL-SESSION:99001:0815").unwrap();
        let code = qrcode::QrCode::new(b"PHOTOROLL-SESSION:99001:0815").unwrap();
        let dark = code
            .to_colors()
            .iter()
            .filter(|c| **c == qrcode::Color::Dark)
            .count();
        assert_eq!(svg.matches("h1v1h-1z").count(), dark);
        assert!(super::svg_with_code(&"x".repeat(5000)).is_err());
    }
}
