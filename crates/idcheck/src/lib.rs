//! ID verification (人证比对): a student's photo, name and ID number checked against the
//! public-security registry by a paid online provider.
//!
//! The provider is an external service: Photoroll cannot run it, fake it or reach it offline.
//! So this crate is a trait, [`IdentityVerifier`], and one real implementation,
//! [`HttpIdentityVerifier`], that is **off unless configured** ([`IdCheckConfig::from_env`]).
//! There is no stand-in that makes up an answer: without a provider the caller gets `None` and
//! shows that ID verification is not available; with one, every answer is the provider's.
//!
//! # Protocol
//!
//! The protocol is ours; a provider whose API differs gets a small adapter service that maps
//! to it, so this crate never grows one client per vendor.
//!
//! ```text
//! POST {PHOTOROLL_ID_CHECK_URL}
//! Authorization: Bearer {PHOTOROLL_ID_CHECK_KEY}
//! Content-Type: application/json
//!
//! {"name": "张三", "id_number": "11010519491231002X", "photo_base64": "<standard base64 of the JPEG>"}
//! ```
//!
//! A 2xx answer must be JSON, at most 64 KiB:
//!
//! ```text
//! {"result": "match" | "mismatch" | "not_found", "score": 0.93}
//! ```
//!
//! `score` is optional and kept as the provider gave it (its scale is the provider's); it is
//! ignored on `not_found`. Any other 2xx body is [`IdCheckError::BadResponse`]. A 4xx is
//! [`IdCheckError::Refused`] (401/403: the key is wrong or not allowed); its body may be JSON
//! `{"message": "..."}` (or `"error"`) or plain text, shown to the user. A 5xx is
//! [`IdCheckError::Provider`]. Redirects are not followed (the key must not travel to another
//! address); a 3xx is a bad response.
//!
//! The URL must be `https://`; plain `http://` is accepted only for a loopback host
//! (`127.0.0.1`, `::1`, `localhost`), where the tests run their server. A request takes at
//! most 15 s, of which connecting at most 5 s.
//!
//! The key never appears in `Debug` output, logs or error messages; [`IdentityVerifier::describe`]
//! gives the provider's origin (scheme, host, port) for the UI.

mod config;
mod http;

pub use config::{ENV_KEY, ENV_URL, IdCheckConfig, from_env_verifier};
pub use http::{CONNECT_TIMEOUT, HttpIdentityVerifier, MAX_RESPONSE_BYTES, REQUEST_TIMEOUT};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// One person to verify. Borrowed, so a caller holding the photo does not copy it.
#[derive(Clone, Copy)]
pub struct IdCheckRequest<'a> {
    pub name: &'a str,
    pub id_number: &'a str,
    pub photo_jpeg: &'a [u8],
}

// By hand: a derived Debug would dump the whole photo, and the full ID number into any log
// that prints a request.
impl fmt::Debug for IdCheckRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last_four = self
            .id_number
            .char_indices()
            .rev()
            .nth(3)
            .map_or("", |(i, _)| &self.id_number[i..]);
        f.debug_struct("IdCheckRequest")
            .field("name", &self.name)
            .field("id_number", &format_args!("****{last_four}"))
            .field(
                "photo_jpeg",
                &format_args!("{} bytes", self.photo_jpeg.len()),
            )
            .finish()
    }
}

/// What the provider answered about one person.
///
/// Serialised as `{"result": "match", "score": 0.93}`, `{"result": "not_found"}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum IdCheckOutcome {
    /// The photo is of the person the ID number belongs to, by that name.
    Match {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        score: Option<f32>,
    },
    /// The ID number is in the registry, but the photo (or name) does not go with it.
    Mismatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        score: Option<f32>,
    },
    /// The registry has no such ID number.
    NotFound,
}

impl IdCheckOutcome {
    /// Stable English key, the same as the serialised `result`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Match { .. } => "match",
            Self::Mismatch { .. } => "mismatch",
            Self::NotFound => "not_found",
        }
    }

    /// What the user sees.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Match { .. } => "人证一致",
            Self::Mismatch { .. } => "人证不一致",
            Self::NotFound => "库中无此证件号",
        }
    }

    /// The provider's score, on its own scale, when it gave one.
    pub fn score(self) -> Option<f32> {
        match self {
            Self::Match { score } | Self::Mismatch { score } => score,
            Self::NotFound => None,
        }
    }
}

/// Why no outcome. Every message is for the user, in Chinese, and never holds the key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IdCheckError {
    /// No answer at all: no network, connection refused, DNS, TLS, or the 15 s ran out.
    #[error("人证比对服务无法连接，离线时不可用（{0}）")]
    Unreachable(String),
    /// The provider said no (4xx); 401/403 usually mean the key is wrong or not allowed.
    #[error("人证比对服务拒绝了请求（HTTP {status}{hint}）：{message}", hint = refusal_hint(*status))]
    Refused { status: u16, message: String },
    /// The provider failed (5xx): try again later.
    #[error("人证比对服务出错（HTTP {status}），请稍后再试")]
    Provider { status: u16 },
    /// A 2xx answer that is not the JSON of the protocol, or larger than 64 KiB.
    #[error("人证比对服务的回答无法识别：{0}")]
    BadResponse(String),
    /// The provider is configured wrongly (URL, key); nothing was sent.
    #[error("人证比对服务配置有误：{0}")]
    Config(String),
}

fn refusal_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => "，密钥无效或无权使用",
        429 => "，请求过于频繁",
        _ => "",
    }
}

/// What [`IdentityVerifier::verify`] returns: boxed so the trait stays object-safe
/// (`Arc<dyn IdentityVerifier>`) and `Send` so it can be spawned on tokio.
pub type VerifyFuture<'a> =
    Pin<Box<dyn Future<Output = Result<IdCheckOutcome, IdCheckError>> + Send + 'a>>;

/// A provider of ID verification.
pub trait IdentityVerifier: Send + Sync + fmt::Debug {
    /// Asks the provider about one person. Each call is one paid request.
    fn verify<'a>(&'a self, request: IdCheckRequest<'a>) -> VerifyFuture<'a>;

    /// Which provider this is, for the UI (for the HTTP one: its origin). Never the key.
    fn describe(&self) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_serialise_with_their_key_and_read_back() {
        let cases = [
            (
                IdCheckOutcome::Match { score: Some(0.5) },
                r#"{"result":"match","score":0.5}"#,
            ),
            (
                IdCheckOutcome::Mismatch { score: None },
                r#"{"result":"mismatch"}"#,
            ),
            (IdCheckOutcome::NotFound, r#"{"result":"not_found"}"#),
        ];
        for (outcome, json) in cases {
            assert_eq!(serde_json::to_string(&outcome).unwrap(), json);
            assert_eq!(
                serde_json::from_str::<IdCheckOutcome>(json).unwrap(),
                outcome
            );
            assert!(json.contains(outcome.key()));
        }
        assert_eq!(
            IdCheckOutcome::Mismatch { score: None }.display_name(),
            "人证不一致"
        );
    }

    #[test]
    fn a_request_debug_shows_neither_the_photo_nor_the_whole_id_number() {
        let request = IdCheckRequest {
            name: "张三",
            id_number: "11010519491231002X",
            photo_jpeg: &[0xFF; 2048],
        };
        let text = format!("{request:?}");
        assert_eq!(
            text,
            r#"IdCheckRequest { name: "张三", id_number: ****002X, photo_jpeg: 2048 bytes }"#
        );
        let short = IdCheckRequest {
            id_number: "12",
            ..request
        };
        assert!(format!("{short:?}").contains("id_number: ****,"));
    }
}
