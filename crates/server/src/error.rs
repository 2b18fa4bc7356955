//! The one error every handler returns, mapped to an HTTP status and the JSON body
//! `{"error":{"code","message"}}`. Messages are for people (Chinese); codes are for programs.
//! An internal fault is logged with its detail and answered without it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use photoroll_core::Denied;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("请先登录")]
    Unauthenticated,
    /// Wrong phone/password/code: one message whatever was wrong, so nobody learns which
    /// phone numbers have accounts.
    #[error("账号或密码错误")]
    BadCredentials,
    #[error("验证码错误或已过期")]
    BadCode,
    #[error("登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试")]
    Locked { minutes: i64 },
    #[error("操作过于频繁，请稍后再试")]
    RateLimited { retry_after_secs: u64 },
    #[error("当前角色无权执行此操作")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("上传内容与其 SHA-256 不符，已丢弃")]
    HashMismatch,
    #[error("内容过大（上限 {limit} 字节）")]
    TooLarge { limit: u64 },
    #[error("不支持的内容类型，应为 {expected}")]
    UnsupportedMediaType { expected: &'static str },
    #[error("服务器内部错误")]
    Internal(String),
    /// An upload refusal that also tells the client how many bytes the server holds
    /// (`Upload-Offset`), so it resumes from there.
    #[error("{inner}")]
    Resume { inner: Box<ApiError>, held: u64 },
}

impl ApiError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn with_offset(self, held: u64) -> Self {
        Self::Resume {
            inner: Box::new(self),
            held,
        }
    }

    pub fn not_found() -> Self {
        Self::NotFound("记录不存在".into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::BadCredentials | Self::BadCode => {
                StatusCode::UNAUTHORIZED
            }
            Self::Locked { .. } | Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::HashMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Resume { inner, .. } => inner.status(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::BadCredentials => "bad_credentials",
            Self::BadCode => "bad_code",
            Self::Locked { .. } => "locked",
            Self::RateLimited { .. } => "rate_limited",
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Invalid { code, .. } | Self::Conflict { code, .. } => code,
            Self::HashMismatch => "hash_mismatch",
            Self::TooLarge { .. } => "too_large",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::Internal(_) => "internal",
            Self::Resume { inner, .. } => inner.code(),
        }
    }

    /// The word the audit log records for a refused request.
    pub fn outcome(&self) -> String {
        format!("refused:{}", self.code())
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Forbidden => Self::Forbidden,
            Denied::Hidden => Self::not_found(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(format!("database: {e}"))
    }
}

impl From<object_store::Error> for ApiError {
    fn from(e: object_store::Error) -> Self {
        Self::Internal(format!("object store: {e}"))
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        Self::Internal(format!("io: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let status = self.status();
        let body = Json(json!({"error": {"code": self.code(), "message": self.to_string()}}));
        let mut response = (status, body).into_response();
        if let Self::Resume { held, .. } = &self {
            response
                .headers_mut()
                .insert("upload-offset", axum::http::HeaderValue::from(*held));
        }
        if let Self::RateLimited { retry_after_secs } = self
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            response.headers_mut().insert("retry-after", v);
        }
        response
    }
}
