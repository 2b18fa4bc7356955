//! Capture sessions and identifying the student in front of the station.

use crate::error::{Result, WorkflowError, refused};
use photoroll_core::identify::{Typed, read_typed, session_sheet_payload};
use photoroll_core::{EducationCategory, Photographer, WalkIn};
use photoroll_store::{CaptureSession, NewSession, StationStudent, Store};
use serde::Serialize;

/// A new session as either face asks for it: blank filters mean "all".
#[derive(Debug, Clone, Default)]
pub struct SessionRequest {
    /// May be left out when the data folder holds one school.
    pub school: Option<String>,
    pub name: String,
    pub category: Option<EducationCategory>,
    pub department: Option<String>,
    pub class_name: Option<String>,
}

fn blank_is_none(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub async fn create_session(store: &Store, request: &SessionRequest) -> Result<CaptureSession> {
    let school_code = match blank_is_none(&request.school) {
        Some(s) => crate::maintenance::parse_school(&s)?.to_string(),
        None => match store.schools().await?.as_slice() {
            [one] => one.code.to_string(),
            [] => {
                return refused(
                    "no_school",
                    "还没有院校：请先导入名单或用 `photoroll school add`",
                );
            }
            _ => return refused("which_school", "数据目录中有多所院校：请指定院校"),
        },
    };
    Ok(store
        .create_session(&NewSession {
            school_code,
            name: request.name.clone(),
            category: request.category,
            department: blank_is_none(&request.department),
            class_name: blank_is_none(&request.class_name),
        })
        .await?)
}

/// A session by its id or its feature code (refused when the code is ambiguous).
pub async fn find_session(store: &Store, id_or_feature_code: &str) -> Result<CaptureSession> {
    let wanted = id_or_feature_code.trim();
    if let Some(s) = store.session(wanted).await? {
        return Ok(s);
    }
    let matching: Vec<CaptureSession> = store
        .sessions()
        .await?
        .into_iter()
        .filter(|s| s.feature_code == wanted)
        .collect();
    match <[CaptureSession; 1]>::try_from(matching) {
        Ok([one]) => Ok(one),
        Err(v) if v.is_empty() => refused("bad_session", format!("找不到采集场次 {wanted}")),
        Err(_) => refused(
            "bad_session",
            format!("特征码 {wanted} 对应多个场次：请用场次 id"),
        ),
    }
}

/// What the station prints for a session: its feature code and a QR code that switches a
/// station to it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SessionSheet {
    pub session: CaptureSession,
    pub school_name: String,
    /// The sheet's QR code as SVG markup.
    pub qr_svg: String,
}

pub async fn session_sheet(store: &Store, session_id: &str) -> Result<SessionSheet> {
    let session = find_session(store, session_id).await?;
    let code = crate::maintenance::parse_school(&session.school_code)?;
    let school_name = store
        .school(&code)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let payload = session_sheet_payload(&session.school_code, &session.feature_code);
    let qr_svg =
        photoroll_qr::svg_with_code(&payload).map_err(|e| WorkflowError::Capture(e.to_string()))?;
    Ok(SessionSheet {
        session,
        school_name,
        qr_svg,
    })
}

/// Who the station found for what was typed or scanned.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Identification {
    pub matches: Vec<StationStudent>,
    /// The code read, when it matched no one on the roster.
    pub unknown_code: Option<String>,
    /// Whether the school lets the station add that code as a new record.
    pub can_add: bool,
    /// A session sheet or a feature code for another session: the station moves to it.
    pub session: Option<CaptureSession>,
    /// What was read, when it was no code, last four or sheet at all.
    pub not_a_code: Option<String>,
}

/// Finds the student for what was scanned or typed into the identify field.
pub async fn identify(store: &Store, session_id: &str, text: &str) -> Result<Identification> {
    let session = find_session(store, session_id).await?;
    let Some(typed) = read_typed(text) else {
        return Ok(Identification::default());
    };
    Ok(match typed {
        Typed::SessionSheet {
            school,
            feature_code,
        } => match store
            .session_by_feature_code(&school, &feature_code)
            .await?
        {
            Some(found) => Identification {
                session: Some(found),
                ..Default::default()
            },
            None => return refused("bad_session", "这张场次单不属于本机的任何场次"),
        },
        Typed::LastFour(last_four) => Identification {
            matches: store.students_by_last_four(&session.id, &last_four).await?,
            ..Default::default()
        },
        Typed::LastFourAndFeature {
            last_four,
            feature_code,
        } => {
            let Some(target) = store
                .session_by_feature_code(&session.school_code, &feature_code)
                .await?
            else {
                return refused("bad_session", "特征码不对：请核对场次单");
            };
            Identification {
                matches: store.students_by_last_four(&target.id, &last_four).await?,
                session: (target.id != session.id).then_some(target),
                ..Default::default()
            }
        }
        Typed::Code(code) => match store.student_by_code(&session.id, &code).await? {
            Some(student) => Identification {
                matches: vec![student],
                ..Default::default()
            },
            None => Identification {
                can_add: store.allows_walk_ins(&session.id).await?,
                unknown_code: Some(code),
                ..Default::default()
            },
        },
        Typed::NotACode(text) => Identification {
            not_a_code: Some(text),
            ..Default::default()
        },
    })
}

/// A student the roster lacks, added at the session where the school allows it.
pub async fn add_walk_in(
    store: &Store,
    session_id: &str,
    code: &str,
    name: &str,
    photographer: &str,
) -> Result<StationStudent> {
    let photographer = Photographer::parse(photographer)?;
    let walk_in = WalkIn::parse(code, name)?;
    Ok(store
        .add_walk_in(session_id, &walk_in, &photographer.actor())
        .await?)
}
