//! The server's view of a school's students and the moves people make on it from the server
//! (a photographer submits a photo, a reviewer decides, a student confirms or asks for a
//! retake). Every move goes through core's state machine; none is decided here.

use crate::db::Db;
use crate::error::ApiError;
use photoroll_core::{Action, CollectionState, TransitionRules};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StudentView {
    pub school: String,
    pub collection_code: String,
    pub name: String,
    /// Masked: the full ID number never leaves the laptops.
    pub id_number: String,
    pub category: String,
    pub department: Option<String>,
    pub class_name: Option<String>,
    pub state: String,
    pub state_name: String,
    pub photo_sha256: Option<String>,
    pub reject_reason: Option<String>,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

const COLUMNS: &str = "school_code, collection_code, name, id_masked, category, department, class_name, state, photo_sha256, reject_reason";

fn view(row: Row) -> StudentView {
    let (
        school,
        collection_code,
        name,
        id_number,
        category,
        department,
        class_name,
        state,
        photo_sha256,
        reject_reason,
    ) = row;
    let state_name = CollectionState::parse(&state)
        .map(|s| s.display_name().to_string())
        .unwrap_or_else(|| state.clone());
    StudentView {
        school,
        collection_code,
        name,
        id_number,
        category,
        department,
        class_name,
        state,
        state_name,
        photo_sha256,
        reject_reason,
    }
}

pub async fn find(db: &Db, school: &str, code: &str) -> Result<Option<StudentView>, ApiError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM students WHERE school_code = $1 AND collection_code = $2"
    )))
    .bind(school)
    .bind(code)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(view))
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub state: Option<CollectionState>,
    /// Name, collection code or ID last four.
    pub search: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

pub async fn list(
    db: &Db,
    school: &str,
    q: &ListQuery,
) -> Result<(Vec<StudentView>, i64), ApiError> {
    let state = q.state.map(|s| s.id().to_string()).unwrap_or_default();
    let search = q.search.clone().unwrap_or_default();
    // LIKE with an explicit escape and LOWER on both sides, so SQLite and PostgreSQL (whose LIKE
    // is case-sensitive and escapes with a backslash) find the same rows.
    let escaped: String = search
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '!' | '%' | '_' => vec!['!', c],
            c => vec![c],
        })
        .collect();
    let like = format!("%{escaped}%");
    let filter = "WHERE school_code = $1 AND ($2 = '' OR state = $2) \
                  AND ($3 = '' OR LOWER(name) LIKE $4 ESCAPE '!' \
                  OR LOWER(collection_code) LIKE $4 ESCAPE '!' OR id_last4 = UPPER($3))";
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM students {filter} ORDER BY collection_code LIMIT $5 OFFSET $6"
    )))
    .bind(school)
    .bind(&state)
    .bind(&search)
    .bind(&like)
    .bind(q.limit)
    .bind(q.offset)
    .fetch_all(&db.pool)
    .await?;
    let (total,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM students {filter}"
    )))
    .bind(school)
    .bind(&state)
    .bind(&search)
    .bind(&like)
    .fetch_one(&db.pool)
    .await?;
    Ok((rows.into_iter().map(view).collect(), total))
}

pub async fn counts(db: &Db, school: &str) -> Result<Vec<(String, i64)>, ApiError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT state, COUNT(*) FROM students WHERE school_code = $1 GROUP BY state ORDER BY state",
    )
    .bind(school)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows)
}

pub async fn rules(db: &Db, school: &str) -> Result<TransitionRules, ApiError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT final_confirmation FROM schools WHERE code = $1")
            .bind(school)
            .fetch_optional(&db.pool)
            .await?;
    Ok(TransitionRules {
        final_confirmation: row.is_some_and(|(on,)| on != 0),
    })
}

/// One move on one student: the state machine decides; the row changes only if nobody moved
/// the student in between (compare-and-set on state and photo).
#[derive(Debug, Clone)]
pub struct Move<'a> {
    pub school: &'a str,
    pub code: &'a str,
    pub action: Action,
    pub actor: &'a str,
    /// For a decision or a confirmation: the photo judged. For a submission: the new photo.
    pub photo: Option<&'a str>,
    pub reason: Option<&'a str>,
}

pub async fn apply(db: &Db, m: Move<'_>) -> Result<StudentView, ApiError> {
    let current = find(db, m.school, m.code)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let from = CollectionState::parse(&current.state)
        .ok_or_else(|| ApiError::Internal(format!("stored state {}", current.state)))?;
    let rules = rules(db, m.school).await?;
    let to = from
        .apply(m.action, rules)
        .map_err(|e| ApiError::conflict("bad_transition", e.to_string()))?;
    let photo_after = match m.action {
        Action::Submit => Some(
            m.photo
                .ok_or_else(|| ApiError::invalid("photo_required", "缺少照片"))?
                .to_string(),
        ),
        _ => {
            if let Some(judged) = m.photo {
                photoroll_core::check_judged_photo(current.photo_sha256.as_deref(), judged)
                    .map_err(|e| ApiError::conflict("stale_photo", e.to_string()))?;
            }
            current.photo_sha256.clone()
        }
    };
    let reason_after = match m.action {
        Action::Reject | Action::RejectRetake | Action::DeliveryFailed => {
            m.reason.map(str::to_string)
        }
        _ => None,
    };
    let now = crate::now_ms();
    let mut tx = db.pool.begin().await?;
    let changed = sqlx::query(
        "UPDATE students SET state = $1, photo_sha256 = $2, reject_reason = $3, updated_at = $4 \
         WHERE school_code = $5 AND collection_code = $6 AND state = $7 \
         AND COALESCE(photo_sha256, '') = COALESCE($8, '')",
    )
    .bind(to.id())
    .bind(photo_after.as_deref())
    .bind(reason_after.as_deref())
    .bind(now)
    .bind(m.school)
    .bind(m.code)
    .bind(from.id())
    .bind(current.photo_sha256.as_deref())
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() != 1 {
        return Err(ApiError::conflict(
            "moved_on",
            "该学生的状态刚被其他人改变，请刷新后再试",
        ));
    }
    sqlx::query(
        "INSERT INTO transitions (id, school_code, collection_code, from_state, action, to_state, actor, photo_sha256, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(m.school)
    .bind(m.code)
    .bind(from.id())
    .bind(m.action.id())
    .bind(to.id())
    .bind(m.actor)
    .bind(photo_after.as_deref())
    .bind(m.reason)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    find(db, m.school, m.code)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// The size of blob `sha` when `school` holds it (one of its users uploaded it whole); the one
/// place that decides whether a school may use a blob.
pub async fn school_blob_size(db: &Db, school: &str, sha: &str) -> Result<Option<u64>, ApiError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT b.bytes FROM blobs b JOIN blob_refs r ON r.sha256 = b.sha256 WHERE r.school_code = $1 AND b.sha256 = $2",
    )
    .bind(school)
    .bind(sha)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(n,)| n as u64))
}

/// Whether `school` holds blob `sha`.
pub async fn school_has_blob(db: &Db, school: &str, sha: &str) -> Result<bool, ApiError> {
    Ok(school_blob_size(db, school, sha).await?.is_some())
}
