//! `photoroll bench compare`: one portrait comparison (人像比对) — decode, detect, align and
//! embed both photos, then the cosine and the verdict — timed in a child process pinned to one
//! core (`taskset -c 0` where it exists), median of N runs.
//!
//! The pair is the real case: a collected standard photo (480×640 JPEG, quality 90) against an
//! admission photo (150×200 JPEG, quality 70), made from two different real portraits of one
//! person (`tests/fixtures/faces`, see SOURCES.md), or the two photos given.

use anyhow::{Context, Result, ensure};
use photoroll_core::compare::CompareThresholds;
use photoroll_faceid::FaceMatcher;
use photoroll_imaging::decode::{DecodeLimits, decode};
use photoroll_imaging::raster::{Filter, RgbImage};
use photoroll_workflows::compare::{PairOutcome, PairPhoto, compare_pair_blocking};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub struct Args {
    pub faces: PathBuf,
    pub first: Option<PathBuf>,
    pub second: Option<PathBuf>,
    pub runs: usize,
    pub child: bool,
}

/// A head-and-shoulders cut (3:4, the face's width ×2.2 wide) of `source`, resized and saved
/// as JPEG: how a standard photo or an admission photo frames a face.
fn portrait(source: &Path, width: u32, height: u32, quality: u8) -> Result<Vec<u8>> {
    let bytes = std::fs::read(source).with_context(|| format!("读取 {}", source.display()))?;
    let image = decode(&bytes, 0, &DecodeLimits::default())?.image;
    let face = FaceMatcher::shared()?
        .embed_image(&image)
        .with_context(|| format!("{} 中的人脸", source.display()))?
        .face;
    let b = face.bbox;
    let w = (b.w * 2.2)
        .min(image.width as f32)
        .min(image.height as f32 * 0.75);
    let h = w * 4.0 / 3.0;
    let x0 = (b.x + b.w / 2.0 - w / 2.0).clamp(0.0, image.width as f32 - w) as u32;
    let y0 = (b.y - b.h * 0.45).clamp(0.0, image.height as f32 - h) as u32;
    let (w, h) = (w as u32, h as u32);
    let mut cut = RgbImage::new(w, h);
    for y in 0..h {
        for x in 0..w {
            cut.put(x, y, image.pixel(x0 + x, y0 + y));
        }
    }
    let out = cut.resized(width, height, Filter::Lanczos3);
    Ok(photoroll_imaging::encode::encode_at(&out, quality, 300)?)
}

/// CPU time this process has used (user + system), from `/proc/self/stat` in clock ticks of
/// 10 ms (USER_HZ 100): other processes on the same core lengthen the wall time of a run, not
/// this. `None` off Linux.
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let (utime, stime): (f64, f64) = (f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?);
    Some((utime + stime) * 10.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn run(args: Args) -> Result<()> {
    ensure!(args.runs > 0, "--runs must be at least 1");
    if args.child {
        return child(&args);
    }
    let tmp = tempfile::tempdir()?;
    let (first, second) = match (&args.first, &args.second) {
        (Some(a), Some(b)) => (a.clone(), b.clone()),
        (None, None) => {
            let a = tmp.path().join("standard-480x640.jpg");
            let b = tmp.path().join("admission-150x200.jpg");
            std::fs::write(
                &a,
                portrait(&args.faces.join("portrait-obama.jpg"), 480, 640, 90)?,
            )?;
            std::fs::write(
                &b,
                portrait(
                    &args.faces.join("portrait-obama-blue-room.jpg"),
                    150,
                    200,
                    70,
                )?,
            )?;
            (a, b)
        }
        _ => anyhow::bail!("give both --first and --second, or neither"),
    };
    println!(
        "compare benchmark ({}): {} ({} bytes) against {} ({} bytes)",
        photoroll_faceid::MODEL_VERSION,
        first.display(),
        std::fs::metadata(&first)?.len(),
        second.display(),
        std::fs::metadata(&second)?.len()
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
        .args([
            "bench",
            "compare",
            "--child",
            "--runs",
            &args.runs.to_string(),
        ])
        .arg("--first")
        .arg(&first)
        .arg("--second")
        .arg(&second)
        .output()?;
    ensure!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f: serde_json::Value = serde_json::from_slice(&out.stdout).context("child report")?;
    let ms = |k: &str| f[k].as_f64().unwrap_or(f64::NAN);
    println!(
        "  {} (median of {}):",
        if pinned {
            "one core (taskset -c 0)"
        } else {
            "one process (taskset not found: not pinned)"
        },
        args.runs
    );
    println!(
        "  one pair (decode + detect + align + embed both photos, cosine, verdict): {:.1} ms (target ≤ 100 ms)",
        ms("pair_ms")
    );
    if let Some(cpu) = f["pair_cpu_ms"].as_f64() {
        println!(
            "  CPU time per pair (user + system, what other processes on the core do not add): {cpu:.1} ms"
        );
    }
    println!(
        "  per photo: collected {:.1} ms, admission {:.1} ms; of which SFace on an aligned face {:.1} ms",
        ms("first_ms"),
        ms("second_ms"),
        ms("sface_ms")
    );
    println!(
        "  score {:.3}, verdict {}; model load (once per process) {:.0} ms",
        ms("score"),
        f["verdict"].as_str().unwrap_or("?"),
        ms("model_load_ms")
    );
    if let Some(kb) = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("PEAK_RSS_KB="))
        .and_then(|v| v.parse::<u64>().ok())
    {
        println!(
            "  peak memory of that process: {:.0} MB",
            kb as f64 / 1024.0
        );
    }
    Ok(())
}

/// The measuring half, in the pinned process: prints one JSON object.
fn child(args: &Args) -> Result<()> {
    let (Some(first), Some(second)) = (&args.first, &args.second) else {
        anyhow::bail!("--child needs --first and --second");
    };
    let (a, b) = (std::fs::read(first)?, std::fs::read(second)?);
    let t = Instant::now();
    let matcher = FaceMatcher::shared()?;
    let model_load_ms = t.elapsed().as_secs_f64() * 1000.0;
    let thresholds = CompareThresholds::default();
    let photo = |bytes| PairPhoto {
        label: "photo",
        bytes,
    };
    // One warm-up pair: first-use allocations are not what a run of comparisons pays.
    compare_pair_blocking(photo(&a), photo(&b), &thresholds)?;
    let (mut pair, mut one, mut two, mut sface) = (vec![], vec![], vec![], vec![]);
    let mut last = None;
    let cpu_before = cpu_ms();
    for _ in 0..args.runs {
        let t = Instant::now();
        last = Some(compare_pair_blocking(photo(&a), photo(&b), &thresholds)?);
        pair.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let cpu_per_pair = match (cpu_before, cpu_ms()) {
        (Some(x), Some(y)) => Some((y - x) / args.runs as f64),
        _ => None,
    };
    for _ in 0..args.runs {
        let t = Instant::now();
        matcher.embed(&a)?;
        one.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        matcher.embed(&b)?;
        two.push(t.elapsed().as_secs_f64() * 1000.0);
        let grey = RgbImage::filled(112, 112, [128, 128, 128]);
        let t = Instant::now();
        matcher.embed_aligned(&grey)?;
        sface.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let Some(PairOutcome::Compared { score, verdict, .. }) = last else {
        anyhow::bail!("no face in one of the photos");
    };
    println!(
        "{}",
        serde_json::json!({
            "pair_ms": median(pair),
            "pair_cpu_ms": cpu_per_pair,
            "first_ms": median(one),
            "second_ms": median(two),
            "sface_ms": median(sface),
            "score": score,
            "verdict": verdict,
            "model_load_ms": model_load_ms,
        })
    );
    Ok(())
}
