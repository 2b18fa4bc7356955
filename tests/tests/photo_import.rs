//! 照片导入 end to end: real folders and real zips of real portraits (`fixtures/faces`) into a
//! real data folder, through the same capture path as a station. Hostile names, a duplicate,
//! unknown codes, non-images, final students, zip bombs and refused paths (nothing stored).

#[path = "../../crates/archive/tests/common/mod.rs"]
mod rawzip;

use photoroll_core::{JobControl, School, SchoolCode};
use photoroll_roster::{ImportOptions, Limits, import_workbook};
use photoroll_store::Store;
use photoroll_tests::{C, face_bytes, valid_id, write_xlsx};
use photoroll_workflows::CaptureDesk;
use photoroll_workflows::photo_import::{
    NameBy, PhotoFailureCode, PhotoImportOptions, PhotoImportReport, import_photos,
};
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

/// What a refusal must leave untouched.
async fn footprint(store: &Store) -> (i64, i64, i64, i64) {
    (
        count(store, "SELECT COUNT(*) FROM captures").await,
        count(store, "SELECT COUNT(*) FROM outbox").await,
        count(store, "SELECT COUNT(*) FROM transitions").await,
        count(store, "SELECT COUNT(*) FROM photos").await,
    )
}

/// The demo school's collection codes of students in `state`.
async fn codes_in(store: &Store, state: &str, n: i64) -> Vec<String> {
    let codes: Vec<String> = sqlx::query_scalar(
        "SELECT collection_code FROM students WHERE school_code = ? AND state = ?
         AND collection_code IS NOT NULL ORDER BY collection_code LIMIT ?",
    )
    .bind(DEMO)
    .bind(state)
    .bind(n)
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(codes.len() as i64, n, "the demo has {n} {state} students");
    codes
}

async fn state_of(store: &Store, code: &str) -> String {
    sqlx::query_scalar("SELECT state FROM students WHERE collection_code = ?")
        .bind(code)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn demo_store(dir: &Path) -> Store {
    let store = Store::open(&dir.join("data")).await.unwrap();
    photoroll_demo::load_demo(&store, &JobControl::new())
        .await
        .unwrap();
    store
}

fn options(school: &str) -> PhotoImportOptions {
    PhotoImportOptions {
        school: school.into(),
        name_by: NameBy::Code,
        only_passing: false,
    }
}

/// file → code, for the assertions.
fn failures(report: &PhotoImportReport) -> BTreeMap<String, PhotoFailureCode> {
    report
        .failed
        .iter()
        .map(|f| (f.file.clone(), f.code))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_folder_imports_through_the_capture_path_with_one_failure_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let pending = codes_in(&store, "pending", 5).await;
    let rejected = codes_in(&store, "rejected", 1).await;
    let submitted = codes_in(&store, "submitted", 1).await;
    let completed = codes_in(&store, "completed", 1).await;
    let delivered = codes_in(&store, "delivered", 1).await;
    let awaiting = codes_in(&store, "awaiting_confirmation", 1).await;

    let src = dir.path().join("影楼交付");
    let class = src.join("计算机1班");
    std::fs::create_dir_all(&class).unwrap();
    let put = |path: &Path, bytes: &[u8]| std::fs::write(path, bytes).unwrap();
    put(
        &src.join(format!("{}.jpg", pending[0])),
        &face_bytes("portrait-obama.jpg"),
    );
    // PNG, in a sub-folder, lower-case code with spaces: read as the code.
    put(
        &class.join(format!(" {} .PNG", pending[1].to_lowercase())),
        &face_bytes("astronaut.png"),
    );
    put(
        &src.join(format!("{}.jpeg", rejected[0])),
        &face_bytes("portrait-grace-hopper.jpg"),
    );
    // A turned head: checks fail, imported all the same with its failed checks.
    put(
        &src.join(format!("{}.jpg", submitted[0])),
        &face_bytes("portrait-obama-turned.jpg"),
    );
    put(
        &src.join(format!("{}.jpg", completed[0])),
        &face_bytes("portrait-obama.jpg"),
    );
    put(
        &src.join(format!("{}.jpg", delivered[0])),
        &face_bytes("portrait-obama.jpg"),
    );
    put(
        &src.join(format!("{}.jpg", awaiting[0])),
        &face_bytes("portrait-obama.jpg"),
    );
    // No face (a real photo of a cup), named .jpg though it is a PNG.
    put(
        &src.join(format!("{}.jpg", pending[2])),
        &face_bytes("no-face-coffee.png"),
    );
    // Text named .jpg.
    put(
        &src.join(format!("{}.jpg", pending[3])),
        b"not a photo at all",
    );
    put(
        &src.join("2026999999999.jpg"),
        &face_bytes("portrait-obama.jpg"),
    );
    put(&src.join("张三.jpg"), &face_bytes("portrait-obama.jpg"));
    put(&src.join("名单说明.txt"), "照片按采集码命名".as_bytes());
    put(&src.join("IMG_0001.HEIC"), b"heic");
    // Two files for one student: neither.
    put(
        &src.join(format!("{}.jpg", pending[4])),
        &face_bytes("portrait-obama.jpg"),
    );
    put(
        &class.join(format!("{}.png", pending[4])),
        &face_bytes("astronaut.png"),
    );
    // Over the per-file limit (never read).
    let big = std::fs::File::create(src.join("2026000000001.jpg")).unwrap();
    big.set_len(21 * 1024 * 1024).unwrap();
    // A link out of the folder, and hidden/system files (not counted).
    std::os::unix::fs::symlink("/etc/passwd", src.join("link.jpg")).unwrap();
    std::os::unix::fs::symlink(&class, src.join("linked-folder")).unwrap();
    put(&src.join(".DS_Store"), b"x");
    put(&src.join("Thumbs.db"), b"x");

    let before = footprint(&store).await;
    let desk = CaptureDesk::default();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let progress = seen.clone();
    let job = JobControl::new().with_progress(move |done, total| {
        progress.lock().unwrap().push((done, total));
    });
    let report = import_photos(&store, &desk, &src, &options(DEMO), &job)
        .await
        .unwrap();

    let f = failures(&report);
    let want: BTreeMap<String, PhotoFailureCode> = [
        (
            format!("{}.jpg", completed[0]),
            PhotoFailureCode::AlreadyFinal,
        ),
        (
            format!("{}.jpg", delivered[0]),
            PhotoFailureCode::AlreadyFinal,
        ),
        (
            format!("{}.jpg", awaiting[0]),
            PhotoFailureCode::AlreadyFinal,
        ),
        (format!("{}.jpg", pending[2]), PhotoFailureCode::NoFace),
        (format!("{}.jpg", pending[3]), PhotoFailureCode::NotAnImage),
        ("2026999999999.jpg".into(), PhotoFailureCode::UnknownStudent),
        ("张三.jpg".into(), PhotoFailureCode::UnknownStudent),
        ("名单说明.txt".into(), PhotoFailureCode::NotAnImage),
        ("IMG_0001.HEIC".into(), PhotoFailureCode::NotAnImage),
        (
            format!("{}.jpg", pending[4]),
            PhotoFailureCode::DuplicateInBatch,
        ),
        (
            format!("计算机1班/{}.png", pending[4]),
            PhotoFailureCode::DuplicateInBatch,
        ),
        ("2026000000001.jpg".into(), PhotoFailureCode::TooLarge),
        ("link.jpg".into(), PhotoFailureCode::UnsafeName),
        ("linked-folder".into(), PhotoFailureCode::UnsafeName),
    ]
    .into_iter()
    .collect();
    assert_eq!(f, want, "{report:#?}");
    assert_eq!(report.imported, 4, "{report:#?}");
    assert_eq!(report.total, 18);
    assert!(!report.cancelled);
    // One failure per file, in the folder's order; messages say what to do.
    let files: Vec<&str> = report.failed.iter().map(|f| f.file.as_str()).collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
    let completed_msg = &report
        .failed
        .iter()
        .find(|f| f.file.starts_with(&completed[0]))
        .unwrap();
    assert!(
        completed_msg.message.contains("采集完成"),
        "{completed_msg:?}"
    );
    assert!(
        report.failed.iter().all(|f| !f.message.is_empty()),
        "{report:#?}"
    );
    let progress = seen.lock().unwrap().clone();
    assert_eq!(progress.last(), Some(&(18, 18)), "{progress:?}");

    // Moved to submitted with the photo, as captures from 'import' keeping failed checks.
    for code in [&pending[0], &pending[1], &rejected[0], &submitted[0]] {
        assert_eq!(state_of(&store, code).await, "submitted", "{code}");
        let (source, actor, failed, photo_ok): (String, String, String, bool) = sqlx::query_as(
            "SELECT c.source, c.actor, c.failed_checks, s.photo_hash = c.standard_hash
             FROM captures c JOIN students s ON s.id = c.student_id
             WHERE s.collection_code = ? ORDER BY c.taken_at DESC LIMIT 1",
        )
        .bind(code)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(source, "import");
        assert_eq!(actor, "照片导入：影楼交付");
        assert!(photo_ok, "the student's photo is the imported one");
        let failed: Vec<String> = serde_json::from_str(&failed).unwrap();
        if code == &submitted[0] {
            assert!(
                failed.iter().any(|c| c == "yaw" || c == "face_position"),
                "the turned head's failed checks are kept: {failed:?}"
            );
        }
    }
    // The submitted student's earlier photo was withdrawn first and stays in history.
    let actions: Vec<(String, String)> = sqlx::query_as(
        "SELECT t.action, t.actor FROM transitions t JOIN students s ON s.id = t.student_id
         WHERE s.collection_code = ? ORDER BY t.id DESC LIMIT 2",
    )
    .bind(&submitted[0])
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(actions[0].0, "submit");
    assert_eq!(actions[1].0, "withdraw");
    // Nobody else moved.
    for (code, state) in [
        (&completed[0], "completed"),
        (&delivered[0], "delivered"),
        (&awaiting[0], "awaiting_confirmation"),
        (&pending[2], "pending"),
        (&pending[3], "pending"),
        (&pending[4], "pending"),
    ] {
        assert_eq!(state_of(&store, code).await, state, "{code}");
    }
    // Four captures, each with one outbox operation.
    let after = footprint(&store).await;
    assert_eq!(after.0 - before.0, 4);
    assert_eq!(after.1 - before.1, 4);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM outbox WHERE op = 'capture_saved' AND payload LIKE '%\"source\":\"import\"%'"
        )
        .await,
        4
    );
}

/// A zip entry whose name is GBK bytes without the UTF-8 flag, as Windows' own zip tool writes.
fn gbk_entry(name: &str, data: &[u8]) -> Raw {
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(name);
    assert!(!unmappable);
    Raw {
        name: gbk.into_owned(),
        flags: 0,
        ..Raw::stored("", data)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_zip_with_hostile_names_gbk_names_and_only_passing() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let pending = codes_in(&store, "pending", 6).await;
    let link = Raw {
        made_by: 3 << 8 | 20,
        external: 0o120_777 << 16,
        ..Raw::stored(&format!("{}.jpg", pending[5]), b"/etc/passwd")
    };
    let obama = face_bytes("portrait-obama.jpg");
    let zip = build(&[
        gbk_entry(&format!("照片/{}.jpg", pending[0]), &obama),
        Raw::deflated(&format!("{}.png", pending[1]), &face_bytes("astronaut.png")),
        Raw::stored(&format!("../{}.jpg", pending[2]), &obama),
        Raw::stored(&format!("/etc/{}.jpg", pending[3]), &obama),
        Raw::stored(
            &format!("{}.jpg", pending[4]),
            &face_bytes("portrait-obama-turned.jpg"),
        ),
        Raw::stored("照片/", b""),
        Raw::stored("__MACOSX/._x.jpg", b"resource fork"),
        link,
    ]);
    let path = dir.path().join("往届系统导出.zip");
    std::fs::write(&path, zip).unwrap();

    let report = import_photos(
        &store,
        &CaptureDesk::default(),
        &path,
        &PhotoImportOptions {
            only_passing: true,
            ..options(DEMO)
        },
        &JobControl::new(),
    )
    .await
    .unwrap();
    let f = failures(&report);
    // astronaut.png fails `sharpness` (a 512-pixel portrait enlarged): reported, not imported.
    let want: BTreeMap<String, PhotoFailureCode> = [
        (
            format!("{}.png", pending[1]),
            PhotoFailureCode::ChecksFailed,
        ),
        (
            format!("../{}.jpg", pending[2]),
            PhotoFailureCode::UnsafeName,
        ),
        (
            format!("/etc/{}.jpg", pending[3]),
            PhotoFailureCode::UnsafeName,
        ),
        (
            format!("{}.jpg", pending[4]),
            PhotoFailureCode::ChecksFailed,
        ),
        (format!("{}.jpg", pending[5]), PhotoFailureCode::UnsafeName),
    ]
    .into_iter()
    .collect();
    assert_eq!(f, want, "{report:#?}");
    assert_eq!((report.total, report.imported), (6, 1), "{report:#?}");
    let checks = report
        .failed
        .iter()
        .find(|f| f.code == PhotoFailureCode::ChecksFailed)
        .unwrap();
    assert!(checks.message.contains("未通过检查"), "{checks:?}");
    assert_eq!(state_of(&store, &pending[0]).await, "submitted");
    for code in &pending[1..] {
        assert_eq!(state_of(&store, code).await, "pending", "{code}");
    }
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM captures WHERE source = 'import'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_paths_and_zip_bombs_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let pending = codes_in(&store, "pending", 2).await;
    let desk = CaptureDesk::default();
    let before = footprint(&store).await;
    let obama = face_bytes("portrait-obama.jpg");

    let refusal = |result: photoroll_workflows::Result<PhotoImportReport>| match result {
        Err(e) => {
            assert!(e.is_refusal(), "{e:?}");
            e.to_string()
        }
        Ok(r) => panic!("not refused: {r:?}"),
    };
    // Missing.
    let missing = dir.path().join("没有这个文件夹");
    let msg =
        refusal(import_photos(&store, &desk, &missing, &options(DEMO), &JobControl::new()).await);
    assert!(msg.contains("找不到"), "{msg}");
    // A photo, not a folder or zip.
    let photo = dir.path().join(format!("{}.jpg", pending[0]));
    std::fs::write(&photo, &obama).unwrap();
    let msg =
        refusal(import_photos(&store, &desk, &photo, &options(DEMO), &JobControl::new()).await);
    assert!(msg.contains("zip"), "{msg}");
    // An unknown school.
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join(format!("{}.jpg", pending[0])), &obama).unwrap();
    refusal(
        import_photos(
            &store,
            &desk,
            &folder,
            &options("10075"),
            &JobControl::new(),
        )
        .await,
    );
    // A damaged zip.
    let damaged = dir.path().join("damaged.zip");
    let mut bytes = build(&[Raw::stored(&format!("{}.jpg", pending[0]), &obama)]);
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&damaged, bytes).unwrap();
    refusal(import_photos(&store, &desk, &damaged, &options(DEMO), &JobControl::new()).await);
    // A 1000:1 bomb beside a good photo: refused before a byte is inflated.
    let bomb = dir.path().join("bomb.zip");
    std::fs::write(
        &bomb,
        build(&[
            Raw::stored(&format!("{}.jpg", pending[0]), &obama),
            Raw::deflated(&format!("{}.jpg", pending[1]), &vec![0u8; 10 << 20]),
        ]),
    )
    .unwrap();
    let msg =
        refusal(import_photos(&store, &desk, &bomb, &options(DEMO), &JobControl::new()).await);
    assert!(msg.contains("压缩比"), "{msg}");
    // A size that lies, after a good photo: the whole zip is checked before anything is stored.
    let liar = dir.path().join("liar.zip");
    std::fs::write(
        &liar,
        build(&[
            Raw::stored(&format!("{}.jpg", pending[0]), &obama),
            Raw {
                size: 1000,
                ..Raw::deflated(&format!("{}.jpg", pending[1]), &vec![0u8; 5 << 20])
            },
        ]),
    )
    .unwrap();
    refusal(import_photos(&store, &desk, &liar, &options(DEMO), &JobControl::new()).await);
    // Too many entries for a photo zip: refused from the end record.
    let many: Vec<Raw> = (0..200_001)
        .map(|i| Raw::stored(&format!("{i}.txt"), b""))
        .collect();
    let crowd = dir.path().join("crowd.zip");
    std::fs::write(&crowd, build(&many)).unwrap();
    let msg =
        refusal(import_photos(&store, &desk, &crowd, &options(DEMO), &JobControl::new()).await);
    assert!(msg.contains("条目过多"), "{msg}");

    assert_eq!(footprint(&store).await, before, "nothing stored");
    for code in &pending {
        assert_eq!(state_of(&store, code).await, "pending");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_after_the_current_file_and_keeps_what_was_saved() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let pending = codes_in(&store, "pending", 4).await;
    let src = dir.path().join("photos");
    std::fs::create_dir(&src).unwrap();
    for code in &pending {
        std::fs::write(
            src.join(format!("{code}.jpg")),
            face_bytes("portrait-grace-hopper.jpg"),
        )
        .unwrap();
    }
    let job = JobControl::new();
    let cancel = job.clone();
    let job = job.with_progress(move |done, _| {
        if done >= 1 {
            cancel.cancel();
        }
    });
    let report = import_photos(&store, &CaptureDesk::default(), &src, &options(DEMO), &job)
        .await
        .unwrap();
    assert!(report.cancelled);
    assert_eq!((report.total, report.imported), (4, 1), "{report:#?}");
    assert!(report.failed.is_empty());
    assert_eq!(state_of(&store, &pending[0]).await, "submitted");
    for code in &pending[1..] {
        assert_eq!(state_of(&store, code).await, "pending");
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["cancelled"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_by_id_number_the_one_record_that_can_take_a_photo_is_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data")).await.unwrap();
    store
        .upsert_school(
            &School {
                code: SchoolCode::parse("10075").unwrap(),
                name: "河北大学".into(),
            },
            false,
        )
        .await
        .unwrap();
    let (one, both_open, one_done, all_done) = (valid_id(1), valid_id(2), valid_id(3), valid_id(4));
    let mut rows = vec![
        ["姓名", "证件号", "采集码", "学历类别", "学历层次"]
            .into_iter()
            .map(C::T)
            .collect::<Vec<_>>(),
    ];
    for (name, id, code, level) in [
        ("赵一", &one, "2026100750001", "本科"),
        ("钱二", &both_open, "2020100750002", "专科"),
        ("钱二", &both_open, "2023100750003", "专升本"),
        ("孙三", &one_done, "2020100750004", "专科"),
        ("孙三", &one_done, "2023100750005", "专升本"),
        ("李四", &all_done, "2026100750006", "本科"),
    ] {
        rows.push(vec![
            C::T(name),
            C::S(id.clone()),
            C::T(code),
            C::T("成人高等教育"),
            C::T(level),
        ]);
    }
    let book = dir.path().join("名单.xlsx");
    write_xlsx(&book, "名单", &rows);
    let imported = import_workbook(
        &store,
        &book,
        &ImportOptions {
            school: SchoolCode::parse("10075").unwrap(),
            category: None,
            limits: Limits::default(),
            rules: photoroll_core::roster::RosterRules::with_year(2026),
        },
        &JobControl::new(),
    )
    .await
    .unwrap();
    assert_eq!(imported.imported, 6, "{imported:?}");
    // 孙三's 专科 record and 李四 are done (set here as a finished collection would leave them).
    sqlx::query(
        "UPDATE students SET state = 'completed' WHERE collection_code IN ('2020100750004', '2026100750006')",
    )
    .execute(store.pool())
    .await
    .unwrap();

    let src = dir.path().join("按证件号");
    std::fs::create_dir(&src).unwrap();
    let photo = face_bytes("portrait-grace-hopper.jpg");
    // A resident ID ending in X may come lower-case.
    for id in [&one, &both_open, &one_done, &all_done] {
        std::fs::write(src.join(format!("{}.jpg", id.to_lowercase())), &photo).unwrap();
    }
    std::fs::write(src.join("123.jpg"), &photo).unwrap();
    let report = import_photos(
        &store,
        &CaptureDesk::default(),
        &src,
        &PhotoImportOptions {
            name_by: NameBy::Id,
            ..options("10075")
        },
        &JobControl::new(),
    )
    .await
    .unwrap();
    let f = failures(&report);
    let file = |id: &str| format!("{}.jpg", id.to_lowercase());
    let want: BTreeMap<String, PhotoFailureCode> = [
        (file(&both_open), PhotoFailureCode::AmbiguousStudent),
        (file(&all_done), PhotoFailureCode::AlreadyFinal),
        ("123.jpg".to_string(), PhotoFailureCode::UnknownStudent),
    ]
    .into_iter()
    .collect();
    assert_eq!(f, want, "{report:#?}");
    assert_eq!(report.imported, 2);
    let ambiguous = report
        .failed
        .iter()
        .find(|f| f.code == PhotoFailureCode::AmbiguousStudent)
        .unwrap();
    assert!(
        ambiguous.message.contains("2020100750002") && ambiguous.message.contains("2023100750003"),
        "{ambiguous:?}"
    );
    // The report never shows a full ID it did not get from the file name.
    assert!(
        !ambiguous.message.contains(both_open.as_str()),
        "{ambiguous:?}"
    );
    let states: Vec<(String, String)> =
        sqlx::query_as("SELECT collection_code, state FROM students ORDER BY collection_code")
            .fetch_all(store.pool())
            .await
            .unwrap();
    let states: BTreeMap<String, String> = states.into_iter().collect();
    assert_eq!(states["2026100750001"], "submitted");
    assert_eq!(states["2020100750002"], "pending");
    assert_eq!(states["2023100750003"], "pending");
    assert_eq!(states["2020100750004"], "completed");
    assert_eq!(states["2023100750005"], "submitted");
    assert_eq!(states["2026100750006"], "completed");
}
