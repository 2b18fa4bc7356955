//! Photo bytes by SHA-256, tus-style: `HEAD` tells the offset the server holds, `PATCH` appends
//! from there (`Upload-Offset`, `Upload-Length` on the first), `GET` downloads. A blob belongs
//! to the schools whose users uploaded it; others get 404 for it.

use crate::AppState;
use crate::app::Caller;
use crate::blobs::{Appended, content_type, parse_sha256};
use crate::error::ApiError;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use photoroll_core::{Permission, Role, Target};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/blobs/{sha256}",
        get(download)
            .head(offset)
            .patch(append)
            // The blob routes carry photos; the real limit is checked against the config below.
            .layer(DefaultBodyLimit::disable()),
    )
}

fn own_school(caller: &Caller) -> Result<String, ApiError> {
    caller.principal().school.clone().ok_or(ApiError::Forbidden)
}

fn offset_headers(held: u64, length: Option<u64>, complete: bool) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("upload-offset", HeaderValue::from(held));
    if let Some(length) = length {
        h.insert("upload-length", HeaderValue::from(length));
    }
    h.insert(
        "blob-complete",
        HeaderValue::from_static(if complete { "true" } else { "false" }),
    );
    h
}

async fn stored_size(state: &AppState, school: &str, sha: &str) -> Result<Option<u64>, ApiError> {
    crate::students::school_blob_size(&state.db, school, sha).await
}

async fn declared_length(
    state: &AppState,
    school: &str,
    sha: &str,
) -> Result<Option<u64>, ApiError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT length FROM uploads WHERE school_code = $1 AND sha256 = $2")
            .bind(school)
            .bind(sha)
            .fetch_optional(&state.db.pool)
            .await?;
    Ok(row.map(|(n,)| n as u64))
}

async fn offset(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let school = own_school(&caller)?;
    caller
        .may(
            &state,
            Permission::UploadPhoto,
            Target {
                school: &school,
                student: None,
            },
        )
        .await?;
    let sha = parse_sha256(&raw)?;
    if let Some(size) = stored_size(&state, &school, &sha).await? {
        return Ok((StatusCode::OK, offset_headers(size, Some(size), true)).into_response());
    }
    let length = declared_length(&state, &school, &sha).await?;
    let held = if length.is_some() {
        state.blobs.spooled(&school, &sha).await
    } else {
        0
    };
    Ok((StatusCode::OK, offset_headers(held, length, false)).into_response())
}

fn header_u64(headers: &HeaderMap, name: &str) -> Result<Option<u64>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| ApiError::invalid("bad_header", format!("{name} 应为非负整数"))),
    }
}

async fn append(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let school = own_school(&caller)?;
    caller
        .may(
            &state,
            Permission::UploadPhoto,
            Target {
                school: &school,
                student: None,
            },
        )
        .await?;
    let mut body = Some(body);
    let answer = append_checked(&state, &caller, &school, &raw, &headers, &mut body).await;
    // Answered without reading the body (a refusal, or a blob already whole here): read and
    // drop it first (bounded by the blob limit), so the client reads the answer, with the
    // offset to resume from, instead of a connection reset while it is still sending.
    if let Some(unread) = body.take() {
        let _ = axum::body::to_bytes(unread, state.config.max_blob_bytes as usize).await;
    }
    answer
}

/// The upload itself: headers checked, then the body streamed into the spool as it arrives
/// (never held whole), so a connection cut midway keeps every byte that reached the server and
/// the client resumes from there.
async fn append_checked(
    state: &AppState,
    caller: &Caller,
    school: &str,
    raw: &str,
    headers: &HeaderMap,
    body: &mut Option<Body>,
) -> Result<Response, ApiError> {
    let max = state.config.max_blob_bytes;
    let sha = parse_sha256(raw)?;
    let octets = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("application/offset+octet-stream"));
    if !octets {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/offset+octet-stream",
        });
    }
    let offset = header_u64(headers, "upload-offset")?
        .ok_or_else(|| ApiError::invalid("offset_required", "缺少 Upload-Offset"))?;
    let given_length = header_u64(headers, "upload-length")?;
    let declared_body = header_u64(headers, "content-length")?;
    if given_length.is_some_and(|l| l > max) || declared_body.is_some_and(|l| l > max) {
        return Err(ApiError::TooLarge { limit: max });
    }
    if given_length == Some(0) {
        return Err(ApiError::invalid("empty_blob", "照片不能为空"));
    }

    let lock = state.blobs.lock(school, &sha);
    let _guard = lock.lock().await;
    if let Some(size) = stored_size(state, school, &sha).await? {
        // Already whole here: a retried last PATCH is answered as done.
        return Ok((
            StatusCode::NO_CONTENT,
            offset_headers(size, Some(size), true),
        )
            .into_response());
    }
    let declared = declared_length(state, school, &sha).await?;
    let length = match (declared, given_length) {
        (Some(known), Some(given)) if known != given => {
            return Err(ApiError::conflict(
                "length_mismatch",
                format!("Upload-Length 与之前声明的 {known} 不符"),
            ));
        }
        (Some(known), _) => known,
        (None, Some(given)) => given,
        (None, None) => {
            return Err(ApiError::invalid(
                "length_required",
                "首次上传需要 Upload-Length",
            ));
        }
    };
    // Refused before anything is recorded: a bad PATCH leaves no trace.
    if offset.saturating_add(declared_body.unwrap_or(0)) > length {
        return Err(ApiError::invalid("beyond_length", "上传内容超过声明的长度"));
    }
    let held = state.blobs.spooled(school, &sha).await;
    if declared.is_some() && offset != held {
        return Err(ApiError::conflict(
            "offset_mismatch",
            format!("续传位置不符：服务器已有 {held} 字节，请从该位置继续"),
        )
        .with_offset(held));
    }
    if declared.is_none() {
        if offset != 0 {
            return Err(
                ApiError::conflict("offset_mismatch", "服务器没有这次上传：请从 0 开始")
                    .with_offset(0),
            );
        }
        let (open,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM uploads WHERE school_code = $1")
            .bind(school)
            .fetch_one(&state.db.pool)
            .await?;
        if open >= i64::from(state.config.max_open_uploads) {
            return Err(ApiError::conflict(
                "too_many_uploads",
                "未完成的上传过多：请先完成或等待旧的上传过期（24 小时）",
            ));
        }
        // A spool left by an upload whose record was lost (a crash between the two) is stale.
        state.blobs.discard(school, &sha).await;
        sqlx::query(
            "INSERT INTO uploads (school_code, sha256, length, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(school)
        .bind(&sha)
        .bind(length as i64)
        .bind(crate::now_ms())
        .execute(&state.db.pool)
        .await?;
    }
    let Some(stream) = body.take() else {
        return Err(ApiError::Internal("body taken twice".into()));
    };
    let appended = state
        .blobs
        .append_stream(school, &sha, offset, length, stream)
        .await;
    match appended {
        Ok(Appended::Partial(held)) => Ok((
            StatusCode::NO_CONTENT,
            offset_headers(held, Some(length), false),
        )
            .into_response()),
        Ok(Appended::Complete(size)) => {
            state.blobs.commit(school, &sha).await?;
            let now = crate::now_ms();
            let mut tx = state.db.pool.begin().await?;
            sqlx::query("INSERT INTO blobs (sha256, bytes, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(&sha)
                .bind(size as i64)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO blob_refs (school_code, sha256, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(school)
                .bind(&sha)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM uploads WHERE school_code = $1 AND sha256 = $2")
                .bind(school)
                .bind(&sha)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            caller
                .audit(
                    state,
                    "upload_blob",
                    &format!("blob:{sha}"),
                    &format!("ok:{size}"),
                )
                .await;
            Ok((
                StatusCode::NO_CONTENT,
                offset_headers(size, Some(size), true),
            )
                .into_response())
        }
        Err(e) => {
            // Nothing usable kept (a mismatched hash, or nothing held at all): the upload ends.
            let held = state.blobs.spooled(school, &sha).await;
            if matches!(e, ApiError::HashMismatch) || held == 0 {
                state.blobs.discard(school, &sha).await;
                sqlx::query("DELETE FROM uploads WHERE school_code = $1 AND sha256 = $2")
                    .bind(school)
                    .bind(&sha)
                    .execute(&state.db.pool)
                    .await?;
            }
            if matches!(e, ApiError::HashMismatch) {
                caller
                    .audit(
                        state,
                        "upload_blob",
                        &format!("blob:{sha}"),
                        "refused:hash_mismatch",
                    )
                    .await;
            }
            Err(e)
        }
    }
}

async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let sha = parse_sha256(&raw)?;
    let who = caller.principal();
    let readable = match (who.role, who.school.as_deref()) {
        (Role::Operator, _) => {
            let row: Option<(i64,)> = sqlx::query_as("SELECT bytes FROM blobs WHERE sha256 = $1")
                .bind(&sha)
                .fetch_optional(&state.db.pool)
                .await?;
            row.is_some()
        }
        (Role::Student, Some(school)) => {
            // A student reads only the photo on their own record.
            let code = who.student.clone().unwrap_or_default();
            caller
                .may(
                    &state,
                    Permission::ReadPhoto,
                    Target {
                        school,
                        student: Some(&code),
                    },
                )
                .await?;
            let row: Option<(Option<String>,)> = sqlx::query_as(
                "SELECT photo_sha256 FROM students WHERE school_code = $1 AND collection_code = $2",
            )
            .bind(school)
            .bind(&code)
            .fetch_optional(&state.db.pool)
            .await?;
            row.and_then(|(p,)| p).is_some_and(|p| p == sha)
        }
        (_, Some(school)) => {
            caller
                .may(
                    &state,
                    Permission::ReadPhoto,
                    Target {
                        school,
                        student: None,
                    },
                )
                .await?;
            stored_size(&state, school, &sha).await?.is_some()
        }
        (_, None) => false,
    };
    if !readable {
        return Err(ApiError::not_found());
    }
    let bytes: Bytes = state.blobs.get(&sha).await?;
    let mut response = Response::new(Body::from(bytes.clone()));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&bytes)),
    );
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&format!("\"{sha}\""))
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(response)
}
