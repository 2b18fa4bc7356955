//! `photoroll bench package` and `photoroll bench print-sheets`: the deliverables' figures
//! (issue 15) on whatever build runs them (use `--release`).

use crate::bench_review::roster_of;
use anyhow::{Context, Result};
use photoroll_core::{Action, JobControl};
use photoroll_store::Store;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// N completed students, each with a distinct real 480×640 standard photo (300 dpi, in the
/// size window): a few drawings made distinct by bytes after their end marker.
async fn completed_students(store: &Store, dir: &Path, students: usize) -> Result<Vec<String>> {
    let ids = roster_of(store, dir, students).await?;
    let portraits: Vec<Vec<u8>> = (0..32)
        .map(photoroll_demo::demo_portrait)
        .collect::<Result<_, _>>()?;
    for (i, id) in ids.iter().enumerate() {
        let mut photo = portraits[i % portraits.len()].clone();
        photo.extend_from_slice(format!("photoroll-bench-{i}").as_bytes());
        let hash = store.add_photo(id, "standard", &photo).await?;
        store
            .apply_action(id, Action::Submit, "基准", Some(&hash), None)
            .await?;
        store
            .apply_action(id, Action::Approve, "基准审核员", None, None)
            .await?;
    }
    Ok(ids)
}

fn peak_mb(stderr: &[u8]) -> f64 {
    String::from_utf8_lossy(stderr)
        .lines()
        .find_map(|l| l.strip_prefix("PEAK_RSS_KB="))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The package of every student, by `photoroll export package` in a child process (its own
/// peak memory), against `zip -0` of the same photo files in the same run.
pub async fn package(students: usize, keep: Option<std::path::PathBuf>) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let work = keep.unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&work)?;
    let data = work.join("data");
    let store = Store::open(&data).await?;
    let t = Instant::now();
    let ids = completed_students(&store, &work, students).await?;
    println!(
        "package benchmark: {} completed students with their own photo (setup {:.1} s)",
        ids.len(),
        t.elapsed().as_secs_f64()
    );
    // The same photos as plain files, for zip -0.
    let files = work.join("photos");
    std::fs::create_dir_all(&files)?;
    let rows: Vec<(String, String)> = {
        let mut out = Vec::new();
        let mut cursor = 0;
        loop {
            let page = store
                .package_candidates_after(&Default::default(), cursor, 5000)
                .await?;
            let Some(last) = page.last() else { break };
            cursor = last.rowid;
            out.extend(
                page.into_iter()
                    .map(|c| (c.collection_code.unwrap_or(c.id), c.photo_hash)),
            );
        }
        out
    };
    for (code, hash) in &rows {
        std::fs::write(files.join(format!("{code}.jpg")), store.blobs().get(hash)?)?;
    }
    store.close().await;

    let zip0 = work.join("zip0.zip");
    let t = Instant::now();
    let out = Command::new("zip")
        .args(["-0", "-q", "-r"])
        .arg(&zip0)
        .arg(".")
        .current_dir(&files)
        .output()
        .context("zip (Debian: apt install zip)")?;
    let zip_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        out.status.success(),
        "zip -0 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let package = work.join("package.zip");
    let exe = std::env::current_exe()?;
    let t = Instant::now();
    let out = Command::new(&exe)
        .env("PHOTOROLL_REPORT_PEAK", "1")
        .arg("--data-dir")
        .arg(&data)
        .args(["export", "package", "-o"])
        .arg(&package)
        .arg("--json")
        .output()?;
    let package_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        out.status.success(),
        "export package failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    println!(
        "  export package: {} photos, {:.0} MB, {package_s:.2} s, peak {:.0} MB (targets ≤ 5 s, ≤ 150 MB)",
        report["photos"],
        std::fs::metadata(&package)?.len() as f64 / 1e6,
        peak_mb(&out.stderr)
    );
    println!(
        "  zip -0 of the same {} files: {zip_s:.2} s → package / zip -0 = {:.2}× (target ≤ 1.5×)",
        rows.len(),
        package_s / zip_s
    );
    let batch = report["batch_id"].as_str().unwrap_or_default().to_string();
    let again = work.join("again.zip");
    let t = Instant::now();
    let out = Command::new(&exe)
        .env("PHOTOROLL_REPORT_PEAK", "1")
        .arg("--data-dir")
        .arg(&data)
        .args(["export", "batch", &batch, "-o"])
        .arg(&again)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "export batch failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "  download the batch again: {:.2} s, peak {:.0} MB, byte-identical: {}",
        t.elapsed().as_secs_f64(),
        peak_mb(&out.stderr),
        std::fs::read(&package)? == std::fs::read(&again)?
    );
    Ok(())
}

/// Print sheets for N students (版式一 on 6寸 at 300 dpi) through the workflow, in process.
pub async fn print_sheets(students: usize) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let store = Store::open(&tmp.path().join("data")).await?;
    completed_students(&store, tmp.path(), students).await?;
    let address =
        photoroll_workflows::print::add_address(&store, "基准", "13800000000", "基准地址").await?;
    let order = photoroll_workflows::print::create_order(
        &store,
        &photoroll_workflows::print::OrderRequest {
            school: photoroll_demo::DEMO_SCHOOL_CODE,
            category: "普通高等教育",
            packages: Vec::new(),
            layout: "1",
            paper: "6",
            dpi: 300,
            address_id: &address,
            actor: "基准",
        },
    )
    .await?;
    let out = tmp.path().join("sheets.zip");
    let t = Instant::now();
    let w =
        photoroll_workflows::print::write_sheets(&store, &order.order_id, &out, &JobControl::new())
            .await?;
    let s = t.elapsed().as_secs_f64();
    println!(
        "print sheets: {} students (版式一, 6寸, 300 dpi) → {} sheets, {:.0} MB, {s:.2} s on 2 threads ({:.1} ms a set; target ≤ 10 s for 1,000), labels: {}",
        w.photos,
        w.sheets,
        w.bytes as f64 / 1e6,
        s * 1000.0 / f64::from(w.photos.max(1)),
        w.labels
    );
    Ok(())
}
