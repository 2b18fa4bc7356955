//! Identifying the student at a station, on the real demo store: by collection code, by last
//! four within the session (and with the feature code), walk-ins where the school allows them,
//! and the session's tally after real saves.

use photoroll_core::identify::{SESSION_SHEET_PREFIX, Typed, read_typed};
use photoroll_core::{CollectionState, JobControl};
use photoroll_store::{NewCapture, NewSession, Store, StoreError};
use photoroll_tests::face_bytes as face;
use photoroll_workflows::{WorkflowError, sessions::add_walk_in};
use proptest::prelude::*;

async fn demo() -> (tempfile::TempDir, Store, photoroll_store::CaptureSession) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
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
    (dir, store, session)
}

/// (collection code, ID last four, name) of some pending demo students.
async fn pending(store: &Store, n: i64) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT collection_code, id_last_four, name FROM students WHERE state = 'pending' AND id_last_four IS NOT NULL ORDER BY id LIMIT ?",
    )
    .bind(n)
    .fetch_all(store.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_scanned_code_or_the_last_four_finds_the_student_with_a_masked_name() {
    let (_dir, store, session) = demo().await;
    let (code, last_four, name) = pending(&store, 1).await.remove(0);

    let found = store
        .student_by_code(&session.id, &format!("  {code} "))
        .await
        .unwrap()
        .expect("the code is on the roster");
    assert_eq!(found.collection_code.as_deref(), Some(code.as_str()));
    assert_eq!(found.state, CollectionState::Pending);
    assert_ne!(
        found.name_masked, name,
        "the station never shows the full name"
    );
    assert_eq!(
        found.name_masked.chars().next(),
        name.chars().next(),
        "the family name's first character stays"
    );
    assert!(found.name_masked.chars().skip(1).all(|c| c == '*'));

    let by_four = store
        .students_by_last_four(&session.id, &last_four.to_lowercase())
        .await
        .unwrap();
    assert!(by_four.iter().any(|s| s.id == found.id));
    assert!(by_four.iter().all(
        |s| s.id_last_four.as_deref().map(str::to_uppercase) == Some(last_four.to_uppercase())
    ));

    // A code from another school or nowhere finds no one.
    assert!(
        store
            .student_by_code(&session.id, "0000000000000")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store.students_by_last_four(&session.id, "12").await,
        Err(StoreError::BadSession(_))
    ));
    // The typed line with the session's feature code is read as such.
    assert_eq!(
        read_typed(&format!("{last_four} {}", session.feature_code)),
        Some(Typed::LastFourAndFeature {
            last_four: last_four.to_uppercase(),
            feature_code: session.feature_code.clone()
        })
    );
}

#[tokio::test]
async fn the_last_four_only_finds_students_of_the_session() {
    let (_dir, store, _all) = demo().await;
    let one_class: String = sqlx::query_scalar(
        "SELECT class_name FROM students WHERE class_name IS NOT NULL GROUP BY class_name ORDER BY class_name LIMIT 1",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    let small = store
        .create_session(&NewSession {
            school_code: "99001".into(),
            name: "一个班".into(),
            category: None,
            department: None,
            class_name: Some(one_class.clone()),
        })
        .await
        .unwrap();
    let outsider: (String,) = sqlx::query_as(
        "SELECT id_last_four FROM students WHERE class_name <> ? AND id_last_four IS NOT NULL
         AND id_last_four NOT IN (SELECT id_last_four FROM students WHERE class_name = ? AND id_last_four IS NOT NULL) LIMIT 1",
    )
    .bind(&one_class)
    .bind(&one_class)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert!(
        store
            .students_by_last_four(&small.id, &outsider.0)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn walk_ins_are_flagged_and_only_where_the_school_allows_them() {
    let (_dir, store, session) = demo().await;
    let added = add_walk_in(&store, &session.id, "RAWPAYLOAD0001", " 李雷 ", "王摄影")
        .await
        .unwrap();
    assert!(added.flagged);
    assert_eq!(added.name_masked, "李*");
    assert_eq!(added.collection_code.as_deref(), Some("RAWPAYLOAD0001"));
    assert_eq!(added.state, CollectionState::Pending);
    // Now on the roster and in the session: the same code finds them, and cannot be added twice.
    let again = store
        .student_by_code(&session.id, "RAWPAYLOAD0001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, added.id);
    assert!(
        add_walk_in(&store, &session.id, "RAWPAYLOAD0001", "李雷", "王摄影")
            .await
            .is_err()
    );
    assert_eq!(
        store.session_tally(&session.id).await.unwrap().covered,
        session.students + 1
    );
    // A name is required.
    assert!(
        add_walk_in(&store, &session.id, "RAWPAYLOAD0002", "  ", "王摄影")
            .await
            .is_err()
    );
    // A sensible name and code: too long, control characters, a huge payload are refused and
    // nothing is stored.
    let long = "名".repeat(51);
    let huge = "X".repeat(1 << 20);
    for (code, name) in [
        ("RAWPAYLOAD0002", long.as_str()),
        ("RAWPAYLOAD0002", "李\u{0}雷"),
        (huge.as_str(), "李雷"),
    ] {
        assert!(
            add_walk_in(&store, &session.id, code, name, "王摄影")
                .await
                .is_err()
        );
    }
    assert!(
        store
            .student_by_code(&session.id, &huge)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .student_by_code(&session.id, "RAWPAYLOAD0002")
            .await
            .unwrap()
            .is_none()
    );
    // Its outbox operation travels with it.
    let ops = store.pending_outbox(10_000).await.unwrap();
    assert!(
        ops.iter()
            .any(|o| o.entity_id == added.id && o.op == "walk_in_added")
    );

    store.set_allow_walk_ins("99001", false).await.unwrap();
    let refused = add_walk_in(&store, &session.id, "RAWPAYLOAD0003", "韩梅梅", "王摄影").await;
    assert!(
        matches!(refused, Err(WorkflowError::Store(StoreError::BadSession(m))) if m.contains("不允许"))
    );
    assert!(
        store
            .student_by_code(&session.id, "RAWPAYLOAD0003")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_tally_counts_students_done_and_captures_this_hour() {
    let (_dir, store, session) = demo().await;
    assert_eq!(store.session_tally(&session.id).await.unwrap().done, 0);
    let students = pending(&store, 2).await;
    let photo = face("portrait-obama.jpg");
    let mut ids = Vec::new();
    for (code, _, _) in &students {
        ids.push(
            store
                .student_by_code(&session.id, code)
                .await
                .unwrap()
                .unwrap()
                .id,
        );
    }
    let save = |id: String, retake: bool| {
        let (store, photo, session) = (store.clone(), photo.clone(), session.id.clone());
        async move {
            store
                .save_capture(&NewCapture {
                    student_id: &id,
                    session_id: Some(&session),
                    original: &photo,
                    standard: &photo[..photo.len() / 2],
                    report: "{}".into(),
                    overrides: vec![],
                    actor: "station",
                    retake,
                    source: Default::default(),
                })
                .await
                .unwrap()
        }
    };
    save(ids[0].clone(), false).await;
    save(ids[1].clone(), false).await;
    save(ids[0].clone(), true).await;
    let tally = store.session_tally(&session.id).await.unwrap();
    assert_eq!((tally.done, tally.last_hour), (2, 3));
    assert_eq!(tally.covered, session.students);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    /// Whatever is typed or scanned, reading it never panics, and a code is kept exactly.
    #[test]
    fn any_typed_line_is_read_without_loss(text in "\\PC{0,300}") {
        match read_typed(&text) {
            None => prop_assert!(text.trim().is_empty()),
            Some(Typed::Code(c)) => {
                prop_assert_eq!(&c, &photoroll_core::normalise_collection_code(&text));
                prop_assert!(photoroll_core::parse_collection_code(&c).is_ok());
            }
            Some(Typed::NotACode(t)) => prop_assert!(t.chars().count() <= 64),
            Some(Typed::LastFour(l)) => prop_assert_eq!(l.chars().count(), 4),
            Some(Typed::LastFourAndFeature { last_four, feature_code }) => {
                prop_assert_eq!(last_four.chars().count(), 4);
                prop_assert!(feature_code.chars().all(|c| c.is_ascii_digit()));
            }
            Some(Typed::SessionSheet { .. }) => prop_assert!(text.trim().starts_with(SESSION_SHEET_PREFIX)),
        }
    }
}

#[tokio::test]
async fn a_state_the_store_does_not_know_is_an_error_not_pending() {
    let (_dir, store, session) = demo().await;
    let (code, _, _) = pending(&store, 1).await.remove(0);
    sqlx::query("UPDATE students SET state = 'approved_by_hand' WHERE collection_code = ?")
        .bind(&code)
        .execute(store.pool())
        .await
        .unwrap();
    let read = store.student_by_code(&session.id, &code).await;
    assert!(
        matches!(&read, Err(StoreError::Corrupt(m)) if m.contains("approved_by_hand")),
        "{read:?}"
    );
}

#[tokio::test]
async fn a_school_code_the_store_cannot_read_is_an_error_not_skipped() {
    let (_dir, store, _session) = demo().await;
    sqlx::query("INSERT INTO schools (code, name, created_at) VALUES ('12', '坏代码', '2026-01-01T00:00:00.000Z')")
        .execute(store.pool())
        .await
        .unwrap();
    let schools = store.schools().await;
    assert!(
        matches!(&schools, Err(StoreError::Corrupt(m)) if m.contains("12")),
        "{schools:?}"
    );
}

#[tokio::test]
async fn a_scanner_sending_lower_case_finds_the_student() {
    let (_dir, store, session) = demo().await;
    sqlx::query("UPDATE students SET collection_code = 'ABCD2026000001' WHERE id = (SELECT MIN(id) FROM students)")
        .execute(store.pool())
        .await
        .unwrap();
    let found = photoroll_workflows::sessions::identify(&store, &session.id, " abcd2026000001 ")
        .await
        .unwrap();
    assert_eq!(found.matches.len(), 1, "{found:?}");
    let junk =
        photoroll_workflows::sessions::identify(&store, &session.id, "https://x.example/?a=1")
            .await
            .unwrap();
    assert!(junk.matches.is_empty() && junk.not_a_code.is_some() && !junk.can_add);
}
