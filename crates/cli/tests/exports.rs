//! `photoroll export`: the name the user gives is what the history shows, and a history entry
//! runs again with its filter over the students as they are now. Real workbooks, a real data
//! folder, the real binary.

use photoroll_tests::{C, read_sheet, valid_id, write_xlsx};
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

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_photoroll"))
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
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

    fn history(&self) -> Vec<Value> {
        self.json(&["export", "history", "--json"])
            .as_array()
            .unwrap()
            .clone()
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every cell of an export's sheet, header included.
fn cells(path: &Path) -> Vec<Vec<String>> {
    read_sheet(path, "采集信息")
        .into_iter()
        .map(|r| r.into_iter().map(|(text, _)| text).collect())
        .collect()
}

#[test]
fn the_typed_name_is_what_the_history_shows() {
    let env = Env::new();
    env.ok(&["demo"]);
    let named = env.path("a.xlsx");
    env.ok(&[
        "export",
        "xlsx",
        "-o",
        s(&named),
        "--state",
        "completed",
        "--name",
        " 2024届已完成 ",
    ]);
    let unnamed = env.path("未采集名单.xlsx");
    env.ok(&["export", "xlsx", "-o", s(&unnamed), "--state", "pending"]);
    let history = env.history();
    assert_eq!(
        history[0]["name"], "未采集名单.xlsx",
        "no name: the file name"
    );
    assert_eq!(history[1]["name"], "2024届已完成");
    // The plain listing shows the id to run it again by, and the name.
    let listing = env.ok(&["export", "history"]);
    let first = listing.lines().nth(1).unwrap();
    assert!(
        first.starts_with(history[1]["id"].as_str().unwrap()),
        "{first}"
    );
    assert!(first.contains("2024届已完成"), "{first}");
}

#[test]
fn an_export_runs_again_with_its_filter_over_the_students_as_they_are_now() {
    let env = Env::new();
    env.ok(&["demo"]);
    let first = env.path("待采集.xlsx");
    env.ok(&[
        "export",
        "xlsx",
        "-o",
        s(&first),
        "--state",
        "pending",
        "--name",
        "待采集",
    ]);
    let original = env.history().remove(0);
    let pending_before = env.json(&["progress", "--json"])["pending"]
        .as_i64()
        .unwrap();
    assert_eq!(original["rows"], pending_before);

    // Unchanged students: the same workbook, row for row.
    let same = env.path("again.xlsx");
    env.ok(&[
        "export",
        "again",
        original["id"].as_str().unwrap(),
        "-o",
        s(&same),
    ]);
    assert_eq!(cells(&same), cells(&first));
    let rerun = env.history().remove(0);
    assert_ne!(rerun["id"], original["id"], "a new history entry");
    assert_eq!(rerun["filter"], original["filter"], "the filter is kept");
    assert_eq!(rerun["name"], "again.xlsx");

    // Three more pending students arrive with a roster: running it again picks them up.
    let roster = env.path("new.xlsx");
    let mut rows = vec![vec![C::T("姓名"), C::T("证件号"), C::T("采集码")]];
    for i in 0..3 {
        rows.push(vec![
            C::S(format!("新生{i}")),
            C::S(valid_id(900 + i)),
            C::S(format!("20269001{i:05}")),
        ]);
    }
    write_xlsx(&roster, "名单", &rows);
    let report = env.json(&[
        "roster",
        "import",
        s(&roster),
        "--school",
        "99001",
        "--category",
        "成教",
        "--json",
    ]);
    assert_eq!(report["imported"], 3, "{report}");
    let now = env.path("now.xlsx");
    env.ok(&[
        "export",
        "again",
        original["id"].as_str().unwrap(),
        "-o",
        s(&now),
        "--name",
        "待采集（更新）",
    ]);
    let now_cells = cells(&now);
    let pending_now = env.json(&["progress", "--json"])["pending"]
        .as_i64()
        .unwrap();
    assert_eq!(pending_now, pending_before + 3);
    assert_eq!(now_cells.len() as i64 - 1, pending_now);
    assert!(now_cells.iter().any(|r| r[2] == "2026900100002"));
    assert!(now_cells[1..].iter().all(|r| r[13] == "待采集"));
    // The same rows as the filter selects now, in the same order.
    let listed = env.json(&[
        "progress", "--json", "--state", "pending", "--limit", "100000",
    ]);
    let codes: Vec<&str> = listed["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["collection_code"].as_str().unwrap_or(""))
        .collect();
    let exported: Vec<&str> = now_cells[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(exported, codes);
    let latest = env.history().remove(0);
    assert_eq!(latest["name"], "待采集（更新）");
    assert_eq!(latest["rows"], pending_now);

    // An id the history does not have is refused, and writes nothing.
    let missing = env.path("missing.xlsx");
    let out = env.run(&["export", "again", "no-such-export", "-o", s(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("找不到导出记录"));
    assert!(!missing.exists());
}
