//! `photoroll bench review`: N submitted students with real-size 480×640 photos, then the
//! review figures of the review issue: opening the queue (the list, the first student's
//! detail and photo), a filtered queue, and bulk approval of every photo.

use anyhow::Result;
use photoroll_core::{Action, EducationCategory, JobControl, School, SchoolCode};
use photoroll_store::{ChecksFilter, ReviewFilter, Store};
use photoroll_workflows::review::{self, Verdict};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A benchmark school (the demo school's code) with a generated roster of `students` through the
/// real import; the students' ids. Shared by the benchmarks that need a roster.
pub async fn roster_of(
    store: &Store,
    tmp: &std::path::Path,
    students: usize,
) -> Result<Vec<String>> {
    let code = SchoolCode::parse(photoroll_demo::DEMO_SCHOOL_CODE)?;
    store
        .upsert_school(
            &School {
                code: code.clone(),
                name: "基准大学".into(),
            },
            false,
        )
        .await?;
    let book = tmp.join("roster.xlsx");
    photoroll_demo::write_demo_workbook(&book, students, 11)?;
    let report = photoroll_workflows::roster::import_roster(
        store,
        &book,
        code.as_str(),
        Some(EducationCategory::Regular),
        &JobControl::new(),
    )
    .await?;
    let ids: Vec<String> = store
        .import_students(&report.import_id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    Ok(ids)
}

pub async fn run(students: usize, runs: usize, keep: Option<PathBuf>) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = keep.clone().unwrap_or_else(|| tmp.path().join("data"));
    let store = Store::open(&data).await?;
    let t = Instant::now();
    let ids = roster_of(&store, tmp.path(), students).await?;
    // Real 480×640 JPEGs, each student's its own blob (a few drawings, made distinct).
    let portraits: Vec<Vec<u8>> = (0..32)
        .map(photoroll_demo::demo_portrait)
        .collect::<Result<_, _>>()?;
    let mut bytes_total = 0usize;
    for (i, id) in ids.iter().enumerate() {
        let mut photo = portraits[i % portraits.len()].clone();
        photo.extend_from_slice(format!("photoroll-bench-{i}").as_bytes());
        bytes_total += photo.len();
        let hash = store.add_photo(id, "standard", &photo).await?;
        store
            .apply_action(id, Action::Submit, "基准", Some(&hash), None)
            .await?;
    }
    let setup = t.elapsed();
    println!(
        "review benchmark: {} submitted students, {:.0} KB photos on average (setup {:.1} s)",
        ids.len(),
        bytes_total as f64 / ids.len().max(1) as f64 / 1024.0,
        setup.as_secs_f64()
    );
    if let Some(dir) = keep {
        store.close().await;
        println!("  data kept in {}", dir.display());
        return Ok(());
    }

    // Opening the screen: the queue, the first student's detail and the photo's bytes.
    let mut open = Vec::new();
    let mut listed = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let queue = review::queue(&store, ReviewFilter::default()).await?;
        let first = &queue[0];
        let detail = review::detail(&store, &first.student_id).await?;
        let photo = store.blobs().get(&first.photo_sha256)?;
        anyhow::ensure!(!photo.is_empty() && detail.student.id == first.student_id);
        open.push(ms(t.elapsed()));
        listed = queue.len();
    }
    println!(
        "  open the review screen (queue of {listed} + first detail + photo): median {:.0} ms over {runs} runs (target ≤ 1000 ms)",
        median(open)
    );
    let mut next = Vec::new();
    let queue = review::queue(&store, ReviewFilter::default()).await?;
    for entry in queue.iter().skip(1).take(50) {
        let t = Instant::now();
        review::detail(&store, &entry.student_id).await?;
        store.blobs().get(&entry.photo_sha256)?;
        next.push(ms(t.elapsed()));
    }
    println!(
        "  next student's detail + photo from the store: median {:.2} ms (the window's draw is measured by ui/e2e)",
        median(next)
    );
    let t = Instant::now();
    let passed = review::queue(
        &store,
        ReviewFilter {
            checks: ChecksFilter::AllPassed,
            ..Default::default()
        },
    )
    .await?;
    println!(
        "  filtered queue (all checks passed, {} photos): {:.0} ms",
        passed.len(),
        ms(t.elapsed())
    );
    let t = Instant::now();
    let outcome = review::decide_listed(
        &store,
        "基准审核员",
        &passed,
        &Verdict::Approve,
        &JobControl::new(),
    )
    .await?;
    println!(
        "  bulk approve of {} photos (skipped {}): {:.0} ms (target ≤ 3000 ms)",
        outcome.decided.len(),
        outcome.skipped.len(),
        ms(t.elapsed())
    );
    store.close().await;
    Ok(())
}
