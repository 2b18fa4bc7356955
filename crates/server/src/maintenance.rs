//! Housekeeping the server runs now and then: expired sessions, spent SMS codes, stale lockout
//! counts and abandoned uploads (with their spooled bytes) are removed, so nothing that
//! unauthenticated requests create grows without bound.

use crate::AppState;
use crate::error::ApiError;

/// Unfinished uploads untouched this long are abandoned.
pub const UPLOAD_TTL_MS: i64 = 24 * 3600 * 1000;
/// Expired or revoked sessions, spent codes and old lockout counts are kept this long (the
/// audit log keeps the history).
pub const KEEP_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Swept {
    pub sessions: u64,
    pub sms_codes: u64,
    pub login_guards: u64,
    pub uploads: u64,
}

pub async fn sweep(state: &AppState) -> Result<Swept, ApiError> {
    sweep_at(state, crate::now_ms()).await
}

pub async fn sweep_at(state: &AppState, now: i64) -> Result<Swept, ApiError> {
    let db = &state.db;
    let old = now - KEEP_MS;
    let sessions = sqlx::query(
        "DELETE FROM sessions WHERE expires_at < $1 OR (revoked = 1 AND created_at < $1)",
    )
    .bind(old)
    .execute(&db.pool)
    .await?
    .rows_affected();
    let sms_codes = sqlx::query("DELETE FROM sms_codes WHERE expires_at < $1")
        .bind(old)
        .execute(&db.pool)
        .await?
        .rows_affected();
    let login_guards =
        sqlx::query("DELETE FROM login_guards WHERE locked_until < $1 AND updated_at < $2")
            .bind(now)
            .bind(old)
            .execute(&db.pool)
            .await?
            .rows_affected();
    let abandoned: Vec<(String, String)> =
        sqlx::query_as("SELECT school_code, sha256 FROM uploads WHERE created_at < $1")
            .bind(now - UPLOAD_TTL_MS)
            .fetch_all(&db.pool)
            .await?;
    let mut uploads = 0;
    for (school, sha) in abandoned {
        let lock = state.blobs.lock(&school, &sha);
        let _guard = lock.lock().await;
        let gone = sqlx::query(
            "DELETE FROM uploads WHERE school_code = $1 AND sha256 = $2 AND created_at < $3",
        )
        .bind(&school)
        .bind(&sha)
        .bind(now - UPLOAD_TTL_MS)
        .execute(&db.pool)
        .await?
        .rows_affected();
        if gone == 1 {
            state.blobs.discard(&school, &sha).await;
            uploads += 1;
        }
    }
    Ok(Swept {
        sessions,
        sms_codes,
        login_guards,
        uploads,
    })
}
