//! Station packs round trip between two real data folders: the admin's and a station's.

use photoroll_core::CheckOverride;
use photoroll_core::JobControl;
use photoroll_store::{NewCapture, NewSession, Store};
use std::io::{Read, Write};

use photoroll_tests::face_bytes as face;

/// Rewrites a zip with `change` applied to the named entry's bytes.
fn tamper(file: &std::path::Path, entry: &str, change: impl Fn(&mut Vec<u8>)) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(file).unwrap()).unwrap();
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..zip.len() {
        let mut e = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        let name = e.name().unwrap().to_string();
        if name == entry || name.starts_with(entry) {
            change(&mut bytes);
        }
        entries.push((name, bytes));
    }
    let mut out = zip::ZipWriter::new(std::fs::File::create(file).unwrap());
    for (name, bytes) in entries {
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
}

async fn count(store: &Store, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_session_goes_to_a_station_and_its_captures_come_back_once() {
    let dir = tempfile::tempdir().unwrap();
    let admin = Store::open(&dir.path().join("admin")).await.unwrap();
    photoroll_demo::load_demo(&admin, &JobControl::new())
        .await
        .unwrap();
    let session = admin
        .create_session(&NewSession {
            school_code: "99001".into(),
            name: "上午场".into(),
            category: None,
            department: Some("计算机学院".into()),
            class_name: None,
        })
        .await
        .unwrap();
    let pack = dir.path().join("上午场.pack");
    let packed = admin.export_pack(&session.id, &pack).await.unwrap();
    assert_eq!(packed as i64, session.students);

    // What leaves the admin's laptop: no full ID, no full name.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&pack).unwrap()).unwrap();
    let mut json = String::new();
    zip.by_name("pack.json")
        .unwrap()
        .read_to_string(&mut json)
        .unwrap();
    let full: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, id_number FROM students WHERE department = '计算机学院' AND id_number IS NOT NULL",
    )
    .fetch_all(admin.pool())
    .await
    .unwrap();
    for (name, id_number) in &full {
        assert!(
            !json.contains(id_number.as_str()),
            "a full ID left in the pack"
        );
        if name.chars().count() > 1 {
            assert!(
                !json.contains(&format!("\"{name}\"")),
                "a full name left in the pack"
            );
        }
    }
    assert!(json.contains(&session.feature_code));

    // The station takes it in, twice: the second time changes nothing.
    let station = Store::open(&dir.path().join("station")).await.unwrap();
    assert_eq!(
        station.import_pack(&pack).await.unwrap() as i64,
        session.students
    );
    assert_eq!(station.import_pack(&pack).await.unwrap(), 0);
    assert_eq!(
        count(&station, "SELECT COUNT(*) FROM students").await,
        session.students
    );
    assert_eq!(
        count(
            &station,
            "SELECT COUNT(*) FROM students WHERE id_number IS NOT NULL"
        )
        .await,
        0
    );
    let taken: Vec<String> = sqlx::query_scalar("SELECT id FROM students ORDER BY id LIMIT 3")
        .fetch_all(station.pool())
        .await
        .unwrap();
    for (i, student) in taken.iter().enumerate() {
        let mut standard = face("astronaut.png");
        standard.extend_from_slice(student.as_bytes());
        station
            .save_capture(&NewCapture {
                student_id: student,
                session_id: Some(&session.id),
                original: &face("portrait-obama.jpg"),
                standard: &standard,
                report: "{}".into(),
                overrides: if i == 0 {
                    vec![CheckOverride {
                        code: "glasses_glare".into(),
                        reason: "学生坚持戴眼镜".into(),
                    }]
                } else {
                    Vec::new()
                },
                actor: "采集员甲",
                retake: false,
                source: Default::default(),
            })
            .await
            .unwrap();
    }
    let back = dir.path().join("captures.zip");
    assert_eq!(
        station
            .export_captures(&back, &JobControl::new())
            .await
            .unwrap(),
        3
    );

    // Progress is reported, and a cancelled export leaves no file.
    let steps = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = steps.clone();
    let watched = JobControl::new().with_progress(move |d, t| heard.lock().unwrap().push((d, t)));
    station
        .export_captures(&dir.path().join("watched.zip"), &watched)
        .await
        .unwrap();
    let steps = steps.lock().unwrap().clone();
    // One original shared by all three captures (the same file), three standards: 4 photos.
    assert_eq!(
        steps.last(),
        Some(&(4, 4)),
        "each distinct photo once: {steps:?}"
    );
    let cancelled = JobControl::new();
    cancelled.cancel();
    let gone = dir.path().join("cancelled.zip");
    assert!(matches!(
        station.export_captures(&gone, &cancelled).await,
        Err(photoroll_store::StoreError::Cancelled(_))
    ));
    assert!(!gone.exists(), "a cancelled export writes nothing");
    // A cancelled import (while the file is checked) stores nothing.
    assert!(admin.import_captures(&back, &cancelled).await.is_err());
    assert_eq!(count(&admin, "SELECT COUNT(*) FROM captures").await, 0);

    // A damaged copy is refused whole, before anything is stored.
    let damaged = dir.path().join("damaged.zip");
    std::fs::copy(&back, &damaged).unwrap();
    tamper(&damaged, "photos/", |b| {
        let n = b.len();
        b[n / 2] ^= 0xff;
    });
    let err = admin
        .import_captures(&damaged, &JobControl::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("损坏"), "{err}");
    assert_eq!(count(&admin, "SELECT COUNT(*) FROM captures").await, 0);
    std::fs::write(&damaged, b"not a zip").unwrap();
    assert!(
        admin
            .import_captures(&damaged, &JobControl::new())
            .await
            .is_err()
    );
    assert!(
        admin.import_pack(&back).await.is_err(),
        "a captures file is not a pack"
    );

    // Meanwhile the admin approved one of these students from an earlier photo: that capture
    // cannot be applied and is reported, the others go in.
    sqlx::query("UPDATE students SET state = 'completed' WHERE id = ?")
        .bind(&taken[2])
        .execute(admin.pool())
        .await
        .unwrap();
    // The admin takes the captures in, twice: the second time changes nothing.
    let first = admin
        .import_captures(&back, &JobControl::new())
        .await
        .unwrap();
    assert_eq!(first.added, 2);
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(first.skipped[0].student_id, taken[2]);
    let again = admin
        .import_captures(&back, &JobControl::new())
        .await
        .unwrap();
    assert_eq!((again.added, again.skipped.len()), (0, 1));
    for student in &taken[..2] {
        let (state, photo): (String, Option<String>) =
            sqlx::query_as("SELECT state, photo_hash FROM students WHERE id = ?")
                .bind(student)
                .fetch_one(admin.pool())
                .await
                .unwrap();
        assert_eq!(state, "submitted");
        let photo = photo.unwrap();
        let bytes = admin.blobs().get(&photo).unwrap();
        assert!(bytes.ends_with(student.as_bytes()));
        let history = admin.transitions(student).await.unwrap();
        assert_eq!(history.last().unwrap().actor, "采集员甲");
    }
    let same_ids = count(
        &admin,
        "SELECT COUNT(*) FROM captures WHERE session_id IS NOT NULL",
    )
    .await;
    assert_eq!(same_ids, 2);
    let reason: Option<String> = sqlx::query_scalar(
        "SELECT reason FROM transitions WHERE action = 'submit' AND actor = '采集员甲' AND reason IS NOT NULL",
    )
    .fetch_optional(admin.pool())
    .await
    .unwrap();
    assert_eq!(reason.as_deref(), Some("glasses_glare: 学生坚持戴眼镜"));
}
