//! A school: its name, settings and counts by state; the settings a school admin changes.

use crate::AppState;
use crate::app::{ApiJson, Caller};
use crate::error::ApiError;
use crate::students;
use axum::extract::{Path, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use photoroll_core::{Permission, Target};
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/schools/{code}", get(school))
        .route("/schools/{code}/settings", put(settings))
}

async fn school(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let code = crate::app::text_field(&code, "school", 16)?;
    caller
        .may(
            &state,
            Permission::ReadSchool,
            Target {
                school: &code,
                student: None,
            },
        )
        .await?;
    let row: Option<(String, String, i64)> =
        sqlx::query_as("SELECT code, name, final_confirmation FROM schools WHERE code = $1")
            .bind(&code)
            .fetch_optional(&state.db.pool)
            .await?;
    let (code, name, final_confirmation) = row.ok_or_else(ApiError::not_found)?;
    let mut counts = Map::new();
    let mut total = 0;
    for (st, n) in students::counts(&state.db, &code).await? {
        total += n;
        counts.insert(st, json!(n));
    }
    Ok(Json(json!({
        "code": code,
        "name": name,
        "final_confirmation": final_confirmation != 0,
        "students": total,
        "by_state": counts,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    final_confirmation: bool,
}

async fn settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<Settings>,
) -> Result<Json<Value>, ApiError> {
    let code = crate::app::text_field(&code, "school", 16)?;
    caller
        .may(
            &state,
            Permission::ChangeSettings,
            Target {
                school: &code,
                student: None,
            },
        )
        .await?;
    let done = sqlx::query("UPDATE schools SET final_confirmation = $1 WHERE code = $2")
        .bind(i64::from(body.final_confirmation))
        .bind(&code)
        .execute(&state.db.pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found());
    }
    caller
        .audit(
            &state,
            "change_settings",
            &format!("school:{code}"),
            &format!("ok:final_confirmation={}", body.final_confirmation),
        )
        .await;
    Ok(Json(json!({"final_confirmation": body.final_confirmation})))
}
