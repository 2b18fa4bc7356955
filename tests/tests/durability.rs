//! Kill -9 at random moments while a station saves captures, then reopen the store and check
//! that every saved capture is whole: its record, both photos on disk with the right bytes, the
//! student's state and photo, and its outbox operation — and that nothing is half there.
//!
//! The saving process is this test binary itself, started again with the ignored
//! `capture_saving_child` test selected and the data folder in an environment variable.

use photoroll_core::CheckOverride;
use photoroll_core::JobControl;
use photoroll_store::{NewCapture, Store};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_DIR: &str = "PHOTOROLL_DURABILITY_DIR";

use photoroll_tests::face_bytes as face;

/// A real JPEG made unique to `student` (bytes after the end marker are ignored by decoders).
fn jpeg_for(name: &str, student: &str) -> Vec<u8> {
    let mut bytes = face(name);
    bytes.extend_from_slice(student.as_bytes());
    bytes
}

#[tokio::test]
#[ignore = "the child process of kill_9_at_random_moments_loses_no_saved_capture"]
async fn capture_saving_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let round = std::env::var("PHOTOROLL_DURABILITY_ROUND").unwrap_or_default();
    let store = Store::open(Path::new(&dir)).await.unwrap();
    // Students waiting first; once none is left, retakes of submitted ones, so that every
    // round has saves to interrupt.
    let pending: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, state FROM students WHERE state IN ('pending', 'rejected', 'submitted')
         ORDER BY state = 'submitted', id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    for (i, (student, state)) in pending.iter().enumerate() {
        let tag = format!("{student}/{round}/{i}");
        let original = jpeg_for("portrait-obama.jpg", &tag);
        let standard = jpeg_for("astronaut.png", &tag);
        store
            .save_capture(&NewCapture {
                student_id: student,
                session_id: None,
                original: &original,
                standard: &standard,
                report: "{\"checks\":[]}".into(),
                overrides: if i % 3 == 0 {
                    vec![CheckOverride {
                        code: "glasses_glare".into(),
                        reason: "学生坚持戴眼镜".into(),
                    }]
                } else {
                    Vec::new()
                },
                actor: "采集员",
                retake: state == "submitted",
                source: Default::default(),
            })
            .await
            .unwrap();
        println!("saved {student}");
    }
}

/// Every invariant of a whole save; returns how many captures there are.
async fn check_store(dir: &Path) -> i64 {
    let store = Store::open(dir)
        .await
        .expect("the store opens after a kill");
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(ok, "ok");
    let captures: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT id, student_id, original_hash, standard_hash FROM captures")
            .fetch_all(store.pool())
            .await
            .unwrap();
    for (id, student, original, standard) in &captures {
        let _ = standard;
        for hash in [original, standard] {
            store
                .blobs()
                .get(hash)
                .unwrap_or_else(|e| panic!("capture {id}: photo {hash}: {e}"));
        }
        let bytes = store.blobs().get(original).unwrap();
        assert!(bytes.starts_with(&face("portrait-obama.jpg")));
        assert!(String::from_utf8_lossy(&bytes).contains(student.as_str()));
        let (state, photo): (String, Option<String>) =
            sqlx::query_as("SELECT state, photo_hash FROM students WHERE id = ?")
                .bind(student)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(
            state, "submitted",
            "capture {id} saved but the student is {state}"
        );
        // The student's photo is the newest capture's (ids are time-ordered UUIDv7).
        let newest: String = sqlx::query_scalar(
            "SELECT standard_hash FROM captures WHERE student_id = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(student)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(photo.as_deref(), Some(newest.as_str()), "capture {id}");
        let ops: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE entity = 'capture' AND entity_id = ?",
        )
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(ops, 1, "capture {id} without exactly one outbox operation");
    }
    // Nothing half there: every submission made by a capture has its capture, and every photo
    // row points at a whole blob.
    let orphans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM transitions t WHERE t.actor = '采集员' AND t.action = 'submit'
         AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.student_id = t.student_id AND c.standard_hash = t.photo_hash)",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(orphans, 0, "a state change without its capture");
    let photos: Vec<String> = sqlx::query_scalar("SELECT hash FROM photos")
        .fetch_all(store.pool())
        .await
        .unwrap();
    for hash in photos {
        store
            .blobs()
            .get(&hash)
            .expect("every photo row has its blob");
    }
    let ops: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE entity = 'capture'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(
        ops,
        captures.len() as i64,
        "an outbox operation without its capture"
    );
    store.close().await;
    captures.len() as i64
}

#[tokio::test]
async fn kill_9_at_random_moments_loses_no_saved_capture() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).await.unwrap();
        photoroll_demo::load_demo(&store, &JobControl::new())
            .await
            .unwrap();
        store.close().await;
    }
    let mut seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut random = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut saved_before = 0;
    let mut acknowledged_total = 0;
    for round in 0..10 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "capture_saving_child",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD_DIR, dir.path())
            .env("PHOTOROLL_DURABILITY_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(40 + random(400)));
        child.kill().unwrap(); // SIGKILL on Unix
        let out = child.wait_with_output().unwrap();
        // What the child was told was saved must be there after the restart.
        let acknowledged: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("saved ").map(str::to_string))
            .collect();
        acknowledged_total += acknowledged.len();
        let saved = check_store(dir.path()).await;
        assert!(
            saved >= saved_before + acknowledged.len() as i64,
            "round {round}: {saved} captures, {saved_before} before and {} acknowledged",
            acknowledged.len()
        );
        println!(
            "round {round}: killed after {} acknowledged saves; {saved} captures in the store",
            acknowledged.len()
        );
        saved_before = saved;
    }
    assert!(
        acknowledged_total > 0,
        "no capture was saved in 10 rounds: the kills came too early to test anything"
    );
}

#[tokio::test]
async fn a_retake_withdraws_the_old_photo_and_keeps_both_in_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    photoroll_demo::load_demo(&store, &JobControl::new())
        .await
        .unwrap();
    let student: String =
        sqlx::query_scalar("SELECT id FROM students WHERE state = 'pending' LIMIT 1")
            .fetch_one(store.pool())
            .await
            .unwrap();
    let capture = |standard: &'static str, retake: bool| {
        let original = jpeg_for("portrait-obama.jpg", standard);
        let standard = jpeg_for(standard, &student);
        (original, standard, retake)
    };
    let (o1, s1, _) = capture("astronaut.png", false);
    let first = store
        .save_capture(&NewCapture {
            student_id: &student,
            session_id: None,
            original: &o1,
            standard: &s1,
            report: "{}".into(),
            overrides: Vec::new(),
            actor: "采集员",
            retake: false,
            source: Default::default(),
        })
        .await
        .unwrap();
    assert_eq!(first.state, "submitted");
    let (o2, s2, _) = capture("portrait-grace-hopper.jpg", true);
    let second = NewCapture {
        student_id: &student,
        session_id: None,
        original: &o2,
        standard: &s2,
        report: "{}".into(),
        overrides: vec![CheckOverride {
            code: "yaw".into(),
            reason: "颈椎病，头无法完全摆正".into(),
        }],
        actor: "采集员",
        retake: false,
        source: Default::default(),
    };
    // Without the photographer's confirmation a submitted student is not photographed over.
    let refused = store.save_capture(&second).await.unwrap_err();
    assert!(
        matches!(
            refused,
            photoroll_store::StoreError::CaptureRefused(
                photoroll_core::CaptureRefused::RetakeNotConfirmed
            )
        ),
        "{refused}"
    );
    assert!(refused.to_string().contains("重拍"), "{refused}");
    let saved = store
        .save_capture(&NewCapture {
            retake: true,
            ..second
        })
        .await
        .unwrap();
    assert_eq!(saved.state, "submitted");
    let history = store.transitions(&student).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|t| t.action.as_str()).collect();
    assert_eq!(actions, ["submit", "withdraw", "submit"]);
    assert_eq!(
        history[2].reason.as_deref(),
        Some("yaw: 颈椎病，头无法完全摆正")
    );
    let photos: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM photos WHERE student_id = ?")
        .bind(&student)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(photos, 4, "both captures' originals and standards are kept");
    let current: String = sqlx::query_scalar("SELECT photo_hash FROM students WHERE id = ?")
        .bind(&student)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(current, saved.standard_hash);
    assert_ne!(current, first.standard_hash);
}
