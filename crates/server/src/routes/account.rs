//! The signed-in account: who am I, and change my password.

use crate::AppState;
use crate::accounts;
use crate::app::{ApiJson, Caller};
use crate::error::ApiError;
use crate::sms::mask_phone;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(me))
        .route("/account/password", post(change_password))
}

async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let who = caller.principal();
    let phone = match &caller.session.user_id {
        Some(id) => {
            let row: Option<(String,)> = sqlx::query_as("SELECT phone FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&state.db.pool)
                .await?;
            row.map(|(p,)| mask_phone(&p))
        }
        None => None,
    };
    Ok(Json(json!({
        "role": who.role.id(),
        "role_name": who.role.display_name(),
        "school": who.school,
        "student": who.student,
        "phone": phone,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePassword {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ChangePassword>,
) -> Result<Json<Value>, ApiError> {
    let Some(user_id) = caller.session.user_id.clone() else {
        return Err(ApiError::Forbidden);
    };
    accounts::check_new_password(&body.new_password, &body.confirm_password)?;
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT phone, password_hash FROM users WHERE id = $1")
            .bind(&user_id)
            .fetch_optional(&state.db.pool)
            .await?;
    let Some((phone, hash)) = row else {
        return Err(ApiError::Unauthenticated);
    };
    let taken = match accounts::take_attempt(&state.db, &format!("phone:{phone}")).await {
        Ok(t) => t,
        Err(e) => {
            caller
                .audit(
                    &state,
                    "change_password",
                    &caller.session.actor(),
                    &e.outcome(),
                )
                .await;
            return Err(e);
        }
    };
    if !state
        .hasher
        .verify(hash, body.current_password.clone())
        .await
    {
        let locked = accounts::attempt_failed(&state.db, &taken).await?;
        let err = if locked {
            ApiError::Locked {
                minutes: accounts::LOCKOUT_MS / 60_000,
            }
        } else {
            ApiError::BadCredentials
        };
        caller
            .audit(
                &state,
                "change_password",
                &caller.session.actor(),
                &err.outcome(),
            )
            .await;
        return Err(err);
    }
    accounts::attempt_succeeded(&state.db, &taken).await?;
    let hash = state.hasher.hash(body.new_password.clone()).await?;
    accounts::set_password_hash(&state.db, &user_id, &hash).await?;
    // Every other sign-in of the account ends; this one stays.
    let ended = accounts::revoke_all(&state.db, &user_id, Some(&caller.session.token_hash)).await?;
    caller
        .audit(&state, "change_password", &caller.session.actor(), "ok")
        .await;
    Ok(Json(
        json!({"changed": true, "other_sessions_ended": ended}),
    ))
}
