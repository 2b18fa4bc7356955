//! `photoroll bench compare-run`: a comparison run (人像比对) over N completed students that
//! each have a photo and an admission photo whose embeddings are stored, with interception on
//! — the run's own work: candidates, embeddings from the store, scores, verdicts, results and
//! interceptions written in slices. Then the cost of embeddings not yet stored: M real
//! portraits embedded on two threads.

use anyhow::{Context, Result, ensure};
use photoroll_core::{Action, JobControl, SchoolCode};
use photoroll_faceid::FaceMatcher;
use photoroll_store::{Store, StudentFilter};
use photoroll_workflows::compare::{RunOptions, SettingsChange, compute_embeddings_blocking};
use std::path::Path;
use std::time::Instant;

/// Real portraits whose embeddings stand in for the students' faces: the scores and verdicts
/// of the run are real ones.
const FACES: [&str; 5] = [
    "portrait-obama.jpg",
    "portrait-obama-turned.jpg",
    "portrait-grace-hopper.jpg",
    "portrait-biden-full-body.jpg",
    "astronaut.png",
];

pub async fn run(students: usize, embed: usize, faces: &Path) -> Result<()> {
    ensure!(students > 0, "--students must be at least 1");
    let tmp = tempfile::tempdir()?;
    let store = Store::open(&tmp.path().join("data")).await?;
    let t = Instant::now();
    let ids = crate::bench_review::roster_of(&store, tmp.path(), students).await?;
    let code = SchoolCode::parse(photoroll_demo::DEMO_SCHOOL_CODE)?;
    let matcher = FaceMatcher::shared()?;
    let mut vectors = Vec::new();
    let mut sources = Vec::new();
    for name in FACES {
        let path = faces.join(name);
        let bytes = std::fs::read(&path).with_context(|| format!("读取 {}", path.display()))?;
        vectors.push(matcher.embed(&bytes)?.to_le_bytes());
        sources.push(bytes);
    }
    let portrait = photoroll_demo::demo_portrait(0)?;
    let model = photoroll_faceid::MODEL_VERSION;
    let mut embeddings = Vec::with_capacity(ids.len() * 2);
    for (i, id) in ids.iter().enumerate() {
        // Distinct bytes per student: each photo is its own blob, as in life.
        let mut photo = portrait.clone();
        photo.extend_from_slice(format!("photoroll-bench-photo-{i}").as_bytes());
        let hash = store.add_photo(id, "standard", &photo).await?;
        store
            .apply_action(id, Action::Submit, "基准", Some(&hash), None)
            .await?;
        store
            .apply_action(id, Action::Approve, "基准", None, None)
            .await?;
        let mut admission = portrait.clone();
        admission.extend_from_slice(format!("photoroll-bench-admission-{i}").as_bytes());
        store
            .set_admission_photo(id, &admission, "录取.jpg")
            .await?;
        let admission_hash = photoroll_store::BlobStore::hash_of(&admission);
        // Mostly the same person (obama against obama turned), one in eight someone else.
        let (a, b) = if i % 8 == 7 { (0, 2) } else { (0, 1) };
        embeddings.push((hash, Some(vectors[a].clone())));
        embeddings.push((admission_hash, Some(vectors[b].clone())));
    }
    store.save_face_embeddings(model, &embeddings).await?;
    photoroll_workflows::compare::set_settings(
        &store,
        code.as_str(),
        &SettingsChange {
            intercept: Some(true),
            ..SettingsChange::default()
        },
    )
    .await?;
    println!(
        "comparison run benchmark: {} completed students with stored embeddings (setup {:.1} s)",
        ids.len(),
        t.elapsed().as_secs_f64()
    );

    let steps = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = steps.clone();
    let job = JobControl::new().with_progress(move |_, _| {
        seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    let t = Instant::now();
    let report = photoroll_workflows::compare::run(
        &store,
        &RunOptions {
            students: StudentFilter::default(),
            only_new: false,
        },
        None,
        &job,
    )
    .await?;
    let elapsed = t.elapsed();
    ensure!(
        report.compared as usize == ids.len(),
        "compared {} of {}",
        report.compared,
        ids.len()
    );
    println!(
        "  run over {} students: {:.2} s (target ≤ 60 s on 2 cores); same {}, different {}, intercepted {}; {} progress reports",
        report.compared,
        elapsed.as_secs_f64(),
        report.same,
        report.different,
        report.intercepted,
        steps.load(std::sync::atomic::Ordering::Relaxed)
    );
    let t = Instant::now();
    let again = photoroll_workflows::compare::run(
        &store,
        &RunOptions {
            students: StudentFilter::default(),
            only_new: true,
        },
        None,
        &JobControl::new(),
    )
    .await?;
    println!(
        "  a run of new photos only, none new ({} compared): {:.2} s",
        again.compared,
        t.elapsed().as_secs_f64()
    );

    if embed > 0 {
        // Embeddings not yet stored: real portraits, as blobs, on the run's two threads.
        let mut hashes = Vec::with_capacity(embed);
        for i in 0..embed {
            hashes.push(store.blobs().put(&sources[i % sources.len()])?);
        }
        hashes.sort();
        hashes.dedup();
        let blobs = store.blobs().clone();
        let n = hashes.len();
        // The same photo embedded again is the same work: ask for each hash `embed / n` times.
        let work: Vec<String> = (0..embed).map(|i| hashes[i % n].clone()).collect();
        let t = Instant::now();
        let computed = tokio::task::spawn_blocking(move || {
            compute_embeddings_blocking(&matcher, &blobs, &work, &JobControl::new(), &|_| {})
        })
        .await??;
        let secs = t.elapsed().as_secs_f64();
        ensure!(computed.len() == embed);
        println!(
            "  embeddings not stored yet: {embed} real portraits on 2 threads in {secs:.1} s ({:.0} ms a photo; 10,000 students' two photos ≈ {:.0} s once)",
            secs * 1000.0 / embed as f64,
            secs / embed as f64 * 20_000.0
        );
    }
    store.close().await;
    Ok(())
}
