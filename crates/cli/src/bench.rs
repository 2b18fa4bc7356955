//! `photoroll bench roster`: the roster figures of the foundation issue, in one run, on
//! whatever build runs it (use `--release`).

use anyhow::{Context, Result};
use calamine::{Reader, Xlsx};
use clap::Subcommand;
use photoroll_core::JobControl;
use photoroll_store::{Store, StudentFilter};
use std::process::Command;
use std::time::Instant;

#[derive(Subcommand, Debug)]
pub enum BenchCmd {
    /// Generate an N-row roster workbook, then time calamine alone, the full import (in a child
    /// process, with its peak memory) and the export of all rows.
    Roster {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        /// Keep the generated workbook, data folder and export in this folder.
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
    },
    /// Standard photo: a 24-megapixel capture made from SOURCE (a real portrait); times a plain
    /// decode and the whole pipeline on one core with peak memory, then a batch on two cores.
    Photo {
        source: std::path::PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long, default_value_t = 200)]
        batch: usize,
        /// The capture's size, WIDTHxHEIGHT: 4000x6000 is a 24-megapixel DSLR, 3000x4000 the
        /// 12 megapixels of a station camera.
        #[arg(long, default_value = "4000x6000")]
        size: String,
        /// Keep the generated capture in this folder.
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
    },
    /// The station's preview: a moving 1280×720 stream made from SOURCE through the live loop
    /// (frames per second reaching the reader), and a 12-megapixel frame's downscale.
    Preview {
        source: std::path::PathBuf,
        #[arg(long, default_value_t = 90)]
        frames: usize,
        /// Keep the generated frames here (for ui/e2e/bench-preview.mjs).
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
    },
    /// The delivery package (下载采集信息): N completed students with their own photo, the
    /// package written by a child process (time, peak memory) against `zip -0` of the same files.
    Package {
        #[arg(long, default_value_t = 10_000)]
        students: usize,
        /// Work in this folder and keep it (the data folder, the photos, both zips).
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
    },
    /// Print sheets (冲印) for N completed students: 版式一 on 6寸 at 300 dpi.
    PrintSheets {
        #[arg(long, default_value_t = 1000)]
        students: usize,
    },
    /// Review: N submitted students with real-size photos; opening the queue and bulk approval.
    Review {
        #[arg(long, default_value_t = 10_000)]
        students: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Only make the data set, in this (new) data folder, and keep it: the window's review
        /// benchmark (ui/e2e/bench-review.mjs) opens it.
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
    },
    /// Photo import (照片导入): PHOTOS real-size captures made from the test portraits, named by
    /// the collection codes of a generated roster, imported by `photoroll photo import` in a
    /// child process; prints photos per second.
    PhotoImport {
        #[arg(long, default_value_t = 1000)]
        photos: usize,
        /// The captures' size, WIDTHxHEIGHT (4000x6000: a 24-megapixel studio camera).
        #[arg(long, default_value = "4000x6000")]
        size: String,
        /// The folder of test portraits (`tests/fixtures/faces` in the repository).
        #[arg(long, default_value = "tests/fixtures/faces")]
        faces: std::path::PathBuf,
        /// Import one zip of the captures instead of a folder.
        #[arg(long)]
        zip: bool,
        /// Where to write the captures (default: beside the data folder, in a temporary folder);
        /// 1,000 24-megapixel captures are 6 GB.
        #[arg(long)]
        photos_dir: Option<std::path::PathBuf>,
        /// Keep the data folder and roster here (an empty folder).
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
    },
    /// Collection-code scanning on 1280×720 frames (with and without a code).
    Qr {
        #[arg(long, default_value_t = 21)]
        runs: usize,
    },
    /// Portrait comparison (人像比对): one pair, decode + detect + align + embed both photos, on
    /// one core; median of RUNS. Default pair: a 480×640 standard photo against a 150×200
    /// admission photo made from two real portraits of one person.
    Compare {
        /// The folder of test portraits (`tests/fixtures/faces` in the repository).
        #[arg(long, default_value = "tests/fixtures/faces")]
        faces: std::path::PathBuf,
        /// Compare these two photos instead.
        #[arg(long)]
        first: Option<std::path::PathBuf>,
        #[arg(long)]
        second: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 21)]
        runs: usize,
        /// The measuring half (run pinned to one core by the benchmark itself).
        #[arg(long, hide = true)]
        child: bool,
    },
    /// Comparison run (人像比对): N completed students with photos, admission photos and stored
    /// embeddings, interception on; then EMBED real portraits embedded on two threads (the
    /// cost of photos whose embeddings are not stored yet).
    CompareRun {
        #[arg(long, default_value_t = 10_000)]
        students: usize,
        #[arg(long, default_value_t = 40)]
        embed: usize,
        /// The folder of test portraits (`tests/fixtures/faces` in the repository).
        #[arg(long, default_value = "tests/fixtures/faces")]
        faces: std::path::PathBuf,
    },
    /// The measuring half of `bench photo` (run pinned to one core by it).
    #[command(hide = true)]
    PhotoChild {
        capture: std::path::PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

/// With PHOTOROLL_REPORT_PEAK=1 the process prints its peak resident memory on exit (Linux:
/// VmHWM from /proc/self/status), so a parent can measure a child without unsafe code.
pub fn report_peak_memory() {
    if std::env::var_os("PHOTOROLL_REPORT_PEAK").is_none() {
        return;
    }
    #[cfg(target_os = "linux")]
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
    {
        let kb: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        eprintln!("PEAK_RSS_KB={kb}");
    }
}

pub async fn run(cmd: BenchCmd) -> Result<()> {
    let (rows, keep) = match cmd {
        BenchCmd::Roster { rows, keep } => (rows, keep),
        BenchCmd::Photo {
            source,
            runs,
            batch,
            size,
            keep,
        } => return crate::bench_photo::run(source, runs, batch, &size, keep),
        BenchCmd::PhotoChild { capture, runs } => return crate::bench_photo::child(&capture, runs),
        BenchCmd::Qr { runs } => return crate::bench_qr::run(runs),
        BenchCmd::Compare {
            faces,
            first,
            second,
            runs,
            child,
        } => {
            return crate::bench_compare::run(crate::bench_compare::Args {
                faces,
                first,
                second,
                runs,
                child,
            });
        }
        BenchCmd::CompareRun {
            students,
            embed,
            faces,
        } => return crate::bench_compare_run::run(students, embed, &faces).await,
        BenchCmd::PhotoImport {
            photos,
            size,
            faces,
            zip,
            photos_dir,
            keep,
        } => {
            return crate::bench_photo_import::run(crate::bench_photo_import::Args {
                photos,
                size,
                faces,
                zip,
                photos_dir,
                keep,
            })
            .await;
        }
        BenchCmd::Package { students, keep } => {
            return crate::bench_deliverables::package(students, keep).await;
        }
        BenchCmd::PrintSheets { students } => {
            return crate::bench_deliverables::print_sheets(students).await;
        }
        BenchCmd::Review {
            students,
            runs,
            keep,
        } => {
            return crate::bench_review::run(students, runs, keep).await;
        }
        BenchCmd::Preview {
            source,
            frames,
            keep,
        } => return crate::bench_preview::run(source, frames, keep),
    };
    let tmp = tempfile::tempdir()?;
    let work_dir = match &keep {
        Some(k) => {
            std::fs::create_dir_all(k)?;
            anyhow::ensure!(
                std::fs::read_dir(k)?.next().is_none(),
                "--keep needs an empty folder"
            );
            k.clone()
        }
        None => tmp.path().to_path_buf(),
    };
    let book = work_dir.join("roster.xlsx");
    let t = Instant::now();
    photoroll_demo::write_demo_workbook(&book, rows, 7)?;
    let generate = t.elapsed();
    let size = std::fs::metadata(&book)?.len();

    let t = Instant::now();
    let mut xlsx: Xlsx<_> = calamine::open_workbook(&book)?;
    let sheet = xlsx.sheet_names()[0].clone();
    let range = xlsx.worksheet_range(&sheet)?;
    let calamine_rows = range.rows().count();
    let calamine = t.elapsed();
    drop(range);

    let data = work_dir.join("data");
    let exe = std::env::current_exe()?;
    let status = Command::new(&exe)
        .args(["--data-dir"])
        .arg(&data)
        .args([
            "school",
            "add",
            "--code",
            photoroll_demo::DEMO_SCHOOL_CODE,
            "--name",
            "基准大学",
        ])
        .output()?;
    anyhow::ensure!(
        status.status.success(),
        "school add failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let t = Instant::now();
    let out = Command::new(&exe)
        .env("PHOTOROLL_REPORT_PEAK", "1")
        .arg("--data-dir")
        .arg(&data)
        .args(["roster", "import"])
        .arg(&book)
        .args([
            "--school",
            photoroll_demo::DEMO_SCHOOL_CODE,
            "--category",
            "普通高等教育",
            "--json",
        ])
        .output()?;
    let import = t.elapsed();
    anyhow::ensure!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).context("import report")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let peak_kb: Option<u64> = stderr
        .lines()
        .find_map(|l| l.strip_prefix("PEAK_RSS_KB="))
        .and_then(|v| v.parse().ok());

    let store = Store::open(&data).await?;
    let t = Instant::now();
    let export_path = work_dir.join("export.xlsx");
    let rec = photoroll_roster::export_students(
        &store,
        &StudentFilter::default(),
        &export_path,
        "bench",
        &JobControl::new(),
    )
    .await?;
    let export = t.elapsed();

    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "roster benchmark, {rows} rows ({} KB workbook, generated in {:.0} ms)",
        size / 1024,
        ms(generate)
    );
    println!(
        "  calamine alone (worksheet_range, {calamine_rows} rows): {:>8.0} ms",
        ms(calamine)
    );
    println!(
        "  full import (child process: parse + validate + store; imported {}, failed {}): {:>8.0} ms = {:.2}× calamine",
        report["imported"],
        report["failed"],
        ms(import),
        ms(import) / ms(calamine)
    );
    match peak_kb {
        Some(kb) => println!("  import peak memory (VmHWM): {:.0} MB", kb as f64 / 1024.0),
        None => println!("  import peak memory: not measured on this OS"),
    }
    println!("  export of {} rows: {:>8.0} ms", rec.rows, ms(export));
    Ok(())
}
