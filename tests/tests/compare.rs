//! Portrait comparison (人像比对) end to end: admission photos from real zips and folders into a
//! real data folder (every failure kind, hostile entries, refused archives, replacement with
//! history), then comparison runs over real portraits (`fixtures/faces`) with interception on
//! and off through the real store and core's state machine, 仍然报送 and bulk 驳回重拍.

#[path = "../../crates/archive/tests/common/mod.rs"]
mod rawzip;

use photoroll_core::compare::Outcome;
use photoroll_core::{CollectionState, JobControl};
use photoroll_store::{ComparisonFilter, ReviewFilter, Store, StudentFilter};
use photoroll_tests::{face_bytes, valid_id};
use photoroll_workflows::CaptureDesk;
use photoroll_workflows::admission::{
    AdmissionFailureCode as F, AdmissionImportOptions, AdmissionReport, import_admission_photos,
};
use photoroll_workflows::compare::{RunOptions, RunReport, SettingsChange, run, set_settings};
use photoroll_workflows::photo_import::{NameBy, PhotoImportOptions, import_photos};
use photoroll_workflows::review::{Verdict, decide_codes, decide_filtered};
use proptest::prelude::*;
use rawzip::{Raw, build};
use std::collections::BTreeMap;
use std::path::Path;

const DEMO: &str = "99001";

async fn count(store: &Store, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn demo_store(dir: &Path) -> Store {
    let store = Store::open(&dir.join("data")).await.unwrap();
    photoroll_demo::load_demo(&store, &JobControl::new())
        .await
        .unwrap();
    photoroll_workflows::review::set_school(&store, DEMO, Some(false), None)
        .await
        .unwrap();
    store
}

/// Pending students of the demo school: (collection code, ID number).
async fn pending(store: &Store, n: i64) -> Vec<(String, String)> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT collection_code, id_number FROM students WHERE school_code = ? AND state = 'pending'
         AND collection_code IS NOT NULL AND id_number IS NOT NULL ORDER BY collection_code LIMIT ?",
    )
    .bind(DEMO)
    .bind(n)
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(rows.len() as i64, n);
    rows
}

async fn state_of(store: &Store, code: &str) -> (String, Option<String>) {
    sqlx::query_as("SELECT state, state_reason FROM students WHERE collection_code = ?")
        .bind(code)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// A small JPEG of a fixture face, as admission photos are: decoded at a reduced DCT scale and
/// re-encoded at quality 70 (tens of KB).
fn admission_jpeg(face: &str) -> Vec<u8> {
    let decoded = photoroll_imaging::decode::decode(
        &face_bytes(face),
        300,
        &photoroll_imaging::decode::DecodeLimits::default(),
    )
    .unwrap();
    photoroll_imaging::encode::encode_at(&decoded.image, 70, 96).unwrap()
}

/// Gives each student its face through 照片导入, then approves them: completed students with
/// real portraits as their photos.
async fn completed_with(store: &Store, dir: &Path, faces: &[(&str, &str)]) {
    let folder = dir.join(format!("photos-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&folder).unwrap();
    for (code, face) in faces {
        let ext = face.rsplit('.').next().unwrap();
        std::fs::write(folder.join(format!("{code}.{ext}")), face_bytes(face)).unwrap();
    }
    let report = import_photos(
        store,
        &CaptureDesk::default(),
        &folder,
        &PhotoImportOptions {
            school: DEMO.into(),
            name_by: NameBy::Code,
            only_passing: false,
        },
        &JobControl::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.imported as usize, faces.len(), "{report:?}");
    let codes: Vec<String> = faces.iter().map(|(c, _)| c.to_string()).collect();
    let approved = decide_codes(store, "测试审核员", &codes, &Verdict::Approve)
        .await
        .unwrap();
    assert_eq!(approved.decided, faces.len(), "{approved:?}");
}

fn admission_options(name_by: NameBy) -> AdmissionImportOptions {
    AdmissionImportOptions {
        school: DEMO.into(),
        name_by,
    }
}

fn failures(report: &AdmissionReport) -> BTreeMap<String, F> {
    report
        .failed
        .iter()
        .map(|f| (f.entry.clone(), f.code))
        .collect()
}

/// 开启拦截上网 on or off for the demo school.
async fn intercept(store: &Store, on: bool) {
    set_settings(
        store,
        DEMO,
        &SettingsChange {
            intercept: Some(on),
            ..SettingsChange::default()
        },
    )
    .await
    .unwrap();
}

async fn run_all(store: &Store) -> RunReport {
    run(
        store,
        &RunOptions {
            students: StudentFilter {
                school: Some(DEMO.into()),
                ..StudentFilter::default()
            },
            only_new: false,
        },
        None,
        &JobControl::new(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admission_zip_imports_with_one_failure_per_entry_and_nothing_outside() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let s = pending(&store, 8).await;
    let small = admission_jpeg("portrait-grace-hopper.jpg");
    assert!(small.len() < 100 * 1024, "{} bytes", small.len());
    // A PNG's signature and a little more: small, so its format is what refuses it.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let link = Raw {
        made_by: 3 << 8 | 20,
        external: 0o120_777 << 16,
        ..Raw::stored(&format!("{}.jpg", s[6].1), b"/etc/passwd")
    };
    let zip = build(&[
        Raw::deflated(&format!("{}.jpg", s[0].1), &small),
        // Lower-case check letter and spaces: still the ID number.
        Raw::stored(&format!("录取/ {} .JPG", s[1].1.to_lowercase()), &small),
        Raw::stored(
            &format!("{}.jpg", s[2].1),
            &face_bytes("portrait-obama.jpg"),
        ),
        Raw::stored("不是证件号.jpg", &small),
        Raw::stored(&format!("{}.jpg", valid_id(27_000)), &small),
        Raw::stored(&format!("{}.png", s[3].1), &png),
        Raw::stored(&format!("{}.jpg", s[4].1), &png),
        Raw::stored(&format!("{}.jpg", s[5].1), &small),
        Raw::stored(&format!("again/{}.jpeg", s[5].1), &small),
        Raw::stored(&format!("../{}.jpg", s[7].1), &small),
        Raw::stored(&format!("/tmp/{}.jpg", s[7].1), &small),
        link,
        Raw::stored(".DS_Store", b"x"),
        Raw::stored("__MACOSX/._x.jpg", b"x"),
    ]);
    let path = dir.path().join("录取照片.zip");
    std::fs::write(&path, zip).unwrap();
    let before: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();

    let report = import_admission_photos(
        &store,
        &path,
        &admission_options(NameBy::Id),
        &JobControl::new(),
    )
    .await
    .unwrap();
    let f = failures(&report);
    let want: BTreeMap<String, F> = [
        (format!("{}.jpg", s[2].1), F::TooLarge),
        ("不是证件号.jpg".into(), F::BadName),
        (format!("{}.jpg", valid_id(27_000)), F::UnknownStudent),
        (format!("{}.png", s[3].1), F::NotJpeg),
        (format!("{}.jpg", s[4].1), F::NotJpeg),
        (format!("{}.jpg", s[5].1), F::Duplicate),
        (format!("again/{}.jpeg", s[5].1), F::Duplicate),
        (format!("../{}.jpg", s[7].1), F::UnsafeName),
        (format!("/tmp/{}.jpg", s[7].1), F::UnsafeName),
        (format!("{}.jpg", s[6].1), F::UnsafeName),
    ]
    .into_iter()
    .collect();
    assert_eq!(f, want, "{report:#?}");
    assert_eq!(report.imported, 2);
    assert_eq!(
        report.total, 12,
        "hidden and system entries are not counted"
    );
    for failure in &report.failed {
        assert!(!failure.message.is_empty());
        assert!(
            !failure.message.contains(&s[0].1) && !failure.message.contains(&s[2].1),
            "no full ID number in a message: {}",
            failure.message
        );
    }
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM admission_photos WHERE replaced_at IS NULL"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM outbox WHERE op = 'admission_photo_set'"
        )
        .await,
        2
    );
    // Nothing was written beside the zip, nor at the absolute path an entry named.
    let after: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(before.len(), after.len());
    assert!(!Path::new(&format!("/tmp/{}.jpg", s[7].1)).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_archive_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let s = pending(&store, 2).await;
    let outbox = count(&store, "SELECT COUNT(*) FROM outbox").await;
    let text = dir.path().join("照片.zip");
    std::fs::write(&text, "这不是压缩包").unwrap();
    let bomb = dir.path().join("bomb.zip");
    std::fs::write(
        &bomb,
        build(&[
            Raw::stored(
                &format!("{}.jpg", s[0].1),
                &admission_jpeg("portrait-grace-hopper.jpg"),
            ),
            Raw {
                size: 1000,
                ..Raw::deflated(&format!("{}.jpg", s[1].1), &vec![0u8; 5 << 20])
            },
        ]),
    )
    .unwrap();
    for (path, code) in [
        (text.as_path(), "photo_source"),
        (bomb.as_path(), "bad_archive"),
        (dir.path().join("missing.zip").as_path(), "photo_source"),
    ] {
        let err = import_admission_photos(
            &store,
            path,
            &admission_options(NameBy::Id),
            &JobControl::new(),
        )
        .await
        .unwrap_err();
        assert!(err.is_refusal(), "{err}");
        assert_eq!(err.code(), code, "{}: {err}", path.display());
    }
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM admission_photos").await,
        0
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox").await, outbox);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_admission_photo_replaces_the_older_which_stays_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let s = pending(&store, 1).await;
    let folder = dir.path().join("第一批");
    std::fs::create_dir_all(&folder).unwrap();
    let first = admission_jpeg("portrait-grace-hopper.jpg");
    std::fs::write(folder.join(format!("{}.jpg", s[0].0)), &first).unwrap();
    let r = import_admission_photos(
        &store,
        &folder,
        &admission_options(NameBy::Code),
        &JobControl::new(),
    )
    .await
    .unwrap();
    assert_eq!(r.imported, 1, "{r:?}");
    let second = admission_jpeg("portrait-obama-turned.jpg");
    let set =
        photoroll_workflows::admission::set_admission_photo(&store, &s[0].0, "new.jpg", &second)
            .await
            .unwrap();
    assert_eq!(set, photoroll_store::AdmissionSet::Replaced);
    let again =
        photoroll_workflows::admission::set_admission_photo(&store, &s[0].0, "new.jpg", &second)
            .await
            .unwrap();
    assert_eq!(again, photoroll_store::AdmissionSet::Unchanged);
    let student = photoroll_workflows::review::one_by_code(&store, &s[0].0)
        .await
        .unwrap();
    let history = store.admission_photos(&student.id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(history[0].replaced_at.is_none());
    assert_eq!(history[0].file_name, "new.jpg");
    assert!(history[1].replaced_at.is_some());
    // Both blobs survive garbage collection: the replaced one is history.
    store
        .collect_garbage(std::time::Duration::ZERO)
        .await
        .unwrap();
    for photo in &history {
        assert!(store.blobs().get(&photo.hash).is_ok());
    }
    // Refused one at a time: too large, not a JPEG.
    let big = photoroll_workflows::admission::set_admission_photo(
        &store,
        &s[0].0,
        "big.jpg",
        &face_bytes("portrait-obama.jpg"),
    )
    .await
    .unwrap_err();
    assert_eq!(big.code(), "too_large");
    let png = photoroll_workflows::admission::set_admission_photo(
        &store,
        &s[0].0,
        "a.jpg",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .await
    .unwrap_err();
    assert_eq!(png.code(), "not_jpeg");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_judge_real_faces_and_intercept_only_when_the_school_asks() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let s = pending(&store, 3).await;
    let (same, other, alone) = (&s[0].0, &s[1].0, &s[2].0);
    completed_with(
        &store,
        dir.path(),
        &[
            (same, "portrait-obama.jpg"),
            (other, "portrait-grace-hopper.jpg"),
            (alone, "astronaut.png"),
        ],
    )
    .await;
    let folder = dir.path().join("录取");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join(format!("{same}.jpg")),
        admission_jpeg("portrait-obama-turned.jpg"),
    )
    .unwrap();
    std::fs::write(
        folder.join(format!("{other}.jpg")),
        admission_jpeg("portrait-obama-blue-room.jpg"),
    )
    .unwrap();
    let r = import_admission_photos(
        &store,
        &folder,
        &admission_options(NameBy::Code),
        &JobControl::new(),
    )
    .await
    .unwrap();
    assert_eq!(r.imported, 2, "{r:?}");

    // Interception off: results shown, nobody held.
    let steps = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = steps.clone();
    let job = JobControl::new().with_progress(move |d, t| seen.lock().unwrap().push((d, t)));
    let report = run(
        &store,
        &RunOptions {
            students: StudentFilter {
                school: Some(DEMO.into()),
                ..StudentFilter::default()
            },
            only_new: false,
        },
        None,
        &job,
    )
    .await
    .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    for key in [
        "compared",
        "same",
        "possibly_same",
        "different",
        "no_admission_photo",
        "no_face",
        "intercepted",
    ] {
        assert!(json[key].is_u64(), "{key} in {json}");
    }
    assert!(json.get("id_check").is_none() && json.get("cancelled").is_none());
    assert_eq!(report.compared, 2, "{report:?}");
    assert_eq!(report.same, 1, "{report:?}");
    assert_eq!(report.different, 1, "{report:?}");
    assert_eq!(report.intercepted, 0);
    assert!(report.no_admission_photo >= 1, "the astronaut has none");
    let steps = steps.lock().unwrap().clone();
    let (last, total) = *steps.last().unwrap();
    assert_eq!(last, total, "progress reaches its total: {steps:?}");
    for code in [same, other] {
        assert_eq!(state_of(&store, code).await.0, "completed");
    }
    // Embeddings are stored once per photo: 4 photos, and a second run computes none.
    let embeddings = count(&store, "SELECT COUNT(*) FROM face_embeddings").await;
    assert_eq!(embeddings, 4);
    let results = store
        .comparison_results(&ComparisonFilter::default())
        .await
        .unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].outcome, Outcome::Different, "doubtful first");
    assert_eq!(results[1].outcome, Outcome::Same);
    assert!(results[1].score.unwrap() >= 0.363);
    assert!(results[0].score.unwrap() < 0.28);
    assert!(!results[0].intercepted && !results[0].stale);
    assert_eq!(results[0].model_version, photoroll_faceid::MODEL_VERSION);
    assert!(results[0].id_masked.as_deref().unwrap().contains('*'));

    // Nothing new to compare.
    let again = run(
        &store,
        &RunOptions {
            students: StudentFilter::default(),
            only_new: true,
        },
        None,
        &JobControl::new(),
    )
    .await
    .unwrap();
    assert_eq!(again.compared, 0, "{again:?}");

    // Interception on: the different one is held, on the photo compared, by 人像比对.
    intercept(&store, true).await;
    let report = run_all(&store).await;
    assert_eq!((report.compared, report.intercepted), (2, 1), "{report:?}");
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM face_embeddings").await,
        embeddings
    );
    let (state, reason) = state_of(&store, other).await;
    assert_eq!(state, "intercepted");
    assert!(reason.unwrap().contains("非同一人"));
    assert_eq!(state_of(&store, same).await.0, "completed");
    let student = photoroll_workflows::review::one_by_code(&store, other)
        .await
        .unwrap();
    let history = store.transitions(&student.id).await.unwrap();
    let held = history.last().unwrap();
    assert_eq!(
        (held.action.as_str(), held.actor.as_str()),
        ("intercept", "人像比对")
    );
    assert_eq!(held.photo_hash, student.photo_hash);
    // A second run holds nobody twice.
    assert_eq!(run_all(&store).await.intercepted, 0);

    // 仍然报送 needs a reason, then clears the photo for good.
    let refused = decide_codes(
        &store,
        "王老师",
        std::slice::from_ref(other),
        &Verdict::SendAnyway { reason: " ".into() },
    )
    .await;
    assert!(refused.is_err());
    let sent = decide_codes(
        &store,
        "王老师",
        std::slice::from_ref(other),
        &Verdict::SendAnyway {
            reason: "本人，已当面核对证件".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(sent.decided, 1, "{sent:?}");
    assert_eq!(state_of(&store, other).await.0, "completed");
    let history = store.transitions(&student.id).await.unwrap();
    let cleared = history.last().unwrap();
    assert_eq!(cleared.action, "send_anyway");
    assert_eq!(cleared.actor, "管理员：王老师");
    assert_eq!(cleared.reason.as_deref(), Some("本人，已当面核对证件"));
    assert_eq!(
        run_all(&store).await.intercepted,
        0,
        "cleared stays cleared"
    );
    // 仍然报送 on someone not intercepted is refused by the table.
    let not_held = decide_codes(
        &store,
        "王老师",
        std::slice::from_ref(same),
        &Verdict::SendAnyway { reason: "x".into() },
    )
    .await
    .unwrap();
    assert_eq!((not_held.decided, not_held.skipped.len()), (0, 1));

    // Interception off again: nothing more is held.
    intercept(&store, false).await;
    assert_eq!(run_all(&store).await.intercepted, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_reject_retake_by_filter_sends_every_intercepted_student_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let s = pending(&store, 3).await;
    completed_with(
        &store,
        dir.path(),
        &[
            (&s[0].0, "portrait-grace-hopper.jpg"),
            (&s[1].0, "portrait-obama.jpg"),
            (&s[2].0, "portrait-obama-turned.jpg"),
        ],
    )
    .await;
    let folder = dir.path().join("录取");
    std::fs::create_dir_all(&folder).unwrap();
    for (code, face) in [
        (&s[0].0, "portrait-obama-turned.jpg"),
        (&s[1].0, "portrait-grace-hopper.jpg"),
        (&s[2].0, "portrait-obama-blue-room.jpg"),
    ] {
        std::fs::write(folder.join(format!("{code}.jpg")), admission_jpeg(face)).unwrap();
    }
    import_admission_photos(
        &store,
        &folder,
        &admission_options(NameBy::Code),
        &JobControl::new(),
    )
    .await
    .unwrap();
    intercept(&store, true).await;
    // The demo school has intercepted students of its own already.
    let held_before = count(
        &store,
        "SELECT COUNT(*) FROM students WHERE state = 'intercepted'",
    )
    .await as usize;
    let report = run_all(&store).await;
    assert_eq!((report.different, report.intercepted), (2, 2), "{report:?}");

    let outcome = decide_filtered(
        &store,
        "王老师",
        ReviewFilter {
            students: StudentFilter {
                school: Some(DEMO.into()),
                state: Some(CollectionState::Intercepted),
                ..StudentFilter::default()
            },
            ..ReviewFilter::default()
        },
        &Verdict::RejectRetake,
        &JobControl::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.decided.len(), held_before + 2, "{outcome:?}");
    assert!(outcome.skipped.is_empty());
    for code in [&s[0].0, &s[1].0] {
        let (state, reason) = state_of(&store, code).await;
        assert_eq!(state, "rejected");
        assert!(reason.unwrap().contains("人像比对"));
    }
    assert_eq!(state_of(&store, &s[2].0).await.0, "completed");
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM transitions WHERE action = 'reject_retake' AND reason_key = 'comparison'"
        )
        .await as usize,
        held_before + 2
    );
    // The results list shows them as out of date once a new photo arrives; until then the
    // latest result stands.
    let rows = store
        .comparison_results(&ComparisonFilter {
            outcome: Some(Outcome::Different),
            ..ComparisonFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.state == CollectionState::Rejected));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any entry names and bytes: the import never panics, counts every entry once, stores at
    /// most the entries it reports imported, and writes nothing outside the store.
    #[test]
    fn hostile_admission_zips_never_break_the_import(
        entries in proptest::collection::vec(
            (
                prop_oneof![
                    "[a-zA-Z0-9./\\\\:_ -]{0,24}",
                    "(\\.\\./){1,3}[0-9]{17}[0-9X]\\.jpg",
                    "[0-9]{17}[0-9X]\\.(jpg|png|JPG|jpeg)",
                ],
                proptest::collection::vec(any::<u8>(), 0..256),
            ),
            0..12,
        )
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&dir.path().join("data")).await.unwrap();
            photoroll_workflows::maintenance::add_school(&store, DEMO, "测试学院").await.unwrap();
            let raws: Vec<Raw> = entries
                .iter()
                .map(|(name, bytes)| Raw::stored(name, bytes))
                .collect();
            let path = dir.path().join("a.zip");
            std::fs::write(&path, build(&raws)).unwrap();
            match import_admission_photos(
                &store,
                &path,
                &admission_options(NameBy::Id),
                &JobControl::new(),
            )
            .await
            {
                Ok(report) => {
                    prop_assert_eq!(
                        report.imported as usize + report.failed.len(),
                        report.total as usize
                    );
                    prop_assert!(report.total as usize <= entries.len());
                    prop_assert_eq!(report.imported, 0, "no student on this roster");
                }
                Err(e) => prop_assert!(e.is_refusal(), "{}", e),
            }
            let names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            let mut names = names;
            names.sort();
            prop_assert_eq!(names, vec!["a.zip".to_string(), "data".to_string()]);
            Ok(())
        })?;
    }
}

/// A 人证比对 provider on 127.0.0.1 speaking the protocol `photoroll-idcheck` documents: it
/// says `mismatch` for the ID numbers it is given and `match` for the rest, and counts calls.
async fn id_provider(
    mismatched: Vec<String>,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use axum::routing::post;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    let app = axum::Router::new().route(
        "/verify",
        post(move |body: axum::Json<serde_json::Value>| {
            let seen = seen.clone();
            let mismatched = mismatched.clone();
            async move {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let id = body["id_number"].as_str().unwrap_or_default().to_string();
                assert!(!body["photo_base64"].as_str().unwrap_or_default().is_empty());
                let result = if mismatched.contains(&id) {
                    "mismatch"
                } else {
                    "match"
                };
                axum::Json(serde_json::json!({ "result": result, "score": 0.5 }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_id_check_runs_first_and_a_mismatch_is_held_without_a_portrait_verdict() {
    use photoroll_idcheck::{HttpIdentityVerifier, IdCheckConfig};
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let s = pending(&store, 2).await;
    completed_with(
        &store,
        dir.path(),
        &[
            (&s[0].0, "portrait-obama.jpg"),
            (&s[1].0, "portrait-grace-hopper.jpg"),
        ],
    )
    .await;
    for (code, face) in [
        (&s[0].0, "portrait-obama-turned.jpg"),
        (&s[1].0, "portrait-grace-hopper.jpg"),
    ] {
        photoroll_workflows::admission::set_admission_photo(
            &store,
            code,
            "a.jpg",
            &admission_jpeg(face),
        )
        .await
        .unwrap();
    }
    intercept(&store, true).await;
    // The portrait says same for both; the registry says the second is not the ID's holder.
    let (addr, calls) = id_provider(vec![s[1].1.clone()]).await;
    let verifier = HttpIdentityVerifier::new(IdCheckConfig {
        url: format!("http://{addr}/verify"),
        key: "test-key".into(),
    })
    .unwrap();
    let options = RunOptions {
        students: StudentFilter {
            school: Some(DEMO.into()),
            ..StudentFilter::default()
        },
        only_new: false,
    };
    let report = run(&store, &options, Some(&verifier), &JobControl::new())
        .await
        .unwrap();
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    let id = report
        .id_check
        .clone()
        .expect("id_check counts when configured");
    assert_eq!(
        (id.matched, id.mismatched, id.errors),
        (1, 1, 0),
        "{report:?}"
    );
    assert_eq!(
        (report.compared, report.same, report.intercepted),
        (2, 1, 1)
    );
    let (state, reason) = state_of(&store, &s[1].0).await;
    assert_eq!(state, "intercepted");
    assert!(reason.unwrap().contains("人证不一致"));
    let rows = store
        .comparison_results(&ComparisonFilter {
            outcome: Some(Outcome::IdMismatch),
            ..ComparisonFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].score, None, "no portrait verdict after a mismatch");

    // The service out of reach: nobody is compared this run (the check the school asked for
    // cannot be skipped), and the report says why.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let offline = HttpIdentityVerifier::new(IdCheckConfig {
        url: format!("http://{closed}/verify"),
        key: "test-key".into(),
    })
    .unwrap();
    let before = count(&store, "SELECT COUNT(*) FROM comparisons").await;
    let report = run(&store, &options, Some(&offline), &JobControl::new())
        .await
        .unwrap();
    let id = report.id_check.unwrap();
    assert_eq!(report.compared, 0);
    assert!(id.errors >= 1);
    assert!(id.first_error.unwrap().contains("无法连接"));
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM comparisons").await,
        before
    );
}
