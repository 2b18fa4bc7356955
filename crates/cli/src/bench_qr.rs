//! `photoroll bench qr`: collection-code scanning on 1280×720 camera frames, the station's
//! preview size: a frame with a code (a phone held up, slightly turned) and one without.

use anyhow::Result;
use photoroll_qr::{GreyImage, LiveScanner, ScanOptions, scan};
use std::time::Instant;

/// A 1280×720 grey frame: a wall with a soft gradient, and when `payload` is given its code
/// drawn 5 px a module, turned 8°, centred at (760, 330).
fn frame(payload: Option<&str>) -> Result<GreyImage> {
    let (w, h) = (1280usize, 720usize);
    let mut data: Vec<u8> = (0..w * h)
        .map(|k| (120 + (k % w) * 60 / w + (k / w) * 30 / h) as u8)
        .collect();
    if let Some(p) = payload {
        let code = qrcode::QrCode::new(p.as_bytes())?;
        let n = code.width() as f32;
        let colors = code.to_colors();
        let (module, quiet) = (5.0f32, 4.0f32);
        let side = (n + 2.0 * quiet) * module;
        let (s, c) = 8f32.to_radians().sin_cos();
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - 760.0, y as f32 - 330.0);
                let (u, v) = (c * dx + s * dy + side / 2.0, -s * dx + c * dy + side / 2.0);
                if u < 0.0 || v < 0.0 || u >= side || v >= side {
                    continue;
                }
                let (mx, my) = (u / module - quiet, v / module - quiet);
                let dark = mx >= 0.0
                    && my >= 0.0
                    && mx < n
                    && my < n
                    && colors[my as usize * n as usize + mx as usize] == qrcode::Color::Dark;
                data[y * w + x] = if dark { 25 } else { 235 };
            }
        }
    }
    GreyImage::new(w, h, data).ok_or_else(|| anyhow::anyhow!("frame size"))
}

/// Median and slowest time of `runs` calls, and what the last call found.
fn median_ms(runs: usize, mut f: impl FnMut() -> usize) -> (f64, f64, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut found = 0;
    for _ in 0..runs {
        let t = Instant::now();
        found = f();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() - 1], found)
}

pub fn run(runs: usize) -> Result<()> {
    anyhow::ensure!(runs > 0, "--runs must be at least 1");
    let with = frame(Some("4401238875630012"))?;
    let without = frame(None)?;
    println!("QR benchmark: 1280×720 frames, median of {runs}");
    let mut live = LiveScanner::default();
    for (label, image) in [
        (
            "live frame with a code (plain pass + one other in turn)",
            &with,
        ),
        (
            "live frame without a code (plain pass + one other in turn)",
            &without,
        ),
    ] {
        let (ms, worst, found) = median_ms(runs, || live.scan_frame(image).len());
        println!("  {label}: median {ms:.1} ms, slowest {worst:.1} ms, {found} code(s)");
    }
    let (ms, _, found) = median_ms(runs, || scan(&with, ScanOptions::default()).len());
    println!(
        "  still image with a code, every pass (photoroll qr scan): {ms:.1} ms, {found} code(s)"
    );
    Ok(())
}
