//! The defects a code audit found around sessions, captures and station files, each on real
//! data folders: clearing the demo or deleting a roster once sessions and captures exist, an
//! older capture arriving late, a failed check without a reason, an unknown session, walk-ins
//! coming back from a station, photos no record uses.

use photoroll_core::{CheckOverride, JobControl};
use photoroll_store::{NewCapture, NewSession, Store};
use photoroll_tests::face_bytes as face;
use photoroll_workflows::sessions::add_walk_in;

async fn count(store: &Store, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn demo_with_session(dir: &std::path::Path) -> (Store, photoroll_store::CaptureSession) {
    let store = Store::open(dir).await.unwrap();
    photoroll_demo::load_demo(&store, &JobControl::new())
        .await
        .unwrap();
    let session = store
        .create_session(&NewSession {
            school_code: "99001".into(),
            name: "全体".into(),
            category: None,
            department: None,
            class_name: None,
        })
        .await
        .unwrap();
    (store, session)
}

/// The demo school at the admin's with a session, and a station that took its pack in.
async fn admin_and_station(
    dir: &std::path::Path,
) -> (Store, Store, photoroll_store::CaptureSession) {
    let (admin, session) = demo_with_session(&dir.join("admin")).await;
    let pack = dir.join("pack.zip");
    admin.export_pack(&session.id, &pack).await.unwrap();
    let station = Store::open(&dir.join("station")).await.unwrap();
    station.import_pack(&pack).await.unwrap();
    (admin, station, session)
}

async fn pending_ids(store: &Store, n: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT id FROM students WHERE state = 'pending' AND import_id IS NOT NULL ORDER BY id LIMIT ?",
    )
    .bind(n)
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// A standard photo unique to `tag`.
fn standard(tag: &str) -> Vec<u8> {
    let mut b = face("astronaut.png");
    b.extend_from_slice(tag.as_bytes());
    b
}

fn capture<'a>(
    student: &'a str,
    session: Option<&'a str>,
    original: &'a [u8],
    standard: &'a [u8],
    report: &str,
    overrides: Vec<CheckOverride>,
) -> NewCapture<'a> {
    NewCapture {
        student_id: student,
        session_id: session,
        original,
        standard,
        report: report.into(),
        overrides,
        actor: "摄影师：李华",
        retake: true,
        source: Default::default(),
    }
}

#[tokio::test]
async fn the_demo_clears_after_the_station_was_tried_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, session) = demo_with_session(dir.path()).await;
    let student = pending_ids(&store, 1).await.remove(0);
    let (original, std_photo) = (face("portrait-obama.jpg"), standard("demo"));
    store
        .save_capture(&capture(
            &student,
            Some(&session.id),
            &original,
            &std_photo,
            "{}",
            vec![],
        ))
        .await
        .unwrap();
    add_walk_in(&store, &session.id, "WALKIN20260001", "路人甲", "李华")
        .await
        .unwrap();
    let blob = store
        .blobs()
        .path_of(&photoroll_store::BlobStore::hash_of(&std_photo));
    assert!(blob.exists());

    store
        .clear_demo()
        .await
        .expect("clearing the demo after a capture");
    for table in [
        "SELECT COUNT(*) FROM students",
        "SELECT COUNT(*) FROM captures",
        "SELECT COUNT(*) FROM capture_sessions",
        "SELECT COUNT(*) FROM capture_session_students",
        "SELECT COUNT(*) FROM photos",
        "SELECT COUNT(*) FROM schools",
        "SELECT COUNT(*) FROM outbox WHERE pushed_at IS NULL",
    ] {
        assert_eq!(count(&store, table).await, 0, "{table}");
    }
    assert!(!blob.exists(), "the demo's photos go with it");
}

#[tokio::test]
async fn a_roster_whose_students_are_in_a_session_can_be_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    photoroll_demo::load_demo(&store, &JobControl::new())
        .await
        .unwrap();
    let import_id: String = sqlx::query_scalar("SELECT id FROM roster_imports LIMIT 1")
        .fetch_one(store.pool())
        .await
        .unwrap();
    // Photos block a delete; make the roster photo-free, as a fresh import is.
    for sql in [
        "DELETE FROM photos",
        "DELETE FROM transitions",
        "UPDATE students SET state = 'pending', photo_hash = NULL",
    ] {
        sqlx::query(sql).execute(store.pool()).await.unwrap();
    }
    store
        .create_session(&NewSession {
            school_code: "99001".into(),
            name: "上午场".into(),
            category: None,
            department: None,
            class_name: None,
        })
        .await
        .unwrap();
    let n = store
        .delete_import(&import_id)
        .await
        .expect("deleting a roster whose students a session covers");
    assert!(n > 0);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM capture_session_students").await,
        0
    );
}

#[tokio::test]
async fn a_late_older_capture_never_replaces_a_newer_photo() {
    let dir = tempfile::tempdir().unwrap();
    let (admin, station, session) = admin_and_station(dir.path()).await;
    let student = pending_ids(&admin, 1).await.remove(0);

    // The station shoots first (older), the admin's own station later (newer).
    let original = face("portrait-obama.jpg");
    let (old_photo, new_photo) = (standard("older"), standard("newer"));
    station
        .save_capture(&capture(
            &student,
            Some(&session.id),
            &original,
            &old_photo,
            "{}",
            vec![],
        ))
        .await
        .unwrap();
    let file = dir.path().join("captures.zip");
    station
        .export_captures(&file, &JobControl::new())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    admin
        .save_capture(&capture(
            &student,
            Some(&session.id),
            &original,
            &new_photo,
            "{}",
            vec![],
        ))
        .await
        .unwrap();

    let result = admin
        .import_captures(&file, &JobControl::new())
        .await
        .unwrap();
    assert_eq!(
        (result.added, result.skipped.len()),
        (1, 0),
        "kept in history"
    );
    let (state, photo): (String, String) =
        sqlx::query_as("SELECT state, photo_hash FROM students WHERE id = ?")
            .bind(&student)
            .fetch_one(admin.pool())
            .await
            .unwrap();
    assert_eq!(state, "submitted");
    assert_eq!(
        photo,
        photoroll_store::BlobStore::hash_of(&new_photo),
        "the newer photo stays"
    );
    let captures: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM captures WHERE student_id = ?")
        .bind(&student)
        .fetch_one(admin.pool())
        .await
        .unwrap();
    assert_eq!(captures, 2, "both captures in the history");
    // One submit only: the late capture made no transition.
    let submits: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM transitions WHERE student_id = ? AND action = 'submit'",
    )
    .bind(&student)
    .fetch_one(admin.pool())
    .await
    .unwrap();
    assert_eq!(submits, 1);
}

#[tokio::test]
async fn imported_captures_obey_the_override_rule_and_unknown_sessions_do_not_stop_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (admin, station, session) = admin_and_station(dir.path()).await;
    let ids = pending_ids(&admin, 3).await;
    let original = face("portrait-obama.jpg");
    let failed = r#"{"checks":[{"code":"yaw","passed":false}]}"#;
    let photos: Vec<Vec<u8>> = (0..3).map(|i| standard(&format!("s{i}"))).collect();
    // 0: a failed check with its reason; 1: the same check, no reason (written straight into
    // the station's database, as a tampered or older station would); 2: a session the admin
    // does not have.
    station
        .save_capture(&capture(
            &ids[0],
            Some(&session.id),
            &original,
            &photos[0],
            failed,
            vec![CheckOverride {
                code: "yaw".into(),
                reason: "颈椎术后".into(),
            }],
        ))
        .await
        .unwrap();
    station
        .save_capture(&capture(
            &ids[1],
            Some(&session.id),
            &original,
            &photos[1],
            "{}",
            vec![],
        ))
        .await
        .unwrap();
    sqlx::query("UPDATE captures SET report = ? WHERE student_id = ?")
        .bind(failed)
        .bind(&ids[1])
        .execute(station.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO capture_sessions (id, school_code, name, feature_code, created_at) VALUES ('elsewhere', '99001', '别处', '9999', '2026-01-01T00:00:00.000Z')")
        .execute(station.pool())
        .await
        .unwrap();
    station
        .save_capture(&capture(
            &ids[2],
            Some("elsewhere"),
            &original,
            &photos[2],
            "{}",
            vec![],
        ))
        .await
        .unwrap();
    // And the station's own rule refuses a failed check without a reason at save time.
    let refused = station
        .save_capture(&capture(
            &ids[1],
            Some(&session.id),
            &original,
            &photos[1],
            failed,
            vec![],
        ))
        .await;
    assert!(
        matches!(&refused, Err(photoroll_store::StoreError::UnresolvedChecks(c)) if c == &["yaw".to_string()]),
        "{refused:?}"
    );

    let file = dir.path().join("captures.zip");
    station
        .export_captures(&file, &JobControl::new())
        .await
        .unwrap();
    let result = admin
        .import_captures(&file, &JobControl::new())
        .await
        .unwrap();
    assert_eq!(result.added, 1, "{result:?}");
    let reasons: Vec<&str> = result.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("yaw")), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("elsewhere")),
        "{reasons:?}"
    );
    let state: String = sqlx::query_scalar("SELECT state FROM students WHERE id = ?")
        .bind(&ids[0])
        .fetch_one(admin.pool())
        .await
        .unwrap();
    assert_eq!(state, "submitted");
}

#[tokio::test]
async fn walk_ins_made_at_a_station_come_back_to_the_admin() {
    let dir = tempfile::tempdir().unwrap();
    let (admin, station, session) = admin_and_station(dir.path()).await;
    station.set_allow_walk_ins("99001", true).await.unwrap();
    let walk_in = add_walk_in(&station, &session.id, "walkin20260007", "韩梅梅", "李华")
        .await
        .unwrap();
    assert_eq!(walk_in.collection_code.as_deref(), Some("WALKIN20260007"));
    let original = face("portrait-obama.jpg");
    let photo = standard("walk-in");
    station
        .save_capture(&capture(
            &walk_in.id,
            Some(&session.id),
            &original,
            &photo,
            "{}",
            vec![],
        ))
        .await
        .unwrap();
    let file = dir.path().join("captures.zip");
    station
        .export_captures(&file, &JobControl::new())
        .await
        .unwrap();

    let result = admin
        .import_captures(&file, &JobControl::new())
        .await
        .unwrap();
    assert_eq!((result.added, result.skipped.len()), (1, 0), "{result:?}");
    let (name, state, flag): (String, String, Option<String>) = sqlx::query_as(
        "SELECT name, state, flag FROM students WHERE collection_code = 'WALKIN20260007'",
    )
    .fetch_one(admin.pool())
    .await
    .unwrap();
    assert_eq!((name.as_str(), state.as_str()), ("韩梅梅", "submitted"));
    assert!(flag.unwrap().contains("李华"));
    // Twice changes nothing.
    let again = admin
        .import_captures(&file, &JobControl::new())
        .await
        .unwrap();
    assert_eq!(again.added, 0);
    assert_eq!(
        count(
            &admin,
            "SELECT COUNT(*) FROM students WHERE collection_code = 'WALKIN20260007'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn garbage_collection_removes_only_photos_no_record_uses() {
    let dir = tempfile::tempdir().unwrap();
    let (store, session) = demo_with_session(dir.path()).await;
    let student = pending_ids(&store, 1).await.remove(0);
    let original = face("portrait-obama.jpg");
    let kept = standard("kept");
    store
        .save_capture(&capture(
            &student,
            Some(&session.id),
            &original,
            &kept,
            "{}",
            vec![],
        ))
        .await
        .unwrap();
    // A refused save leaves its photos behind (they are written before the check of the
    // state): here, a student approved meanwhile.
    let orphan = standard("orphan");
    let orphan_hash = store.blobs().put(&orphan).unwrap();
    let before = store.blobs().list().unwrap().len();

    let young = store
        .collect_garbage(std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(
        young.removed, 0,
        "a photo written a moment ago may be a save in flight"
    );
    assert_eq!(young.too_young, 1);
    let report = store
        .collect_garbage(std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!((report.removed, report.examined), (1, before as u64));
    assert!(!store.blobs().contains(&orphan_hash));
    // Every photo a record names is still there and whole.
    let named: Vec<String> = sqlx::query_scalar("SELECT hash FROM photos")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert!(!named.is_empty());
    for h in named {
        store.blobs().get(&h).unwrap();
    }
}

#[tokio::test]
async fn a_pack_with_a_bad_category_or_code_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (admin, session) = demo_with_session(&dir.path().join("admin")).await;
    let mut pack = admin.station_pack(&session.id).await.unwrap();
    pack.students[0].category = "夜校".into();
    let json = serde_json::to_vec(&pack).unwrap();
    // Rewrite the pack's json and its manifest hash, as a hand-made pack would be.
    let file = dir.path().join("bad.zip");
    write_pack(&file, &json);
    let station = Store::open(&dir.path().join("station")).await.unwrap();
    let err = station.import_pack(&file).await.unwrap_err();
    assert!(err.to_string().contains("夜校"), "{err}");
    assert_eq!(count(&station, "SELECT COUNT(*) FROM students").await, 0);

    let mut pack = admin.station_pack(&session.id).await.unwrap();
    pack.students[0].collection_code = Some("../../etc".into());
    write_pack(&file, &serde_json::to_vec(&pack).unwrap());
    assert!(station.import_pack(&file).await.is_err());
    let mut pack = admin.station_pack(&session.id).await.unwrap();
    pack.school_code = "x".into();
    write_pack(&file, &serde_json::to_vec(&pack).unwrap());
    assert!(station.import_pack(&file).await.is_err());
    assert_eq!(count(&station, "SELECT COUNT(*) FROM schools").await, 0);
}

fn write_pack(file: &std::path::Path, json: &[u8]) {
    use std::io::Write;
    let manifest = serde_json::json!({
        "format": "photoroll-station-pack/1",
        "entries": { "pack.json": photoroll_store::BlobStore::hash_of(json) },
    });
    let mut zip = zip::ZipWriter::new(std::fs::File::create(file).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("manifest.json", opts).unwrap();
    zip.write_all(manifest.to_string().as_bytes()).unwrap();
    zip.start_file("pack.json", opts).unwrap();
    zip.write_all(json).unwrap();
    zip.finish().unwrap();
}
