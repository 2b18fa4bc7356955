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
        .route_layer(axum::middleware::from_fn(same_origin))
}

/// The forms post only from this site: a browser names the page that posted in `Origin`, and
/// one from elsewhere is refused (on top of the SameSite=Strict cookie).
async fn same_origin(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.method() == axum::http::Method::POST {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok());
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        if let Some(origin) = origin {
            let origin_host = origin.split("://").nth(1).unwrap_or("");
            if origin == "null" || Some(origin_host) != host {
                return (
                    StatusCode::FORBIDDEN,
                    layout("毕业生图像采集", r#"<p class="error">请从本站页面提交</p>"#),
                )
                    .into_response();
            }
        }
    }
    next.run(request).await
}

/// The student's session from the cookie (the page's counterpart of the bearer token).
struct StudentCaller(Caller);

impl FromRequestParts<AppState> for StudentCaller {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let ClientAddr(addr) = ClientAddr::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let token = student_token(parts);
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

/// Our session cookie's value, among whatever cookies the browser sends.
fn student_token(parts: &Parts) -> Option<String> {
    parts
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
        .find(|t| !t.is_empty())
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
button,.button{{display:inline-block;box-sizing:border-box;font-size:1rem;padding:.65rem 1.1rem;border-radius:.5rem;border:0;background:#1565c0;color:#fff;margin:.75rem .5rem 0 0;text-decoration:none;cursor:pointer}}
button.secondary,.button.secondary{{background:#e3e8ee;color:#1f2933}}
.state{{display:inline-block;padding:.2rem .6rem;border-radius:1rem;font-weight:600}}
.state.done{{background:#e6f4ea;color:#1e6b34}} .state.todo{{background:#e3f2fd;color:#0d47a1}}
.state.bad{{background:#fdecea;color:#b71c1c}} .state.wait{{background:#eef1f4;color:#3e4c59}}
.school{{margin:-.5rem 0 1rem;color:#52606d}}
.notice{{padding:.6rem .8rem;border-radius:.5rem}} .notice.ok{{background:#e6f4ea;color:#1e6b34}} .notice.warn{{background:#fff4e5;color:#8a4b00}}
.hint{{color:#52606d;font-size:.95rem}}
.actions{{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}} .actions form{{margin:0}} .actions button,.actions .button{{margin:0}}
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
        Ok(StudentCaller(caller)) => {
            let notice = parts
                .uri
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("notice=")))
                .map(str::to_string);
            record_page(&state, &caller, notice.as_deref()).await
        }
        // None of our cookie (maybe someone else's on the same host): the sign-in form, without
        // an error, never a redirect back here.
        Err(_) if student_token(&parts).is_none() => sign_in_form(None).into_response(),
        Err(response) => response,
    }
}

/// What just happened, named by a fixed key in the redirect (never free text from the URL).
fn notice_text(key: &str) -> Option<(&'static str, &'static str)> {
    match key {
        "confirmed" => Some(("ok", "已确认照片：这张照片将作为毕业证书照片报送")),
        "retake" => Some(("ok", "已申请重拍：请按学校通知重新采集")),
        "moved_on" => Some(("warn", "操作未完成：照片或状态刚有变化，请查看最新信息")),
        _ => None,
    }
}

/// The badge colour of a state: done, waiting on the student, a problem, or in progress.
fn state_tone(state: Option<CollectionState>) -> &'static str {
    match state {
        Some(CollectionState::Completed | CollectionState::Delivered) => "done",
        Some(CollectionState::AwaitingConfirmation) => "todo",
        Some(CollectionState::Rejected | CollectionState::Intercepted) => "bad",
        _ => "wait",
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
    let school_name: String =
        sqlx::query_as::<_, (String,)>("SELECT name FROM schools WHERE code = $1")
            .bind(school)
            .fetch_optional(&state.db.pool)
            .await
            .ok()
            .flatten()
            .map(|(n,)| n)
            .unwrap_or_default();
    let final_confirmation = crate::students::rules(&state.db, school)
        .await
        .map(|r| r.final_confirmation)
        .unwrap_or(false);
    let state_enum = CollectionState::parse(&student.state);
    let rejected = matches!(state_enum, Some(CollectionState::Rejected));
    let awaiting =
        matches!(state_enum, Some(CollectionState::AwaitingConfirmation)) && final_confirmation;
    let photo = match (&student.photo_sha256, rejected) {
        (None, _) => "<p>还没有照片。请按学校通知参加集中采集。</p>".to_string(),
        // A rejected photo is shown so the student sees what was wrong, but not offered as the
        // standard photo.
        (Some(_), true) => r#"<img class="photo" id="photo" src="/student/photo.jpg" alt="未通过审核的照片"><p class="hint">这张照片未通过审核，请按学校通知重新采集。</p>"#.to_string(),
        (Some(_), false) => {
            let download = r#"<a class="button secondary" id="download" href="/student/photo.jpg" download="标准照.jpg">下载标准照</a>"#;
            format!(r#"<img class="photo" id="photo" src="/student/photo.jpg" alt="我的照片">{}"#, if awaiting { "" } else { download })
        }
    };
    let reason = student
        .reject_reason
        .as_deref()
        .filter(|_| rejected)
        .map(|r| {
            format!(
                r#"<p class="reason" id="reason">未通过原因：{}</p>"#,
                escape(r)
            )
        })
        .unwrap_or_default();
    let actions = match (awaiting, &student.photo_sha256) {
        (true, Some(sha)) => format!(
            r#"<p class="hint">请核对照片。确认后，这张照片将作为你的毕业证书照片报送，不能再更改；如不满意，可申请重拍。</p>
<div class="actions"><form method="post" action="/student/confirm"><input type="hidden" name="photo_sha256" value="{sha}"><button id="confirm">确认照片</button></form>
<form method="post" action="/student/retake"><input type="hidden" name="photo_sha256" value="{sha}"><button class="secondary" id="retake">申请重拍</button></form>
<a class="button secondary" id="download" href="/student/photo.jpg" download="标准照.jpg">下载照片</a></div>"#
        ),
        _ => String::new(),
    };
    let notice = notice
        .and_then(notice_text)
        .map(|(tone, text)| format!(r#"<p class="notice {tone}" id="notice">{text}</p>"#))
        .unwrap_or_default();
    let optional = |label: &str, value: &Option<String>| {
        value
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| format!("<dt>{label}</dt><dd>{}</dd>", escape(v)))
            .unwrap_or_default()
    };
    layout(
        "我的照片 · 毕业生图像采集",
        &format!(
            r#"<h1>我的照片</h1><p class="school">{school_name}</p>{notice}
<div class="card"><dl>
<dt>姓名</dt><dd>{name}</dd><dt>采集码</dt><dd>{code}</dd><dt>证件号</dt><dd>{id}</dd>{department}{class}<dt>状态</dt><dd><span class="state {tone}" id="state">{state_name}</span></dd>
</dl>{reason}</div>
<div class="card">{photo}{actions}</div>
<form method="post" action="/student/logout"><button class="secondary" id="sign-out">退出</button></form>"#,
            school_name = escape(&school_name),
            name = escape(&student.name),
            code = escape(&student.collection_code),
            id = escape(&student.id_number),
            department = optional("院系", &student.department),
            class = optional("班级", &student.class_name),
            tone = state_tone(state_enum),
            state_name = escape(&student.state_name),
        ),
    )
    .into_response()
}

fn session_cookie(state: &AppState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.tls.is_some() || state.config.secure_cookies {
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
        // A student has no account or password: say what they typed that did not match.
        Err(ApiError::BadCredentials) => {
            sign_in_form(Some("采集码或证件号后四位不正确")).into_response()
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

/// Acts, then redirects (303) to the record page with a fixed notice key, so a reload never
/// posts the form again.
async fn student_action(
    state: &AppState,
    caller: &Caller,
    action: Action,
    form: PhotoForm,
    done: &str,
) -> Response {
    let outcome = match crate::blobs::parse_sha256(&form.photo_sha256) {
        Ok(sha) => crate::routes::students::student_move(state, caller, action, &sha).await,
        Err(e) => Err(e),
    };
    let key = match outcome {
        Ok(_) => done,
        Err(ApiError::Internal(detail)) => return ApiError::Internal(detail).into_response(),
        Err(_) => "moved_on",
    };
    Redirect::to(&format!("/student?notice={key}")).into_response()
}

async fn confirm(
    State(state): State<AppState>,
    StudentCaller(caller): StudentCaller,
    Form(form): Form<PhotoForm>,
) -> Response {
    student_action(&state, &caller, Action::Confirm, form, "confirmed").await
}

async fn retake(
    State(state): State<AppState>,
    StudentCaller(caller): StudentCaller,
    Form(form): Form<PhotoForm>,
) -> Response {
    student_action(&state, &caller, Action::StudentRetake, form, "retake").await
}

async fn logout(State(state): State<AppState>, StudentCaller(caller): StudentCaller) -> Response {
    let _ = crate::accounts::revoke_session(&state.db, &caller.session.token_hash).await;
    caller
        .audit(&state, "sign_out", &caller.session.actor(), "ok")
        .await;
    let mut response = Redirect::to("/student").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    response
}
