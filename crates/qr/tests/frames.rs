//! QR frames generated with known codes (the `qrcode` crate), then made hard the way a phone
//! held up to a laptop camera makes them hard: rotated, seen at an angle, out of focus, dim and
//! grey, two in one frame, none at all.

use photoroll_qr::{GreyImage, LiveScanner, ScanOptions, scan};
use proptest::prelude::*;
use qrcode::{Color, QrCode};

/// The code drawn `module` pixels a module, with a four-module quiet zone.
fn render(payload: &str, module: usize) -> GreyImage {
    let code = QrCode::new(payload.as_bytes()).unwrap();
    let n = code.width();
    let colors = code.to_colors();
    let side = (n + 8) * module;
    let mut data = vec![255u8; side * side];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = ((x / module) as isize - 4, (y / module) as isize - 4);
            if mx >= 0
                && my >= 0
                && (mx as usize) < n
                && (my as usize) < n
                && colors[my as usize * n + mx as usize] == Color::Dark
            {
                data[y * side + x] = 0;
            }
        }
    }
    GreyImage::new(side, side, data).unwrap()
}

/// A 1280×720 frame of a mid-grey wall with `code` pasted at (x, y) through `map`, which takes
/// a frame pixel to the code's pixel (inverse mapping, bilinear).
/// Takes a frame pixel to the pasted code's pixel.
type Placement = Box<dyn Fn(f32, f32) -> (f32, f32)>;

fn frame_with(codes: &[(&GreyImage, Placement)]) -> GreyImage {
    let (w, h) = (1280usize, 720usize);
    let mut data: Vec<u8> = (0..w * h).map(|k| 150 + ((k % w) * 40 / w) as u8).collect();
    for (code, map) in codes {
        for y in 0..h {
            for x in 0..w {
                let (u, v) = map(x as f32, y as f32);
                if u < 0.0
                    || v < 0.0
                    || u >= (code.width - 1) as f32
                    || v >= (code.height - 1) as f32
                {
                    continue;
                }
                let (x0, y0) = (u as usize, v as usize);
                let (fx, fy) = (u - x0 as f32, v - y0 as f32);
                let p = |xx: usize, yy: usize| code.data[yy * code.width + xx] as f32;
                let top = p(x0, y0) * (1.0 - fx) + p(x0 + 1, y0) * fx;
                let bottom = p(x0, y0 + 1) * (1.0 - fx) + p(x0 + 1, y0 + 1) * fx;
                data[y * w + x] = (top * (1.0 - fy) + bottom * fy) as u8;
            }
        }
    }
    GreyImage::new(w, h, data).unwrap()
}

fn at(x0: f32, y0: f32) -> Placement {
    Box::new(move |x, y| (x - x0, y - y0))
}

fn rotated(code: &GreyImage, cx: f32, cy: f32, deg: f32) -> Placement {
    let (s, c) = deg.to_radians().sin_cos();
    let half = code.width as f32 / 2.0;
    Box::new(move |x, y| {
        let (dx, dy) = (x - cx, y - cy);
        (c * dx + s * dy + half, -s * dx + c * dy + half)
    })
}

fn dump(name: &str, image: &GreyImage) {
    if let Ok(dir) = std::env::var("QR_FRAMES_OUT") {
        let mut pgm = format!("P5\n{} {}\n255\n", image.width, image.height).into_bytes();
        pgm.extend_from_slice(&image.data);
        std::fs::write(format!("{dir}/{name}.pgm"), pgm).unwrap();
    }
}

fn payloads(image: &GreyImage) -> Vec<String> {
    scan(image, ScanOptions::default())
        .into_iter()
        .map(|c| c.payload)
        .collect()
}

const CODE: &str = "CHSI-TXM-2026-4401238875630012";

#[test]
fn a_plain_code_is_read_with_its_corners() {
    let code = render(CODE, 6);
    let frame = frame_with(&[(&code, at(500.0, 200.0))]);
    let found = scan(&frame, ScanOptions::default());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].payload, CODE);
    let (x, y) = found[0].corners[0];
    assert!(
        (x - 524.0).abs() < 8.0 && (y - 224.0).abs() < 8.0,
        "{:?}",
        found[0].corners
    );
}

#[test]
fn rotated_codes_are_read() {
    let code = render(CODE, 6);
    for deg in [15.0, 45.0, 100.0, 200.0] {
        let frame = frame_with(&[(&code, rotated(&code, 640.0, 360.0, deg))]);
        assert_eq!(payloads(&frame), [CODE], "{deg}°");
    }
}

#[test]
fn a_code_seen_at_an_angle_is_read() {
    // A true perspective: the phone's top tilted away from the camera, so the far rows are
    // smaller (a homography: both coordinates divided by the same linear depth).
    let code = render(CODE, 6);
    let side = code.width as f32;
    for tilt in [0.25f32, -0.25] {
        let frame = frame_with(&[(
            &code,
            Box::new(move |x, y| {
                let (dx, dy) = (x - 640.0, y - 360.0);
                let depth = 1.0 + tilt * dy / side;
                (dx * depth + side / 2.0, dy * depth + side / 2.0)
            }),
        )]);
        dump("keystone", &frame);
        assert_eq!(payloads(&frame), [CODE], "tilt {tilt}");
    }
}

#[test]
fn a_blurred_dim_low_contrast_code_is_read_by_a_later_pass() {
    let code = render(CODE, 5);
    let frame = frame_with(&[(&code, at(400.0, 150.0))]);
    // Out of focus (box blur, radius 2) and printed grey on grey: 0 → 118, 255 → 150.
    let w = frame.width;
    let mut soft = frame.data.clone();
    for y in 2..frame.height - 2 {
        for x in 2..w - 2 {
            let mut s = 0u32;
            for dy in 0..5 {
                for dx in 0..5 {
                    s += frame.data[(y + dy - 2) * w + x + dx - 2] as u32;
                }
            }
            soft[y * w + x] = (118 + (s / 25) * 32 / 255) as u8;
        }
    }
    let dim = GreyImage::new(w, frame.height, soft).unwrap();
    dump("dim", &dim);
    let found = scan(&dim, ScanOptions::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].payload, CODE);
    assert_ne!(
        found[0].pass, "plain",
        "rqrr alone reads this one: make it harder"
    );
    // Live, the passes take turns: the code is read within one round of them.
    let mut live = LiveScanner::default();
    let frames_needed = (1..=4)
        .find(|_| !live.scan_frame(&dim).is_empty())
        .expect("read within four frames");
    assert!(frames_needed >= 1);
}

#[test]
fn two_codes_are_read_top_to_bottom_then_left_to_right() {
    let a = render("LEFT-CODE-0001", 5);
    let b = render("RIGHT-CODE-0002", 5);
    let c = render("LOWER-CODE-0003", 5);
    let frame = frame_with(&[
        (&b, at(800.0, 60.0)),
        (&c, at(300.0, 420.0)),
        (&a, at(100.0, 80.0)),
    ]);
    assert_eq!(
        payloads(&frame),
        ["LEFT-CODE-0001", "RIGHT-CODE-0002", "LOWER-CODE-0003"]
    );
}

#[test]
fn a_small_code_in_the_middle_of_a_live_frame_is_read_enlarged_with_its_corners() {
    // Modules of 2 px: too fine for rqrr at the frame's own scale.
    let code = render(CODE, 2);
    let frame = frame_with(&[(&code, at(600.0, 320.0))]);
    let mut live = LiveScanner::default();
    let found = (0..4)
        .map(|_| live.scan_frame(&frame))
        .find(|f| !f.is_empty())
        .expect("read within one round of the passes");
    assert_eq!(found[0].payload, CODE);
    let (x, y) = found[0].corners[0];
    assert!(
        (x - 608.0).abs() < 6.0 && (y - 328.0).abs() < 6.0,
        "{:?}",
        found[0].corners
    );
}

#[test]
fn a_frame_without_a_code_gives_nothing() {
    let frame = frame_with(&[]);
    assert!(payloads(&frame).is_empty());
    let stripes: Vec<u8> = (0..640 * 480)
        .map(|k| if (k % 640) / 8 % 2 == 0 { 0 } else { 255 })
        .collect();
    assert!(payloads(&GreyImage::new(640, 480, stripes).unwrap()).is_empty());
}

#[test]
fn a_large_still_is_halved_and_its_corners_are_in_its_own_pixels() {
    let code = render(CODE, 12);
    let (w, h) = (4000usize, 3000usize);
    let mut data = vec![200u8; w * h];
    for y in 0..code.height {
        for x in 0..code.width {
            data[(1000 + y) * w + 2000 + x] = code.data[y * code.width + x];
        }
    }
    let found = scan(&GreyImage::new(w, h, data).unwrap(), ScanOptions::default());
    assert_eq!(found.len(), 1);
    let (x, y) = found[0].corners[0];
    assert!(
        (x - 2048.0).abs() < 16.0 && (y - 1048.0).abs() < 16.0,
        "{:?}",
        found[0].corners
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_frames_never_panic(w in 1usize..200, h in 1usize..200, seed in any::<u64>()) {
        let mut s = seed | 1;
        let data: Vec<u8> = (0..w * h).map(|_| { s ^= s << 13; s ^= s >> 7; s ^= s << 17; s as u8 }).collect();
        let _ = scan(&GreyImage::new(w, h, data).unwrap(), ScanOptions::default());
    }
}
