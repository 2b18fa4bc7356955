//! One person, several records (学籍) at one school, each with its own collection code: a 专科
//! and later a 专升本 (seeds 001 and 004: 添加学历, 选择需要采集的学籍). Real workbooks through
//! the real import, the station's last-four lookup, the migration of an existing data folder,
//! and the store's indexes against core's rule.

use photoroll_core::roster::{RecordKey, RosterRules, same_record};
use photoroll_core::{EducationCategory, JobControl, Level, School, SchoolCode};
use photoroll_roster::{ImportOptions, ImportReport, Limits, import_workbook};
use photoroll_store::{NewSession, Store};
use photoroll_tests::{C, valid_id, write_xlsx};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;

const SCHOOL: &str = "10075";

async fn store_with_school(dir: &Path) -> Store {
    let store = Store::open(dir).await.unwrap();
    store
        .upsert_school(
            &School {
                code: SchoolCode::parse(SCHOOL).unwrap(),
                name: "河北大学".into(),
            },
            false,
        )
        .await
        .unwrap();
    store
}

/// A roster row: name, ID number, collection code (or none), 学历类别, 学历层次.
type Row<'a> = (&'a str, String, Option<&'a str>, &'a str, &'a str);

/// Writes the rows to a real .xlsx workbook and imports it for the school.
async fn import(store: &Store, dir: &Path, file: &str, rows: &[Row<'_>]) -> ImportReport {
    let mut cells = vec![
        ["姓名", "证件号", "采集码", "学历类别", "学历层次"]
            .into_iter()
            .map(C::T)
            .collect::<Vec<_>>(),
    ];
    for (name, id, code, category, level) in rows {
        cells.push(vec![
            C::S(name.to_string()),
            C::S(id.clone()),
            code.map_or(C::Blank, |c| C::S(c.to_string())),
            C::S(category.to_string()),
            C::S(level.to_string()),
        ]);
    }
    let path = dir.join(file);
    write_xlsx(&path, "名单", &cells);
    let opts = ImportOptions {
        school: SchoolCode::parse(SCHOOL).unwrap(),
        category: None,
        limits: Limits::default(),
        rules: RosterRules::with_year(2026),
    };
    import_workbook(store, &path, &opts, &JobControl::new())
        .await
        .unwrap()
}

fn codes(r: &ImportReport) -> Vec<(u32, &'static str)> {
    r.failures.iter().map(|f| (f.row, f.code.id())).collect()
}

#[tokio::test]
async fn a_zhuanshengben_record_imports_beside_the_zhuanke_one_and_the_station_offers_both() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_school(dir.path()).await;
    let id = valid_id(7);
    let first = import(
        &store,
        dir.path(),
        "2020级专科.xlsx",
        &[(
            "许秀平",
            id.clone(),
            Some("2020062800001"),
            "成人高等教育",
            "专科",
        )],
    )
    .await;
    assert_eq!((first.imported, first.failed), (1, 0), "{first:?}");
    let second = import(
        &store,
        dir.path(),
        "2023级专升本.xlsx",
        &[(
            "许秀平",
            id.clone(),
            Some("2023062800002"),
            "成人高等教育",
            "专升本",
        )],
    )
    .await;
    assert_eq!((second.imported, second.failed), (1, 0), "{second:?}");

    // The station, by last four: both records, each telling which it is.
    let session = store
        .create_session(&NewSession {
            school_code: SCHOOL.into(),
            name: "全体".into(),
            category: None,
            department: None,
            class_name: None,
        })
        .await
        .unwrap();
    let found = photoroll_workflows::sessions::identify(&store, &session.id, &id[14..])
        .await
        .unwrap();
    let mut offered: Vec<(Option<&str>, EducationCategory, Option<Level>)> = found
        .matches
        .iter()
        .map(|s| (s.collection_code.as_deref(), s.category, s.level))
        .collect();
    offered.sort();
    assert_eq!(
        offered,
        vec![
            (
                Some("2020062800001"),
                EducationCategory::Adult,
                Some(Level::Junior)
            ),
            (
                Some("2023062800002"),
                EducationCategory::Adult,
                Some(Level::Bachelor)
            ),
        ]
    );
    assert!(found.matches.iter().all(|s| s.name_masked != "许秀平"));
    // Each code still finds exactly its own record.
    let by_code = store
        .student_by_code(&session.id, "2023062800002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_code.level, Some(Level::Bachelor));
}

#[tokio::test]
async fn the_same_id_category_and_level_is_still_the_same_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_school(dir.path()).await;
    let id = valid_id(8);
    let first = import(
        &store,
        dir.path(),
        "a.xlsx",
        &[(
            "张一",
            id.clone(),
            Some("2020062800001"),
            "成人高等教育",
            "专科",
        )],
    )
    .await;
    assert_eq!(first.imported, 1);
    let again = import(
        &store,
        dir.path(),
        "b.xlsx",
        &[
            // Another code, but the same category and level (高起专 is a 专科).
            (
                "张一",
                id.clone(),
                Some("2023062800002"),
                "成人高等教育",
                "高起专",
            ),
            // Another category: another record.
            (
                "张一",
                id.clone(),
                Some("2023062800003"),
                "网络教育",
                "专科",
            ),
            // Within the file, the same category and level as the row before.
            (
                "张一",
                id.clone(),
                Some("2023062800004"),
                "网络教育",
                "专科",
            ),
        ],
    )
    .await;
    assert_eq!(
        codes(&again),
        vec![(2, "duplicate_existing"), (4, "duplicate_in_file")]
    );
    assert_eq!(again.imported, 1);
    assert!(again.failures[0].message.contains("学籍"));
}

#[tokio::test]
async fn without_collection_codes_the_id_alone_is_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_school(dir.path()).await;
    let id = valid_id(9);
    let first = import(
        &store,
        dir.path(),
        "a.xlsx",
        &[("李一", id.clone(), None, "成人高等教育", "专科")],
    )
    .await;
    assert_eq!(first.imported, 1);
    let second = import(
        &store,
        dir.path(),
        "b.xlsx",
        &[
            // No code on either row: the same person's record, whatever the level.
            ("李一", id.clone(), None, "成人高等教育", "本科"),
            // A collection code tells a record of another level apart.
            (
                "李一",
                id.clone(),
                Some("2023062800009"),
                "成人高等教育",
                "本科",
            ),
        ],
    )
    .await;
    assert_eq!(codes(&second), vec![(2, "duplicate_existing")]);
    assert_eq!(second.imported, 1);
    // In one file the same.
    let dir2 = tempfile::tempdir().unwrap();
    let store2 = store_with_school(dir2.path()).await;
    let one_file = import(
        &store2,
        dir2.path(),
        "c.xlsx",
        &[
            ("李一", id.clone(), None, "成人高等教育", "专科"),
            ("李一", id.clone(), None, "网络教育", "本科"),
        ],
    )
    .await;
    assert_eq!(codes(&one_file), vec![(3, "duplicate_in_file")]);
}

/// The migrations before this change, copied into a folder of their own.
fn migrations_before_0006(into: &Path) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/store/migrations");
    std::fs::create_dir_all(into).unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let version: u32 = name[..4].parse().unwrap();
        if version < 6 {
            std::fs::copy(entry.path(), into.join(&name)).unwrap();
        }
    }
}

#[tokio::test]
async fn an_existing_data_folder_migrates_and_then_takes_a_second_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let old = dir.path().join("old-migrations");
    migrations_before_0006(&old);
    let id = valid_id(10);
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(data.join(photoroll_store::DATABASE_FILE))
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate::Migrator::new(old.as_path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO schools (code, name, created_at) VALUES (?, '河北大学', '2024-01-01T00:00:00Z')")
            .bind(SCHOOL)
            .execute(&pool)
            .await
            .unwrap();
        let insert = |sid: &'static str, code: Option<&'static str>, id: String, level| {
            sqlx::query(
                "INSERT INTO students (id, school_code, name, id_number, id_last_four, collection_code, category, level, updated_at)
                 VALUES (?, ?, '许秀平', ?, ?, ?, 'adult', ?, '2024-01-01T00:00:00Z')",
            )
            .bind(sid)
            .bind(SCHOOL)
            .bind(id.clone())
            .bind(id[14..].to_string())
            .bind(code)
            .bind(level)
        };
        insert("old-1", Some("2020062800001"), id.clone(), Some("junior"))
            .execute(&pool)
            .await
            .unwrap();
        insert("old-2", None, valid_id(11), None::<&str>)
            .execute(&pool)
            .await
            .unwrap();
        // The old schema: one record per ID number, whatever the level.
        let refused = insert("old-3", Some("2023062800002"), id.clone(), Some("bachelor"))
            .execute(&pool)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("UNIQUE"), "{refused}");
        pool.close().await;
    }

    let store = Store::open(&data).await.unwrap();
    let kept: Vec<String> = sqlx::query_scalar("SELECT id FROM students ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(kept, vec!["old-1", "old-2"]);
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'students' ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(!indexes.contains(&"students_school_id".to_string()));
    assert!(indexes.contains(&"students_school_id_record".to_string()));

    let r = import(
        &store,
        dir.path(),
        "专升本.xlsx",
        &[
            (
                "许秀平",
                id.clone(),
                Some("2023062800002"),
                "成人高等教育",
                "专升本",
            ),
            (
                "许秀平",
                id.clone(),
                Some("2023062800003"),
                "成人高等教育",
                "专科",
            ),
        ],
    )
    .await;
    assert_eq!(codes(&r), vec![(3, "duplicate_existing")]);
    assert_eq!(r.imported, 1);
}

fn arb_key() -> impl Strategy<Value = RecordKey> {
    (
        proptest::option::of(0..4u8),
        proptest::option::of(0..3usize),
        0..2usize,
        proptest::option::of(0..2usize),
    )
        .prop_map(|(code, id, c, l)| RecordKey {
            collection_code: code.map(|c| format!("202006280000{c}")),
            id_number: id.map(|i| valid_id(100 + i)),
            category: EducationCategory::ALL[c],
            level: l.map(|l| Level::ALL[l]),
        })
}

/// Whatever order records arrive in, the store's unique indexes refuse exactly the ones core's
/// rule calls the same record as one already stored: the import's check and the schema agree.
#[test]
fn the_store_indexes_refuse_exactly_what_same_record_says() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(store_with_school(dir.path()));
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(arb_key(), 1..10), |keys| {
            rt.block_on(async {
                sqlx::query("DELETE FROM students")
                    .execute(store.pool())
                    .await
                    .unwrap();
                let mut held: Vec<RecordKey> = Vec::new();
                for (i, k) in keys.into_iter().enumerate() {
                    let stored = sqlx::query(
                        "INSERT INTO students (id, school_code, name, id_number, collection_code, category, level, updated_at)
                         VALUES (?, ?, '学生', ?, ?, ?, ?, '2024-01-01T00:00:00Z')",
                    )
                    .bind(format!("s{i}"))
                    .bind(SCHOOL)
                    .bind(&k.id_number)
                    .bind(&k.collection_code)
                    .bind(k.category.id())
                    .bind(k.level.map(|l| l.id()))
                    .execute(store.pool())
                    .await;
                    let expected_refusal = held.iter().any(|h| same_record(h, &k));
                    match stored {
                        Ok(_) => {
                            prop_assert!(!expected_refusal, "stored {k:?} beside {held:?}");
                            held.push(k);
                        }
                        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                            prop_assert!(expected_refusal, "refused {k:?} beside {held:?}");
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
                Ok(())
            })
        })
        .unwrap();
}
