//! Sign-in: SMS code (first time, or a forgotten password) then a password; password sign-in;
//! students by collection code + ID last four; sign out (here or everywhere).

use crate::AppState;
use crate::accounts::{self, NewSession};
use crate::app::{ApiJson, Caller, ClientAddr};
use crate::audit::{AuditEntry, record_or_log};
use crate::error::ApiError;
use crate::sms::{mask_phone, parse_phone};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use photoroll_core::{Principal, Role};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/sms", post(send_code))
        .route("/auth/sms/verify", post(verify_code))
        .route("/auth/password", post(password_sign_in))
        .route("/auth/student", post(student_sign_in))
        .route("/auth/logout", post(logout))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendCode {
    phone: String,
}

async fn audit_sign_in(
    state: &AppState,
    actor: &str,
    role: &str,
    school: Option<&str>,
    addr: std::net::IpAddr,
    action: &str,
    outcome: &str,
) {
    record_or_log(
        &state.db,
        AuditEntry {
            actor,
            role,
            school,
            client_addr: &addr.to_string(),
            action,
            record: actor,
            outcome,
        },
    )
    .await;
}

/// The per-address limit, then one attempt on `login`; a refusal of either is audited.
async fn attempt(
    state: &AppState,
    addr: std::net::IpAddr,
    login: &str,
    actor: &str,
    action: &str,
) -> Result<accounts::Attempt, ApiError> {
    let taken = match state.limits.sign_in(addr) {
        Err(retry_after_secs) => Err(ApiError::RateLimited { retry_after_secs }),
        Ok(()) => accounts::take_attempt(&state.db, login).await,
    };
    if let Err(e) = &taken {
        audit_sign_in(state, actor, "-", None, addr, action, &e.outcome()).await;
    }
    taken
}

/// A failed attempt: counted (the fifth locks), audited, answered with one message whatever
/// was wrong.
async fn failed(
    state: &AppState,
    addr: std::net::IpAddr,
    taken: &accounts::Attempt,
    actor: &str,
    action: &str,
    refusal: ApiError,
) -> ApiError {
    let locked = match accounts::attempt_failed(&state.db, taken).await {
        Ok(locked) => locked,
        Err(e) => return e,
    };
    let err = if locked {
        ApiError::Locked {
            minutes: accounts::LOCKOUT_MS / 60_000,
        }
    } else {
        refusal
    };
    audit_sign_in(state, actor, "-", None, addr, action, &err.outcome()).await;
    err
}

/// Always the same answer, account or not: the code goes only to a phone with an account.
async fn send_code(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<SendCode>,
) -> Result<Json<Value>, ApiError> {
    let phone = parse_phone(&body.phone)
        .ok_or_else(|| ApiError::invalid("bad_phone", "手机号应为11位数字"))?;
    let actor = format!("phone:{}", mask_phone(&phone));
    let limited = match state.limits.sign_in(addr) {
        Err(retry_after_secs) => Err(ApiError::RateLimited { retry_after_secs }),
        Ok(()) => state
            .limits
            .sms(&phone)
            .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs }),
    };
    if let Err(e) = limited {
        audit_sign_in(&state, &actor, "-", None, addr, "sms_code", &e.outcome()).await;
        return Err(e);
    }
    // Sent in the background: the answer comes as fast for a phone without an account as for
    // one with (whose code is written and sent), so timing tells nothing either.
    let background = state.clone();
    tokio::spawn(async move {
        let outcome = match accounts::issue_sms_code(
            &background.db,
            background.sms.as_ref(),
            &phone,
            background.config.sms_code_secs,
        )
        .await
        {
            Ok(true) => "sent".to_string(),
            Ok(false) => "no_account".to_string(),
            Err(e) => {
                tracing::error!(error = %e, "sms code not sent");
                e.outcome()
            }
        };
        audit_sign_in(&background, &actor, "-", None, addr, "sms_code", &outcome).await;
    });
    Ok(Json(
        json!({"sent": true, "expires_in_secs": state.config.sms_code_secs}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyCode {
    phone: String,
    code: String,
    /// Required when the account has no password yet; sets (or resets) it when given.
    new_password: Option<String>,
    confirm_password: Option<String>,
}

async fn verify_code(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<VerifyCode>,
) -> Result<Json<NewSession>, ApiError> {
    let phone = parse_phone(&body.phone).ok_or(ApiError::BadCode)?;
    let actor = format!("phone:{}", mask_phone(&phone));
    // The password is checked before anything is counted or spent, so a weak one costs no try
    // and no new SMS.
    if let Some(pw) = &body.new_password {
        accounts::check_new_password(pw, body.confirm_password.as_deref().unwrap_or(""))?;
    }
    // Codes have their own count (not the password's): a locked password does not stop the
    // SMS route, which is how a locked-out user gets back in.
    let taken = attempt(&state, addr, &format!("sms:{phone}"), &actor, "sign_in_sms").await?;
    let code_id = match accounts::check_sms_code(&state.db, &phone, &body.code).await {
        Ok(id) => id,
        Err(e) => return Err(failed(&state, addr, &taken, &actor, "sign_in_sms", e).await),
    };
    let Some((user_id, role, school, hash, false)) =
        accounts::find_by_phone(&state.db, &phone).await?
    else {
        return Err(failed(
            &state,
            addr,
            &taken,
            &actor,
            "sign_in_sms",
            ApiError::BadCode,
        )
        .await);
    };
    // Asked before the code is spent: the user retries with a password and the same code.
    if hash.is_none() && body.new_password.is_none() {
        return Err(ApiError::invalid(
            "password_required",
            "首次登录请设置密码（new_password 与 confirm_password）",
        ));
    }
    accounts::spend_sms_code(&state.db, &code_id).await?;
    if let Some(pw) = &body.new_password {
        let hash = state.hasher.hash(pw.clone()).await?;
        accounts::set_password_hash(&state.db, &user_id, &hash).await?;
        // A reset password ends every other sign-in of the account.
        accounts::revoke_all(&state.db, &user_id, None).await?;
    }
    accounts::attempt_succeeded(&state.db, &taken).await?;
    // The phone proved itself: a password lockout on it is lifted.
    accounts::clear_login(&state.db, &format!("phone:{phone}")).await?;
    let who = Principal {
        role,
        school: school.clone(),
        student: None,
    };
    let session =
        accounts::open_session(&state.db, Some(&user_id), &who, state.config.session_secs).await?;
    audit_sign_in(
        &state,
        &format!("user:{user_id}"),
        role.id(),
        school.as_deref(),
        addr,
        "sign_in_sms",
        "ok",
    )
    .await;
    Ok(Json(session))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordSignIn {
    phone: String,
    password: String,
}

async fn password_sign_in(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<PasswordSignIn>,
) -> Result<Json<NewSession>, ApiError> {
    let phone = parse_phone(&body.phone).ok_or(ApiError::BadCredentials)?;
    let actor = format!("phone:{}", mask_phone(&phone));
    let taken = attempt(
        &state,
        addr,
        &format!("phone:{phone}"),
        &actor,
        "sign_in_password",
    )
    .await?;
    let account = accounts::find_by_phone(&state.db, &phone).await?;
    let hash = account.as_ref().and_then(|a| a.3.clone());
    let matches = state.hasher.verify(hash, body.password.clone()).await;
    let (user_id, role, school) = match account {
        Some((id, role, school, _, false)) if matches => (id, role, school),
        _ => {
            return Err(failed(
                &state,
                addr,
                &taken,
                &actor,
                "sign_in_password",
                ApiError::BadCredentials,
            )
            .await);
        }
    };
    accounts::attempt_succeeded(&state.db, &taken).await?;
    let who = Principal {
        role,
        school: school.clone(),
        student: None,
    };
    let session =
        accounts::open_session(&state.db, Some(&user_id), &who, state.config.session_secs).await?;
    audit_sign_in(
        &state,
        &format!("user:{user_id}"),
        role.id(),
        school.as_deref(),
        addr,
        "sign_in_password",
        "ok",
    )
    .await;
    Ok(Json(session))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudentSignIn {
    pub collection_code: String,
    pub id_last4: String,
}

/// Shared by the API and the student page.
pub async fn sign_in_student(
    state: &AppState,
    addr: std::net::IpAddr,
    body: &StudentSignIn,
) -> Result<NewSession, ApiError> {
    let code = photoroll_core::collection_code::normalise_collection_code(&body.collection_code);
    // What was typed is logged only if it is a student's code: a full ID number typed into the
    // code field must not reach the (append-only) audit log.
    let generic = "student:?";
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::BadCredentials);
    }
    let taken = attempt(
        state,
        addr,
        &format!("student:{code}"),
        generic,
        "sign_in_student",
    )
    .await?;
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT school_code, id_last4 FROM students WHERE collection_code = $1")
            .bind(&code)
            .fetch_optional(&state.db.pool)
            .await?;
    let actor = if row.is_some() {
        format!("student:{code}")
    } else {
        generic.to_string()
    };
    let given = body.id_last4.trim().to_ascii_uppercase();
    let matched = row.as_ref().is_some_and(|(_, last4)| {
        last4.len() == given.len() && bool::from(last4.as_bytes().ct_eq(given.as_bytes()))
    });
    let Some((school, _)) = row.filter(|_| matched) else {
        return Err(failed(
            state,
            addr,
            &taken,
            &actor,
            "sign_in_student",
            ApiError::BadCredentials,
        )
        .await);
    };
    accounts::attempt_succeeded(&state.db, &taken).await?;
    let who = Principal {
        role: Role::Student,
        school: Some(school.clone()),
        student: Some(code),
    };
    let session = accounts::open_session(
        &state.db,
        None,
        &who,
        state.config.session_secs.min(2 * 3600),
    )
    .await?;
    audit_sign_in(
        state,
        &actor,
        "student",
        Some(&school),
        addr,
        "sign_in_student",
        "ok",
    )
    .await;
    Ok(session)
}

async fn student_sign_in(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<StudentSignIn>,
) -> Result<Json<NewSession>, ApiError> {
    sign_in_student(&state, addr, &body).await.map(Json)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Logout {
    #[serde(default)]
    everywhere: bool,
}

/// The body is optional: no body signs out this session only.
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let everywhere = if body.is_empty() {
        false
    } else {
        serde_json::from_slice::<Logout>(&body)
            .map_err(|e| ApiError::invalid("bad_json", format!("请求内容不是有效的 JSON: {e}")))?
            .everywhere
    };
    let ended = match (&caller.session.user_id, everywhere) {
        (Some(user_id), true) => accounts::revoke_all(&state.db, user_id, None).await?,
        _ => {
            accounts::revoke_session(&state.db, &caller.session.token_hash).await?;
            1
        }
    };
    caller
        .audit(
            &state,
            if everywhere {
                "sign_out_everywhere"
            } else {
                "sign_out"
            },
            &caller.session.actor(),
            "ok",
        )
        .await;
    Ok(Json(json!({"signed_out": ended})))
}
