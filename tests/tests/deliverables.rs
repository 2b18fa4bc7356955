//! Deliverables end to end, opening what was written: the delivery package (unzipped, every
//! photo's bytes and hash against the store, the info workbook read back, a re-download
//! compared byte for byte), the channel's result workbook through the state machine, print
//! orders and their sheets, contracts and the mandate PDF (text extracted with pdftotext,
//! rendered with pdftoppm) and its signed scan.

use photoroll_core::delivery::INFO_HEADERS;
use photoroll_core::{EducationCategory, JobControl, NameBy, PrintPackage};
use photoroll_store::{Store, StudentFilter};
use photoroll_tests::{C, read_sheet, write_xlsx};
use photoroll_workflows::WorkflowError;
use photoroll_workflows::contracts::{ContractInput, MandateRequest};
use photoroll_workflows::delivery::{
    PackageRequest, import_results, write_batch_again, write_package,
};
use photoroll_workflows::print::{self, OrderRequest};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

const DEMO: &str = "99001";

async fn demo_store(dir: &Path) -> Store {
    let store = Store::open(&dir.join("data")).await.unwrap();
    photoroll_demo::load_demo(&store, &JobControl::new())
        .await
        .unwrap();
    store
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().unwrap().to_string(), bytes)
        })
        .collect()
}

fn refusal_code<T: std::fmt::Debug>(r: Result<T, WorkflowError>) -> &'static str {
    let e = r.expect_err("expected a refusal");
    assert!(e.is_refusal(), "not a refusal: {e}");
    e.code()
}

async fn photo_of(store: &Store, code: &str) -> (String, String) {
    sqlx::query_as("SELECT photo_hash, state FROM students WHERE collection_code = ?")
        .bind(code)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_package_holds_the_stored_photos_and_their_info_and_downloads_again_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let expected = store
        .count_package_candidates(&StudentFilter::default())
        .await
        .unwrap();
    assert_eq!(
        expected,
        72 + 36,
        "the demo's completed and delivered students"
    );

    let out = dir.path().join("采集信息.zip");
    let request = PackageRequest {
        actor: "王老师".into(),
        ..Default::default()
    };
    let report = write_package(&store, &request, &out, &JobControl::new())
        .await
        .unwrap();
    assert_eq!(report.photos as i64, expected);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let zip_bytes = std::fs::read(&out).unwrap();
    assert_eq!(report.sha256.as_deref(), Some(sha(&zip_bytes).as_str()));

    let entries = unzip(&out);
    assert_eq!(entries.len() as i64, expected + 1);
    let (last, workbook) = entries.last().unwrap();
    assert_eq!(last, "采集信息.xlsx");
    for (name, bytes) in &entries[..entries.len() - 1] {
        let code = name.strip_suffix(".jpg").expect("named <采集码>.jpg");
        let (hash, state) = photo_of(&store, code).await;
        assert_eq!(sha(bytes), hash, "{name} is the student's photo");
        assert!(state == "completed" || state == "delivered");
        let facts = photoroll_imaging::encode::read_jpeg_facts(bytes).unwrap();
        assert_eq!(
            (facts.width, facts.height, facts.dpi()),
            (480, 640, Some((300.0, 300.0)))
        );
    }

    let info = dir.path().join("info.xlsx");
    std::fs::write(&info, workbook).unwrap();
    let rows = read_sheet(&info, "采集信息");
    let header: Vec<&str> = rows[0].iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(header, INFO_HEADERS);
    assert_eq!(rows.len() as i64, expected + 1);
    for (row, (name, bytes)) in rows[1..].iter().zip(&entries) {
        assert_eq!(&row[0].0, name, "rows follow the photos");
        assert!(
            row[2].0.contains('*') && row[2].1,
            "ID masked, as text: {}",
            row[2].0
        );
        assert_eq!(row[3].0, DEMO);
        assert_eq!(row[4].0, photoroll_demo::DEMO_SCHOOL_NAME);
        assert_eq!(format!("{}.jpg", row[7].0), *name);
        assert_eq!(row[12].0, sha(bytes));
        assert!(!row[14].0.is_empty(), "approval time");
    }

    // Every batch downloads again, byte for byte; twice.
    let batch = report.batch_id.unwrap();
    for n in 0..2 {
        let again = dir.path().join(format!("again-{n}.zip"));
        let b = write_batch_again(&store, &batch, &again, &JobControl::new())
            .await
            .unwrap();
        assert_eq!(b.photos as i64, expected);
        assert_eq!(std::fs::read(&again).unwrap(), zip_bytes);
    }
    // A student enters one batch only.
    let second = write_package(
        &store,
        &request,
        &dir.path().join("2.zip"),
        &JobControl::new(),
    )
    .await;
    assert_eq!(refusal_code(second), "nothing_to_package");
    assert!(!dir.path().join("2.zip").exists());
    let history = store.batches().await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].actor.as_str(), history[0].full_ids),
        ("王老师", false)
    );
    let unknown = write_batch_again(
        &store,
        "nope",
        &dir.path().join("x.zip"),
        &JobControl::new(),
    )
    .await;
    assert_eq!(refusal_code(unknown), "unknown_batch");
}

#[tokio::test]
async fn a_photo_failing_the_recheck_is_listed_and_stays_out_of_the_package_and_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let (code,): (String,) = sqlx::query_as(
        "SELECT collection_code FROM students WHERE state = 'completed' ORDER BY rowid LIMIT 1",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    // A 640×480 photo (turned sideways) where the 480×640 should be.
    let mut wrong = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut wrong, 90)
        .encode_image(&image::RgbImage::from_fn(640, 480, |x, y| {
            image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
        }))
        .unwrap();
    let hash = store.blobs().put(&wrong).unwrap();
    sqlx::query("UPDATE students SET photo_hash = ? WHERE collection_code = ?")
        .bind(&hash)
        .bind(&code)
        .execute(store.pool())
        .await
        .unwrap();

    let out = dir.path().join("p.zip");
    let report = write_package(
        &store,
        &PackageRequest {
            full_ids: true,
            name_by: NameBy::StudentNumber,
            ..Default::default()
        },
        &out,
        &JobControl::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(
        (
            report.skipped[0].code.as_str(),
            report.skipped[0].reason.as_str()
        ),
        (code.as_str(), "photo_fails_check")
    );
    assert!(
        report.skipped[0].message.contains("480×640"),
        "{}",
        report.skipped[0].message
    );
    let entries = unzip(&out);
    assert_eq!(entries.len(), 107 + 1);
    assert!(entries.iter().all(|(_, b)| sha(b) != hash), "never shipped");
    let in_batch: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM batch_entries e JOIN students s ON s.id = e.student_id WHERE s.collection_code = ?",
    )
    .bind(&code)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(
        in_batch, 0,
        "left for a later batch, once the photo is fixed"
    );
    // Named by student number, full IDs written and recorded.
    let info = dir.path().join("info.xlsx");
    std::fs::write(&info, &entries.last().unwrap().1).unwrap();
    let rows = read_sheet(&info, "采集信息");
    assert!(
        rows[1..]
            .iter()
            .all(|r| !r[2].0.contains('*') && r[2].0.len() == 18)
    );
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[0].0 == format!("{}.jpg", r[8].0))
    );
    assert!(store.batches().await.unwrap()[0].full_ids);
    assert_eq!(
        store
            .count_package_candidates(&StudentFilter::default())
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn a_cancelled_package_leaves_no_file_and_no_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let job = JobControl::new();
    job.cancel();
    let out = dir.path().join("p.zip");
    let r = write_package(&store, &PackageRequest::default(), &out, &job).await;
    assert_eq!(r.unwrap_err().code(), "cancelled");
    assert!(!out.exists());
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".tmp"))
    );
    assert!(store.batches().await.unwrap().is_empty());
}

#[tokio::test]
async fn delivery_results_move_students_through_the_state_machine_row_by_row() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let codes: Vec<(String, String)> = sqlx::query_as(
        "SELECT collection_code, state FROM students WHERE state IN ('completed', 'pending') AND collection_code IS NOT NULL ORDER BY state, rowid",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let completed: Vec<&String> = codes
        .iter()
        .filter(|(_, s)| s == "completed")
        .map(|(c, _)| c)
        .collect();
    let pending = &codes.iter().find(|(_, s)| s == "pending").unwrap().0;
    let path = dir.path().join("上网结果.xlsx");
    let s = |v: &str| C::S(v.to_string());
    write_xlsx(
        &path,
        "结果",
        &[
            vec![C::T("学信网图像采集上网结果")],
            vec![],
            vec![
                C::T("序号"),
                C::T("图像采集码"),
                C::T("上网结果"),
                C::T("失败原因"),
            ],
            vec![C::N(1.0), s(completed[0]), C::T("成功"), C::Blank],
            vec![
                C::N(2.0),
                s(completed[1]),
                C::T("失败"),
                C::T("背景颜色不符合要求"),
            ],
            vec![C::N(3.0), C::T("ZZZZ0000ZZZZ0000"), C::T("成功"), C::Blank],
            vec![C::N(4.0), s(pending), C::T("成功"), C::Blank],
            vec![C::N(5.0), s(completed[2]), C::T("待定"), C::Blank],
            vec![C::N(6.0), s(completed[0]), C::T("成功"), C::Blank],
        ],
    );
    let report = import_results(&store, &path, &JobControl::new())
        .await
        .unwrap();
    assert_eq!((report.delivered, report.failed), (1, 1));
    let rows: Vec<u32> = report.skipped.iter().map(|s| s.row).collect();
    assert_eq!(rows, vec![6, 7, 8, 9], "{:?}", report.skipped);
    assert!(report.skipped[0].message.contains("未知的图像采集码"));
    assert!(
        report.skipped[1].message.contains("deliver"),
        "{}",
        report.skipped[1].message
    );
    assert!(report.skipped[2].message.contains("待定"));
    assert_eq!(photo_of(&store, completed[0]).await.1, "delivered");
    assert_eq!(photo_of(&store, completed[1]).await.1, "rejected");
    assert_eq!(photo_of(&store, completed[2]).await.1, "completed");
    assert_eq!(photo_of(&store, pending).await.1, "pending");
    let (reason,): (Option<String>,) =
        sqlx::query_as("SELECT state_reason FROM students WHERE collection_code = ?")
            .bind(completed[1])
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert!(
        reason.unwrap().contains("背景颜色不符合要求"),
        "the student is told why"
    );

    // Hostile files are refused whole and change nothing.
    let csv = dir.path().join("结果.xlsx");
    std::fs::write(&csv, "图像采集码,上网结果\nA,成功\n").unwrap();
    assert_eq!(
        refusal_code(import_results(&store, &csv, &JobControl::new()).await),
        "bad_workbook"
    );
    let no_header = dir.path().join("无表头.xlsx");
    write_xlsx(
        &no_header,
        "x",
        &[
            vec![C::T("姓名"), C::T("班级")],
            vec![C::T("张三"), C::T("一班")],
        ],
    );
    let e = import_results(&store, &no_header, &JobControl::new())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("上网结果"), "{e}");
    let huge = dir.path().join("huge.xlsx");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(60 * 1024 * 1024)
        .unwrap();
    assert_eq!(
        refusal_code(import_results(&store, &huge, &JobControl::new()).await),
        "too_large"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn result_workbooks_of_any_bytes_are_read_or_refused_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = photoroll_roster::read_delivery_results(&bytes, &photoroll_roster::Limits::default(), &JobControl::new());
    }
}

#[tokio::test]
async fn a_print_order_queues_students_prints_sheets_and_moves_them_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let bad_address = print::add_address(&store, "张三", "电话", "x").await;
    assert_eq!(refusal_code(bad_address), "bad_address");
    let address = print::add_address(
        &store,
        "张三",
        "0311-5079 1234",
        "河北省保定市五四东路180号",
    )
    .await
    .unwrap();
    let (category, class): (String, String) = sqlx::query_as(
        "SELECT category, class_name FROM students WHERE state IN ('completed','delivered') GROUP BY category, class_name ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    let in_class: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM students WHERE state IN ('completed','delivered') AND category = ? AND class_name = ?",
    )
    .bind(&category)
    .bind(&class)
    .fetch_one(store.pool())
    .await
    .unwrap();
    let category_name = EducationCategory::parse(&category)
        .unwrap()
        .display_name()
        .to_string();
    let request = |layout: &'static str| OrderRequest {
        school: DEMO,
        category: Box::leak(category_name.clone().into_boxed_str()),
        packages: vec![PrintPackage {
            class_name: Some(class.clone()),
            ..Default::default()
        }],
        layout,
        paper: "6",
        dpi: 300,
        address_id: Box::leak(address.clone().into_boxed_str()),
        actor: "王老师",
    };
    assert_eq!(
        refusal_code(print::create_order(&store, &request("3")).await),
        "bad_layout"
    );
    let created = print::create_order(&store, &request("1")).await.unwrap();
    assert_eq!(created.students as i64, in_class);
    assert_eq!(
        refusal_code(print::create_order(&store, &request("1")).await),
        "nothing_to_print",
    );

    let lines = print::lines(&store, &created.order_id).await.unwrap();
    let extra: Vec<String> = lines
        .iter()
        .take(2)
        .map(|l| l.collection_code.clone().unwrap())
        .collect();
    let added = print::add_extra(&store, &created.order_id, &extra)
        .await
        .unwrap();
    assert_eq!((added.line, added.students), (1, 2));
    assert_eq!(
        refusal_code(print::add_extra(&store, &created.order_id, &["NOSUCHCODE".into()]).await),
        "not_printable"
    );

    let out = dir.path().join("冲印.zip");
    let written = print::write_sheets(&store, &created.order_id, &out, &JobControl::new())
        .await
        .unwrap();
    let sets = in_class as u32 + 2;
    assert_eq!(
        (written.photos, written.sheets),
        (sets, sets * 2),
        "版式一 on 6寸: two sheets a set"
    );
    let entries = unzip(&out);
    assert_eq!(entries.len() as u32, sets * 2 + 1);
    assert_eq!(entries.last().unwrap().0, "订单.xlsx");
    for (name, bytes) in &entries[..entries.len() - 1] {
        assert!(name.starts_with("01-") && name.ends_with(".jpg"), "{name}");
        let facts = photoroll_imaging::encode::read_jpeg_facts(bytes).unwrap();
        let dims = (u32::from(facts.width), u32::from(facts.height));
        assert!(
            dims == (1205, 1795) || dims == (1795, 1205),
            "{name}: {dims:?} is 6寸 at 300 dpi"
        );
        assert_eq!(facts.dpi(), Some((300.0, 300.0)));
    }
    let sheet = dir.path().join("订单.xlsx");
    std::fs::write(&sheet, &entries.last().unwrap().1).unwrap();
    let rows = read_sheet(&sheet, "订单");
    assert_eq!(rows.len() as u32, sets + 1);
    assert_eq!(rows.iter().filter(|r| r[4].0 == "加洗1").count(), 2);
    assert!(rows[1..].iter().all(|r| r[5].0 == "2"));

    let student = &lines[0].student_id;
    assert_eq!(store.print_state(student).await.unwrap().id(), "queued");
    assert_eq!(
        refusal_code(print::mark(&store, &created.order_id, "shipped").await),
        "print_state"
    );
    assert_eq!(
        print::mark(&store, &created.order_id, "printed")
            .await
            .unwrap(),
        sets
    );
    assert_eq!(
        print::mark(&store, &created.order_id, "shipped")
            .await
            .unwrap(),
        sets
    );
    assert_eq!(store.print_state(student).await.unwrap().id(), "shipped");
    let order = &print::orders(&store).await.unwrap()[0];
    assert_eq!(
        (
            order.students,
            order.extra_sets,
            order.queued,
            order.shipped
        ),
        (in_class as u32, 2, 0, sets)
    );
}

fn pdftotext(path: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", &path.display().to_string(), "-"])
        .output()
        .expect("pdftotext (Debian: poppler-utils) must be installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn contracts_the_mandate_pdf_and_the_scans_that_move_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data")).await.unwrap();
    photoroll_workflows::maintenance::add_school(&store, "10075", "河北大学")
        .await
        .unwrap();
    let add = |category: &'static str, price: &'static str| ContractInput {
        school: "10075",
        category,
        price,
        handler: "刘晨阳",
        valid_until: "2027-08-04",
    };
    assert_eq!(
        refusal_code(
            photoroll_workflows::contracts::save_contract(&store, &add("成教", "25.005")).await
        ),
        "contract"
    );
    let adult = photoroll_workflows::contracts::save_contract(&store, &add("成教", "25"))
        .await
        .unwrap();
    assert_eq!(
        (adult.price.as_str(), adult.state_name.as_str()),
        ("25.00", "生成委托书")
    );
    photoroll_workflows::contracts::save_contract(&store, &add("网络教育", "30.50"))
        .await
        .unwrap();

    let pdf = dir.path().join("委托书.pdf");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let written = photoroll_workflows::contracts::write_mandate(
        &store,
        &MandateRequest {
            school: "10075",
            categories: vec![EducationCategory::Adult, EducationCategory::Online],
            years: 3,
            provider: "保定光影图像采集有限公司",
            today,
        },
        &pdf,
    )
    .await
    .unwrap();
    assert_eq!(written.term, "委托3年，即日起至2029年12月01日");
    let text: String = pdftotext(&pdf)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for want in [
        "委托书",
        "河北大学",
        "10075",
        "成人高等教育",
        "网络教育",
        "25.00",
        "30.50",
        "刘晨阳",
        "委托3年，即日起至2029年12月01日",
        "保定光影图像采集有限公司",
    ] {
        assert!(text.contains(want), "{want} missing from: {text}");
    }
    let png = dir.path().join("page");
    let status = std::process::Command::new("pdftoppm")
        .args([
            "-r",
            "40",
            "-png",
            "-singlefile",
            &pdf.display().to_string(),
            &png.display().to_string(),
        ])
        .status()
        .expect("pdftoppm (poppler-utils)");
    assert!(status.success());
    let page = image::open(dir.path().join("page.png")).unwrap().to_luma8();
    let ratio = page.width() as f64 / page.height() as f64;
    assert!((ratio - 210.0 / 297.0).abs() < 0.01, "A4: {ratio}");
    assert!(
        page.pixels().filter(|p| p.0[0] < 100).count() > 500,
        "printed text on the page"
    );

    let no_contract = MandateRequest {
        school: "10075",
        categories: vec![EducationCategory::Regular],
        years: 1,
        provider: "x",
        today,
    };
    let r = photoroll_workflows::contracts::write_mandate(
        &store,
        &no_contract,
        &dir.path().join("n.pdf"),
    )
    .await;
    assert_eq!(refusal_code(r), "no_contract");

    // The signed scan: the generated PDF stands in for a scanned one (a real PDF either way).
    let upload = |cats: Vec<EducationCategory>, file: std::path::PathBuf| {
        let store = &store;
        async move { photoroll_workflows::contracts::upload_mandate(store, &file, "10075", &cats).await }
    };
    let first = upload(vec![EducationCategory::Adult], pdf.clone())
        .await
        .unwrap();
    assert!(!first.moved);
    assert_eq!(first.missing, vec![EducationCategory::Online]);
    let states = |s: &Store| {
        let s = s.clone();
        async move {
            s.contracts(None)
                .await
                .unwrap()
                .iter()
                .map(|c| c.state.id())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        states(&store).await,
        ["awaiting_mandate", "awaiting_mandate"]
    );
    let scan = dir.path().join("扫描件.jpg");
    image::RgbImage::from_pixel(200, 280, image::Rgb([250, 250, 250]))
        .save(&scan)
        .unwrap();
    let second = upload(vec![EducationCategory::Online], scan).await.unwrap();
    assert!(second.moved && second.missing.is_empty());
    assert_eq!(
        states(&store).await,
        ["mandate_uploaded", "mandate_uploaded"]
    );

    // Hostile scans: a zip named .pdf, a 1 GB file; refused, nothing stored.
    let zip_pdf = dir.path().join("委托书.pdf.pdf");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_pdf).unwrap());
    z.start_file("a.pdf", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut z, b"%PDF-1.7 not really").unwrap();
    z.finish().unwrap();
    assert_eq!(
        refusal_code(upload(vec![EducationCategory::Adult], zip_pdf).await),
        "not_a_scan"
    );
    let huge = dir.path().join("huge.pdf");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1024 * 1024 * 1024)
        .unwrap();
    assert_eq!(
        refusal_code(upload(vec![EducationCategory::Adult], huge).await),
        "too_large"
    );
    let scans: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mandate_scans")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(scans, 2);
}
