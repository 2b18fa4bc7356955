//! The student page: plain server-rendered HTML, usable on a phone. Sign in with the collection
//! code and the ID number's last four, see the state, the photo and a reject reason, confirm
//! or ask for a retake (when the school turned final confirmation on), download the standard
//! photo. The session rides in an HttpOnly, SameSite=Strict cookie; every move goes through
//! the same authorisation and state machine as the API.

use crate::AppState;
use crate::app::{Caller, ClientAddr};
use crate::error::ApiError;
use crate::routes::auth::{StudentSignIn, sign_in_student};
use axum::Router;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use photoroll_core::{Action, CollectionState};
use serde::Deserialize;

const COOKIE: &str = "photoroll_student";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/student") }))
        .route("/student", get(page).post(sign_in))
        .route("/student/photo.jpg", get(photo))
        .route("/student/confirm", post(confirm))
        .route("/student/retake", post(retake))
        .route("/student/logout", post(logout))
}

/// The student's session from the cookie (the page's counterpart of the bearer token).
struct StudentCaller(Caller);

impl FromRequestParts<AppState> for StudentCaller {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let ClientAddr(addr) = ClientAddr::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let token = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| {
                kv.trim()
                    .strip_prefix(&format!("{COOKIE}="))
                    .map(str::to_string)
            })
            .next();
        let Some(token) = token else {
            return Err(Redirect::to("/student").into_response());
        };
        match crate::accounts::find_session(&state.db, &token).await {
            Ok(Some(session)) if session.principal.role == photoroll_core::Role::Student => {
                Ok(StudentCaller(Caller { session, addr }))
            }
            Ok(_) => Err(sign_in_form(Some("登录已过期，请重新登录")).into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn layout(title: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;background:#f4f6f8;color:#1f2933}}
main{{max-width:28rem;margin:0 auto;padding:1.25rem}}
h1{{font-size:1.3rem;margin:.5rem 0 1rem}}
.card{{background:#fff;border-radius:.75rem;padding:1rem 1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:1rem}}
label{{display:block;margin:.75rem 0 .25rem;font-weight:600}}
input{{width:100%;box-sizing:border-box;font-size:1.1rem;padding:.6rem;border:1px solid #c5ccd3;border-radius:.5rem}}
button,.button{{display:inline-block;font-size:1rem;padding:.65rem 1.1rem;border-radius:.5rem;border:0;background:#1565c0;color:#fff;margin:.75rem .5rem 0 0;text-decoration:none;cursor:pointer}}
button.secondary{{background:#e3e8ee;color:#1f2933}}
.state{{display:inline-block;padding:.2rem .6rem;border-radius:1rem;background:#e3f2fd;color:#0d47a1;font-weight:600}}
.error{{background:#fdecea;color:#b71c1c;padding:.6rem .8rem;border-radius:.5rem}}
.reason{{background:#fff4e5;color:#8a4b00;padding:.6rem .8rem;border-radius:.5rem}}
img.photo{{display:block;width:60%;max-width:12rem;margin:.75rem auto;border:1px solid #d0d7de}}
dl{{display:grid;grid-template-columns:auto 1fr;gap:.3rem .8rem;margin:0}} dt{{color:#52606d}} dd{{margin:0}}
</style></head><body><main>{body}</main></body></html>"#
    ))
}

fn sign_in_form(error: Option<&str>) -> (StatusCode, Html<String>) {
    let error = error
        .map(|e| format!(r#"<p class="error" id="error">{}</p>"#, escape(e)))
        .unwrap_or_default();
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    (
        status,
        layout(
            "学生登录 · 毕业生图像采集",
            &format!(
                r#"<h1>毕业生图像采集 · 学生登录</h1>{error}
<form class="card" method="post" action="/student">
<label for="collection_code">图像采集码</label>
<input id="collection_code" name="collection_code" inputmode="numeric" autocomplete="off" required maxlength="32">
<label for="id_last4">证件号后四位</label>
<input id="id_last4" name="id_last4" autocomplete="off" required maxlength="4">
<button type="submit" id="sign-in">登录</button>
</form>"#
            ),
        ),
    )
}

async fn page(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    match StudentCaller::from_request_parts(&mut parts, &state).await {
        Ok(StudentCaller(caller)) => record_page(&state, &caller, None).await,
        // No cookie: the sign-in form, without an error.
        Err(_) if parts.headers.get(header::COOKIE).is_none() => sign_in_form(None).into_response(),
        Err(response) => response,
    }
}

async fn record_page(state: &AppState, caller: &Caller, notice: Option<&str>) -> Response {
    let who = caller.principal();
    let (Some(school), Some(code)) = (who.school.as_deref(), who.student.as_deref()) else {
        return ApiError::Forbidden.into_response();
    };
    let student = match crate::students::find(&state.db, school, code).await {
        Ok(Some(s)) => s,
        Ok(None) => return sign_in_form(Some("记录不存在")).into_response(),
        Err(e) => return e.into_response(),
    };
    let final_confirmation = crate::students::rules(&state.db, school)
        .await
        .map(|r| r.final_confirmation)
        .unwrap_or(false);
    let state_enum = CollectionState::parse(&student.state);
    let photo = student
        .photo_sha256
        .as_deref()
        .map(|_| r#"<img class="photo" id="photo" src="/student/photo.jpg" alt="我的照片"><a class="button" id="download" href="/student/photo.jpg" download="标准照.jpg">下载标准照</a>"#.to_string())
        .unwrap_or_else(|| "<p>还没有照片。请按学校通知参加集中采集。</p>".into());
    let reason = student
        .reject_reason
        .as_deref()
        .filter(|_| state_enum == Some(CollectionState::Rejected))
        .map(|r| {
            format!(
                r#"<p class="reason" id="reason">未通过原因：{}</p>"#,
                escape(r)
            )
        })
        .unwrap_or_default();
    let actions = match (state_enum, final_confirmation, &student.photo_sha256) {
        (Some(CollectionState::AwaitingConfirmation), true, Some(sha)) => format!(
            r#"<form method="post" action="/student/confirm" style="display:inline"><input type="hidden" name="photo_sha256" value="{sha}"><button id="confirm">确认照片</button></form>
<form method="post" action="/student/retake" style="display:inline"><input type="hidden" name="photo_sha256" value="{sha}"><button class="secondary" id="retake">申请重拍</button></form>"#
        ),
        _ => String::new(),
    };
    let notice = notice
        .map(|n| format!(r#"<p class="state" id="notice">{}</p>"#, escape(n)))
        .unwrap_or_default();
    layout(
        "我的照片 · 毕业生图像采集",
        &format!(
            r#"<h1>我的照片</h1>{notice}
<div class="card"><dl>
<dt>姓名</dt><dd>{name}</dd><dt>采集码</dt><dd>{code}</dd><dt>证件号</dt><dd>{id}</dd><dt>状态</dt><dd><span class="state" id="state">{state_name}</span></dd>
</dl>{reason}</div>
<div class="card">{photo}{actions}</div>
<form method="post" action="/student/logout"><button class="secondary" id="sign-out">退出</button></form>"#,
            name = escape(&student.name),
            code = escape(&student.collection_code),
            id = escape(&student.id_number),
            state_name = escape(&student.state_name),
        ),
    )
    .into_response()
}

fn session_cookie(state: &AppState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.tls.is_some() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/student; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Form(form): Form<StudentSignIn>,
) -> Response {
    match sign_in_student(&state, addr, &form).await {
        Ok(session) => {
            let mut response = Redirect::to("/student").into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&state, &session.token, 2 * 3600),
            );
            response
        }
        Err(e) => sign_in_form(Some(&e.to_string())).into_response(),
    }
}

async fn photo(State(state): State<AppState>, StudentCaller(caller): StudentCaller) -> Response {
    let who = caller.principal();
    let (Some(school), Some(code)) = (who.school.as_deref(), who.student.as_deref()) else {
        return ApiError::Forbidden.into_response();
    };
    match crate::students::find(&state.db, school, code).await {
        Ok(Some(s)) => match s.photo_sha256 {
            Some(sha) => match state.blobs.get(&sha).await {
                Ok(bytes) => (
                    [(header::CONTENT_TYPE, crate::blobs::content_type(&bytes))],
                    bytes,
                )
                    .into_response(),
                Err(e) => e.into_response(),
            },
            None => ApiError::not_found().into_response(),
        },
        Ok(None) => ApiError::not_found().into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct PhotoForm {
    photo_sha256: String,
}

async fn student_action(
    state: &AppState,
    caller: &Caller,
    action: Action,
    form: PhotoForm,
    done: &str,
) -> Response {
    let sha = match crate::blobs::parse_sha256(&form.photo_sha256) {
        Ok(s) => s,
        Err(e) => return record_page(state, caller, Some(&e.to_string())).await,
    };
    match crate::routes::students::student_move(state, caller, action, &sha).await {
        Ok(_) => record_page(state, caller, Some(done)).await,
        Err(e) => record_page(state, caller, Some(&e.to_string())).await,
    }
}

async fn confirm(
    State(state): State<AppState>,
    StudentCaller(caller): StudentCaller,
    Form(form): Form<PhotoForm>,
) -> Response {
    student_action(&state, &caller, Action::Confirm, form, "已确认照片").await
}

async fn retake(
    State(state): State<AppState>,
    StudentCaller(caller): StudentCaller,
    Form(form): Form<PhotoForm>,
) -> Response {
    student_action(
        &state,
        &caller,
        Action::StudentRetake,
        form,
        "已申请重拍：请按学校通知重新采集",
    )
    .await
}

async fn logout(State(state): State<AppState>, StudentCaller(caller): StudentCaller) -> Response {
    let _ = crate::accounts::revoke_session(&state.db, &caller.session.token_hash).await;
    let mut response = sign_in_form(None).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    response
}
