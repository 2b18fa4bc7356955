//! `photoroll compare pair` end to end on the real test portraits (`tests/fixtures/faces`): the
//! JSON shape `{"score","verdict"}` is a contract; a photo without a face exits 2 naming it.

use serde_json::Value;
use std::process::{Command, Output};

fn face(name: &str) -> String {
    format!(
        "{}/../../tests/fixtures/faces/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn run(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_photoroll"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .env_remove("PHOTOROLL_DATA_DIR")
        .output()
        .unwrap()
}

fn pair_json(a: &str, b: &str) -> Value {
    let (a, b) = (face(a), face(b));
    let out = run(&["compare", "pair", &a, &b, "--json"]);
    assert!(
        out.status.success(),
        "{a} {b}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_same_person_is_same_and_the_shape_is_the_contract() {
    let v = pair_json("portrait-obama.jpg", "portrait-obama-blue-room.jpg");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["score", "verdict"]);
    assert_eq!(v["verdict"], "same");
    let score = v["score"].as_f64().unwrap();
    assert!(score > 0.6 && score <= 1.0, "{score}");
}

#[test]
fn different_people_are_different() {
    let v = pair_json(
        "portrait-obama-blue-room.jpg",
        "portrait-biden-full-body.jpg",
    );
    assert_eq!(v["verdict"], "different");
    assert!(v["score"].as_f64().unwrap() < 0.28);
}

#[test]
fn the_text_answer_names_the_verdict_and_score() {
    let out = run(&[
        "compare",
        "pair",
        &face("astronaut.png"),
        &face("portrait-grace-hopper.jpg"),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("非同一人（相似度 0."), "{text}");
}

#[test]
fn a_photo_without_a_face_exits_2_naming_it() {
    let no_face = face("no-face-coffee.png");
    let out = run(&[
        "compare",
        "pair",
        &face("portrait-obama.jpg"),
        &no_face,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no verdict is printed");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&no_face) && err.contains("未找到人脸"),
        "{err}"
    );
    assert!(
        !err.contains("portrait-obama.jpg"),
        "only the faceless photo: {err}"
    );

    let cat = face("no-face-cat-chelsea.png");
    let out = run(&["compare", "pair", &cat, &no_face]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&cat) && err.contains(&no_face),
        "both named: {err}"
    );
}

#[test]
fn an_unreadable_photo_or_bad_thresholds_exit_2() {
    let out = run(&[
        "compare",
        "pair",
        &face("SOURCES.md"),
        &face("astronaut.png"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SOURCES.md"));

    let a = face("astronaut.png");
    let out = run(&[
        "compare",
        "pair",
        &a,
        &a,
        "--same",
        "0.2",
        "--possibly-same",
        "0.3",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn thresholds_are_settings() {
    // Obama 2009 against Biden scores about 0.21: different by default, possibly_same when the
    // band is widened, same when the bar is dropped below it.
    let (a, b) = (
        face("portrait-obama-turned.jpg"),
        face("portrait-biden-full-body.jpg"),
    );
    let verdict = |extra: &[&str]| -> Value {
        let mut args = vec!["compare", "pair", a.as_str(), b.as_str(), "--json"];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert!(out.status.success());
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["verdict"].clone()
    };
    assert_eq!(verdict(&[]), "different");
    assert_eq!(verdict(&["--possibly-same", "0.15"]), "possibly_same");
    assert_eq!(
        verdict(&["--same", "0.15", "--possibly-same", "0.1"]),
        "same"
    );
}
