//! Roster import, store and outbox across crates, with real workbooks and a real SQLite folder.

use photoroll_core::roster::RosterRules;
use photoroll_core::{Action, CollectionState, EducationCategory, JobControl, School, SchoolCode};
use photoroll_roster::{
    ImportError, ImportOptions, Limits, WorkbookError, import_workbook, read_roster,
};
use photoroll_store::{Store, StoreError, StudentFilter};
use photoroll_tests::{C, valid_id, write_xlsx};
use proptest::prelude::*;
use std::path::Path;

fn school() -> SchoolCode {
    SchoolCode::parse("10075").unwrap()
}

async fn store_with_school(dir: &Path) -> Store {
    let store = Store::open(dir).await.unwrap();
    store
        .upsert_school(
            &School {
                code: school(),
                name: "河北大学".into(),
            },
            false,
        )
        .await
        .unwrap();
    store
}

fn opts() -> ImportOptions {
    ImportOptions {
        school: school(),
        category: Some(EducationCategory::Regular),
        limits: Limits::default(),
        rules: RosterRules::with_year(2026),
    }
}

fn roster(path: &Path, n: usize) {
    let mut rows = vec![vec![
        C::T("姓名"),
        C::T("证件号"),
        C::T("采集码"),
        C::T("班级"),
    ]];
    for i in 0..n {
        rows.push(vec![
            C::S(format!("学生{i}")),
            C::S(valid_id(i)),
            C::S(format!("2026{:09}", i)),
            C::S(format!("{}班", i % 7)),
        ]);
    }
    write_xlsx(path, "名单", &rows);
}

/// Row counts straight from the database, to check what a failed operation left behind.
async fn count(store: &Store, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_import_is_stored_with_one_outbox_operation_carrying_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_school(dir.path()).await;
    let file = dir.path().join("r.xlsx");
    roster(&file, 50);
    let before = count(&store, "SELECT COUNT(*) FROM outbox").await;
    let r = import_workbook(&store, &file, &opts(), &JobControl::new())
        .await
        .unwrap();
    assert_eq!((r.total, r.imported, r.failed), (50, 50, 0));
    let ops = store.pending_outbox(100).await.unwrap();
    assert_eq!(ops.len() as i64, before + 1);
    let op = ops.last().unwrap();
    assert_eq!(
        (op.entity.as_str(), op.op.as_str(), op.entity_id.as_str()),
        ("roster_import", "roster_imported", r.import_id.as_str())
    );
    // The streamed payload is the typed, versioned operation, whole.
    let entry = op.entry().unwrap();
    assert_eq!(entry.version, photoroll_core::OPERATION_VERSION);
    match entry.operation {
        photoroll_core::Operation::RosterImported {
            import_id,
            students,
            total,
            ..
        } => {
            assert_eq!(import_id, r.import_id);
            assert_eq!((students.len(), total), (50, 50));
            assert!(students.iter().all(|s| uuid_like(&s.id)));
        }
        other => panic!("{other:?}"),
    }
    assert!(uuid_like(&op.op_id));

    store.delete_import(&r.import_id).await.unwrap();
    let ops = store.pending_outbox(100).await.unwrap();
    assert_eq!(ops.last().unwrap().op, "roster_import_deleted");
    // Every operation in the outbox reads back as a typed operation.
    for op in &ops {
        op.entry().unwrap();
    }
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn cancelling_an_import_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_school(dir.path()).await;
    let file = dir.path().join("r.xlsx");
    roster(&file, 5000);
    let outbox_before = count(&store, "SELECT COUNT(*) FROM outbox").await;
    // Cancel once the store has written its first batch of students (progress past 1,000).
    let job = JobControl::new();
    let j2 = job.clone();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen2 = seen.clone();
    let job = job.with_progress(move |done, _| {
        seen2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if done >= 1700 {
            j2.cancel();
        }
    });
    let err = import_workbook(&store, &file, &opts(), &job)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::Workbook(WorkbookError::Cancelled(_))
                | ImportError::Store(StoreError::Cancelled(_))
        ),
        "{err}"
    );
    assert!(
        seen.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "progress was reported"
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM students").await, 0);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM roster_imports").await,
        0
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM outbox").await,
        outbox_before
    );
    // And the same file imports whole afterwards.
    let r = import_workbook(&store, &file, &opts(), &JobControl::new())
        .await
        .unwrap();
    assert_eq!(r.imported, 5000);
}

#[tokio::test]
async fn transitions_follow_the_core_table_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_school(dir.path()).await;
    let file = dir.path().join("r.xlsx");
    roster(&file, 2);
    let r = import_workbook(&store, &file, &opts(), &JobControl::new())
        .await
        .unwrap();
    let s = &store.import_students(&r.import_id).await.unwrap()[0];
    // An illegal action changes nothing and writes nothing.
    let ops = count(&store, "SELECT COUNT(*) FROM outbox").await;
    let err = store
        .apply_action(&s.id, Action::Approve, "审核员", None, None)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("approve") && err.to_string().contains("pending"),
        "{err}"
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM transitions").await, 0);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox").await, ops);

    let hash = store
        .add_photo(&s.id, "standard", b"\xFF\xD8jpeg bytes")
        .await
        .unwrap();
    assert_eq!(
        store
            .apply_action(&s.id, Action::Submit, "采集员", Some(&hash), None)
            .await
            .unwrap(),
        CollectionState::Submitted
    );
    // Final confirmation decides where approve leads.
    store.set_final_confirmation(&school(), true).await.unwrap();
    assert_eq!(
        store
            .apply_action(&s.id, Action::Approve, "审核员", Some(&hash), None)
            .await
            .unwrap(),
        CollectionState::AwaitingConfirmation
    );
    let log = store.transitions(&s.id).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (
            log[1].from_state.as_str(),
            log[1].action.as_str(),
            log[1].to_state.as_str()
        ),
        ("submitted", "approve", "awaiting_confirmation")
    );
    assert_eq!(log[1].photo_hash.as_deref(), Some(hash.as_str()));
    assert_eq!(
        store
            .progress(&StudentFilter::default())
            .await
            .unwrap()
            .get(CollectionState::AwaitingConfirmation),
        1
    );
    // A student with a photo protects the import from deletion.
    assert!(matches!(
        store.delete_import(&r.import_id).await,
        Err(StoreError::ImportHasPhotos(_))
    ));
}

#[test]
fn row_limit_and_far_away_cells_are_handled_without_reading_everything() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.xlsx");
    roster(&file, 30);
    let bytes = std::fs::read(&file).unwrap();
    let small = Limits {
        max_rows: 20,
        ..Limits::default()
    };
    let err = read_roster(&bytes, &small, &JobControl::new(), |_, _| {
        std::ops::ControlFlow::Continue(())
    })
    .unwrap_err();
    assert!(
        matches!(err, WorkbookError::TooManyRows { limit: 20 }),
        "{err}"
    );
    let few_cells = Limits {
        max_cells: 50,
        ..Limits::default()
    };
    assert!(matches!(
        read_roster(&bytes, &few_cells, &JobControl::new(), |_, _| {
            std::ops::ControlFlow::Continue(())
        }),
        Err(WorkbookError::TooManyCells { .. })
    ));

    // A sheet whose used range reaches the last cell Excel allows (XFD1048576): calamine's
    // dense range would need billions of cells; the streaming reader just sees one more row.
    let far = dir.path().join("far.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "姓名").unwrap();
    ws.write_string(0, 1, "采集码").unwrap();
    ws.write_string(1, 0, "张三").unwrap();
    ws.write_string(1, 1, "2020062800634").unwrap();
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    book.save(&far).unwrap();
    let mut rows = Vec::new();
    let info = read_roster(
        &std::fs::read(&far).unwrap(),
        &Limits::default(),
        &JobControl::new(),
        |r, _| {
            rows.push(r.row_number);
            std::ops::ControlFlow::Continue(())
        },
    )
    .unwrap();
    // The far cell lies outside the header's columns: that row is blank and skipped.
    assert_eq!(rows, vec![2]);
    assert_eq!(info.data_rows, 1);
}

#[test]
fn a_zip_bomb_saved_as_xlsx_is_refused_before_unpacking() {
    // 200 MB of zeros deflate to about 200 KB: a classic bomb, shaped like a workbook.
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().large_file(true);
        zip.start_file("xl/workbook.xml", opts).unwrap();
        zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            std::io::Write::write_all(&mut zip, &zeros).unwrap();
        }
        zip.finish().unwrap();
    }
    let bytes = buf.into_inner();
    assert!(bytes.len() < 2 << 20);
    let limits = Limits {
        max_unpacked_bytes: 100 << 20,
        ..Limits::default()
    };
    let err = read_roster(&bytes, &limits, &JobControl::new(), |_, _| {
        std::ops::ControlFlow::Continue(())
    })
    .unwrap_err();
    assert!(
        matches!(err, WorkbookError::UnpackedTooLarge { .. }),
        "{err}"
    );
}

fn sample_workbook() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.xlsx");
    roster(&file, 5);
    std::fs::read(&file).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Arbitrary bytes are refused with an error, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = read_roster(&bytes, &Limits::default(), &JobControl::new(), |_, _| std::ops::ControlFlow::Continue(()));
    }

    /// A real workbook with bytes flipped or cut: an error or a (possibly shorter) roster, never
    /// a panic.
    #[test]
    fn damaged_workbooks_never_panic(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in any::<prop::sample::Index>()) {
        let mut bytes = sample_workbook();
        for (i, b) in flips {
            let i = i.index(bytes.len());
            bytes[i] ^= b | 1;
        }
        let _ = read_roster(&bytes, &Limits::default(), &JobControl::new(), |_, _| std::ops::ControlFlow::Continue(()));
        let end = cut.index(bytes.len());
        let _ = read_roster(&bytes[..end], &Limits::default(), &JobControl::new(), |_, _| std::ops::ControlFlow::Continue(()));
    }
}

#[tokio::test]
async fn list_pages_load_by_key_in_order_wherever_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_school(dir.path()).await;
    let file = dir.path().join("r.xlsx");
    roster(&file, 1000);
    import_workbook(&store, &file, &opts(), &JobControl::new())
        .await
        .unwrap();
    let all = StudentFilter::default();
    let keys = store.student_keys(&all).await.unwrap();
    assert_eq!(keys.len(), 1000);
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "keys come in list order"
    );
    // The last page by key equals the last page by offset.
    let by_key = store.students_by_keys(&keys[950..]).await.unwrap();
    let by_offset = store.students(&all, 50, 950).await.unwrap();
    assert_eq!(by_key, by_offset);
    // The order given is kept; unknown keys are skipped.
    let picked = store
        .students_by_keys(&[keys[7], -1, keys[3]])
        .await
        .unwrap();
    assert_eq!(
        picked.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        vec!["学生7", "学生3"]
    );
    // A filter narrows the keys.
    let class3 = StudentFilter {
        class_name: Some("3班".into()),
        ..StudentFilter::default()
    };
    let k3 = store.student_keys(&class3).await.unwrap();
    assert_eq!(
        k3.len() as i64,
        store.count_students(&class3).await.unwrap()
    );
    assert!(
        store
            .students_by_keys(&k3)
            .await
            .unwrap()
            .iter()
            .all(|s| s.class_name.as_deref() == Some("3班"))
    );
}
