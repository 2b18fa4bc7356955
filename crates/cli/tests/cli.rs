//! The `photoroll` binary end to end, on real workbooks and a real SQLite data folder.

use photoroll_tests::{C, fixture, read_sheet, sheet_names, valid_id, write_xlsx};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_photoroll"))
            .arg("--data-dir")
            .arg(self.data())
            .args(args)
            .env_remove("PHOTOROLL_DATA_DIR")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    /// Runs a command that must be refused: exit 2, a message on stderr. Returns the message.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?} should exit 2; stdout {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!err.trim().is_empty());
        err
    }

    /// Imports `file` for school 10075, expecting a refusal; returns the message.
    fn refused_import(&self, file: &Path) -> String {
        self.refused(&[
            "roster",
            "import",
            file.to_str().unwrap(),
            "--school",
            "10075",
        ])
    }

    fn with_school(self) -> Self {
        self.ok(&["school", "add", "--code", "10075", "--name", "河北大学"]);
        self
    }

    fn import(&self, file: &Path) -> Value {
        self.json(&[
            "roster",
            "import",
            file.to_str().unwrap(),
            "--school",
            "10075",
            "--category",
            "成人高等教育",
            "--json",
        ])
    }

    fn assert_nothing_stored(&self) {
        assert_eq!(
            self.json(&["roster", "imports", "--json"]),
            serde_json::json!([])
        );
        assert_eq!(self.json(&["progress", "--json"])["total"], 0);
    }
}

fn header() -> Vec<C> {
    [
        "姓名",
        "证件号",
        "证件类型",
        "证件号后四位",
        "采集码",
        "院校代码",
        "学历类别",
        "学历层次",
        "入学年份",
        "院系",
        "班级",
        "备注",
    ]
    .into_iter()
    .map(C::T)
    .collect()
}

fn row(name: &'static str, id: C, code: C) -> Vec<C> {
    vec![C::T(name), id, C::Blank, C::Blank, code]
}

#[test]
fn a_fresh_data_folder_starts_empty() {
    let env = Env::new();
    let p = env.json(&["progress", "--json"]);
    let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "pending",
        "submitted",
        "rejected",
        "awaiting_confirmation",
        "completed",
        "intercepted",
        "delivered",
        "total",
    ] {
        assert!(keys.contains(&k), "{k} missing from {p}");
        assert_eq!(p[k], 0);
    }
    assert_eq!(keys.len(), 8);
}

#[test]
fn every_failure_code_from_one_real_workbook() {
    let env = Env::new().with_school();
    // An earlier import puts 2020062800999 on the roster.
    let first = env.path("first.xlsx");
    write_xlsx(
        &first,
        "名单",
        &[header(), row("旧生", C::Blank, C::T("2020062800999"))],
    );
    assert_eq!(env.import(&first)["imported"], 1);

    let id0 = valid_id(0);
    let mut bad_check = valid_id(1);
    let last = bad_check.pop().unwrap();
    bad_check.push(if last == '0' { '1' } else { '0' });
    let mut rows = vec![
        vec![C::T("2024届毕业生名单")],
        vec![],
        header(),
        row("张一", C::S(id0.clone()), C::T("2020062800001")), // row 4: ok
        row("", C::S(valid_id(2)), C::T("2020062800002")),     // 5 missing_name
        vec![C::T("张三"), C::Blank, C::Blank, C::T("1234")],  // 6 missing_key
        row("张四", C::N(130121199005102442.0), C::Blank),     // 7 id_precision_lost
        row("张五", C::T("13012119900510244"), C::Blank),      // 8 id_format (length)
        row("张六", C::S(bad_check), C::Blank),                // 9 id_checksum
        row("张七", C::Blank, C::T("2020-06-28")),             // 10 collection_code_format
    ];
    let mut r = |name: &'static str, extra: Vec<(usize, C)>| {
        let mut v = row(name, C::Blank, C::Blank);
        v.resize(12, C::Blank);
        v[4] = C::S(format!("20200628{:05}", rows.len()));
        for (i, c) in extra {
            v[i] = c;
        }
        rows.push(v);
    };
    r("张八", vec![(5, C::T("10001"))]); // 11 school_code_mismatch
    r("张九", vec![(6, C::T("夜大学"))]); // 12 unknown_category
    r("张十", vec![(7, C::T("中专"))]); // 13 unknown_level
    r("李一", vec![(8, C::N(1949.0))]); // 14 bad_enrolment_year
    rows.push(row("李二", C::S(id0), C::T("2020062800777"))); // 15 duplicate_in_file (same ID as row 4)
    rows.push(row("李三", C::Blank, C::T("2020062800999"))); // 16 duplicate_existing
    rows.push(vec![]); // blank row: skipped, not counted
    let mut ok = row(
        "Ａｌｉｃｅ　Ｗｏｎｇ",
        C::T(" e1234５678 "),
        C::T("２０２００６２８００８８８"),
    );
    ok.resize(12, C::Blank);
    ok[3] = C::Blank;
    ok[9] = C::T("计算机学院");
    ok[11] = C::T("ignored column");
    rows.push(ok); // 18: ok, a passport taken as typed, full-width folded
    let file = env.path("roster.xlsx");
    write_xlsx(&file, "Sheet1", &rows);

    let report = env.import(&file);
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(report["total"], 14, "{report}");
    assert_eq!(report["imported"], 2);
    assert_eq!(report["failed"], 12);
    assert_eq!(failures.len(), 12);
    let got: Vec<(u64, &str)> = failures
        .iter()
        .map(|f| (f["row"].as_u64().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            (5, "missing_name"),
            (6, "missing_key"),
            (7, "id_precision_lost"),
            (8, "id_format"),
            (9, "id_checksum"),
            (10, "collection_code_format"),
            (11, "school_code_mismatch"),
            (12, "unknown_category"),
            (13, "unknown_level"),
            (14, "bad_enrolment_year"),
            (15, "duplicate_in_file"),
            (16, "duplicate_existing"),
        ]
    );
    assert!(
        failures
            .iter()
            .all(|f| !f["message"].as_str().unwrap().is_empty())
    );
    // The precision-lost message never prints the full (rounded) number.
    assert!(
        !failures[2]["message"]
            .as_str()
            .unwrap()
            .contains("130121199005102")
    );

    // The stored students: the passport kept as typed, full-width folded.
    let import_id = report["import_id"].as_str().unwrap();
    let shown = env.json(&["roster", "show", import_id, "--json"]);
    let names: Vec<&str> = shown
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["张一", "Alice Wong"]);
    assert_eq!(shown[1]["collection_code"], "2020062800888");
    assert_eq!(shown[1]["id_masked"], "E******78");
    assert_eq!(shown[1]["department"], "计算机学院");
}

#[test]
fn whitespace_only_rows_are_blank_and_not_counted() {
    // Rows holding only spaces are blank: skipped and not counted in `total`.
    let env = Env::new().with_school();
    let file = env.path("spaces.xlsx");
    write_xlsx(
        &file,
        "名单",
        &[
            header(),
            vec![C::T("  "), C::T("　")],
            row("张一", C::Blank, C::T("2020062800001")),
        ],
    );
    let r = env.import(&file);
    assert_eq!(
        (
            r["total"].as_u64(),
            r["imported"].as_u64(),
            r["failed"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
}

#[test]
fn legacy_xls_roster_with_header_on_row_three() {
    let env = Env::new().with_school();
    let r = env.import(&fixture("roster-legacy.xls"));
    assert_eq!(r["total"], 7);
    assert_eq!(r["imported"], 4);
    let codes: Vec<(u64, &str)> = r["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["row"].as_u64().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (8, "id_precision_lost"),
            (9, "id_checksum"),
            (10, "duplicate_in_file")
        ]
    );
    let shown = env.json(&["roster", "show", r["import_id"].as_str().unwrap(), "--json"]);
    assert_eq!(shown[1]["id_last_four"], "201X", "lowercase x stored as X");
    assert_eq!(shown[2]["name"], "Alice Smith");
    assert_eq!(shown[3]["name"], "阿依古丽·买买提");
    assert_eq!(shown[3]["level"], "junior", "高起专 is 专科");
    assert_eq!(shown[3]["category"], "adult", "函授 is 成人高等教育");
}

#[test]
fn refused_files_exit_2_and_store_nothing() {
    let env = Env::new().with_school();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "random.xlsx",
            (0..5000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
            "不是 Excel",
        ),
        (
            "list.xls",
            "姓名,证件号,采集码\n张三,130121199005102442,2020062800634\n"
                .as_bytes()
                .to_vec(),
            "CSV",
        ),
        (
            "page.xls",
            "<html><body><table><tr><td>姓名</td></tr></table></body></html>"
                .as_bytes()
                .to_vec(),
            "网页",
        ),
        ("empty.xlsx", Vec::new(), "空"),
        (
            "truncated.xlsx",
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00garbage".to_vec(),
            "损坏",
        ),
    ];
    for (name, bytes, expect) in cases {
        let p = env.path(name);
        std::fs::write(&p, bytes).unwrap();
        let msg = env.refused_import(&p);
        assert!(msg.contains(expect), "{name}: {msg}");
    }
    let msg = env.refused(&[
        "roster",
        "import",
        fixture("encrypted.xlsx").to_str().unwrap(),
        "--school",
        "10075",
    ]);
    assert!(msg.contains("加密"), "{msg}");

    let no_header = env.path("noheader.xlsx");
    let mut rows: Vec<Vec<C>> = (0..25)
        .map(|_| vec![C::T("张三"), C::T("2020062800634")])
        .collect();
    rows.push(vec![C::T("姓名"), C::T("采集码")]); // a header below row 20 does not count
    write_xlsx(&no_header, "名单", &rows);
    let msg = env.refused_import(&no_header);
    assert!(msg.contains("表头"), "{msg}");

    // Over the 50 MB default: refused from its size, before it is read.
    let big = env.path("big.xlsx");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(50 * 1024 * 1024 + 1).unwrap();
    let msg = env.refused_import(&big);
    assert!(msg.contains("过大"), "{msg}");

    // Unknown school or category in the flags.
    let good = env.path("good.xlsx");
    write_xlsx(
        &good,
        "名单",
        &[header(), row("张一", C::Blank, C::T("2020062800001"))],
    );
    env.refused(&[
        "roster",
        "import",
        good.to_str().unwrap(),
        "--school",
        "10001",
    ]);
    env.refused(&[
        "roster",
        "import",
        good.to_str().unwrap(),
        "--school",
        "1007",
    ]);
    env.refused(&[
        "roster",
        "import",
        good.to_str().unwrap(),
        "--school",
        "10075",
        "--category",
        "夜大学",
    ]);
    env.assert_nothing_stored();
}

#[test]
fn template_has_text_columns_dropdowns_and_instructions_and_imports_cleanly() {
    let env = Env::new().with_school();
    let t = env.path("template.xlsx");
    env.ok(&["roster", "template", "-o", t.to_str().unwrap()]);
    assert_eq!(sheet_names(&t), vec!["采集名单", "填写说明"]);
    let cells = read_sheet(&t, "采集名单");
    let header: Vec<&str> = cells[0].iter().map(|(s, _)| s.as_str()).collect();
    for h in [
        "姓名",
        "证件号",
        "证件类型",
        "证件号后四位",
        "采集码",
        "院校代码",
        "学历类别",
        "学历层次",
        "学号",
        "考生号",
        "教学点",
        "院系",
        "专业",
        "班级",
        "入学年份",
    ] {
        assert!(header.contains(&h), "{h}");
    }
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&t).unwrap()).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut xml,
    )
    .unwrap();
    assert!(
        xml.contains("<dataValidation") && xml.contains("普通高等教育"),
        "category dropdown"
    );
    let mut styles = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
    assert!(
        styles.contains("formatCode=\"@\""),
        "a text number format exists"
    );
    assert!(
        xml.contains("<cols>") && xml.contains("style=\"2\""),
        "columns carry it"
    );
    // The empty template is a valid roster with no rows.
    let r = env.import(&t);
    assert_eq!(
        (r["total"].as_u64(), r["failed"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn history_show_failures_export_and_delete() {
    let env = Env::new().with_school();
    let file = env.path("二班.xlsx");
    write_xlsx(
        &file,
        "名单",
        &[
            header(),
            row("张一", C::Blank, C::T("2020062800001")),
            row("张二", C::T("130121199005102443"), C::T("2020062800002")),
            row("张三", C::Blank, C::T("2020-0003")),
        ],
    );
    let r = env.import(&file);
    let id = r["import_id"].as_str().unwrap().to_string();
    let history = env.json(&["roster", "imports", "--json"]);
    assert_eq!(history[0]["file_name"], "二班.xlsx");
    assert_eq!(
        (
            history[0]["total"].as_i64(),
            history[0]["imported"].as_i64(),
            history[0]["failed"].as_i64()
        ),
        (Some(3), Some(1), Some(2))
    );
    assert_eq!(history[0]["category"], "adult");

    // Failed rows exactly as uploaded, unmasked, as text, with the reason.
    let out = env.path("failed.xlsx");
    env.ok(&["roster", "failures", &id, "-o", out.to_str().unwrap()]);
    let cells = read_sheet(&out, "失败行");
    assert_eq!(cells[0].len(), header().len() + 2);
    assert_eq!(cells[0].last().unwrap().0, "失败原因");
    assert_eq!(cells[1][0].0, "张二");
    assert_eq!(
        cells[1][1],
        ("130121199005102443".to_string(), true),
        "the admin's own data, unmasked, text"
    );
    assert_eq!(cells[1][4], ("2020062800002".to_string(), true));
    assert!(cells[1].last().unwrap().0.starts_with("id_checksum"));
    assert!(
        cells[2]
            .last()
            .unwrap()
            .0
            .starts_with("collection_code_format")
    );
    // Ready to re-import: the same rows fail for the same reasons, nothing else changes.
    let again = env.import(&out);
    let codes: Vec<&str> = again["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["id_checksum", "collection_code_format"]);

    env.ok(&["roster", "delete", &id]);
    let history = env.json(&["roster", "imports", "--json"]);
    assert_eq!(
        history.as_array().unwrap().len(),
        1,
        "only the re-import remains"
    );
    assert_eq!(env.json(&["progress", "--json"])["total"], 0);
    env.refused(&["roster", "delete", &id]);
}

#[test]
fn delete_is_refused_whole_when_a_student_has_a_photo() {
    let env = Env::new();
    env.ok(&["demo"]);
    let before = env.json(&["progress", "--json"]);
    let id = env.json(&["roster", "imports", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let msg = env.refused(&["roster", "delete", &id]);
    assert!(msg.contains("已有照片"), "{msg}");
    // It names students: the message carries names with collection codes.
    assert!(msg.contains("（2026226"), "{msg}");
    assert_eq!(env.json(&["progress", "--json"]), before);
}

#[test]
fn demo_progress_filters_and_masked_export() {
    let env = Env::new();
    let out = env.ok(&["demo"]);
    assert!(out.contains("待采集"));
    let p = env.json(&["progress", "--json"]);
    assert_eq!(p["total"], 360);
    let nonzero = [
        "pending",
        "submitted",
        "rejected",
        "awaiting_confirmation",
        "completed",
        "intercepted",
        "delivered",
    ]
    .iter()
    .filter(|k| p[**k].as_i64().unwrap() > 0)
    .count();
    assert_eq!(nonzero, 7, "demo covers every state: {p}");
    // Running demo again loads nothing twice.
    env.ok(&["demo"]);
    assert_eq!(env.json(&["progress", "--json"])["total"], 360);

    let list = env.json(&[
        "progress",
        "--json",
        "--state",
        "completed",
        "--category",
        "成教",
    ]);
    let listed = list["students"].as_array().unwrap();
    assert!(
        !listed.is_empty(),
        "the demo has completed adult-education students"
    );
    assert_eq!(list["total"].as_u64().unwrap() as usize, listed.len());
    for s in listed {
        assert_eq!(s["state"], "completed");
        assert_eq!(s["category"], "adult");
        let masked = s["id_masked"].as_str().unwrap();
        assert_eq!(masked.len(), 18);
        assert_eq!(&masked[6..14], "********");
    }
    // Search by ID last four and by collection code.
    let one = env.json(&["progress", "--json", "--search", "2026226100012"]);
    assert_eq!(one["total"], 1);
    let last4 = one["students"][0]["id_last_four"]
        .as_str()
        .unwrap()
        .to_string();
    let by_l4 = env.json(&["progress", "--json", "--search", &last4]);
    assert!(by_l4["total"].as_i64().unwrap() >= 1);

    let xlsx = env.path("completed.xlsx");
    env.ok(&[
        "export",
        "xlsx",
        "-o",
        xlsx.to_str().unwrap(),
        "--state",
        "completed",
    ]);
    let cells = read_sheet(&xlsx, "采集信息");
    assert_eq!(cells.len() as i64 - 1, p["completed"].as_i64().unwrap());
    let history = env.json(&["export", "history", "--json"]);
    assert_eq!(history[0]["name"], "completed.xlsx");
    assert_eq!(history[0]["rows"], p["completed"]);
    assert!(history[0]["filter"].as_str().unwrap().contains("completed"));
    for r in &cells[1..] {
        assert!(r[1].1, "IDs are text cells");
        assert!(r[1].0.contains("********"), "IDs masked: {}", r[1].0);
        assert_eq!(r[13].0, "采集完成");
        assert!(r[2].1 && r[2].0.len() == 13, "collection codes as text");
    }
}

#[test]
fn backup_and_restore_round_trip_and_refusals() {
    let env = Env::new();
    env.ok(&["demo"]);
    let backup = env.path("backup.zip");
    env.ok(&["backup", "-o", backup.to_str().unwrap()]);
    let restored = env.path("restored");
    let run_restore = |target: &Path, file: &Path| {
        Command::new(env!("CARGO_BIN_EXE_photoroll"))
            .arg("--data-dir")
            .arg(target)
            .args(["restore", file.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let out = run_restore(&restored, &backup);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let progress = |dir: &Path| {
        let o = Command::new(env!("CARGO_BIN_EXE_photoroll"))
            .arg("--data-dir")
            .arg(dir)
            .args(["progress", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&o.stdout).unwrap()
    };
    assert_eq!(progress(&restored), progress(&env.data()));
    let blobs = |dir: &Path| {
        let mut v: Vec<String> = walk(&dir.join("blobs"))
            .into_iter()
            .filter(|n| n.len() == 64)
            .collect();
        v.sort();
        v
    };
    assert!(!blobs(&env.data()).is_empty());
    assert_eq!(blobs(&restored), blobs(&env.data()));

    // Into a folder that is not empty: refused.
    assert_eq!(run_restore(&env.data(), &backup).status.code(), Some(2));
    // A tampered photo inside the backup: refused, the target stays absent.
    let tampered = env.path("tampered.zip");
    {
        let mut src = zip::ZipArchive::new(std::fs::File::open(&backup).unwrap()).unwrap();
        let mut dst = zip::ZipWriter::new(std::fs::File::create(&tampered).unwrap());
        for i in 0..src.len() {
            let mut e = src.by_index(i).unwrap();
            let name = e.name().unwrap().to_string();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
            if name.starts_with("blobs/") {
                bytes[100] ^= 0xFF;
            }
            dst.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut dst, &bytes).unwrap();
        }
        dst.finish().unwrap();
    }
    let target = env.path("t2");
    let out = run_restore(&target, &tampered);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!target.exists());
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out
}

fn face(name: &str) -> String {
    fixture(&format!("faces/{name}")).display().to_string()
}

#[test]
fn photo_standardize_writes_the_photo_and_prints_the_report() {
    let env = Env::new();
    let out = env.path("std.jpg");
    let report = env.json(&[
        "photo",
        "standardize",
        &face("portrait-grace-hopper.jpg"),
        "-o",
        out.to_str().unwrap(),
        "--background",
        "white",
        "--json",
    ]);
    assert_eq!(report["output"], out.to_str().unwrap());
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(report["encoding"]["bytes"], bytes.len());
    assert!((20 * 1024..=40 * 1024).contains(&bytes.len()));
    let checks = report["checks"].as_array().unwrap();
    for code in [
        "face_count",
        "face_size",
        "face_position",
        "head_top_margin",
        "roll",
        "yaw",
        "pitch",
        "sharpness",
        "exposure",
    ] {
        let c = checks
            .iter()
            .find(|c| c["code"] == code)
            .unwrap_or_else(|| panic!("{code}"));
        assert!(c["score"].is_number() && c["message"].is_string(), "{c}");
    }
    for key in ["box", "landmarks", "score"] {
        assert!(!report["face"][key].is_null(), "face.{key}");
    }
    assert!(report["timings_ms"]["total"].as_f64().unwrap() > 0.0);
    assert!(report["crop"]["scale"].as_f64().unwrap() > 0.0);

    // The delivery checker accepts it.
    let checked = env.json(&["photo", "check", out.to_str().unwrap(), "--json"]);
    assert!(
        checked["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["passed"] == true),
        "{checked}"
    );
}

#[test]
fn photo_standardize_with_failed_checks_still_exits_0() {
    let env = Env::new();
    let out = env.path("turned.jpg");
    let report = env.json(&[
        "photo",
        "standardize",
        &face("portrait-obama-turned.jpg"),
        "-o",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.exists());
    let yaw = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "yaw")
        .unwrap()
        .clone();
    assert_eq!(yaw["passed"], false);
    assert!(yaw["message"].as_str().unwrap().contains("正对镜头"));
}

#[test]
fn photo_standardize_refuses_what_cannot_become_a_photo_and_writes_nothing() {
    let env = Env::new();
    let out = env.path("none.jpg");
    // No face: the report says so on stdout, exit 2, no file.
    let run = env.run(&[
        "photo",
        "standardize",
        &face("no-face-coffee.png"),
        "-o",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(run.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(report["output"].is_null());
    assert_eq!(report["checks"][0]["code"], "face_count");
    assert!(!out.exists());
    // Not an image.
    let junk = env.path("junk.jpg");
    std::fs::write(&junk, b"this is not a photo").unwrap();
    let msg = env.refused(&[
        "photo",
        "standardize",
        junk.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        msg.contains("无法生成标准照") || msg.contains("JPEG"),
        "{msg}"
    );
    assert!(!out.exists());
    // A bad background colour.
    let msg = env.refused(&[
        "photo",
        "standardize",
        &face("astronaut.png"),
        "-o",
        out.to_str().unwrap(),
        "--background",
        "#12",
    ]);
    assert!(msg.contains("背景颜色"), "{msg}");
}

#[test]
fn photo_check_fails_a_photo_of_the_wrong_size() {
    let env = Env::new();
    let msg = env.refused(&["photo", "check", &face("portrait-obama.jpg")]);
    assert!(msg.contains("不符合规格"), "{msg}");
}

/// A JPEG of the codes drawn side by side on a light grey sheet, 6 pixels a module.
fn qr_sheet(payloads: &[&str]) -> Vec<u8> {
    let codes: Vec<qrcode::QrCode> = payloads
        .iter()
        .map(|p| qrcode::QrCode::new(p.as_bytes()).unwrap())
        .collect();
    let module = 6u32;
    let cell = codes
        .iter()
        .map(|c| c.width() as u32 + 8)
        .max()
        .unwrap_or(30)
        * module;
    let mut img = image::RgbImage::from_pixel(
        cell * codes.len().max(1) as u32,
        cell,
        image::Rgb([235, 235, 235]),
    );
    for (i, code) in codes.iter().enumerate() {
        let n = code.width();
        let colors = code.to_colors();
        for (k, c) in colors.iter().enumerate() {
            if *c == qrcode::Color::Dark {
                let (mx, my) = ((k % n) as u32 + 4, (k / n) as u32 + 4);
                for dy in 0..module {
                    for dx in 0..module {
                        img.put_pixel(
                            i as u32 * cell + mx * module + dx,
                            my * module + dy,
                            image::Rgb([10, 10, 10]),
                        );
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&img)
        .unwrap();
    out
}

#[test]
fn qr_scan_prints_every_payload_in_order_and_an_empty_list_when_there_is_none() {
    let env = Env::new();
    let sheet = env.path("sheet.jpg");
    std::fs::write(
        &sheet,
        qr_sheet(&["4401238875630012", "第二个码 raw payload"]),
    )
    .unwrap();
    let got = env.json(&["qr", "scan", sheet.to_str().unwrap(), "--json"]);
    assert_eq!(
        got,
        serde_json::json!({ "codes": ["4401238875630012", "第二个码 raw payload"] })
    );
    let plain = env.ok(&["qr", "scan", sheet.to_str().unwrap()]);
    assert_eq!(plain.lines().next(), Some("4401238875630012"));
    // A portrait has no code: exit 0, empty list.
    let none = env.json(&["qr", "scan", &face("astronaut.png"), "--json"]);
    assert_eq!(none, serde_json::json!({ "codes": [] }));
    // Not an image: refused with a message.
    let junk = env.path("junk.jpg");
    std::fs::write(&junk, b"\xff\xd8\xff garbage").unwrap();
    let msg = env.refused(&["qr", "scan", junk.to_str().unwrap()]);
    assert!(msg.contains("junk.jpg"), "{msg}");
}

#[test]
fn qr_frame_writes_a_camera_frame_the_scanner_reads_back() {
    let env = Env::new();
    let frame = env.path("frame.jpg");
    env.ok(&[
        "qr",
        "frame",
        "2026226100002",
        "-o",
        frame.to_str().unwrap(),
    ]);
    let got = env.json(&["qr", "scan", frame.to_str().unwrap(), "--json"]);
    assert_eq!(got, serde_json::json!({ "codes": ["2026226100002"] }));
    // Too long to fit a frame: refused, nothing written.
    let long = "码".repeat(900);
    let too_big = env.path("big.jpg");
    let msg = env.refused(&["qr", "frame", &long, "-o", too_big.to_str().unwrap()]);
    assert!(msg.contains("二维码"), "{msg}");
    assert!(!too_big.exists());
}

#[test]
fn sessions_cover_the_filtered_students_with_distinct_feature_codes() {
    let env = Env::new();
    // No school yet: refused with a message, nothing stored.
    let msg = env.refused(&["session", "create", "--name", "第一场"]);
    assert!(msg.contains("还没有院校"), "{msg}");
    env.ok(&["demo"]);
    let all = env.json(&["session", "create", "--name", "全校集中采集", "--json"]);
    assert_eq!(all["students"], 360);
    assert_eq!(all["school_code"], "99001");
    let code = all["feature_code"].as_str().unwrap();
    assert!(
        code.len() == 4 && code.chars().all(|c| c.is_ascii_digit()),
        "{code}"
    );

    // A department's session covers exactly that department's students.
    let dept = env.json(&["progress", "--json", "--state", "pending", "--limit", "1"]);
    let department = dept["students"][0]["department"]
        .as_str()
        .unwrap()
        .to_string();
    let in_dept = env.json(&[
        "progress",
        "--json",
        "--department",
        &department,
        "--limit",
        "1",
    ]);
    let one = env.json(&[
        "session",
        "create",
        "--name",
        "  上午场  ",
        "--department",
        &department,
        "--json",
    ]);
    assert_eq!(one["students"], in_dept["total"]);
    assert!(one["students"].as_i64().unwrap() < 360, "{one}");
    assert_eq!(one["name"], "上午场", "the name is trimmed");
    assert_ne!(one["feature_code"], all["feature_code"]);

    let list = env.json(&["session", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["name"], "上午场", "newest first");

    // Refusals: no one matches, an empty name, an unknown category.
    let msg = env.refused(&[
        "session",
        "create",
        "--name",
        "空场",
        "--class",
        "不存在的班级",
    ]);
    assert!(msg.contains("没有符合条件的学生"), "{msg}");
    env.refused(&["session", "create", "--name", "   "]);
    env.refused(&["session", "create", "--name", "x", "--category", "不存在"]);
    assert_eq!(
        env.json(&["session", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn station_packs_from_the_command_line() {
    let admin = Env::new();
    admin.ok(&["demo"]);
    let session = admin.json(&["session", "create", "--name", "全校", "--json"]);
    let pack = admin.path("全校.pack");
    let code = session["feature_code"].as_str().unwrap();
    let out = admin.ok(&[
        "station",
        "export-pack",
        "--session",
        code,
        "-o",
        pack.to_str().unwrap(),
    ]);
    assert!(out.contains("360 名学生"), "{out}");
    let station = Env::new();
    assert!(
        station
            .ok(&["station", "import-pack", pack.to_str().unwrap()])
            .contains("新增 360")
    );
    assert!(
        station
            .ok(&["station", "import-pack", pack.to_str().unwrap()])
            .contains("新增 0")
    );
    // The station's list shows masked names only.
    let list = station.json(&["progress", "--json", "--state", "pending", "--limit", "5"]);
    for s in list["students"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        assert!(name.chars().skip(1).all(|c| c == '*'), "{name}");
        assert!(s["id_masked"].is_null());
    }
    // Nothing captured yet: an empty captures file that imports as nothing.
    let back = station.path("captures.zip");
    station.ok(&["station", "export-captures", "-o", back.to_str().unwrap()]);
    assert!(
        admin
            .ok(&["station", "import-captures", back.to_str().unwrap()])
            .contains("导入 0")
    );
    let junk = admin.path("junk.pack");
    std::fs::write(&junk, b"PK\x03\x04 not really").unwrap();
    let msg = admin.refused(&["station", "import-pack", junk.to_str().unwrap()]);
    assert!(msg.contains("采集站文件无效"), "{msg}");
    admin.refused(&[
        "station",
        "export-pack",
        "--session",
        "0000x",
        "-o",
        pack.to_str().unwrap(),
    ]);
}

#[test]
fn capture_from_a_file_records_the_photographer_and_obeys_the_stations_rules() {
    let env = Env::new();
    env.ok(&["demo"]);
    let session = env.json(&["session", "create", "--name", "全校", "--json"]);
    let feature = session["feature_code"].as_str().unwrap();
    let pending = env.json(&["progress", "--json", "--state", "pending", "--limit", "2"]);
    let code = pending["students"][0]["collection_code"]
        .as_str()
        .unwrap()
        .to_string();
    let photo = face("portrait-obama.jpg");
    // The photographer's name is required.
    let msg = env.refused(&[
        "capture",
        &photo,
        "--session",
        feature,
        "--student",
        &code,
        "--photographer",
        " ",
    ]);
    assert!(msg.contains("摄影师"), "{msg}");
    let saved = env.json(&[
        "capture",
        &photo,
        "--session",
        feature,
        "--student",
        &code.to_lowercase(),
        "--photographer",
        "李华",
        "--json",
    ]);
    assert_eq!(saved["saved"]["student"]["state"], "submitted", "{saved}");
    assert_eq!(saved["saved"]["became_photo"], true);
    // A second photo of a submitted student needs --retake.
    let msg = env.refused(&[
        "capture",
        &photo,
        "--session",
        feature,
        "--student",
        &code,
        "--photographer",
        "李华",
    ]);
    assert!(msg.contains("重拍"), "{msg}");
    // A failed check needs a reason: the turned head fails some checks.
    let turned = face("portrait-obama-turned.jpg");
    let other = pending["students"][1]["collection_code"].as_str().unwrap();
    let msg = env.refused(&[
        "capture",
        &turned,
        "--session",
        feature,
        "--student",
        other,
        "--photographer",
        "李华",
    ]);
    assert!(msg.contains("未说明原因"), "{msg}");

    // The photographer is on the capture (and its transitions), as the captures file shows.
    let file = env.path("captures.zip");
    env.ok(&["station", "export-captures", "-o", file.to_str().unwrap()]);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&file).unwrap()).unwrap();
    let mut json = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("captures.json").unwrap(), &mut json).unwrap();
    let captures: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(captures.as_array().unwrap().len(), 1);
    assert_eq!(captures[0]["actor"], "摄影师：李华");

    // Nothing to collect: every photo is in use; the report says so.
    let gc = env.json(&["gc", "--grace-minutes", "0", "--json"]);
    assert_eq!(gc["removed"], 0, "{gc}");
    assert!(gc["examined"].as_u64().unwrap() > 0);
}
