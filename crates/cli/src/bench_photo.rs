//! `photoroll bench photo`: the standard-photo figures of issue 4 on a 24-megapixel capture.
//! The capture is made from a real portrait (resized to 4000×6000 with a little sensor-like
//! noise, JPEG quality 92), then a child process pinned to one core times a plain full-size
//! decode and the whole pipeline and reports its peak memory; finally a batch runs on two cores.

use anyhow::{Context, Result, ensure};
use photoroll_imaging::Standardizer;
use photoroll_imaging::decode::{DecodeLimits, decode};
use photoroll_imaging::raster::{Filter, RgbImage};
use photoroll_imaging::spec::PhotoSpec;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub fn make_capture(source: &Path, width: u32, height: u32) -> Result<Vec<u8>> {
    let bytes = std::fs::read(source).with_context(|| format!("读取 {}", source.display()))?;
    let img = decode(&bytes, 0, &DecodeLimits::default())?.image;
    // Crop the source to the capture's aspect, then resize.
    let want = width as f32 / height as f32;
    let have = img.width as f32 / img.height as f32;
    let (cw, ch) = if have > want {
        (((img.height as f32) * want) as u32, img.height)
    } else {
        (img.width, ((img.width as f32) / want) as u32)
    };
    let (x0, y0) = ((img.width - cw) / 2, (img.height - ch) / 2);
    let mut cropped = RgbImage::new(cw, ch);
    for y in 0..ch {
        for x in 0..cw {
            cropped.put(x, y, img.pixel(x0 + x, y0 + y));
        }
    }
    let mut big = cropped.resized(width, height, Filter::Lanczos3);
    let mut seed = 0x9E37_79B9u32;
    for v in big.data.iter_mut() {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 13) as i16 - 6;
        *v = (*v as i16 + noise).clamp(0, 255) as u8;
    }
    Ok(photoroll_imaging::encode::encode_at(&big, 92, 300)?)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// In the pinned child: time `runs` plain decodes and `runs` pipelines, print one JSON line.
pub fn child(capture: &Path, runs: usize) -> Result<()> {
    let bytes = std::fs::read(capture)?;
    let limits = DecodeLimits::default();
    let mut plain = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let d = decode(&bytes, 0, &limits)?;
        plain.push(t.elapsed().as_secs_f64() * 1000.0);
        ensure!(
            d.scale_denominator == 1,
            "the plain decode must be full size"
        );
    }
    let t = Instant::now();
    let standardizer = Standardizer::new(PhotoSpec::default())?;
    let load = t.elapsed().as_secs_f64() * 1000.0;
    let mut pipeline = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = standardizer.standardize(&bytes);
        pipeline.push(t.elapsed().as_secs_f64() * 1000.0);
        ensure!(r.jpeg.is_some(), "no photo: {:?}", r.report.error);
        last = Some(r.report);
    }
    let report = last.expect("runs > 0");
    // The same without background replacement: the standard photo's part 1 on its own.
    let keep_wall = Standardizer::new(PhotoSpec {
        replace_background: false,
        ..PhotoSpec::default()
    })?;
    let mut without = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let r = keep_wall.standardize(&bytes);
        without.push(t.elapsed().as_secs_f64() * 1000.0);
        ensure!(r.jpeg.is_some(), "no photo: {:?}", r.report.error);
    }
    println!(
        "{}",
        serde_json::json!({
            "plain_decode_ms": median(plain),
            "model_load_ms": load,
            "pipeline_ms": median(pipeline),
            "pipeline_without_matting_ms": median(without),
            "timings_ms": report.timings_ms,
            "scale_denominator": report.source.as_ref().map(|s| s.scale_denominator),
            "decode_passes": report.source.as_ref().map(|s| s.decode_passes),
        })
    );
    Ok(())
}

/// `WIDTHxHEIGHT` of a capture to make.
pub fn parse_size(size: &str) -> Result<(u32, u32)> {
    size.split_once(['x', '×'])
        .and_then(|(w, h)| Some((w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?)))
        .filter(|&(w, h)| (480..=12_000).contains(&w) && (640..=12_000).contains(&h))
        .ok_or_else(|| anyhow::anyhow!("--size must be WIDTHxHEIGHT within 480x640..12000x12000"))
}

pub fn run(
    source: PathBuf,
    runs: usize,
    batch: usize,
    size: &str,
    keep: Option<PathBuf>,
) -> Result<()> {
    ensure!(
        runs > 0 && batch > 0,
        "--runs and --batch must be at least 1"
    );
    let (width, height) = parse_size(size)?;
    let tmp = tempfile::tempdir()?;
    let dir = keep.unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let capture = dir.join(format!("capture-{width}x{height}.jpg"));
    let t = Instant::now();
    let bytes = make_capture(&source, width, height)?;
    std::fs::write(&capture, &bytes)?;
    println!(
        "photo benchmark: {width}×{height} capture from {} ({:.1} MB, made in {:.0} ms)",
        source.display(),
        bytes.len() as f64 / 1e6,
        t.elapsed().as_secs_f64() * 1000.0
    );

    let exe = std::env::current_exe()?;
    let pinned = Command::new("taskset").arg("--version").output().is_ok();
    let mut cmd = if pinned {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    let out = cmd
        .env("PHOTOROLL_REPORT_PEAK", "1")
        .args(["bench", "photo-child"])
        .arg(&capture)
        .args(["--runs", &runs.to_string()])
        .output()?;
    ensure!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let figures: serde_json::Value = serde_json::from_slice(&out.stdout).context("child report")?;
    let peak_kb: Option<u64> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("PEAK_RSS_KB="))
        .and_then(|v| v.parse().ok());
    let plain = figures["plain_decode_ms"].as_f64().unwrap_or(f64::NAN);
    let pipeline = figures["pipeline_ms"].as_f64().unwrap_or(f64::NAN);
    println!(
        "  {} (median of {runs}):",
        if pinned {
            "one core (taskset -c 0)"
        } else {
            "one process (taskset not found: not pinned)"
        }
    );
    println!("  plain full-size decode (jpeg-decoder): {plain:>7.0} ms");
    println!(
        "  whole pipeline (decode → detect → frame → matte → checks → encode): {pipeline:>7.0} ms = {:.2}× the plain decode",
        pipeline / plain
    );
    let without = figures["pipeline_without_matting_ms"]
        .as_f64()
        .unwrap_or(f64::NAN);
    println!(
        "  same without background replacement: {without:>7.0} ms = {:.2}× the plain decode",
        without / plain
    );
    println!("  pipeline steps: {}", figures["timings_ms"]);
    println!(
        "  DCT scale 1/{}, decode passes {}",
        figures["scale_denominator"], figures["decode_passes"]
    );
    println!(
        "  model load (once per process): {:.0} ms",
        figures["model_load_ms"].as_f64().unwrap_or(f64::NAN)
    );
    match peak_kb {
        Some(kb) => println!(
            "  peak memory of that process (VmHWM, includes the plain full-size decodes): {:.0} MB",
            kb as f64 / 1024.0
        ),
        None => println!("  peak memory: not measured on this OS"),
    }

    // Throughput: two workers share the loaded models and take captures from one queue.
    let standardizer = Standardizer::new(PhotoSpec::default())?;
    let next = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while next.fetch_add(1, Ordering::Relaxed) < batch {
                    let r = standardizer.standardize(&bytes);
                    assert!(r.jpeg.is_some());
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    println!(
        "  batch of {batch} captures on 2 threads: {secs:.1} s = {:.1} photos/s",
        batch as f64 / secs
    );
    Ok(())
}
