//! `photoroll bench preview`: the station's preview path. Makes a moving 1280×720 camera
//! stream (a slow pan over SOURCE, as JPEG frames, as a UVC camera's MJPEG would arrive), plays
//! it through the station's live loop at 60 fps and counts the preview frames a reader gets;
//! times the downscale path for a 12-megapixel frame too. The window's own frame rate is
//! measured by `ui/e2e/bench-preview.mjs` over the frames kept with `--keep`.

use anyhow::{Context, Result};
use photoroll_imaging::decode::{DecodeLimits, decode};
use photoroll_imaging::encode::encode_at;
use photoroll_imaging::raster::Filter;
use photoroll_station::{SourceChoice, Station, preview_jpeg};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Writes `count` 1280×720 frames panning across `source` into `dir`.
pub fn write_frames(source: &Path, dir: &Path, count: usize) -> Result<()> {
    let bytes = std::fs::read(source).with_context(|| source.display().to_string())?;
    let image = decode(&bytes, 0, &DecodeLimits::default())?.image;
    // Wide enough to pan across: the portrait scaled to 720 high, on a 1600-wide canvas.
    let k = 720.0 / image.height as f32;
    let person = image.resized(
        ((image.width as f32 * k) as u32).max(1),
        720,
        Filter::Bilinear,
    );
    let mut canvas = photoroll_imaging::raster::RgbImage::filled(1600, 720, [200, 205, 210]);
    let x0 = (1600 - person.width.min(1600)) / 2;
    for y in 0..720 {
        for x in 0..person.width.min(1600) {
            canvas.put(x0 + x, y, person.pixel(x, y));
        }
    }
    std::fs::create_dir_all(dir)?;
    for i in 0..count {
        let shift = (i * 320 / count.max(1)) as u32;
        let mut frame = photoroll_imaging::raster::RgbImage::new(1280, 720);
        for y in 0..720 {
            for x in 0..1280 {
                frame.put(x, y, canvas.pixel(x + shift, y));
            }
        }
        std::fs::write(
            dir.join(format!("frame-{i:04}.jpg")),
            encode_at(&frame, 85, 72)?,
        )?;
    }
    Ok(())
}

pub fn run(source: PathBuf, frames: usize, keep: Option<PathBuf>) -> Result<()> {
    anyhow::ensure!(frames > 1, "--frames must be at least 2");
    let tmp = tempfile::tempdir()?;
    let dir = keep.unwrap_or_else(|| tmp.path().join("frames"));
    write_frames(&source, &dir, frames)?;
    println!(
        "preview benchmark: {frames} frames of 1280×720 in {}",
        dir.display()
    );

    let station = Station::start(
        SourceChoice::Synthetic {
            folder: dir.clone(),
            frame_interval: Some(Duration::from_secs_f64(1.0 / 60.0)),
        },
        |_| {},
    );
    let mut last = 0;
    let mut got = 0u32;
    // Warm up, then count for five seconds.
    let _ = station.preview_after(0, Duration::from_secs(5));
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if let Some(p) = station.preview_after(last, Duration::from_millis(500))
            && p.sequence > last
        {
            last = p.sequence;
            got += 1;
        }
    }
    let fps = f64::from(got) / start.elapsed().as_secs_f64();
    println!("  live loop, source at 60 fps: {fps:.1} preview frames/s reach a reader");
    drop(station);

    // A 12-megapixel still of the same portrait (3000×4000, portrait orientation as a station
    // camera on its side takes it), kept next to the frames for the window's benchmark.
    let twelve = {
        let full = decode(&std::fs::read(&source)?, 0, &DecodeLimits::default())?.image;
        encode_at(&full.resized(3000, 4000, Filter::Bilinear), 90, 300)?
    };
    if let Some(parent) = dir.parent() {
        let still = parent.join("still");
        std::fs::create_dir_all(&still)?;
        std::fs::write(still.join("still-12mp.jpg"), &twelve)?;
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let (_, w, h) = preview_jpeg(&twelve)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(w <= 1280 && h <= 720, "preview too large: {w}×{h}");
    }
    times.sort_by(f64::total_cmp);
    println!(
        "  12-megapixel frame to preview JPEG: median {:.1} ms (worst {:.1})",
        times[2], times[4]
    );
    let t = Instant::now();
    for _ in 0..20 {
        preview_jpeg(&std::fs::read(dir.join("frame-0001.jpg"))?)?;
    }
    println!(
        "  1280×720 MJPEG frame to preview: {:.2} ms (passed through as it came)",
        t.elapsed().as_secs_f64() * 1000.0 / 20.0
    );
    Ok(())
}
