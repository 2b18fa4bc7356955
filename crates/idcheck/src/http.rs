use crate::{
    IdCheckConfig, IdCheckError, IdCheckOutcome, IdCheckRequest, IdentityVerifier, VerifyFuture,
};
use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use std::error::Error as _;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// A whole request, answer included: long enough for a slow registry lookup, short enough that
/// a photographer at a capture station is not left waiting on a dead network.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Connecting alone: offline shows up as this, so keep it short.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The protocol's answer is a few dozen bytes; anything near this is not it, and reading on
/// would let a broken or hostile server fill memory.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// How much of a refusal's explanation reaches the user.
const MAX_MESSAGE_CHARS: usize = 200;

/// The provider over HTTPS, speaking the protocol in the crate docs.
pub struct HttpIdentityVerifier {
    client: reqwest::Client,
    url: Url,
    origin: String,
    authorization: HeaderValue,
    /// Kept only to scrub it from what the server says back.
    key: String,
}

// By hand: neither the key nor the Authorization header may reach a log.
impl fmt::Debug for HttpIdentityVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpIdentityVerifier")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl HttpIdentityVerifier {
    /// With the protocol's timeouts ([`REQUEST_TIMEOUT`], [`CONNECT_TIMEOUT`]).
    pub fn new(config: IdCheckConfig) -> Result<Self, IdCheckError> {
        Self::with_timeouts(config, REQUEST_TIMEOUT, CONNECT_TIMEOUT)
    }

    /// With other timeouts (tests use a short one to see a stalled server give up).
    pub fn with_timeouts(
        config: IdCheckConfig,
        request_timeout: Duration,
        connect_timeout: Duration,
    ) -> Result<Self, IdCheckError> {
        let url = check_url(&config.url)?;
        let key = config.key.trim().to_owned();
        if key.is_empty() {
            return Err(IdCheckError::Config("密钥为空".into()));
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| IdCheckError::Config("密钥含有不能放进 HTTP 头的字符".into()))?;
        // hyper and reqwest leave sensitive headers out of their own debug output.
        authorization.set_sensitive(true);

        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .timeout(request_timeout)
            .connect_timeout(connect_timeout)
            // A redirect would carry the key to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("photoroll-idcheck/", env!("CARGO_PKG_VERSION")));
        if is_loopback(&url) {
            // A loopback address never goes through a proxy, whatever HTTP_PROXY says.
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| IdCheckError::Config(format!("HTTP 客户端无法建立：{}", chain(e))))?;

        Ok(Self {
            client,
            origin: url.origin().ascii_serialization(),
            url,
            authorization,
            key,
        })
    }

    async fn call(&self, request: IdCheckRequest<'_>) -> Result<IdCheckOutcome, IdCheckError> {
        let body = WireRequest {
            name: request.name,
            id_number: request.id_number,
            photo_base64: base64::engine::general_purpose::STANDARD.encode(request.photo_jpeg),
        };
        let response = self
            .client
            .post(self.url.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .json(&body)
            .send()
            .await
            .map_err(Self::unreachable)?;

        let status = response.status();
        if status.is_success() {
            let bytes = Self::read_capped(response).await?;
            return parse_answer(&bytes);
        }
        if status.is_client_error() {
            // The explanation is a courtesy: if it cannot be read, the status still says enough.
            let bytes = Self::read_capped(response).await.unwrap_or_default();
            return Err(IdCheckError::Refused {
                status: status.as_u16(),
                message: self.scrub(&refusal_message(&bytes)),
            });
        }
        if status.is_server_error() {
            return Err(IdCheckError::Provider {
                status: status.as_u16(),
            });
        }
        Err(IdCheckError::BadResponse(format!(
            "意外的 HTTP 状态 {}",
            status_text(status)
        )))
    }

    /// The body, refused once it passes [`MAX_RESPONSE_BYTES`]. Counted while streaming, not
    /// from Content-Length, which a server may leave out or get wrong.
    async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, IdCheckError> {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(Self::unreachable)? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(IdCheckError::BadResponse(format!(
                    "回答超过 {} KiB",
                    MAX_RESPONSE_BYTES / 1024
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn unreachable(error: reqwest::Error) -> IdCheckError {
        let error = error.without_url();
        let detail = if error.is_timeout() {
            "等待超时".to_owned()
        } else if error.is_connect() {
            format!("连接失败：{}", root_cause(&error))
        } else {
            chain(error)
        };
        // Not scrubbed: the key is only ever sent, so the network stack cannot say it back.
        IdCheckError::Unreachable(detail)
    }

    /// The key out of text that came from elsewhere: a provider that echoes the request back
    /// in an error must not put the key on screen.
    fn scrub(&self, text: &str) -> String {
        text.replace(&self.key, "***")
    }
}

impl IdentityVerifier for HttpIdentityVerifier {
    fn verify<'a>(&'a self, request: IdCheckRequest<'a>) -> VerifyFuture<'a> {
        Box::pin(async move {
            let result = self.call(request).await;
            match &result {
                Ok(outcome) => {
                    tracing::debug!(provider = %self.origin, outcome = outcome.key(), "人证比对完成");
                }
                Err(error) => {
                    tracing::warn!(provider = %self.origin, %error, "人证比对失败");
                }
            }
            result
        })
    }

    fn describe(&self) -> String {
        self.origin.clone()
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    name: &'a str,
    id_number: &'a str,
    photo_base64: String,
}

/// Kept apart from [`IdCheckOutcome`] so the wire format and what the app stores can change
/// separately. Unknown fields are ignored: a provider adapter may add its own.
#[derive(Deserialize)]
struct WireAnswer {
    result: WireResult,
    #[serde(default)]
    score: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum WireResult {
    Match,
    Mismatch,
    NotFound,
}

fn parse_answer(bytes: &[u8]) -> Result<IdCheckOutcome, IdCheckError> {
    let answer: WireAnswer = serde_json::from_slice(bytes)
        .map_err(|e| IdCheckError::BadResponse(format!("不是约定的 JSON（{e}）")))?;
    let score = match answer.score {
        None => None,
        Some(score) => {
            let narrowed = score as f32;
            if !narrowed.is_finite() {
                return Err(IdCheckError::BadResponse(format!("分数 {score} 超出范围")));
            }
            Some(narrowed)
        }
    };
    Ok(match answer.result {
        WireResult::Match => IdCheckOutcome::Match { score },
        WireResult::Mismatch => IdCheckOutcome::Mismatch { score },
        WireResult::NotFound => IdCheckOutcome::NotFound,
    })
}

/// The provider's own words for a 4xx: `message` or `error` of a JSON body, else the text.
fn refusal_message(body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| {
            ["message", "error"]
                .iter()
                .find_map(|field| value.get(field)?.as_str().map(str::to_owned))
        });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    // One line, no control characters, short: it goes into a dialog.
    let cleaned: String = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut message: String = cleaned.chars().take(MAX_MESSAGE_CHARS).collect();
    if cleaned.chars().count() > MAX_MESSAGE_CHARS {
        message.push('…');
    }
    if message.is_empty() {
        "服务没有说明原因".to_owned()
    } else {
        message
    }
}

fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

fn check_url(raw: &str) -> Result<Url, IdCheckError> {
    let url =
        Url::parse(raw.trim()).map_err(|e| IdCheckError::Config(format!("地址无法识别：{e}")))?;
    if url.host().is_none() {
        return Err(IdCheckError::Config("地址缺少主机名".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(IdCheckError::Config(
            "地址里不能带用户名或密码，密钥请放在 PHOTOROLL_ID_CHECK_KEY".into(),
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(IdCheckError::Config(
            "必须使用 https:// 地址（http 只允许本机测试地址）".into(),
        )),
        other => Err(IdCheckError::Config(format!(
            "不支持的协议 {other}，必须使用 https://"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// rustls with the ring provider, built here and handed to reqwest whole: reqwest's own
/// rustls feature would pull in aws-lc (cmake, minutes of C on two cores), and installing a
/// process-wide default provider from a library would surprise the rest of the app. The
/// certificates are checked by the operating system's verifier, as reqwest does by default.
fn tls_config() -> Result<rustls::ClientConfig, IdCheckError> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map_err(|e| IdCheckError::Config(format!("TLS 无法初始化：{e}")))?
        .with_no_client_auth();
    Ok(config)
}

/// An error and its causes, one line; reqwest's own text alone says only "error sending
/// request". The URL is left out (it is in `describe`, and kept off every message).
fn chain(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push('：');
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn root_cause(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
