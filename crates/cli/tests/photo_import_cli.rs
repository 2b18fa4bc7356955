//! `photoroll photo import` end to end: the real binary on a real folder and zip of real
//! portraits, its JSON report (a contract) and its exit status.

use photoroll_tests::fixture;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photoroll"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("PHOTOROLL_DATA_DIR")
        .output()
        .unwrap()
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = run(data, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn face(name: &str) -> PathBuf {
    fixture("faces").join(name)
}

/// The demo's first `n` collection codes of students in `state`.
fn codes(data: &Path, state: &str, n: usize) -> Vec<String> {
    let list: Value = serde_json::from_str(&ok(
        data,
        &["progress", "--state", state, "--limit", "50", "--json"],
    ))
    .unwrap();
    let codes: Vec<String> = list["students"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["collection_code"].as_str().map(str::to_string))
        .take(n)
        .collect();
    assert_eq!(codes.len(), n);
    codes
}

#[test]
fn photo_import_prints_the_report_contract_and_exits_0_or_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&data, &["demo"]);
    let pending = codes(&data, "pending", 3);
    let completed = codes(&data, "completed", 1);

    let src = dir.path().join("photos");
    std::fs::create_dir(&src).unwrap();
    std::fs::copy(
        face("portrait-obama.jpg"),
        src.join(format!("{}.jpg", pending[0])),
    )
    .unwrap();
    std::fs::copy(
        face("portrait-obama-turned.jpg"),
        src.join(format!("{}.jpg", pending[1])),
    )
    .unwrap();
    std::fs::copy(
        face("portrait-obama.jpg"),
        src.join(format!("{}.jpg", completed[0])),
    )
    .unwrap();
    std::fs::write(src.join("readme.txt"), "x").unwrap();
    let path = src.to_str().unwrap();

    // The exact shape: {"total","imported","failed":[{"file","code","message"}]}.
    let report: Value = serde_json::from_str(&ok(
        &data,
        &["photo", "import", path, "--school", "99001", "--json"],
    ))
    .unwrap();
    let keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["failed", "imported", "total"], "{report}");
    assert_eq!(report["total"], 4);
    assert_eq!(report["imported"], 2, "{report}");
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 2);
    for f in failed {
        let mut keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["code", "file", "message"]);
        assert!(!f["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(failed[0]["file"], format!("{}.jpg", completed[0]));
    assert_eq!(failed[0]["code"], "already_final");
    assert_eq!(failed[1]["file"], "readme.txt");
    assert_eq!(failed[1]["code"], "not_an_image");
    let student: Value =
        serde_json::from_str(&ok(&data, &["student", "show", &pending[1], "--json"])).unwrap();
    assert_eq!(student["state"], "submitted", "{student}");

    // --only-passing, --name-by id and the text report.
    std::fs::remove_file(src.join(format!("{}.jpg", pending[0]))).unwrap();
    std::fs::copy(
        face("portrait-obama-turned.jpg"),
        src.join(format!("{}.jpg", pending[2])),
    )
    .unwrap();
    let text = ok(
        &data,
        &[
            "photo",
            "import",
            path,
            "--school",
            "99001",
            "--only-passing",
        ],
    );
    assert!(text.contains("checks_failed"), "{text}");
    let by_id: Value = serde_json::from_str(&ok(
        &data,
        &[
            "photo",
            "import",
            path,
            "--school",
            "99001",
            "--name-by",
            "id",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(by_id["imported"], 0);
    assert!(
        by_id["failed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "unknown_student"),
        "{by_id}"
    );

    // PATH refused: exit 2, a message, nothing stored.
    let before = ok(&data, &["progress", "--json"]);
    for args in [
        vec![
            "photo",
            "import",
            "/nonexistent/photos",
            "--school",
            "99001",
        ],
        vec![
            "photo",
            "import",
            face("portrait-obama.jpg").to_str().unwrap(),
            "--school",
            "99001",
        ],
        vec!["photo", "import", path, "--school", "10075"],
    ] {
        let out = run(&data, &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!out.stderr.is_empty());
        assert!(out.stdout.is_empty(), "no report when refused");
    }
    assert_eq!(ok(&data, &["progress", "--json"]), before);
}
