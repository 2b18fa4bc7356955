//! A plain 8-bit RGB raster: the one pixel type the pipeline works in after decoding.

use fast_image_resize as fr;

#[derive(Clone, PartialEq, Eq)]
pub struct RgbImage {
    pub width: u32,
    pub height: u32,
    /// Row-major RGB bytes, `width * height * 3` long.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for RgbImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RgbImage({}x{})", self.width, self.height)
    }
}

impl RgbImage {
    pub fn new(width: u32, height: u32) -> RgbImage {
        RgbImage {
            width,
            height,
            data: vec![0; width as usize * height as usize * 3],
        }
    }

    pub fn from_raw(width: u32, height: u32, data: Vec<u8>) -> Option<RgbImage> {
        (data.len() == width as usize * height as usize * 3).then_some(RgbImage {
            width,
            height,
            data,
        })
    }

    pub fn filled(width: u32, height: u32, rgb: [u8; 3]) -> RgbImage {
        let mut data = Vec::with_capacity(width as usize * height as usize * 3);
        for _ in 0..width as usize * height as usize {
            data.extend_from_slice(&rgb);
        }
        RgbImage {
            width,
            height,
            data,
        }
    }

    #[inline]
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    #[inline]
    pub fn put(&mut self, x: u32, y: u32, rgb: [u8; 3]) {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        self.data[i..i + 3].copy_from_slice(&rgb);
    }

    /// Bilinear sample at a real-valued position; positions outside are clamped to the edge.
    #[inline]
    pub fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        let maxx = (self.width - 1) as f32;
        let maxy = (self.height - 1) as f32;
        let x = x.clamp(0.0, maxx);
        let y = y.clamp(0.0, maxy);
        let x0 = x.floor();
        let y0 = y.floor();
        let fx = x - x0;
        let fy = y - y0;
        let (x0, y0) = (x0 as u32, y0 as u32);
        let x1 = (x0 + 1).min(self.width - 1);
        let y1 = (y0 + 1).min(self.height - 1);
        let (a, b, c, d) = (
            self.pixel(x0, y0),
            self.pixel(x1, y0),
            self.pixel(x0, y1),
            self.pixel(x1, y1),
        );
        let mut out = [0f32; 3];
        for k in 0..3 {
            let top = a[k] as f32 * (1.0 - fx) + b[k] as f32 * fx;
            let bottom = c[k] as f32 * (1.0 - fx) + d[k] as f32 * fx;
            out[k] = top * (1.0 - fy) + bottom * fy;
        }
        out
    }

    /// Luma (BT.601) of every pixel.
    pub fn luma(&self) -> Vec<u8> {
        self.data
            .chunks_exact(3)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect()
    }

    /// Resized copy with a convolution filter (Lanczos3 for output quality, bilinear for the
    /// detector's small input).
    pub fn resized(&self, width: u32, height: u32, filter: Filter) -> RgbImage {
        let src =
            fr::images::ImageRef::new(self.width, self.height, &self.data, fr::PixelType::U8x3)
                .expect("buffer length matches its dimensions");
        let mut dst = fr::images::Image::new(width.max(1), height.max(1), fr::PixelType::U8x3);
        let alg = match filter {
            Filter::Lanczos3 => fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3),
            Filter::Bilinear => fr::ResizeAlg::Convolution(fr::FilterType::Bilinear),
        };
        fr::Resizer::new()
            .resize(&src, &mut dst, &fr::ResizeOptions::new().resize_alg(alg))
            .expect("same pixel type on both sides");
        RgbImage {
            width: dst.width(),
            height: dst.height(),
            data: dst.into_vec(),
        }
    }

    /// Rotated by a multiple of 90° and/or mirrored, as an EXIF orientation asks.
    pub fn oriented(self, orientation: u16) -> RgbImage {
        if !(2..=8).contains(&orientation) {
            return self;
        }
        let (w, h) = (self.width, self.height);
        let swap = orientation >= 5;
        let (ow, oh) = if swap { (h, w) } else { (w, h) };
        let mut out = RgbImage::new(ow, oh);
        for y in 0..h {
            for x in 0..w {
                // Where source (x, y) lands in the displayed image (EXIF 2.3, tag 0x0112).
                let (dx, dy) = match orientation {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (h - 1 - y, x),
                    7 => (h - 1 - y, w - 1 - x),
                    _ => (y, w - 1 - x),
                };
                out.put(dx, dy, self.pixel(x, y));
            }
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    Lanczos3,
    Bilinear,
}

#[inline]
pub fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((r as u32 * 299 + g as u32 * 587 + b as u32 * 114 + 500) / 1000) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(w: u32, h: u32) -> RgbImage {
        let mut img = RgbImage::new(w, h);
        for y in 0..h {
            for x in 0..w {
                img.put(x, y, [x as u8, y as u8, 0]);
            }
        }
        img
    }

    #[test]
    fn orientation_6_turns_the_image_clockwise() {
        // A camera held on its side writes orientation 6: the top row becomes the right column.
        let img = numbered(3, 2).oriented(6);
        assert_eq!((img.width, img.height), (2, 3));
        assert_eq!(img.pixel(1, 0), [0, 0, 0]);
        assert_eq!(img.pixel(0, 0), [0, 1, 0]);
        assert_eq!(img.pixel(1, 2), [2, 0, 0]);
    }

    #[test]
    fn every_orientation_keeps_every_pixel() {
        for o in 1..=8 {
            let img = numbered(5, 3).oriented(o);
            let mut seen: Vec<[u8; 3]> = img.data.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
            seen.sort();
            let mut want: Vec<[u8; 3]> = numbered(5, 3)
                .data
                .chunks(3)
                .map(|c| [c[0], c[1], c[2]])
                .collect();
            want.sort();
            assert_eq!(seen, want, "orientation {o}");
        }
    }

    #[test]
    fn bilinear_sampling_interpolates_and_clamps() {
        let img = numbered(4, 4);
        assert_eq!(img.sample(1.5, 2.0), [1.5, 2.0, 0.0]);
        assert_eq!(img.sample(-5.0, 9.0), [0.0, 3.0, 0.0]);
    }
}
