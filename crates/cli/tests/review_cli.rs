//! `photoroll review`, `student show` and `school set` end to end on the demo school: the JSON
//! shapes are contracts, single decisions exit 2 with the reason, bulk ones report skips.

mod common;

use common::Cli;
use serde_json::Value;

fn codes(queue: &Value) -> Vec<String> {
    queue
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["collection_code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn review_from_the_command_line() {
    let demo = Cli::demo();
    let queue = demo.json(&["review", "queue", "--json"]);
    let first = &queue[0];
    for key in [
        "collection_code",
        "name",
        "state",
        "photo_sha256",
        "failed_checks",
    ] {
        assert!(first.get(key).is_some(), "{key} missing in {first}");
    }
    assert_eq!(first["state"], "submitted");
    assert!(
        first["name"].as_str().unwrap().contains('*'),
        "names are masked"
    );
    let codes = codes(&queue);
    let total = codes.len();
    assert!(total > 10);

    let approved = demo.json(&["review", "approve", &codes[0], "NOPE0000000", "--json"]);
    assert_eq!(approved["approved"], 1);
    assert_eq!(approved["skipped"][0]["code"], "NOPE0000000");
    assert!(
        approved["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("找不到")
    );
    // Approving again: the table refuses, reported per code, nothing changes.
    let again = demo.json(&["review", "approve", &codes[0], "--json"]);
    assert_eq!(again["approved"], 0);
    assert!(
        again["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("approve")
    );

    let rejected = demo.json(&[
        "review",
        "reject",
        &codes[1],
        "--reason",
        "blur",
        "--note",
        "请睁眼",
        "--json",
    ]);
    assert_eq!(rejected["rejected"], 1);
    let shown = demo.json(&["student", "show", &codes[1], "--json"]);
    assert_eq!(shown["state"], "rejected");
    let last = shown["history"].as_array().unwrap().last().unwrap().clone();
    for key in [
        "action",
        "from",
        "to",
        "actor",
        "at",
        "photo_sha256",
        "reason",
    ] {
        assert!(last.get(key).is_some(), "{key} missing in {last}");
    }
    assert_eq!(last["action"], "reject");
    assert_eq!(last["actor"], "审核员：李华");
    assert_eq!(last["photo_sha256"], shown["photo_sha256"]);
    assert!(last["reason"].as_str().unwrap().contains("请睁眼"));
    let err = demo.refused(&["review", "reject", &codes[2], "--reason", "no_such_reason"]);
    assert!(err.contains("no_such_reason"), "{err}");

    // Single decisions exit 2 with the reason when the table forbids them.
    demo.ok(&["review", "withdraw", &codes[2]]);
    let err = demo.refused(&["review", "withdraw", &codes[2]]);
    assert!(err.contains("withdraw"), "{err}");
    demo.refused(&["review", "confirm", "NOPE0000000"]);
    demo.refused(&["review", "approve"]);

    let reasons = demo.json(&["review", "reasons", "--json"]);
    assert_eq!(reasons.as_array().unwrap().len(), 16);
    assert!(reasons[0].get("key").is_some() && reasons[0].get("message").is_some());

    // With final confirmation on, bulk approval by filter leaves every photo awaiting the
    // student; one confirms in person, the rest are confirmed after the deadline.
    demo.ok(&[
        "school",
        "set",
        "99001",
        "--final-confirmation",
        "on",
        "--confirm-days",
        "2",
    ]);
    let err = demo.refused(&["school", "set", "99001", "--confirm-days", "99"]);
    assert!(err.contains("1–30"), "{err}");
    let bulk = demo.json(&["review", "approve", "--all-passed", "--json"]);
    assert_eq!(bulk["approved"].as_u64().unwrap() as usize, total - 3);
    assert_eq!(
        demo.json(&["review", "queue", "--json"]),
        Value::Array(vec![])
    );
    demo.ok(&["review", "confirm", &codes[3]]);
    assert_eq!(
        demo.json(&["student", "show", &codes[3], "--json"])["state"],
        "completed"
    );
    let awaiting = demo.json(&["progress", "--json"])["awaiting_confirmation"]
        .as_u64()
        .unwrap();
    assert!(awaiting as usize >= total - 4);
    let none_yet = demo.json(&["review", "auto-confirm", "--now", "2000-01-01T00:00:00Z"]);
    assert_eq!(none_yet["confirmed"], 0);
    let confirmed = demo.json(&["review", "auto-confirm", "--now", "2999-01-01T00:00:00Z"]);
    assert_eq!(confirmed["confirmed"].as_u64(), Some(awaiting));
    let last = demo.json(&["student", "show", &codes[4], "--json"])["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["actor"], "auto_confirm");
    demo.refused(&["review", "auto-confirm", "--now", "tomorrow"]);
}
