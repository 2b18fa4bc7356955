//! Students: the list (IDs masked), one record, and the moves made from the server: a station's
//! photo submitted, a reviewer's decision on the photo it judged, a student's confirmation or
//! retake request.

use crate::AppState;
use crate::app::{ApiJson, ApiQuery, Caller};
use crate::blobs::parse_sha256;
use crate::error::ApiError;
use crate::students::{self, ListQuery, Move, StudentView};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use photoroll_core::{Action, CollectionState, Permission, Target};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/students", get(list))
        .route("/students/{code}", get(one))
        .route("/students/{code}/photo", post(submit_photo))
        .route("/students/{code}/decision", post(decide))
        .route("/students/{code}/confirm", post(confirm))
        .route("/students/{code}/retake", post(retake))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    school: Option<String>,
    state: Option<String>,
    q: Option<String>,
    offset: Option<i64>,
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let named = p
        .school
        .as_deref()
        .map(|s| crate::app::text_field(s, "school", 16))
        .transpose()?;
    let school = caller.school_or(named.as_deref())?.to_string();
    caller
        .may(
            &state,
            Permission::ReadStudents,
            Target {
                school: &school,
                student: None,
            },
        )
        .await?;
    let state_filter = match p.state.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            CollectionState::parse(raw)
                .ok_or_else(|| ApiError::invalid("bad_state", format!("未知状态: {raw}")))?,
        ),
    };
    let q = ListQuery {
        state: state_filter,
        search: p
            .q
            .as_deref()
            .map(|q| crate::app::text_field(q, "搜索", 64))
            .transpose()?,
        offset: p.offset.unwrap_or(0).max(0),
        limit: p.limit.unwrap_or(200).clamp(1, 1000),
    };
    let (rows, total) = students::list(&state.db, &school, &q).await?;
    Ok(Json(
        json!({"total": total, "offset": q.offset, "students": rows}),
    ))
}

/// Finds a student within the caller's reach: another school's code answers 404, like one that
/// does not exist.
async fn reachable(
    state: &AppState,
    caller: &Caller,
    code: &str,
    permission: Permission,
) -> Result<StudentView, ApiError> {
    let code = crate::app::collection_code(code)?;
    let school = match caller.principal().school.clone() {
        Some(own) => own,
        None => {
            // The operator: whichever school has the code.
            let row: Option<(String,)> = sqlx::query_as(
                "SELECT school_code FROM students WHERE collection_code = $1 LIMIT 1",
            )
            .bind(&code)
            .fetch_optional(&state.db.pool)
            .await?;
            row.map(|(s,)| s).ok_or_else(ApiError::not_found)?
        }
    };
    caller
        .may(
            state,
            permission,
            Target {
                school: &school,
                student: Some(&code),
            },
        )
        .await?;
    students::find(&state.db, &school, &code)
        .await?
        .ok_or_else(ApiError::not_found)
}

async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<StudentView>, ApiError> {
    reachable(&state, &caller, &code, Permission::ReadStudents)
        .await
        .map(Json)
}

async fn run_move(
    state: &AppState,
    caller: &Caller,
    student: &StudentView,
    action: Action,
    photo: Option<&str>,
    reason: Option<&str>,
) -> Result<Json<StudentView>, ApiError> {
    let actor = caller.session.actor();
    let record = format!(
        "school:{}/student:{}",
        student.school, student.collection_code
    );
    let result = students::apply(
        &state.db,
        Move {
            school: &student.school,
            code: &student.collection_code,
            action,
            actor: &actor,
            photo,
            reason,
        },
    )
    .await;
    let outcome = match &result {
        Ok(after) => format!("ok:{}", after.state),
        Err(e) => e.outcome(),
    };
    caller.audit(state, action.id(), &record, &outcome).await;
    result.map(Json)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitPhoto {
    sha256: String,
}

async fn submit_photo(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<SubmitPhoto>,
) -> Result<Json<StudentView>, ApiError> {
    let student = reachable(&state, &caller, &code, Permission::SubmitCapture).await?;
    let sha = parse_sha256(&body.sha256)?;
    if !students::school_has_blob(&state.db, &student.school, &sha).await? {
        return Err(ApiError::invalid(
            "photo_not_uploaded",
            "照片尚未上传到服务器：先上传照片，再提交",
        ));
    }
    run_move(&state, &caller, &student, Action::Submit, Some(&sha), None).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Decision {
    Approve,
    Reject,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Decide {
    decision: Decision,
    /// The photo the reviewer looked at: the decision lands only while it is still the photo.
    photo_sha256: String,
    reason: Option<String>,
}

async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<Decide>,
) -> Result<Json<StudentView>, ApiError> {
    let student = reachable(&state, &caller, &code, Permission::DecidePhoto).await?;
    let sha = parse_sha256(&body.photo_sha256)?;
    let (action, reason) = match body.decision {
        Decision::Approve => (Action::Approve, None),
        Decision::Reject => {
            let reason =
                crate::app::text_field(body.reason.as_deref().unwrap_or(""), "驳回原因", 300)?;
            let reason = photoroll_core::review::parse_note(&reason)
                .map_err(|e| ApiError::invalid("bad_reason", e.to_string()))?
                .ok_or_else(|| ApiError::invalid("reason_required", "驳回时请填写原因"))?;
            (Action::Reject, Some(reason))
        }
    };
    run_move(
        &state,
        &caller,
        &student,
        action,
        Some(&sha),
        reason.as_deref(),
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    pub photo_sha256: String,
}

async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<Confirm>,
) -> Result<Json<StudentView>, ApiError> {
    let student = reachable(&state, &caller, &code, Permission::ConfirmOwnPhoto).await?;
    let sha = parse_sha256(&body.photo_sha256)?;
    run_move(&state, &caller, &student, Action::Confirm, Some(&sha), None).await
}

async fn retake(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<Confirm>,
) -> Result<Json<StudentView>, ApiError> {
    let student = reachable(&state, &caller, &code, Permission::ConfirmOwnPhoto).await?;
    let sha = parse_sha256(&body.photo_sha256)?;
    run_move(
        &state,
        &caller,
        &student,
        Action::StudentRetake,
        Some(&sha),
        None,
    )
    .await
}

/// For the student page, which moves through the same path.
pub async fn student_move(
    state: &AppState,
    caller: &Caller,
    action: Action,
    photo: &str,
) -> Result<StudentView, ApiError> {
    let code = caller
        .principal()
        .student
        .clone()
        .ok_or(ApiError::Forbidden)?;
    let student = reachable(state, caller, &code, Permission::ConfirmOwnPhoto).await?;
    run_move(state, caller, &student, action, Some(photo), None)
        .await
        .map(|Json(v)| v)
}
