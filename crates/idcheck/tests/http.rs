//! The HTTP provider against a real server on 127.0.0.1, started by each test: what a provider
//! adapter would see, and what the app gets back for each kind of answer.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use photoroll_idcheck::{
    ENV_KEY, ENV_URL, HttpIdentityVerifier, IdCheckConfig, IdCheckError, IdCheckOutcome,
    IdCheckRequest, IdentityVerifier, MAX_RESPONSE_BYTES, from_env_verifier,
};
use proptest::prelude::*;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "sk-test-7f3a9c1e5b";
const NAME: &str = "张三";
const ID_NUMBER: &str = "11010519491231002X";
// Not a real JPEG: the provider client only carries the bytes, so any bytes show the encoding.
const PHOTO: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00photo bytes\x00\xFF\xD9";

fn request() -> IdCheckRequest<'static> {
    IdCheckRequest {
        name: NAME,
        id_number: ID_NUMBER,
        photo_jpeg: PHOTO,
    }
}

#[derive(Clone)]
enum Reply {
    Answer(StatusCode, Vec<u8>),
    Redirect(String),
    Stall(Duration),
}

#[derive(Debug, Clone)]
struct Seen {
    authorization: Option<String>,
    content_type: Option<String>,
    body: serde_json::Value,
}

struct Shared {
    reply: Mutex<Reply>,
    seen: Mutex<Vec<Seen>>,
}

/// The provider stand-in: answers every POST /verify with the reply it is set to, and keeps
/// what it was sent.
struct Provider {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Provider {
    async fn start(reply: Reply) -> Self {
        let shared = Arc::new(Shared {
            reply: Mutex::new(reply),
            seen: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/verify", post(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, shared }
    }

    async fn answering(status: StatusCode, body: impl Into<Vec<u8>>) -> Self {
        Self::start(Reply::Answer(status, body.into())).await
    }

    fn url(&self) -> String {
        format!("http://{}/verify", self.addr)
    }

    fn verifier(&self) -> HttpIdentityVerifier {
        HttpIdentityVerifier::new(config(&self.url())).unwrap()
    }

    fn set_reply(&self, reply: Reply) {
        *self.shared.reply.lock().unwrap() = reply;
    }

    fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let text = |name| {
        headers
            .get(name)
            .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    shared.seen.lock().unwrap().push(Seen {
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    });
    let reply = shared.reply.lock().unwrap().clone();
    match reply {
        Reply::Answer(status, bytes) => {
            (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
        }
        Reply::Redirect(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
        Reply::Stall(wait) => {
            tokio::time::sleep(wait).await;
            (StatusCode::OK, r#"{"result":"match"}"#).into_response()
        }
    }
}

fn config(url: &str) -> IdCheckConfig {
    IdCheckConfig {
        url: url.to_owned(),
        key: KEY.to_owned(),
    }
}

#[tokio::test]
async fn a_match_comes_back_with_its_score_and_the_provider_saw_key_name_id_and_photo() {
    let provider = Provider::answering(StatusCode::OK, r#"{"result":"match","score":0.93}"#).await;

    let outcome = provider.verifier().verify(request()).await.unwrap();

    assert_eq!(outcome, IdCheckOutcome::Match { score: Some(0.93) });
    assert_eq!(outcome.display_name(), "人证一致");
    let seen = provider.seen();
    assert_eq!(seen.len(), 1, "one request, one paid call");
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(&*format!("Bearer {KEY}"))
    );
    assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(seen[0].body["name"], NAME);
    assert_eq!(seen[0].body["id_number"], ID_NUMBER);
    let photo = base64::engine::general_purpose::STANDARD
        .decode(seen[0].body["photo_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(photo, PHOTO);
}

#[tokio::test]
async fn mismatch_and_not_found_are_outcomes_not_errors() {
    let provider =
        Provider::answering(StatusCode::OK, r#"{"result":"mismatch","score":0.12}"#).await;
    let verifier = provider.verifier();
    assert_eq!(
        verifier.verify(request()).await.unwrap(),
        IdCheckOutcome::Mismatch { score: Some(0.12) }
    );

    // A score on not_found means nothing and is dropped; a provider's extra fields are fine.
    provider.set_reply(Reply::Answer(
        StatusCode::OK,
        br#"{"result":"not_found","score":0,"trace_id":"abc"}"#.to_vec(),
    ));
    let outcome = verifier.verify(request()).await.unwrap();
    assert_eq!(outcome, IdCheckOutcome::NotFound);
    assert_eq!(outcome.display_name(), "库中无此证件号");

    // The score is optional.
    provider.set_reply(Reply::Answer(
        StatusCode::OK,
        br#"{"result":"match"}"#.to_vec(),
    ));
    assert_eq!(
        verifier.verify(request()).await.unwrap(),
        IdCheckOutcome::Match { score: None }
    );
    provider.set_reply(Reply::Answer(
        StatusCode::OK,
        br#"{"result":"mismatch","score":null}"#.to_vec(),
    ));
    assert_eq!(
        verifier.verify(request()).await.unwrap(),
        IdCheckOutcome::Mismatch { score: None }
    );
}

#[tokio::test]
async fn a_wrong_key_is_refused_with_the_providers_reason() {
    let provider =
        Provider::answering(StatusCode::UNAUTHORIZED, r#"{"message":"invalid api key"}"#).await;

    let error = provider.verifier().verify(request()).await.unwrap_err();

    assert_eq!(
        error,
        IdCheckError::Refused {
            status: 401,
            message: "invalid api key".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "人证比对服务拒绝了请求（HTTP 401，密钥无效或无权使用）：invalid api key"
    );
}

#[tokio::test]
async fn a_refusal_that_echoes_the_key_does_not_show_it() {
    let body = format!("forbidden:\n  key {KEY} is not allowed for this product");
    let provider = Provider::answering(StatusCode::FORBIDDEN, body).await;

    let error = provider.verifier().verify(request()).await.unwrap_err();

    let IdCheckError::Refused { status, message } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 403);
    assert_eq!(
        message,
        "forbidden: key *** is not allowed for this product"
    );
    assert!(!error.to_string().contains(KEY));
    assert!(!format!("{error:?}").contains(KEY));
}

#[tokio::test]
async fn a_refusal_without_a_body_still_says_something() {
    let provider = Provider::answering(StatusCode::BAD_REQUEST, Vec::new()).await;
    let error = provider.verifier().verify(request()).await.unwrap_err();
    assert_eq!(
        error,
        IdCheckError::Refused {
            status: 400,
            message: "服务没有说明原因".into()
        }
    );
}

#[tokio::test]
async fn a_server_error_is_the_providers_fault() {
    let provider = Provider::answering(StatusCode::INTERNAL_SERVER_ERROR, "database down").await;
    let error = provider.verifier().verify(request()).await.unwrap_err();
    assert_eq!(error, IdCheckError::Provider { status: 500 });
    assert_eq!(
        error.to_string(),
        "人证比对服务出错（HTTP 500），请稍后再试"
    );
}

#[tokio::test]
async fn an_answer_outside_the_protocol_is_a_bad_response() {
    let provider = Provider::answering(StatusCode::OK, "<html>hello</html>").await;
    let verifier = provider.verifier();
    for body in [
        &b"<html>hello</html>"[..],
        b"",
        b"{}",
        br#"{"result":"maybe"}"#,
        br#"{"result":"MATCH"}"#,
        br#"{"result":"match","score":"high"}"#,
        br#"{"result":"match","score":1e300}"#,
        b"\xFF\xFE\x00garbage",
    ] {
        provider.set_reply(Reply::Answer(StatusCode::OK, body.to_vec()));
        let error = verifier.verify(request()).await.unwrap_err();
        assert!(
            matches!(error, IdCheckError::BadResponse(_)),
            "{:?} gave {error:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[tokio::test]
async fn an_answer_over_64_kib_is_refused_even_when_it_is_valid_json() {
    let padded = |len: usize| {
        let json = br#"{"result":"match"}"#;
        let mut body = vec![b' '; len - json.len()];
        body.extend_from_slice(json);
        body
    };
    let provider = Provider::answering(StatusCode::OK, padded(MAX_RESPONSE_BYTES)).await;
    let verifier = provider.verifier();
    assert_eq!(
        verifier.verify(request()).await.unwrap(),
        IdCheckOutcome::Match { score: None },
        "exactly the cap is still read"
    );

    provider.set_reply(Reply::Answer(
        StatusCode::OK,
        padded(MAX_RESPONSE_BYTES + 1),
    ));
    let error = verifier.verify(request()).await.unwrap_err();
    assert_eq!(error, IdCheckError::BadResponse("回答超过 64 KiB".into()));
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let provider = Provider::start(Reply::Redirect("http://127.0.0.1:9/elsewhere".into())).await;
    let error = provider.verifier().verify(request()).await.unwrap_err();
    assert_eq!(
        error,
        IdCheckError::BadResponse("意外的 HTTP 状态 302 Found".into())
    );
    assert_eq!(provider.seen().len(), 1);
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    // A port that was just free: nothing listens on it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let verifier = HttpIdentityVerifier::new(config(&format!("http://{addr}/verify"))).unwrap();

    let error = verifier.verify(request()).await.unwrap_err();

    let IdCheckError::Unreachable(detail) = &error else {
        panic!("{error:?}")
    };
    assert!(detail.starts_with("连接失败"), "{detail}");
    assert!(
        error
            .to_string()
            .starts_with("人证比对服务无法连接，离线时不可用"),
        "{error}"
    );
    assert!(!error.to_string().contains(&addr.to_string()), "{error}");
}

#[tokio::test]
async fn a_server_that_stalls_past_the_timeout_is_unreachable() {
    let provider = Provider::start(Reply::Stall(Duration::from_secs(10))).await;
    let verifier = HttpIdentityVerifier::with_timeouts(
        config(&provider.url()),
        Duration::from_millis(300),
        Duration::from_millis(300),
    )
    .unwrap();

    let started = std::time::Instant::now();
    let error = verifier.verify(request()).await.unwrap_err();

    assert_eq!(error, IdCheckError::Unreachable("等待超时".into()));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn https_really_speaks_tls_and_a_plain_http_server_fails_the_handshake() {
    // The ring-backed rustls client is built and used: a ClientHello goes out, the plain HTTP
    // server answers with something that is not TLS.
    let provider = Provider::answering(StatusCode::OK, r#"{"result":"match"}"#).await;
    let verifier =
        HttpIdentityVerifier::new(config(&format!("https://{}/verify", provider.addr))).unwrap();

    let error = verifier.verify(request()).await.unwrap_err();

    assert!(matches!(error, IdCheckError::Unreachable(_)), "{error:?}");
    assert!(provider.seen().is_empty(), "no request got through");
}

#[tokio::test]
async fn works_as_a_shared_trait_object_on_spawned_tasks() {
    let provider = Provider::answering(StatusCode::OK, r#"{"result":"match","score":1}"#).await;
    let verifier: Arc<dyn IdentityVerifier> = Arc::new(provider.verifier());

    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let verifier = verifier.clone();
            tokio::spawn(async move {
                let name = format!("学生{i}");
                let photo = vec![i as u8; 100];
                verifier
                    .verify(IdCheckRequest {
                        name: &name,
                        id_number: ID_NUMBER,
                        photo_jpeg: &photo,
                    })
                    .await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(
            task.await.unwrap().unwrap(),
            IdCheckOutcome::Match { score: Some(1.0) }
        );
    }
    assert_eq!(provider.seen().len(), 4);
}

#[test]
fn only_https_or_loopback_http_is_accepted_and_nothing_is_sent_otherwise() {
    let config_error = |url: &str| match HttpIdentityVerifier::new(config(url)) {
        Err(IdCheckError::Config(message)) => message,
        other => panic!("{url}: {other:?}"),
    };
    assert!(config_error("http://idcheck.example.com/verify").contains("https://"));
    assert!(config_error("http://10.0.0.5/verify").contains("https://"));
    assert!(config_error("ftp://idcheck.example.com/verify").contains("ftp"));
    assert!(config_error("idcheck.example.com/verify").contains("地址无法识别"));
    assert!(config_error("https://user:pass@idcheck.example.com/verify").contains("用户名"));

    for url in [
        "http://127.0.0.1:8080/verify",
        "http://localhost/verify",
        "http://[::1]:9000/verify",
        "https://idcheck.example.com/verify",
    ] {
        HttpIdentityVerifier::new(config(url)).unwrap_or_else(|e| panic!("{url}: {e}"));
    }

    let empty_key = HttpIdentityVerifier::new(IdCheckConfig {
        url: "https://idcheck.example.com/verify".into(),
        key: "  ".into(),
    });
    assert!(matches!(empty_key, Err(IdCheckError::Config(_))));
    let newline_key = HttpIdentityVerifier::new(IdCheckConfig {
        url: "https://idcheck.example.com/verify".into(),
        key: "abc\ndef".into(),
    });
    assert!(matches!(newline_key, Err(IdCheckError::Config(_))));
}

#[test]
fn the_key_never_shows_in_debug_or_describe() {
    let config = config("https://idcheck.example.com:8443/v1/verify?tenant=x");
    let verifier = HttpIdentityVerifier::new(config.clone()).unwrap();

    assert_eq!(verifier.describe(), "https://idcheck.example.com:8443");
    for text in [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{verifier:?}"),
        format!("{verifier:#?}"),
        verifier.describe(),
    ] {
        assert!(!text.contains(KEY), "{text}");
    }
    assert!(format!("{config:?}").contains("idcheck.example.com"));
}

#[test]
fn configuration_is_off_when_the_url_is_unset_and_an_error_when_the_key_is_missing() {
    let lookup = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            Ok(vars
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned()))
        }
    };
    assert_eq!(IdCheckConfig::from_lookup(lookup(&[])), Ok(None));
    assert_eq!(
        IdCheckConfig::from_lookup(lookup(&[(ENV_URL, " ")])),
        Ok(None)
    );
    assert_eq!(
        IdCheckConfig::from_lookup(lookup(&[(ENV_KEY, KEY)])),
        Ok(None),
        "a key alone does not switch it on"
    );
    let missing = IdCheckConfig::from_lookup(lookup(&[(ENV_URL, "https://x.example/v")]));
    assert_eq!(
        missing,
        Err(IdCheckError::Config(
            "已设置 PHOTOROLL_ID_CHECK_URL，但缺少 PHOTOROLL_ID_CHECK_KEY".into()
        ))
    );
    assert_eq!(
        IdCheckConfig::from_lookup(lookup(&[(ENV_URL, "https://x.example/v "), (ENV_KEY, KEY)])),
        Ok(Some(IdCheckConfig {
            url: "https://x.example/v".into(),
            key: KEY.into()
        }))
    );
    assert!(matches!(
        IdCheckConfig::from_lookup(|_| Err(())),
        Err(IdCheckError::Config(_))
    ));

    // The real environment: the test runs do not configure a provider, so it is off.
    if std::env::var_os(ENV_URL).is_none() {
        assert_eq!(IdCheckConfig::from_env(), Ok(None));
        assert!(from_env_verifier().unwrap().is_none());
    }
}

fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..512),
        4 => r#"\{"result":"(match|mismatch|not_found|x|)"(,"score":(-?[0-9]{0,4}(\.[0-9]{0,3})?(e-?[0-9]{1,3})?|null|"s"|\[\]))?(,"extra":\{\})?\}"#
            .prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), MAX_RESPONSE_BYTES - 16..MAX_RESPONSE_BYTES + 16),
    ]
}

#[test]
fn any_body_from_the_provider_is_an_outcome_or_a_bad_response_never_a_panic() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let provider = runtime.block_on(Provider::answering(StatusCode::OK, Vec::new()));
    let verifier = provider.verifier();

    proptest!(ProptestConfig::with_cases(200), |(body in any_body())| {
        provider.set_reply(Reply::Answer(StatusCode::OK, body.clone()));
        let result = runtime.block_on(verifier.verify(request()));
        match result {
            Ok(outcome) => {
                prop_assert!(body.len() <= MAX_RESPONSE_BYTES);
                prop_assert!(outcome.score().is_none_or(f32::is_finite));
            }
            Err(IdCheckError::BadResponse(_)) => {}
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    });
}
