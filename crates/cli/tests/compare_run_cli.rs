//! `photoroll compare import-admission|run|results`, `school set --intercept` and `review
//! send-anyway|reject-retake` end to end on the demo school with real portraits: the JSON shapes
//! are contracts.

mod common;

use common::{Cli, face};
use serde_json::Value;

/// An object's keys, sorted (serde_json's map is ordered by key).
fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn sorted(mut keys: Vec<&str>) -> Vec<&str> {
    keys.sort();
    keys
}

/// Pending students of the demo school: (collection code, id number is not printed, so codes).
fn pending_codes(cli: &Cli, n: usize) -> Vec<String> {
    let v = cli.json(&["progress", "--state", "pending", "--json", "--limit", "50"]);
    let codes: Vec<String> = v["students"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["collection_code"].as_str().map(str::to_string))
        .take(n)
        .collect();
    assert_eq!(codes.len(), n);
    codes
}

/// A small JPEG of a fixture face (an admission photo is under 100 KB).
fn small_jpeg(cli: &Cli, name: &str) -> std::path::PathBuf {
    let out = cli.0.path().join(format!("small-{name}.jpg"));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_photoroll"))
        .args(["photo", "standardize"])
        .arg(face(name))
        .arg("--output")
        .arg(&out)
        .arg("--keep-background")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(std::fs::metadata(&out).unwrap().len() < 100 * 1024);
    out
}

#[test]
fn admission_photos_a_run_interception_and_the_admins_two_answers() {
    let cli = Cli::demo();
    cli.ok(&["school", "set", "99001", "--final-confirmation", "off"]);
    let codes = pending_codes(&cli, 3);
    // The students' photos: real portraits through 照片导入, then approved.
    let photos = cli.0.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for (code, name) in codes.iter().zip([
        "portrait-obama.jpg",
        "portrait-grace-hopper.jpg",
        "portrait-obama-turned.jpg",
    ]) {
        std::fs::copy(face(name), photos.join(format!("{code}.jpg"))).unwrap();
    }
    let imported = cli.json(&[
        "photo",
        "import",
        photos.to_str().unwrap(),
        "--school",
        "99001",
        "--json",
    ]);
    assert_eq!(imported["imported"], 3, "{imported}");
    let mut approve = vec!["review", "approve"];
    approve.extend(codes.iter().map(String::as_str));
    approve.push("--json");
    assert_eq!(cli.json(&approve)["approved"], 3);

    // Admission photos by collection code: same person, someone else, someone else; one entry
    // too large, one not a JPEG.
    let admission = cli.0.path().join("录取照片");
    std::fs::create_dir_all(&admission).unwrap();
    let turned = small_jpeg(&cli, "portrait-obama-turned.jpg");
    let hopper = small_jpeg(&cli, "portrait-grace-hopper.jpg");
    std::fs::copy(&turned, admission.join(format!("{}.jpg", codes[0]))).unwrap();
    std::fs::copy(&turned, admission.join(format!("{}.jpg", codes[1]))).unwrap();
    std::fs::copy(&hopper, admission.join(format!("{}.jpg", codes[2]))).unwrap();
    std::fs::copy(face("portrait-obama.jpg"), admission.join("big.jpg")).unwrap();
    std::fs::write(admission.join("readme.txt"), "x").unwrap();
    let report = cli.json(&[
        "compare",
        "import-admission",
        admission.to_str().unwrap(),
        "--school",
        "99001",
        "--name-by",
        "code",
        "--json",
    ]);
    assert_eq!(keys(&report), sorted(vec!["total", "imported", "failed"]));
    assert_eq!(
        (report["total"].as_u64(), report["imported"].as_u64()),
        (Some(5), Some(3))
    );
    let failed: Vec<(String, String)> = report["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(keys(f), sorted(vec!["entry", "code", "message"]));
            (
                f["entry"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        failed,
        vec![
            ("big.jpg".to_string(), "too_large".to_string()),
            ("readme.txt".to_string(), "not_jpeg".to_string())
        ]
    );
    let missing = cli.refused(&[
        "compare",
        "import-admission",
        "/nonexistent/录取.zip",
        "--school",
        "99001",
    ]);
    assert!(missing.contains("找不到"), "{missing}");

    // Interception on, then a run: the two different ones are held.
    cli.ok(&["school", "set", "99001", "--intercept", "on"]);
    let run = cli.json(&["compare", "run", "--school", "99001", "--json"]);
    assert_eq!(
        keys(&run),
        sorted(vec![
            "compared",
            "same",
            "possibly_same",
            "different",
            "no_admission_photo",
            "no_face",
            "intercepted"
        ])
    );
    assert_eq!(run["compared"], 3, "{run}");
    assert_eq!(run["same"], 1, "{run}");
    assert_eq!(run["different"], 2, "{run}");
    assert_eq!(run["intercepted"], 2, "{run}");
    let results = cli.json(&["compare", "results", "--outcome", "different", "--json"]);
    assert_eq!(results.as_array().unwrap().len(), 2);
    assert_eq!(results[0]["state"], "intercepted");
    assert!(results[0]["score"].as_f64().unwrap() < 0.28);
    assert!(
        cli.refused(&["compare", "results", "--outcome", "maybe"])
            .contains("--outcome")
    );

    // 仍然报送 needs a reason; then the student is completed again.
    let sent = cli.json(&[
        "review",
        "send-anyway",
        &codes[1],
        "--reason",
        "已当面核对，本人",
        "--json",
    ]);
    assert_eq!(sent["sent"], 1, "{sent}");
    let shown = cli.json(&["student", "show", &codes[1], "--json"]);
    assert_eq!(shown["state"], "completed");
    let last = shown["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "send_anyway");
    assert_eq!(last["reason"], "已当面核对，本人");
    // 驳回重拍 by filter: every intercepted student of the school (the demo's own included).
    let retake = cli.json(&["review", "reject-retake", "--school", "99001", "--json"]);
    assert!(retake["rejected"].as_u64().unwrap() >= 1, "{retake}");
    assert_eq!(retake["skipped"].as_array().unwrap().len(), 0);
    let shown = cli.json(&["student", "show", &codes[2], "--json"]);
    assert_eq!(shown["state"], "rejected");
    assert!(shown["state_reason"].as_str().unwrap().contains("人像比对"));
    // Without codes or filters, nothing is decided.
    cli.refused(&["review", "reject-retake"]);
    // Settings are checked by the rules.
    let bad = cli.refused(&[
        "school",
        "set",
        "99001",
        "--same-threshold",
        "0.2",
        "--possibly-same-threshold",
        "0.3",
    ]);
    assert!(bad.contains("阈值"), "{bad}");
    let shown = cli.ok(&["school", "set", "99001", "--admission-max-kb", "200"]);
    assert!(
        shown.contains("拦截上网 开") && shown.contains("200 KB"),
        "{shown}"
    );
}
