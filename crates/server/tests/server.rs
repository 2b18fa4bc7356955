//! The central server end to end: real `photoroll-server` processes on 127.0.0.1, each test on
//! both backends (SQLite + folder; PostgreSQL + S3 through moto).

mod common;

use common::{Backend, PASSWORD, World, jpeg, sha256_hex};
use serde_json::json;
use std::time::Duration;

const A1: &str = "2020062800634";
const A2: &str = "2020062800635";
const A3: &str = "2020062800636";
const B1: &str = "2020062800700";

fn school_a(w: &World) {
    w.school(
        "10075",
        "1380000100",
        &[
            ("张三", A1, "1234"),
            ("李四", A2, "567X"),
            ("王五", A3, "0001"),
        ],
    );
}

fn school_b(w: &World) {
    w.school("10001", "1390000200", &[("赵六", B1, "2222")]);
}

const ADMIN_A: &str = "13800001000";
const REVIEWER_A: &str = "13800001001";
const PHOTOGRAPHER_A: &str = "13800001002";
const ADMIN_B: &str = "13900002000";
const REVIEWER_B: &str = "13900002001";
const PHOTOGRAPHER_B: &str = "13900002002";
const OPERATOR: &str = "13700000000";

// ---------------------------------------------------------------------------------------------
// Sign-in

fn sign_in_flows(backend: Backend) {
    let w = World::with_env(backend, &[("PHOTOROLL_SERVER_SMS_CODE_SECS", "2")]);
    school_a(&w);
    let new_user = "13800001009";
    w.admin(&[
        "user", "add", "--phone", new_user, "--role", "reviewer", "--school", "10075",
    ]);
    let s = w.serve();

    // SMS: the same answer for a phone with and without an account; a code only for the first.
    let before = w.sms_lines(new_user);
    let known = s.post("/v1/auth/sms", None, json!({"phone": new_user}));
    let unknown = s.post("/v1/auth/sms", None, json!({"phone": "13811112222"}));
    assert_eq!((known.status, unknown.status), (200, 200));
    assert_eq!(known.body, unknown.body);
    let code = w.sms_code_after(new_user, before);
    assert!(
        !w.log().contains("13811112222"),
        "no code goes to a phone without an account"
    );
    assert_eq!(code.len(), 6);

    // First sign-in: a password is required, must pass the policy and match its confirmation;
    // none of these refusals spends the code.
    let verify = |pw: Option<&str>, confirm: Option<&str>, code: &str| {
        s.post("/v1/auth/sms/verify", None, json!({"phone": new_user, "code": code, "new_password": pw, "confirm_password": confirm}))
    };
    let a = verify(None, None, &code);
    assert_eq!((a.status, a.code()), (422, "password_required"));
    let a = verify(Some("abc"), Some("abc"), &code);
    assert_eq!((a.status, a.code()), (422, "weak_password"));
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("8–20"),
        "{:?}",
        a.body
    );
    let a = verify(Some(PASSWORD), Some("abc12345?"), &code);
    assert_eq!((a.status, a.code()), (422, "password_mismatch"));
    let a = verify(Some(PASSWORD), Some(PASSWORD), &code);
    assert_eq!(a.status, 200, "{:?}", a.body);
    let token = a.body["token"].as_str().unwrap().to_string();
    let me = s.get("/v1/account", Some(&token));
    assert_eq!(
        (me.status, me.body["role"].as_str()),
        (200, Some("reviewer"))
    );
    assert_eq!(me.body["phone"], "138****1009", "phones are masked");
    // Single use.
    let a = verify(Some(PASSWORD), Some(PASSWORD), &code);
    assert_eq!((a.status, a.code()), (401, "bad_code"));

    // Codes expire (2 s here, 5 minutes by default).
    let before = w.sms_lines(new_user);
    assert_eq!(
        s.post("/v1/auth/sms", None, json!({"phone": new_user}))
            .status,
        200
    );
    let late = w.sms_code_after(new_user, before);
    std::thread::sleep(Duration::from_millis(2500));
    let a = s.post(
        "/v1/auth/sms/verify",
        None,
        json!({"phone": new_user, "code": late}),
    );
    assert_eq!((a.status, a.code()), (401, "bad_code"));

    // Password sign-in; a symbol in the password is fine (`abc12345!`).
    let t1 = s.sign_in(new_user, PASSWORD);
    // Wrong password: the same message as a phone without an account.
    let wrong = s.post(
        "/v1/auth/password",
        None,
        json!({"phone": REVIEWER_A, "password": "nope12345"}),
    );
    let nobody = s.post(
        "/v1/auth/password",
        None,
        json!({"phone": "13811112222", "password": "nope12345"}),
    );
    assert_eq!((wrong.status, nobody.status), (401, 401));
    assert_eq!(wrong.body, nobody.body);
    // Five failures lock the phone for 15 minutes, the right password included.
    for _ in 0..3 {
        assert_eq!(
            s.post(
                "/v1/auth/password",
                None,
                json!({"phone": REVIEWER_A, "password": "nope12345"})
            )
            .status,
            401
        );
    }
    let fifth = s.post(
        "/v1/auth/password",
        None,
        json!({"phone": REVIEWER_A, "password": "nope12345"}),
    );
    assert_eq!((fifth.status, fifth.code()), (429, "locked"));
    let right = s.post(
        "/v1/auth/password",
        None,
        json!({"phone": REVIEWER_A, "password": PASSWORD}),
    );
    assert_eq!((right.status, right.code()), (429, "locked"));
    // A phone without an account locks the same way: lockouts do not tell accounts apart.
    for _ in 0..3 {
        s.post(
            "/v1/auth/password",
            None,
            json!({"phone": "13811112222", "password": "nope12345"}),
        );
    }
    let locked = s.post(
        "/v1/auth/password",
        None,
        json!({"phone": "13811112222", "password": "nope12345"}),
    );
    assert_eq!((locked.status, locked.code()), (429, "locked"));

    // Sign out: this session; then every session of the account.
    let t2 = s.sign_in(new_user, PASSWORD);
    let t3 = s.sign_in(new_user, PASSWORD);
    assert_eq!(s.post("/v1/auth/logout", Some(&t1), json!({})).status, 200);
    assert_eq!(s.get("/v1/account", Some(&t1)).status, 401);
    assert_eq!(s.get("/v1/account", Some(&t2)).status, 200);
    assert_eq!(
        s.post("/v1/auth/logout", Some(&t2), json!({"everywhere": true}))
            .status,
        200
    );
    assert_eq!(s.get("/v1/account", Some(&t2)).status, 401);
    assert_eq!(s.get("/v1/account", Some(&t3)).status, 401);

    // Change the password: the other sessions end, this one stays.
    let t4 = s.sign_in(new_user, PASSWORD);
    let t5 = s.sign_in(new_user, PASSWORD);
    let weak = s.post("/v1/account/password", Some(&t4), json!({"current_password": PASSWORD, "new_password": "aaa123bc", "confirm_password": "aaa123bc"}));
    assert_eq!((weak.status, weak.code()), (422, "weak_password"));
    let bad_current = s.post("/v1/account/password", Some(&t4), json!({"current_password": "nope12345", "new_password": "Photo2026roll", "confirm_password": "Photo2026roll"}));
    assert_eq!(bad_current.status, 401);
    let changed = s.post("/v1/account/password", Some(&t4), json!({"current_password": PASSWORD, "new_password": "Photo2026roll", "confirm_password": "Photo2026roll"}));
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(s.get("/v1/account", Some(&t4)).status, 200);
    assert_eq!(s.get("/v1/account", Some(&t5)).status, 401);
    assert_eq!(
        s.post(
            "/v1/auth/password",
            None,
            json!({"phone": new_user, "password": PASSWORD})
        )
        .status,
        401
    );
    s.sign_in(new_user, "Photo2026roll");

    // A disabled account's sessions end and it cannot sign in.
    w.admin(&["user", "disable", "--phone", new_user]);
    assert_eq!(s.get("/v1/account", Some(&t4)).status, 401);
    assert_eq!(
        s.post(
            "/v1/auth/password",
            None,
            json!({"phone": new_user, "password": "Photo2026roll"})
        )
        .status,
        401
    );
    // Enabling it again does not bring the old sessions back.
    w.admin(&["user", "enable", "--phone", new_user]);
    assert_eq!(s.get("/v1/account", Some(&t4)).status, 401);
    s.sign_in(new_user, "Photo2026roll");

    // Students: collection code + ID last four; their own record only.
    let st = s.sign_in_student(A2, "567x");
    let me = s.get("/v1/account", Some(&st));
    assert_eq!(
        (me.body["role"].as_str(), me.body["student"].as_str()),
        (Some("student"), Some(A2))
    );
    let a = s.post(
        "/v1/auth/student",
        None,
        json!({"collection_code": A2, "id_last4": "0000"}),
    );
    assert_eq!((a.status, a.code()), (401, "bad_credentials"));

    // Every attempt is in the audit log, without a full phone number.
    let text = w.admin(&["audit", "--json"]);
    let audit: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = audit.as_array().unwrap();
    let has = |action: &str, outcome: &str| {
        rows.iter()
            .any(|r| r["action"] == action && r["outcome"] == outcome)
    };
    for (action, outcome) in [
        ("sms_code", "sent"),
        ("sms_code", "no_account"),
        ("sign_in_sms", "ok"),
        ("sign_in_sms", "refused:bad_code"),
        ("sign_in_password", "ok"),
        ("sign_in_password", "refused:bad_credentials"),
        ("sign_in_password", "refused:locked"),
        ("sign_out", "ok"),
        ("sign_out_everywhere", "ok"),
        ("change_password", "ok"),
        ("change_password", "refused:bad_credentials"),
        ("sign_in_student", "ok"),
        ("sign_in_student", "refused:bad_credentials"),
        ("disable_user", "ok"),
        ("enable_user", "ok"),
    ] {
        assert!(
            has(action, outcome),
            "{action} {outcome} missing from the audit log"
        );
    }
    assert!(
        !text.contains(new_user) && !text.contains(REVIEWER_A) && !text.contains("13811112222"),
        "full phone numbers in the audit log"
    );
    assert!(
        !text.contains(&t4) && !text.contains(&st),
        "tokens in the audit log"
    );
}
both_backends!(sign_in, sign_in_flows);

fn session_expiry(backend: Backend) {
    let w = World::with_env(backend, &[("PHOTOROLL_SERVER_SESSION_SECS", "2")]);
    school_a(&w);
    let s = w.serve();
    let t = s.sign_in(ADMIN_A, PASSWORD);
    assert_eq!(s.get("/v1/account", Some(&t)).status, 200);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(s.get("/v1/account", Some(&t)).status, 401);
}
both_backends!(sessions_expire, session_expiry);

// ---------------------------------------------------------------------------------------------
// Tenancy: every role against every endpoint, another school's ids, bad tokens.

fn tenancy_table(backend: Backend) {
    let w = World::new(backend);
    school_a(&w);
    school_b(&w);
    w.admin(&[
        "user",
        "add",
        "--phone",
        OPERATOR,
        "--role",
        "operator",
        "--password",
        PASSWORD,
    ]);
    w.admin(&[
        "school",
        "set",
        "--code",
        "10075",
        "--final-confirmation",
        "on",
    ]);
    let s = w.serve();
    let photographer_a = s.sign_in(PHOTOGRAPHER_A, PASSWORD);
    let photographer_b = s.sign_in(PHOTOGRAPHER_B, PASSWORD);
    let admin_a = s.sign_in(ADMIN_A, PASSWORD);
    let blob_a = s.upload(&photographer_a, &jpeg(1));
    let blob_b = s.upload(&photographer_b, &jpeg(2));
    assert_eq!(
        s.post(
            &format!("/v1/students/{A1}/photo"),
            Some(&photographer_a),
            json!({"sha256": blob_a})
        )
        .status,
        200
    );
    assert_eq!(
        s.post(
            &format!("/v1/students/{B1}/photo"),
            Some(&photographer_b),
            json!({"sha256": blob_b})
        )
        .status,
        200
    );
    let contract = s.send(
        "PUT",
        "/v1/contracts/普通高等教育",
        Some(&admin_a),
        json!({"price": "25.00", "handler": "王老师", "valid_until": "2027-06-30"}),
    );
    assert_eq!(contract.status, 200, "{:?}", contract.body);

    let tokens: Vec<(&str, Option<String>)> = vec![
        ("absent", None),
        ("forged", Some("A".repeat(43))),
        ("garbage", Some("not a token at all".into())),
        (
            "revoked",
            Some({
                let t = s.sign_in(REVIEWER_A, PASSWORD);
                assert_eq!(s.post("/v1/auth/logout", Some(&t), json!({})).status, 200);
                t
            }),
        ),
        ("operator", Some(s.sign_in(OPERATOR, PASSWORD))),
        ("admin_a", Some(admin_a.clone())),
        ("reviewer_a", Some(s.sign_in(REVIEWER_A, PASSWORD))),
        ("photographer_a", Some(photographer_a.clone())),
        ("student_a1", Some(s.sign_in_student(A1, "1234"))),
        ("admin_b", Some(s.sign_in(ADMIN_B, PASSWORD))),
        ("reviewer_b", Some(s.sign_in(REVIEWER_B, PASSWORD))),
        ("photographer_b", Some(photographer_b.clone())),
    ];
    let before = w.snapshot();

    let decision = json!({"decision": "approve", "photo_sha256": blob_a});
    let sha_body = json!({"sha256": blob_a});
    let confirm = json!({"photo_sha256": blob_a});
    let settings = json!({"final_confirmation": false});
    let contract_body = json!({"price": "30.00", "handler": "李老师", "valid_until": "2027-06-30"});
    // (method, path, body): every /v1 route but sign-in, aimed at school A's records.
    let endpoints: Vec<(&str, String, serde_json::Value)> = vec![
        ("GET", "/v1/account".into(), json!(null)),
        ("GET", "/v1/schools/10075".into(), json!(null)),
        ("PUT", "/v1/schools/10075/settings".into(), settings.clone()),
        ("GET", "/v1/students".into(), json!(null)),
        ("GET", format!("/v1/students/{A1}"), json!(null)),
        ("GET", format!("/v1/students/{A2}"), json!(null)),
        ("POST", format!("/v1/students/{A1}/photo"), sha_body.clone()),
        (
            "POST",
            format!("/v1/students/{A1}/decision"),
            decision.clone(),
        ),
        (
            "POST",
            format!("/v1/students/{A1}/confirm"),
            confirm.clone(),
        ),
        ("POST", format!("/v1/students/{A1}/retake"), confirm.clone()),
        ("HEAD", format!("/v1/blobs/{blob_a}"), json!(null)),
        ("GET", format!("/v1/blobs/{blob_a}"), json!(null)),
        ("GET", "/v1/contracts?school=10075".into(), json!(null)),
        (
            "PUT",
            "/v1/contracts/普通高等教育".into(),
            contract_body.clone(),
        ),
        (
            "POST",
            "/v1/contracts/普通高等教育/mandate".into(),
            sha_body.clone(),
        ),
        (
            "POST",
            "/v1/account/password".into(),
            json!({"current_password": "x", "new_password": "y", "confirm_password": "y"}),
        ),
    ];
    // Expected status for (caller, endpoint index). Only requests that change nothing are in
    // the table (allowed writes are the flows test's); after all of them the records are the same.
    let expect = |who: &str, i: usize| -> u16 {
        let e = &endpoints[i];
        let (method, path) = (e.0, e.1.as_str());
        match who {
            "absent" | "forged" | "garbage" | "revoked" => 401,
            "operator" => match (method, path) {
                ("GET", "/v1/account") | ("GET", "/v1/schools/10075") => 200,
                ("GET", p)
                    if p.starts_with("/v1/students/")
                        || p.starts_with("/v1/blobs/")
                        || p.starts_with("/v1/contracts") =>
                {
                    200
                }
                ("GET", "/v1/students") => 422, // the operator must name the school
                ("POST", "/v1/account/password") => 422, // the new password is weak
                _ => 403,
            },
            "admin_a" => match (method, path) {
                ("GET", _) | ("HEAD", _) => 200,
                // Allowed but refused by the state machine or the data: nothing changes.
                ("PUT", "/v1/schools/10075/settings") => 999, // a real change: not in the table
                ("POST", p) if p.ends_with("/photo") => 409,  // already submitted, no retake
                ("POST", p) if p.ends_with("/decision") => 999,
                ("POST", p) if p.ends_with("/confirm") || p.ends_with("/retake") => 403,
                ("PUT", p) if p.starts_with("/v1/contracts") => 409, // exists
                ("POST", p) if p.ends_with("/mandate") => 999,
                ("POST", "/v1/account/password") => 422,
                _ => 0,
            },
            "reviewer_a" => match (method, path) {
                ("GET", p) if p.starts_with("/v1/contracts") => 403,
                ("GET", _) => 200,
                ("HEAD", _) => 403,
                ("POST", p) if p.ends_with("/decision") => 999,
                ("POST", "/v1/account/password") => 422,
                _ => 403,
            },
            "photographer_a" => match (method, path) {
                ("GET", p) if p.starts_with("/v1/contracts") => 403,
                ("GET", _) | ("HEAD", _) => 200,
                ("POST", p) if p.ends_with("/photo") => 409,
                ("POST", "/v1/account/password") => 422,
                _ => 403,
            },
            "student_a1" => match (method, path) {
                ("GET", "/v1/account") => 200,
                ("GET", p) if p == format!("/v1/students/{A1}") => 200,
                ("GET", p) if p.starts_with("/v1/blobs/") => 200, // their own photo
                ("POST", p)
                    if p == format!("/v1/students/{A1}/confirm")
                        || p == format!("/v1/students/{A1}/retake") =>
                {
                    409
                } // not yet approved
                ("POST", p)
                    if p == format!("/v1/students/{A1}/photo")
                        || p == format!("/v1/students/{A1}/decision") =>
                {
                    403
                }
                ("POST", "/v1/account/password") => 403,
                // Everything school-wide does not exist for a student.
                _ => 404,
            },
            // School B's users: school A's records do not exist for them. Lists and HEAD
            // answer about their own school (checked below to hold none of A's records).
            // School B's users: school A's records do not exist for them. Lists and HEAD
            // answer about their own school (checked below to hold none of A's records). What
            // their role may not do at all is refused as such, whatever the ids.
            "admin_b" | "reviewer_b" | "photographer_b" => {
                let may = |action: &str| match (who, action) {
                    ("admin_b", "confirm") => false,
                    ("admin_b", _) => true,
                    ("reviewer_b", "decide" | "read") => true,
                    ("photographer_b", "submit" | "upload" | "read") => true,
                    _ => false,
                };
                match (method, path) {
                    ("GET", "/v1/account") | ("GET", "/v1/students") => 200,
                    ("GET", p) if p.starts_with("/v1/contracts") && may("contract") => 200,
                    ("GET", p) if p.starts_with("/v1/contracts") => 403,
                    ("GET", _) => 404,
                    ("HEAD", _) if may("upload") => 200,
                    ("POST", "/v1/account/password") => 422,
                    ("PUT", "/v1/schools/10075/settings") => 404,
                    ("PUT", _) if may("contract") => 999, // would register B's own contract
                    ("POST", p) if p.ends_with("/mandate") && may("contract") => 422, // A's scan is not B's
                    ("POST", p) if p.ends_with("/photo") && may("submit") => 404,
                    ("POST", p) if p.ends_with("/decision") && may("decide") => 404,
                    _ => 403,
                }
            }
            _ => 0,
        }
    };
    let mut checked = 0;
    for (who, token) in &tokens {
        for (i, (method, path, body)) in endpoints.iter().enumerate() {
            let want = expect(who, i);
            if want == 999 {
                continue;
            }
            let got = if *method == "HEAD" {
                s.head(
                    token.as_deref().unwrap_or(""),
                    path.trim_start_matches("/v1/blobs/"),
                )
            } else if body.is_null() {
                s.get(path, token.as_deref())
            } else {
                s.send(method, path, token.as_deref(), body.clone())
            };
            assert!(got.status < 500, "{who} {method} {path}: {}", got.status);
            assert_eq!(got.status, want, "{who} {method} {path}: {:?}", got.body);
            if who.ends_with("_b") && got.status == 200 {
                let text = got.body.to_string();
                assert!(
                    !text.contains(A1) && !text.contains("10075") && !text.contains(&blob_a),
                    "{who} {path} leaks school A: {text}"
                );
                if *method == "HEAD" {
                    assert_eq!(
                        got.header("upload-offset").as_deref(),
                        Some("0"),
                        "B is told nothing of A's blob"
                    );
                    assert_eq!(got.header("blob-complete").as_deref(), Some("false"));
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked}");
    assert_eq!(
        before,
        w.snapshot(),
        "a refused or read-only request changed stored records"
    );

    // Another school's ids in the body: B's photographer submits A's student with B's blob,
    // B's reviewer decides A's student with A's photo hash.
    let pb = s.post(
        &format!("/v1/students/{A1}/photo"),
        Some(&photographer_b),
        json!({"sha256": blob_b}),
    );
    assert_eq!(pb.status, 404);
    let reviewer_b = s.sign_in(REVIEWER_B, PASSWORD);
    let rb = s.post(
        &format!("/v1/students/{A1}/decision"),
        Some(&reviewer_b),
        decision.clone(),
    );
    assert_eq!(rb.status, 404);
    // A's photographer cannot attach B's blob to an A student (the blob is not A's).
    let pa = s.post(
        &format!("/v1/students/{A2}/photo"),
        Some(&photographer_a),
        json!({"sha256": blob_b}),
    );
    assert_eq!((pa.status, pa.code()), (422, "photo_not_uploaded"));
    assert_eq!(before, w.snapshot());

    // Refusals are audited.
    let audit = w.admin(&["audit", "--json"]);
    assert!(
        audit.contains("refused:forbidden") && audit.contains("refused:not_found"),
        "refusals not audited"
    );
}
both_backends!(tenancy, tenancy_table);

// ---------------------------------------------------------------------------------------------
// Hostile input

fn hostile_input(backend: Backend) {
    let w = World::new(backend);
    school_a(&w);
    let s = w.serve();
    let token = s.sign_in(PHOTOGRAPHER_A, PASSWORD);
    let before = w.snapshot();
    let http = &s.http;
    let raw = |method: reqwest::Method, path: &str, content_type: Option<&str>, body: Vec<u8>| {
        let mut req = http
            .request(method, s.url(path))
            .bearer_auth(&token)
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let r = req.send().unwrap();
        let status = r.status().as_u16();
        let body: serde_json::Value = serde_json::from_str(&r.text().unwrap()).unwrap_or_default();
        (
            status,
            body["error"]["code"].as_str().unwrap_or("").to_string(),
        )
    };
    use reqwest::Method;
    // Oversized JSON (2 MB > the 1 MB bound).
    let big = format!(
        "{{\"phone\":\"{}\",\"password\":\"x\"}}",
        "1".repeat(2 * 1024 * 1024)
    );
    // The server answers 413 once the bound is passed and stops reading: the client sees the
    // answer, or the connection closed while it is still sending.
    // A client of its own: the server closes this connection, which must not be reused.
    let sent = common::http_client()
        .post(s.url("/v1/auth/password"))
        .header("content-type", "application/json")
        .body(big)
        .send();
    match sent {
        Ok(r) => assert_eq!(r.status().as_u16(), 413),
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    // Malformed JSON, unknown fields, wrong types, wrong content type, no body.
    assert_eq!(
        raw(
            Method::POST,
            "/v1/auth/password",
            Some("application/json"),
            b"{\"phone\":".to_vec()
        )
        .0,
        422
    );
    assert_eq!(
        raw(
            Method::POST,
            "/v1/auth/password",
            Some("application/json"),
            br#"{"phone":"13800001000","password":"x","admin":true}"#.to_vec()
        )
        .0,
        422
    );
    assert_eq!(
        raw(
            Method::POST,
            "/v1/auth/password",
            Some("application/json"),
            br#"{"phone":13800001000,"password":[]}"#.to_vec()
        )
        .0,
        422
    );
    assert_eq!(
        raw(
            Method::POST,
            "/v1/auth/password",
            Some("text/plain"),
            br#"{"phone":"1","password":"x"}"#.to_vec()
        ),
        (415, "unsupported_media_type".into())
    );
    assert_eq!(raw(Method::POST, "/v1/auth/password", None, vec![]).0, 415);
    assert_eq!(
        raw(Method::GET, "/v1/students?limit=abc", None, vec![]),
        (422, "bad_query".into())
    );
    assert_eq!(
        raw(Method::GET, "/v1/students?state=nonsense", None, vec![]),
        (422, "bad_state".into())
    );
    // Path tricks in blob names.
    for path in [
        "/v1/blobs/..%2F..%2Fetc%2Fpasswd",
        "/v1/blobs/abc",
        &format!("/v1/blobs/{}", "z".repeat(64)),
        &format!("/v1/blobs/{}%00", "a".repeat(63)),
    ] {
        let (status, code) = raw(Method::GET, path, None, vec![]);
        assert_eq!((status, code.as_str()), (422, "bad_hash"), "{path}");
        let (status, _) = raw(
            Method::PATCH,
            path,
            Some("application/offset+octet-stream"),
            b"x".to_vec(),
        );
        assert_eq!(status, 422, "{path}");
    }
    for path in [
        "/v1/blobs/%2e%2e",
        "/v1/blobs/../../etc/passwd",
        "/v1/blobs/a/b",
        "/v1/../../etc/passwd",
        "/etc/passwd",
    ] {
        let (status, _) = raw(Method::GET, path, None, vec![]);
        assert_eq!(status, 404, "{path}");
    }
    // Blob uploads: too long, wrong type, missing or broken headers, a body beyond the length.
    let sha = sha256_hex(b"hello");
    let patch = |headers: &[(&str, String)], ct: &str, body: Vec<u8>| {
        let mut req = http
            .patch(s.url(&format!("/v1/blobs/{sha}")))
            .bearer_auth(&token)
            .header("content-type", ct)
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let r = req.send().unwrap();
        let status = r.status().as_u16();
        let body: serde_json::Value = serde_json::from_str(&r.text().unwrap()).unwrap_or_default();
        (
            status,
            body["error"]["code"].as_str().unwrap_or("").to_string(),
        )
    };
    let oct = "application/offset+octet-stream";
    assert_eq!(
        patch(
            &[
                ("upload-offset", "0".into()),
                ("upload-length", (20 * 1024 * 1024 + 1).to_string())
            ],
            oct,
            vec![1]
        ),
        (413, "too_large".into())
    );
    assert_eq!(
        patch(
            &[("upload-offset", "0".into()), ("upload-length", "5".into())],
            "application/json",
            b"hello".to_vec()
        )
        .0,
        415
    );
    assert_eq!(
        patch(&[("upload-length", "5".into())], oct, b"hello".to_vec()),
        (422, "offset_required".into())
    );
    assert_eq!(
        patch(
            &[
                ("upload-offset", "-1".into()),
                ("upload-length", "5".into())
            ],
            oct,
            b"hello".to_vec()
        ),
        (422, "bad_header".into())
    );
    assert_eq!(
        patch(&[("upload-offset", "0".into())], oct, b"hello".to_vec()),
        (422, "length_required".into())
    );
    assert_eq!(
        patch(
            &[("upload-offset", "0".into()), ("upload-length", "0".into())],
            oct,
            vec![]
        ),
        (422, "empty_blob".into())
    );
    assert_eq!(
        patch(
            &[("upload-offset", "0".into()), ("upload-length", "3".into())],
            oct,
            b"hello".to_vec()
        ),
        (422, "beyond_length".into())
    );
    // A body over 20 MB is cut off, not buffered whole. The server answers 413 as soon as the
    // bound is passed and stops reading, so the client may see the answer or a closed
    // connection while it is still sending.
    let huge = vec![0u8; 21 * 1024 * 1024];
    let sent = common::http_client()
        .patch(s.url(&format!("/v1/blobs/{}", sha256_hex(&huge))))
        .bearer_auth(&token)
        .header("content-type", oct)
        .header("upload-offset", "0")
        .body(huge)
        .send();
    match sent {
        Ok(r) => assert_eq!(r.status().as_u16(), 413),
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    assert_eq!(s.get("/healthz", None).status, 200);
    // Bytes that do not match their name: refused, nothing kept.
    let liar = s.patch(
        &token,
        &sha256_hex(b"what it claims"),
        0,
        Some(5),
        b"other".to_vec(),
    );
    assert_eq!((liar.status, liar.code()), (422, "hash_mismatch"));
    let head = s.head(&token, &sha256_hex(b"what it claims"));
    assert_eq!(head.header("upload-offset").as_deref(), Some("0"));

    // Control characters (a NUL is refused by PostgreSQL) in paths, queries and bodies: a clear
    // refusal on both backends, never a 5xx.
    let admin = s.sign_in(ADMIN_A, PASSWORD);
    let reviewer = s.sign_in(REVIEWER_A, PASSWORD);
    assert_eq!(s.get("/v1/students/%00", Some(&reviewer)).status, 404);
    assert_eq!(
        s.get(&format!("/v1/students/{A1}%00"), Some(&reviewer))
            .status,
        404
    );
    assert_eq!(
        s.get("/v1/students?q=%00", Some(&reviewer)).code(),
        "bad_text"
    );
    assert_eq!(
        s.get("/v1/students?q=a%5Cb%25_", Some(&reviewer)).status,
        200
    );
    assert_eq!(
        s.get("/v1/schools/10075%00", Some(&reviewer)).code(),
        "bad_text"
    );
    let nul_reason = s.post(
        &format!("/v1/students/{A1}/decision"),
        Some(&reviewer),
        json!({"decision": "reject", "photo_sha256": sha256_hex(b"x"), "reason": "x\u{0}y"}),
    );
    assert_eq!((nul_reason.status, nul_reason.code()), (422, "bad_text"));
    let nul_handler = s.send(
        "PUT",
        "/v1/contracts/普通高等教育",
        Some(&admin),
        json!({"price": "25.00", "handler": "王\u{0}", "valid_until": "2027-06-30"}),
    );
    assert_eq!((nul_handler.status, nul_handler.code()), (422, "bad_text"));
    let nul_student = s.post(
        "/v1/auth/student",
        None,
        json!({"collection_code": "2020\u{0}", "id_last4": "1234"}),
    );
    assert_eq!(nul_student.status, 401);

    // Random bodies at the JSON endpoints and random names at the blob route: never a 5xx.
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    });
    let endpoints = [
        "/v1/auth/password",
        "/v1/auth/sms/verify",
        "/v1/auth/student",
        &format!("/v1/students/{A1}/decision"),
        &format!("/v1/students/{A1}/photo"),
        "/v1/contracts/普通高等教育/mandate",
        "/v1/account/password",
    ];
    runner
        .run(
            &(
                0..endpoints.len(),
                proptest::collection::vec(any::<u8>(), 0..512),
                any::<bool>(),
            ),
            |(i, bytes, as_json)| {
                let ct = if as_json {
                    "application/json"
                } else {
                    "application/x-www-form-urlencoded"
                };
                let (status, _) = raw(Method::POST, endpoints[i], Some(ct), bytes);
                prop_assert!(status < 500, "{} answered {}", endpoints[i], status);
                Ok(())
            },
        )
        .unwrap();
    runner
        .run(
            &("[a-zA-Z0-9%./_~-]{0,80}", any::<bool>()),
            |(name, head)| {
                let method = if head { Method::HEAD } else { Method::GET };
                let (status, _) = raw(method, &format!("/v1/blobs/{name}"), None, vec![]);
                prop_assert!(status < 500, "/v1/blobs/{} answered {}", name, status);
                let (status, _) = raw(Method::GET, &format!("/v1/students/{name}"), None, vec![]);
                prop_assert!(status < 500, "/v1/students/{} answered {}", name, status);
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(before, w.snapshot(), "hostile input changed stored records");
}
both_backends!(hostile, hostile_input);

// ---------------------------------------------------------------------------------------------
// Blobs: resumable uploads, stored once, per-school reads

fn blob_uploads(backend: Backend) {
    let w = World::new(backend);
    school_a(&w);
    school_b(&w);
    let mut s = w.serve();
    let ta = s.sign_in(PHOTOGRAPHER_A, PASSWORD);
    let tb = s.sign_in(PHOTOGRAPHER_B, PASSWORD);
    let mut data = jpeg(7);
    data.extend((0..300_000u32).map(|i| (i * 31 % 251) as u8));
    let sha = sha256_hex(&data);
    let len = data.len() as u64;

    let first = s.patch(&ta, &sha, 0, Some(len), data[..100_000].to_vec());
    assert_eq!(first.status, 204);
    assert_eq!(first.header("upload-offset").as_deref(), Some("100000"));
    assert_eq!(first.header("blob-complete").as_deref(), Some("false"));
    // The server is killed; after a restart the upload resumes from what it holds.
    s.kill9();
    let s = w.serve();
    let ta = {
        // Sessions survive the restart.
        assert_eq!(s.get("/v1/account", Some(&ta)).status, 200);
        ta
    };
    let head = s.head(&ta, &sha);
    assert_eq!(
        (
            head.status,
            head.header("upload-offset").as_deref(),
            head.header("upload-length")
        ),
        (200, Some("100000"), Some(len.to_string()))
    );
    // A PATCH from the wrong offset is refused with the right one.
    let stale = s.patch(&ta, &sha, 0, Some(len), data[..50_000].to_vec());
    assert_eq!((stale.status, stale.code()), (409, "offset_mismatch"));
    let second = s.patch(&ta, &sha, 100_000, None, data[100_000..250_000].to_vec());
    assert_eq!(second.header("upload-offset").as_deref(), Some("250000"));
    let last = s.patch(&ta, &sha, 250_000, None, data[250_000..].to_vec());
    assert_eq!(
        (last.status, last.header("blob-complete").as_deref()),
        (204, Some("true"))
    );
    let (status, got) = s.get_bytes(&format!("/v1/blobs/{sha}"), &ta);
    assert_eq!(status, 200);
    assert_eq!(got, data);
    // A connection cut in the middle of a PATCH: the bytes that reached the server are kept,
    // and the upload resumes from there.
    let other: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let other_sha = sha256_hex(&other);
    {
        use std::io::Write;
        let port = s.base.rsplit(':').next().unwrap();
        let mut raw = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        write!(
            raw,
            "PATCH /v1/blobs/{other_sha} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ta}\r\n\
             Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nUpload-Length: {}\r\n\
             Content-Length: {}\r\n\r\n",
            other.len(),
            other.len()
        )
        .unwrap();
        raw.write_all(&other[..120_000]).unwrap();
        raw.flush().unwrap();
        raw.shutdown(std::net::Shutdown::Both).unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let held = loop {
        let h = s.head(&ta, &other_sha);
        let held: u64 = h.header("upload-offset").unwrap().parse().unwrap();
        if held == 120_000 || std::time::Instant::now() > deadline {
            break held;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        held, 120_000,
        "the bytes that arrived before the cut are kept"
    );
    let rest = s.patch(&ta, &other_sha, held, None, other[held as usize..].to_vec());
    assert_eq!(
        (rest.status, rest.header("blob-complete").as_deref()),
        (204, Some("true"))
    );
    assert_eq!(s.get_bytes(&format!("/v1/blobs/{other_sha}"), &ta).1, other);
    // Uploading again is answered as done at once.
    let again = s.patch(&ta, &sha, 0, Some(len), data.clone());
    assert_eq!(
        (again.status, again.header("blob-complete").as_deref()),
        (204, Some("true"))
    );
    // School B cannot read it; once B uploads the same bytes, both read it, stored once.
    assert_eq!(s.get_bytes(&format!("/v1/blobs/{sha}"), &tb).0, 404);
    s.upload(&tb, &data);
    assert_eq!(s.get_bytes(&format!("/v1/blobs/{sha}"), &tb).1, data);
    let stored: Vec<String> = match &w.moto {
        Some(moto) => moto.keys(),
        None => walk(&w.data_dir().join("blobs")),
    };
    assert_eq!(
        stored.iter().filter(|k| k.ends_with(&sha)).count(),
        1,
        "{stored:?}"
    );
    assert_eq!(
        std::fs::read_dir(w.data_dir().join("uploads"))
            .unwrap()
            .count(),
        0,
        "spool left behind"
    );
}
both_backends!(blobs, blob_uploads);

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path().display().to_string());
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The work itself: capture, review, the student's confirmation, contracts, the audit log

fn review_and_contracts(backend: Backend) {
    let w = World::new(backend);
    school_a(&w);
    let s = w.serve();
    let admin = s.sign_in(ADMIN_A, PASSWORD);
    let photographer = s.sign_in(PHOTOGRAPHER_A, PASSWORD);
    let reviewer = s.sign_in(REVIEWER_A, PASSWORD);
    let a = s.send(
        "PUT",
        "/v1/schools/10075/settings",
        Some(&admin),
        json!({"final_confirmation": true}),
    );
    assert_eq!(a.status, 200);

    let p1 = s.upload(&photographer, &jpeg(11));
    let p2 = s.upload(&photographer, &jpeg(12));
    let p3 = s.upload(&photographer, &jpeg(13));
    let missing = sha256_hex(b"never uploaded");
    let a = s.post(
        &format!("/v1/students/{A1}/photo"),
        Some(&photographer),
        json!({"sha256": missing}),
    );
    assert_eq!((a.status, a.code()), (422, "photo_not_uploaded"));
    for (code, photo) in [(A1, &p1), (A2, &p2), (A3, &p3)] {
        let a = s.post(
            &format!("/v1/students/{code}/photo"),
            Some(&photographer),
            json!({"sha256": photo}),
        );
        assert_eq!(
            (a.status, a.body["state"].as_str()),
            (200, Some("submitted")),
            "{:?}",
            a.body
        );
    }
    // A decision names the photo it judged: another photo's hash is refused.
    let stale = s.post(
        &format!("/v1/students/{A1}/decision"),
        Some(&reviewer),
        json!({"decision": "approve", "photo_sha256": p2}),
    );
    assert_eq!((stale.status, stale.code()), (409, "stale_photo"));
    let no_reason = s.post(
        &format!("/v1/students/{A3}/decision"),
        Some(&reviewer),
        json!({"decision": "reject", "photo_sha256": p3}),
    );
    assert_eq!(
        (no_reason.status, no_reason.code()),
        (422, "reason_required")
    );
    let photographer_decides = s.post(
        &format!("/v1/students/{A1}/decision"),
        Some(&photographer),
        json!({"decision": "approve", "photo_sha256": p1}),
    );
    assert_eq!(photographer_decides.status, 403);
    let ok = s.post(
        &format!("/v1/students/{A1}/decision"),
        Some(&reviewer),
        json!({"decision": "approve", "photo_sha256": p1}),
    );
    assert_eq!(ok.body["state"], "awaiting_confirmation");
    // Deciding twice: the second is refused by the state machine.
    let twice = s.post(
        &format!("/v1/students/{A1}/decision"),
        Some(&reviewer),
        json!({"decision": "reject", "photo_sha256": p1, "reason": "x"}),
    );
    assert_eq!((twice.status, twice.code()), (409, "bad_transition"));
    assert_eq!(
        s.post(
            &format!("/v1/students/{A2}/decision"),
            Some(&reviewer),
            json!({"decision": "approve", "photo_sha256": p2})
        )
        .status,
        200
    );
    let rejected = s.post(
        &format!("/v1/students/{A3}/decision"),
        Some(&reviewer),
        json!({"decision": "reject", "photo_sha256": p3, "reason": "背景不是纯色"}),
    );
    assert_eq!(rejected.body["state"], "rejected");

    // Students: confirm, ask for a retake, read the reason, download their photo.
    let s1 = s.sign_in_student(A1, "1234");
    assert_eq!(
        s.post(
            &format!("/v1/students/{A1}/confirm"),
            Some(&s1),
            json!({"photo_sha256": p1})
        )
        .body["state"],
        "completed"
    );
    assert_eq!(
        s.get_bytes(&format!("/v1/blobs/{p1}"), &s1),
        (200, jpeg(11))
    );
    assert_eq!(
        s.get_bytes(&format!("/v1/blobs/{p2}"), &s1).0,
        404,
        "another student's photo"
    );
    let s2 = s.sign_in_student(A2, "567X");
    assert_eq!(
        s.post(
            &format!("/v1/students/{A2}/retake"),
            Some(&s2),
            json!({"photo_sha256": p2})
        )
        .body["state"],
        "pending"
    );
    let s3 = s.sign_in_student(A3, "0001");
    let me = s.get(&format!("/v1/students/{A3}"), Some(&s3));
    assert_eq!(
        (
            me.body["state_name"].as_str(),
            me.body["reject_reason"].as_str()
        ),
        (Some("审核未通过"), Some("背景不是纯色"))
    );

    // Reads: counts, filters, search, masked IDs.
    let school = s.get("/v1/schools/10075", Some(&admin));
    assert_eq!(
        school.body["by_state"],
        json!({"completed": 1, "pending": 1, "rejected": 1})
    );
    let list = s.get("/v1/students?state=rejected", Some(&reviewer));
    assert_eq!(list.body["total"], 1);
    let found = s.get("/v1/students?q=%E5%BC%A0%E4%B8%89", Some(&reviewer));
    assert_eq!(found.body["students"][0]["collection_code"], A1);
    let by_last4 = s.get("/v1/students?q=0001", Some(&reviewer));
    assert_eq!(by_last4.body["students"][0]["collection_code"], A3);
    let id = found.body["students"][0]["id_number"].as_str().unwrap();
    assert!(id.contains('*') && id.ends_with("1234"), "{id}");

    // Contracts: register, mandate scan, the operator's activation (CLI).
    let reg = s.send(
        "PUT",
        "/v1/contracts/普通高等教育",
        Some(&admin),
        json!({"price": "25.5", "handler": "王老师", "valid_until": "2027-06-30"}),
    );
    assert_eq!(
        (
            reg.status,
            reg.body["state"].as_str(),
            reg.body["price"].as_str()
        ),
        (200, Some("awaiting_mandate"), Some("25.50"))
    );
    let bad_price = s.send(
        "PUT",
        "/v1/contracts/成人高等教育",
        Some(&admin),
        json!({"price": "-3", "handler": "王老师", "valid_until": "2027-06-30"}),
    );
    assert_eq!(bad_price.status, 422);
    let early = w.admin_fails(&[
        "contract",
        "activate",
        "--school",
        "10075",
        "--category",
        "普通高等教育",
    ]);
    assert!(early.contains("委托书"), "{early}");
    let scan = s.upload(&admin, b"%PDF-1.7 signed and stamped mandate scan");
    let up = s.post(
        "/v1/contracts/普通高等教育/mandate",
        Some(&admin),
        json!({"sha256": scan}),
    );
    assert_eq!(up.body["state"], "mandate_uploaded", "{:?}", up.body);
    let out = w.admin(&[
        "contract",
        "activate",
        "--school",
        "10075",
        "--category",
        "普通高等教育",
    ]);
    assert!(
        out.contains("active") || out.contains("已开通") || out.contains("开通"),
        "{out}"
    );
    let list = s.get("/v1/contracts", Some(&admin));
    assert_eq!(list.body[0]["state"], "active");

    // The audit log: every move, with who and from where.
    let audit: serde_json::Value =
        serde_json::from_str(&w.admin(&["audit", "--school", "10075", "--json"])).unwrap();
    let rows = audit.as_array().unwrap();
    let has = |action: &str, outcome: &str| {
        rows.iter().any(|r| {
            r["action"] == action && r["outcome"].as_str().unwrap_or("").starts_with(outcome)
        })
    };
    for (action, outcome) in [
        ("submit", "ok:submitted"),
        ("approve", "ok:awaiting_confirmation"),
        ("approve", "refused:stale_photo"),
        ("reject", "ok:rejected"),
        ("confirm", "ok:completed"),
        ("student_retake", "ok:pending"),
        ("upload_blob", "ok"),
        ("register_contract", "ok"),
        ("upload_mandate", "ok:mandate_uploaded"),
        ("activate_contract", "ok:active"),
        ("change_settings", "ok"),
        ("decide_photo", "refused:forbidden"),
    ] {
        assert!(
            has(action, outcome),
            "no {action} {outcome} in the audit log"
        );
    }
    assert!(
        rows.iter()
            .all(|r| r["client_addr"] == "127.0.0.1" || r["client_addr"] == "local")
    );
    let none = w.admin(&[
        "audit",
        "--school",
        "10075",
        "--since",
        "2100-01-01",
        "--json",
    ]);
    assert_eq!(none.trim(), "[]");
}
both_backends!(review, review_and_contracts);

// ---------------------------------------------------------------------------------------------
// kill -9 during writes

fn killed_during_writes(backend: Backend) {
    let w = World::new(backend);
    school_a(&w);
    let mut s = w.serve();
    let token = s.sign_in(PHOTOGRAPHER_A, PASSWORD);
    let base = s.base.clone();
    let done = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, Vec<u8>)>::new()));
    let mut workers = Vec::new();
    for t in 0..4u8 {
        let (token, base, done) = (token.clone(), base.clone(), done.clone());
        workers.push(std::thread::spawn(move || {
            let http = common::http_client();
            for i in 0..10_000u32 {
                let mut bytes = jpeg(t);
                bytes.extend(i.to_le_bytes());
                bytes.extend(std::iter::repeat_n(t, 40_000));
                let sha = sha256_hex(&bytes);
                let r = http
                    .patch(format!("{base}/v1/blobs/{sha}"))
                    .bearer_auth(&token)
                    .header("content-type", "application/offset+octet-stream")
                    .header("upload-offset", "0")
                    .header("upload-length", bytes.len().to_string())
                    .body(bytes.clone())
                    .send();
                match r {
                    Ok(r) if r.status().as_u16() == 204 => done.lock().unwrap().push((sha, bytes)),
                    Ok(r) => panic!("unexpected {}", r.status()),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    while done.lock().unwrap().len() < 40 {
        std::thread::sleep(Duration::from_millis(20));
    }
    s.kill9();
    for w in workers {
        w.join().unwrap();
    }
    let done = done.lock().unwrap().clone();
    let s = w.serve();
    // Every upload the client saw finish is whole; the server is usable; the store is sound.
    for (sha, bytes) in &done {
        let (status, got) = s.get_bytes(&format!("/v1/blobs/{sha}"), &token);
        assert_eq!(status, 200, "{sha} lost");
        assert_eq!(sha256_hex(&got), *sha);
        assert_eq!(&got, bytes);
    }
    let snapshot = w.snapshot();
    let blob_rows: Vec<&String> = snapshot
        .iter()
        .filter(|r| r.starts_with("blobs: "))
        .collect();
    assert!(blob_rows.len() >= done.len());
    for row in blob_rows {
        let sha = row.trim_start_matches("blobs: ").split('|').next().unwrap();
        let (status, got) = s.get_bytes(&format!("/v1/blobs/{sha}"), &token);
        assert_eq!(
            (status, sha256_hex(&got)),
            (200, sha.to_string()),
            "a blob row without its bytes"
        );
    }
    if backend == Backend::Embedded {
        let url = format!("sqlite://{}", w.data_dir().join("server.sqlite").display());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let check: String = rt.block_on(async {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            let (r,): (String,) = sqlx::query_as("PRAGMA integrity_check")
                .fetch_one(&pool)
                .await
                .unwrap();
            r
        });
        assert_eq!(check, "ok");
    }
    // Work goes on after the crash.
    let more = s.upload(&token, &jpeg(99));
    assert_eq!(
        s.post(
            &format!("/v1/students/{A1}/photo"),
            Some(&token),
            json!({"sha256": more})
        )
        .status,
        200
    );
}
both_backends!(kill_nine, killed_during_writes);

// ---------------------------------------------------------------------------------------------
// Shutdown, TLS, configuration

fn graceful_shutdown(backend: Backend) {
    let w = World::new(backend);
    school_a(&w);
    let mut s = w.serve();
    let token = s.sign_in(PHOTOGRAPHER_A, PASSWORD);
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    let sha = sha256_hex(&data);
    let url = s.url(&format!("/v1/blobs/{sha}"));
    // A slow upload: 20 pieces, 50 ms apart, in flight when the server is told to stop.
    struct Slow(Vec<u8>, usize);
    impl std::io::Read for Slow {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.1 >= self.0.len() {
                return Ok(0);
            }
            std::thread::sleep(Duration::from_millis(50));
            let n = buf.len().min(10_000).min(self.0.len() - self.1);
            buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }
    let (t, d) = (token.clone(), data.clone());
    let upload = std::thread::spawn(move || {
        common::http_client()
            .patch(url)
            .bearer_auth(t)
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", "0")
            .header("upload-length", d.len().to_string())
            .body(reqwest::blocking::Body::sized(
                Slow(d.clone(), 0),
                d.len() as u64,
            ))
            .send()
            .map(|r| r.status().as_u16())
    });
    std::thread::sleep(Duration::from_millis(300));
    let exit = s.terminate();
    assert_eq!(
        upload.join().unwrap().unwrap(),
        204,
        "the request in flight was cut off"
    );
    assert!(exit.success(), "{exit:?}");
    let s = w.serve();
    assert_eq!(
        s.get_bytes(&format!("/v1/blobs/{sha}"), &token),
        (200, data)
    );
}
both_backends!(shutdown, graceful_shutdown);

#[test]
fn tls_with_a_certificate_and_plain_http_refused_off_loopback() {
    let w = World::new(Backend::Embedded);
    school_a(&w);
    let dir = w.dir.path();
    // A CA and a server certificate signed by it, as a real deployment has (rcgen's default
    // validity starts in 1975, so a clock that steps back cannot make them "not yet valid").
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Photoroll Test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server_cert =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&server_key, &ca)
            .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), server_cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), server_key.serialize_pem()).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let s = w.serve_with(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    let https = reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let url = format!("https://127.0.0.1:{}", w.port);
    let health = https.get(format!("{url}/healthz")).send().unwrap();
    assert_eq!(health.status(), 200);
    let signed = https
        .post(format!("{url}/v1/auth/password"))
        .json(&json!({"phone": ADMIN_A, "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(signed.status(), 200);
    // Plain HTTP to the TLS port gets no answer.
    let plain = s
        .http
        .get(format!("http://127.0.0.1:{}/healthz", w.port))
        .send()
        .map(|r| r.status().is_success())
        .unwrap_or(false);
    assert!(!plain);
    drop(s);

    // Plain HTTP on a non-loopback address is refused unless asked for.
    let out = w
        .command()
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("明文 HTTP"));
    // A missing key file is a clear error.
    let out = w
        .command()
        .args([
            "serve",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            "/nonexistent/key.pem",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("TLS"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_print_hides_secrets_and_admin_commands_refuse_bad_input() {
    let w = World::with_env(
        Backend::Embedded,
        &[
            ("PHOTOROLL_SERVER_S3__BUCKET", "photos"),
            ("PHOTOROLL_SERVER_S3__ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("PHOTOROLL_SERVER_S3__SECRET_ACCESS_KEY", "s3-secret-value"),
        ],
    );
    let toml = w.dir.path().join("server.toml");
    std::fs::write(&toml, "database_url = \"postgres://photoroll:db-secret@db.internal/photoroll\"\nsession_secs = 3600\n").unwrap();
    let out = w.admin(&["--config", toml.to_str().unwrap(), "config", "print"]);
    assert!(
        !out.contains("db-secret") && !out.contains("s3-secret-value"),
        "{out}"
    );
    assert!(
        out.contains("session_secs = 3600")
            && out.contains("bucket = \"photos\"")
            && out.contains("***"),
        "{out}"
    );

    let w = World::new(Backend::Embedded);
    school_a(&w);
    assert!(
        w.admin_fails(&[
            "user", "add", "--phone", "123", "--role", "reviewer", "--school", "10075"
        ])
        .contains("11")
    );
    assert!(
        w.admin_fails(&[
            "user",
            "add",
            "--phone",
            "13800009999",
            "--role",
            "reviewer"
        ])
        .contains("--school")
    );
    assert!(
        w.admin_fails(&[
            "user",
            "add",
            "--phone",
            "13800009999",
            "--role",
            "reviewer",
            "--school",
            "99999"
        ])
        .contains("不存在")
    );
    assert!(
        w.admin_fails(&[
            "user", "add", "--phone", ADMIN_A, "--role", "reviewer", "--school", "10075"
        ])
        .contains("已有账号")
    );
    assert!(
        w.admin_fails(&[
            "user",
            "add",
            "--phone",
            "13800009999",
            "--role",
            "reviewer",
            "--school",
            "10075",
            "--password",
            "aaa"
        ])
        .contains("密码")
    );
    assert!(
        w.admin_fails(&["school", "add", "--code", "10075", "--name", "again"])
            .contains("已存在")
    );
    let list = w.admin(&["user", "list"]);
    assert!(
        list.contains("138****1000") && !list.contains(ADMIN_A),
        "phones masked in the list: {list}"
    );
    // A broken roster workbook is refused whole; nothing imported.
    let bad = w.dir.path().join("bad.xlsx");
    std::fs::write(&bad, b"PK\x03\x04 not really a workbook").unwrap();
    assert!(
        !w.admin_fails(&[
            "roster",
            "import",
            "--school",
            "10075",
            bad.to_str().unwrap()
        ])
        .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// Guessing: attempts are counted before they are checked; rate limits per address

fn parallel_guesses_are_bounded(backend: Backend) {
    let w = World::with_env(
        backend,
        &[("PHOTOROLL_SERVER_SIGN_IN_PER_MINUTE", "100000")],
    );
    school_a(&w);
    let s = w.serve();
    let base = s.base.clone();
    let guesses: Vec<_> = (0..24)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                common::http_client()
                    .post(format!("{base}/v1/auth/student"))
                    .json(&json!({"collection_code": A1, "id_last4": format!("{:04}", 9000 + i)}))
                    .send()
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let statuses: Vec<u16> = guesses.into_iter().map(|g| g.join().unwrap()).collect();
    let checked = statuses.iter().filter(|&&st| st == 401).count();
    assert!(
        checked <= 5,
        "{checked} guesses were checked at once: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|&st| st == 401 || st == 429),
        "{statuses:?}"
    );
    // Locked: even the right last four is refused now.
    let right = s.post(
        "/v1/auth/student",
        None,
        json!({"collection_code": A1, "id_last4": "1234"}),
    );
    assert_eq!((right.status, right.code()), (429, "locked"));
    // The same for a staff password, in parallel.
    let tries: Vec<_> = (0..16)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                common::http_client()
                    .post(format!("{base}/v1/auth/password"))
                    .json(&json!({"phone": REVIEWER_A, "password": format!("guess{i:04}x")}))
                    .send()
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let statuses: Vec<u16> = tries.into_iter().map(|g| g.join().unwrap()).collect();
    assert!(
        statuses.iter().filter(|&&st| st == 401).count() <= 5,
        "{statuses:?}"
    );
    assert_eq!(
        s.post(
            "/v1/auth/password",
            None,
            json!({"phone": REVIEWER_A, "password": PASSWORD})
        )
        .status,
        429
    );
    // An SMS code gets the locked-out user back in (and lifts the password lockout).
    let before = w.sms_lines(REVIEWER_A);
    assert_eq!(
        s.post("/v1/auth/sms", None, json!({"phone": REVIEWER_A}))
            .status,
        200
    );
    let code = w.sms_code_after(REVIEWER_A, before);
    let back = s.post(
        "/v1/auth/sms/verify",
        None,
        json!({"phone": REVIEWER_A, "code": code}),
    );
    assert_eq!(back.status, 200, "{:?}", back.body);
    s.sign_in(REVIEWER_A, PASSWORD);
    // The lockout's refusals are audited, and an unknown code typed in is not written down.
    let audit = w.admin(&["audit", "--json"]);
    assert!(audit.contains("refused:locked"));
    let typed = s.post(
        "/v1/auth/student",
        None,
        json!({"collection_code": "11010519491231002X", "id_last4": "1234"}),
    );
    assert_eq!(typed.status, 401);
    assert!(
        !w.admin(&["audit", "--json"]).contains("11010519491231002X"),
        "what was typed reached the audit log"
    );
}
both_backends!(parallel_guesses, parallel_guesses_are_bounded);

#[test]
fn sign_ins_are_rate_limited_per_address() {
    let w = World::with_env(
        Backend::Embedded,
        &[("PHOTOROLL_SERVER_SIGN_IN_PER_MINUTE", "3")],
    );
    school_a(&w);
    let s = w.serve();
    for _ in 0..3 {
        s.sign_in(ADMIN_A, PASSWORD);
    }
    let limited = s.post(
        "/v1/auth/password",
        None,
        json!({"phone": ADMIN_A, "password": PASSWORD}),
    );
    assert_eq!((limited.status, limited.code()), (429, "rate_limited"));
    assert!(
        limited
            .header("retry-after")
            .is_some_and(|v| v.parse::<u64>().unwrap() >= 1)
    );
    let audit = w.admin(&["audit", "--json"]);
    assert!(audit.contains("refused:rate_limited"));
}

// ---------------------------------------------------------------------------------------------
// The student page's session cookie, behind other cookies and against other sites

fn student_page_cookies(backend: Backend) {
    let w = World::new(backend);
    school_a(&w);
    let s = w.serve();
    let no_redirects = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Someone else's cookie on the same host: the form, not a redirect loop.
    let r = no_redirects
        .get(s.url("/student"))
        .header("cookie", "lb=1; theme=dark")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("id=\"sign-in\""));
    // Signing in sets an HttpOnly, SameSite=Strict cookie for /student only, and redirects.
    let form = [("collection_code", A1), ("id_last4", "1234")];
    let r = no_redirects
        .post(s.url("/student"))
        .form(&form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/student"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let page = no_redirects
        .get(s.url("/student"))
        .header("cookie", format!("lb=1; {pair}"))
        .send()
        .unwrap();
    assert!(page.text().unwrap().contains("张三"));
    // The cookie does not open the API.
    let api = no_redirects
        .get(s.url(&format!("/v1/students/{A1}")))
        .header("cookie", pair.clone())
        .send()
        .unwrap();
    assert_eq!(api.status(), 401);
    // A form posted from another site is refused.
    let r = no_redirects
        .post(s.url("/student"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    // A wrong last four: the student's wording, no cookie.
    let r = no_redirects
        .post(s.url("/student"))
        .form(&[("collection_code", A1), ("id_last4", "0000")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("set-cookie").is_none());
    assert!(r.text().unwrap().contains("采集码或证件号后四位不正确"));
    // Signing out from the page ends the session and is audited.
    let r = no_redirects
        .post(s.url("/student/logout"))
        .header("cookie", pair.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    let after = no_redirects
        .get(s.url("/student/photo.jpg"))
        .header("cookie", pair)
        .send()
        .unwrap();
    assert_ne!(after.status(), 200);
    let audit = w.admin(&["audit", "--json"]);
    assert!(audit.contains(&format!("student:{A1}")) && audit.contains("\"sign_out\""));
}
both_backends!(student_page, student_page_cookies);

// ---------------------------------------------------------------------------------------------
// Rosters on the server: one collection code, one school

fn roster_codes_belong_to_one_school(backend: Backend) {
    let w = World::new(backend);
    school_a(&w);
    w.admin(&["school", "add", "--code", "10001", "--name", "另一所大学"]);
    let file = w.dir.path().join("wrong-school.xlsx");
    common::write_roster(&file, &[("张三", A1, "1234"), ("赵六", B1, "2222")]);
    let out = w.admin(&[
        "roster",
        "import",
        "--school",
        "10001",
        file.to_str().unwrap(),
    ]);
    let load: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(load["imported"], 1, "{out}");
    assert!(
        load["failed"][0][1].as_str().unwrap().contains("10075"),
        "{out}"
    );
    // Importing the same file again for the right school updates, never duplicates.
    let again = w.dir.path().join("again.xlsx");
    common::write_roster(&again, &[("张三丰", A1, "1234")]);
    let out = w.admin(&[
        "roster",
        "import",
        "--school",
        "10075",
        again.to_str().unwrap(),
    ]);
    let load: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (load["imported"].as_u64(), load["updated"].as_u64()),
        (Some(0), Some(1)),
        "{out}"
    );
    let students: Vec<String> = w
        .snapshot()
        .into_iter()
        .filter(|r| r.starts_with("students: "))
        .collect();
    assert_eq!(
        students.iter().filter(|r| r.contains(A1)).count(),
        1,
        "{students:?}"
    );
    assert!(students.iter().any(|r| r.contains("张三丰")));
    let audit = w.admin(&["audit", "--json"]);
    for action in ["import_roster", "add_school", "add_user"] {
        assert!(audit.contains(action), "{action} not in {audit}");
    }
}
both_backends!(roster_one_school, roster_codes_belong_to_one_school);

// ---------------------------------------------------------------------------------------------
// Housekeeping: nothing unauthenticated requests leave behind grows for ever

fn housekeeping(backend: Backend) {
    let w = World::new(backend);
    school_a(&w);
    let mut s = w.serve();
    let t = s.sign_in(PHOTOGRAPHER_A, PASSWORD);
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 7) as u8).collect();
    let sha = sha256_hex(&data);
    assert_eq!(
        s.patch(&t, &sha, 0, Some(data.len() as u64), data[..1000].to_vec())
            .status,
        204
    );
    assert_eq!(
        s.post("/v1/auth/sms", None, json!({"phone": PHOTOGRAPHER_A}))
            .status,
        200
    );
    s.post(
        "/v1/auth/password",
        None,
        json!({"phone": "13811112222", "password": "nope12345"}),
    );
    s.kill9();
    let spool = w.data_dir().join("uploads");
    assert_eq!(std::fs::read_dir(&spool).unwrap().count(), 1);
    // Two days later (the sweep takes its clock as an argument).
    let mut config = photoroll_server::Config {
        data_dir: w.data_dir(),
        ..Default::default()
    };
    if let (Some(pg), Some(moto)) = (&w.pg, &w.moto) {
        config.database_url = Some(pg.url());
        config.s3 = Some(photoroll_server::config::S3Config {
            bucket: moto.bucket.clone(),
            endpoint: Some(format!("http://127.0.0.1:{}", moto.port)),
            region: "us-east-1".into(),
            access_key_id: "testing".into(),
            secret_access_key: "testing-secret".into(),
            allow_http: true,
        });
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let swept = rt.block_on(async {
        let state =
            photoroll_server::AppState::open(config, Box::new(photoroll_server::sms::LogSmsSender))
                .await
                .unwrap();
        let in_two_days = photoroll_server::now_ms() + 2 * 24 * 3600 * 1000;
        photoroll_server::maintenance::sweep_at(&state, in_two_days)
            .await
            .unwrap()
    });
    assert_eq!(swept.uploads, 1, "{swept:?}");
    assert!(
        swept.sessions >= 1 && swept.sms_codes >= 1 && swept.login_guards >= 1,
        "{swept:?}"
    );
    assert_eq!(
        std::fs::read_dir(&spool).unwrap().count(),
        0,
        "the abandoned spool is gone"
    );
    let s = w.serve();
    let t = s.sign_in(PHOTOGRAPHER_A, PASSWORD);
    assert_eq!(
        s.head(&t, &sha).header("upload-offset").as_deref(),
        Some("0")
    );
    // The CLI runs the same sweep.
    drop(s);
    let out = w.admin(&["sweep"]);
    assert!(out.contains("\"uploads\""), "{out}");
}
both_backends!(sweeps, housekeeping);

// ---------------------------------------------------------------------------------------------
// Behind a TLS-terminating proxy: the client's address from a trusted proxy only

#[test]
fn forwarded_addresses_only_from_trusted_proxies() {
    let w = World::with_env(
        Backend::Embedded,
        &[("PHOTOROLL_SERVER_TRUSTED_PROXIES", "[\"127.0.0.1\"]")],
    );
    school_a(&w);
    let s = w.serve();
    let r = s
        .http
        .post(s.url("/v1/auth/password"))
        .header("x-forwarded-for", "198.51.100.1, 203.0.113.9")
        .json(&json!({"phone": ADMIN_A, "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(s);
    let audit = w.admin(&["audit", "--json"]);
    assert!(
        audit.contains("\"client_addr\": \"203.0.113.9\""),
        "{audit}"
    );

    // Without the setting, a forged header changes nothing.
    let w = World::new(Backend::Embedded);
    school_a(&w);
    let s = w.serve();
    let r = s
        .http
        .post(s.url("/v1/auth/password"))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"phone": ADMIN_A, "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let audit = w.admin(&["audit", "--json"]);
    assert!(!audit.contains("203.0.113.9") && audit.contains("\"client_addr\": \"127.0.0.1\""));
}
