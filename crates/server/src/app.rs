//! The shared state, the router and the two things every handler goes through: the caller
//! extractor (who is asking, with which role, for which school) and the JSON body extractor
//! (bounded, errors in our shape).

use crate::accounts::{Hasher, SessionInfo};
use crate::blobs::Blobs;
use crate::config::Config;
use crate::db::Db;
use crate::error::ApiError;
use crate::limits::Limits;
use crate::sms::SmsSender;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::{Json, Router};
use photoroll_core::{Permission, Principal, Target, authorize};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub config: Config,
    pub db: Db,
    pub blobs: Blobs,
    pub hasher: Hasher,
    pub limits: Limits,
    pub sms: Box<dyn SmsSender>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub async fn open(config: Config, sms: Box<dyn SmsSender>) -> anyhow::Result<AppState> {
        let db = Db::open(&config).await?;
        let blobs = Blobs::open(&config).await?;
        let hasher = Hasher::new(config.argon2)?;
        let limits = Limits::new(config.sign_in_per_minute, config.sms_per_hour);
        Ok(AppState(Arc::new(Inner {
            config,
            db,
            blobs,
            hasher,
            limits,
            sms,
        })))
    }
}

/// The client's address as the audit log records it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .ok_or_else(|| ApiError::Internal("no client address".into()))?;
        Ok(ClientAddr(client_address(
            peer,
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok()),
            &state.config.trusted_proxies,
        )))
    }
}

/// The client: the connection's peer, unless the peer is a trusted proxy; then the rightmost
/// `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left were
/// written by the client and prove nothing).
pub fn client_address(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded
        .into_iter()
        .flat_map(|v| v.rsplit(','))
        .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// Who is asking: a live session from `Authorization: Bearer …`. Without one, 401.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session: SessionInfo,
    pub addr: IpAddr,
}

impl Caller {
    pub fn principal(&self) -> &Principal {
        &self.session.principal
    }

    /// The one authorisation check: core's table decides; a refusal is audited.
    pub async fn may(
        &self,
        state: &AppState,
        permission: Permission,
        target: Target<'_>,
    ) -> Result<(), ApiError> {
        match authorize(self.principal(), permission, target) {
            Ok(()) => Ok(()),
            Err(denied) => {
                let err = ApiError::from(denied);
                self.audit(state, permission.id(), &target_name(target), &err.outcome())
                    .await;
                Err(err)
            }
        }
    }

    /// The school a staff member works in, or for the operator the one named in the request.
    pub fn school_or<'a>(&'a self, named: Option<&'a str>) -> Result<&'a str, ApiError> {
        match (self.principal().school.as_deref(), named) {
            (Some(own), _) => Ok(own),
            (None, Some(named)) => Ok(named),
            (None, None) => Err(ApiError::invalid("school_required", "请指定院校（school）")),
        }
    }

    pub async fn audit(&self, state: &AppState, action: &str, record: &str, outcome: &str) {
        crate::audit::record_or_log(
            &state.db,
            crate::audit::AuditEntry {
                actor: &self.session.actor(),
                role: self.principal().role.id(),
                school: self.principal().school.as_deref(),
                client_addr: &self.addr.to_string(),
                action,
                record,
                outcome,
            },
        )
        .await;
    }
}

fn target_name(target: Target<'_>) -> String {
    match target.student {
        Some(code) => format!("school:{}/student:{code}", target.school),
        None => format!("school:{}", target.school),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ClientAddr(addr) = ClientAddr::from_request_parts(parts, state).await?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthenticated)?;
        let session = crate::accounts::find_session(&state.db, token.trim())
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Caller { session, addr })
    }
}

/// A JSON body: `application/json`, within the configured size, parsed into `T`, every failure
/// answered in the API's error shape.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json_type {
            return Err(ApiError::UnsupportedMediaType {
                expected: "application/json",
            });
        }
        let limit = state.config.max_json_bytes;
        let body = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| ApiError::TooLarge {
                limit: limit as u64,
            })?;
        serde_json::from_slice(&body).map(ApiJson).map_err(|e| {
            ApiError::invalid(
                "bad_json",
                format!("请求内容不是有效的 JSON 或缺少字段: {e}"),
            )
        })
    }
}

/// `/healthz`: the database answers.
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok(Json(
        serde_json::json!({"status": "ok", "backend": state.db.backend.name()}),
    ))
}

async fn version() -> impl IntoResponse {
    Json(serde_json::json!({"server": crate::VERSION, "api": crate::API_VERSION}))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("没有这个地址".into())
}

pub fn router(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    // The blob routes carry up to max_blob_bytes; every other body is bounded by ApiJson and
    // by this outer limit (a little over the JSON limit, so the JSON extractor's own message
    // answers first).
    let outer_limit = (state.config.max_blob_bytes as usize).saturating_add(64 * 1024);
    Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/version", axum::routing::get(version))
        .nest("/v1", crate::routes::v1())
        .merge(crate::routes::page::routes())
        .fallback(not_found)
        .layer(RequestBodyLimitLayer::new(outer_limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with the
    // student page's own form posts, which the same-origin check must refuse.
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Query parameters, a malformed one answered in the API's error shape.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::invalid("bad_query", format!("查询参数有误: {e}")))
    }
}

/// Free text from a request: trimmed, at most `max` characters, no control characters (a NUL
/// is refused by PostgreSQL and has no place in a name or a reason).
pub fn text_field(raw: &str, field: &'static str, max: usize) -> Result<String, ApiError> {
    let text = raw.trim();
    if text.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "bad_text",
            format!("{field} 含有控制字符"),
        ));
    }
    if text.chars().count() > max {
        return Err(ApiError::invalid(
            "bad_text",
            format!("{field} 过长（最多 {max} 个字）"),
        ));
    }
    Ok(text.to_string())
}

/// A collection code from a path or a form: letters and digits only, or no such record.
pub fn collection_code(raw: &str) -> Result<String, ApiError> {
    let code = photoroll_core::collection_code::normalise_collection_code(raw);
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::not_found());
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let forged = Some("198.51.100.1, 203.0.113.7");
        assert_eq!(
            client_address(client, forged, &[proxy]),
            client,
            "not from the proxy: ignored"
        );
        assert_eq!(
            client_address(proxy, forged, &[proxy]),
            client,
            "the rightmost untrusted entry"
        );
        assert_eq!(
            client_address(proxy, Some("203.0.113.7, 10.0.0.2"), &[proxy]),
            client
        );
        assert_eq!(client_address(proxy, None, &[proxy]), proxy);
        assert_eq!(client_address(proxy, Some("garbage"), &[proxy]), proxy);
    }

    #[test]
    fn text_fields() {
        assert_eq!(text_field("  王老师 ", "经办人", 32).unwrap(), "王老师");
        assert!(text_field("a\0b", "经办人", 32).is_err());
        assert!(text_field(&"长".repeat(33), "经办人", 32).is_err());
        assert_eq!(
            collection_code(" 2020 0628 00634 ").unwrap(),
            "2020062800634"
        );
        assert!(collection_code("2020%00").is_err());
        assert!(collection_code("").is_err());
    }
}
