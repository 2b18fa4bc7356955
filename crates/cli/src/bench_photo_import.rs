//! `photoroll bench photo-import`: the photo-import figure of issue 13 (1,000 captures on two
//! cores at ≥ 6 photos/s). Real-size captures are made from real portraits (as `bench photo`
//! makes them: resized with sensor-like noise, JPEG quality 92), each file made distinct by a
//! JPEG comment so every original is its own blob; a roster gives each a student; then
//! `photoroll photo import` runs in a child process, as a user runs it, and is timed whole
//! (model load, listing, lookups, standardizing on two threads, saving with fsync); then the
//! same captures are standardized alone on two threads, the ceiling on this machine now.

use anyhow::{Context, Result, ensure};
use photoroll_core::JobControl;
use photoroll_store::{Store, StudentFilter};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// The portraits every capture is made from (those that make a photo; see
/// `tests/fixtures/faces/SOURCES.md`).
const PORTRAITS: [&str; 4] = [
    "portrait-obama.jpg",
    "portrait-grace-hopper.jpg",
    "astronaut.png",
    "portrait-obama-turned.jpg",
];

/// `jpeg` with a comment segment (`COM`) right after SOI: the same pixels, other bytes.
fn with_comment(jpeg: &[u8], text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(jpeg.len() + text.len() + 4);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((text.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub struct Args {
    pub photos: usize,
    pub size: String,
    pub faces: PathBuf,
    pub zip: bool,
    pub photos_dir: Option<PathBuf>,
    pub keep: Option<PathBuf>,
}

pub async fn run(args: Args) -> Result<()> {
    let Args {
        photos,
        size,
        faces,
        zip,
        photos_dir,
        keep,
    } = args;
    ensure!(photos > 0, "--photos must be at least 1");
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; measure with `cargo build --release -p photoroll-cli`");
    }
    let (width, height) = crate::bench_photo::parse_size(&size)?;
    let tmp = tempfile::tempdir()?;
    let work = keep.unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&work)?;
    let tmp_photos;
    let photos_root = match photos_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)?;
            tmp_photos = tempfile::tempdir_in(&dir)?;
            tmp_photos.path().to_path_buf()
        }
        None => work.clone(),
    };

    // The roster: a school and `photos` students with collection codes.
    let data = work.join("data");
    let store = Store::open(&data).await?;
    photoroll_workflows::maintenance::add_school(
        &store,
        photoroll_demo::DEMO_SCHOOL_CODE,
        "基准大学",
    )
    .await?;
    let book = work.join("roster.xlsx");
    photoroll_demo::write_demo_workbook(&book, photos + photos / 50 + 8, 11)?;
    photoroll_workflows::roster::import_roster(
        &store,
        &book,
        photoroll_demo::DEMO_SCHOOL_CODE,
        None,
        &JobControl::new(),
    )
    .await?;
    let codes: Vec<String> = store
        .students(&StudentFilter::default(), photos as i64 * 2, 0)
        .await?
        .into_iter()
        .filter_map(|s| s.collection_code)
        .take(photos)
        .collect();
    ensure!(
        codes.len() == photos,
        "the roster has {} codes",
        codes.len()
    );
    store.close().await;

    // The captures.
    let t = Instant::now();
    let mut bases = Vec::new();
    for name in PORTRAITS {
        let source = faces.join(name);
        bases.push(
            crate::bench_photo::make_capture(&source, width, height)
                .with_context(|| format!("{}: use --faces DIR", source.display()))?,
        );
    }
    let folder = photos_root.join("photos");
    std::fs::create_dir_all(&folder)?;
    let mut bytes_total = 0u64;
    let mut archive = if zip {
        let file = std::fs::File::create(photos_root.join("photos.zip"))?;
        Some(zip::ZipWriter::new(std::io::BufWriter::new(file)))
    } else {
        None
    };
    for (i, code) in codes.iter().enumerate() {
        let bytes = with_comment(&bases[i % bases.len()], &format!("photoroll bench {i}"));
        bytes_total += bytes.len() as u64;
        let name = format!("{code}.jpg");
        match archive.as_mut() {
            Some(z) => {
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored);
                z.start_file(name, options)?;
                z.write_all(&bytes)?;
            }
            None => std::fs::write(folder.join(name), &bytes)?,
        }
    }
    let source = match archive {
        Some(z) => {
            z.finish()?.flush()?;
            photos_root.join("photos.zip")
        }
        None => folder,
    };
    println!(
        "photo import benchmark: {photos} captures of {width}×{height} ({:.1} MB each, {:.1} GB in all, made from {} portraits in {:.0} s) in {}",
        bytes_total as f64 / photos as f64 / 1e6,
        bytes_total as f64 / 1e9,
        PORTRAITS.len(),
        t.elapsed().as_secs_f64(),
        source.display()
    );

    let exe = std::env::current_exe()?;
    let t = Instant::now();
    let out = Command::new(&exe)
        .env("PHOTOROLL_REPORT_PEAK", "1")
        .arg("--data-dir")
        .arg(&data)
        .args(["photo", "import"])
        .arg(&source)
        .args(["--school", photoroll_demo::DEMO_SCHOOL_CODE, "--json"])
        .output()?;
    let secs = t.elapsed().as_secs_f64();
    ensure!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).context("import report")?;
    let peak_kb: Option<u64> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("PEAK_RSS_KB="))
        .and_then(|v| v.parse().ok());
    let imported = report["imported"].as_u64().unwrap_or(0);
    let mut by_code = std::collections::BTreeMap::<String, usize>::new();
    for f in report["failed"].as_array().into_iter().flatten() {
        *by_code
            .entry(f["code"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
    }
    println!(
        "  photoroll photo import (child process, whole run): {secs:.1} s for {} files: imported {imported}, failed {by_code:?}",
        report["total"]
    );
    println!(
        "  = {:.2} photos/s on {} cores (target ≥ 6)",
        photos as f64 / secs,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    match peak_kb {
        Some(kb) => println!("  peak memory (VmHWM): {:.0} MB", kb as f64 / 1024.0),
        None => println!("  peak memory: not measured on this OS"),
    }
    ensure!(
        imported as usize == photos,
        "not every capture was imported"
    );

    // The ceiling on this machine, now: the same captures standardized on two threads with
    // nothing read, looked up or saved.
    let sample = photos.min(120);
    let standardizer =
        photoroll_imaging::Standardizer::new(photoroll_imaging::spec::PhotoSpec::default())?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= sample {
                        break;
                    }
                    let r = standardizer.standardize(&bases[i % bases.len()]);
                    assert!(r.jpeg.is_some());
                }
            });
        }
    });
    let alone = sample as f64 / t.elapsed().as_secs_f64();
    println!(
        "  the pipeline alone on 2 threads (the same captures, {sample} of them, nothing read or saved): {alone:.2} photos/s; the import runs at {:.0}% of it",
        photos as f64 / secs / alone * 100.0
    );
    Ok(())
}
