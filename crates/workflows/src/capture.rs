//! The capture workflow at a station: a frame becomes a standard photo with its checks, waits
//! for the student's answer, and is saved with the photographer's name, under core's rules
//! (failed checks need a written reason; a submitted photo is replaced only on a confirmed
//! retake). The window and `photoroll capture` go through the same [`CaptureDesk`].

use crate::error::{Result, WorkflowError, refused};
use photoroll_core::{CheckOverride, Photographer};
use photoroll_imaging::Standardizer;
use photoroll_imaging::spec::PhotoSpec;
use photoroll_store::{NewCapture, SessionTally, StationStudent, Store};
use serde::Serialize;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CheckView {
    pub code: String,
    pub passed: bool,
    pub message: String,
    pub limit: String,
    pub score: f32,
}

/// A capture awaiting the student's answer, as the window shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CaptureView {
    pub token: String,
    pub checks: Vec<CheckView>,
    /// Why no standard photo could be made (no face, unreadable frame).
    pub error: Option<String>,
    pub millis: f64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SavedView {
    pub student: StationStudent,
    pub tally: Option<SessionTally>,
    /// False when the student already had a newer photo (kept in their history only).
    pub became_photo: bool,
}

struct PendingCapture {
    token: String,
    original: Vec<u8>,
    /// The original scaled for the window.
    original_preview: Vec<u8>,
    standard: Option<Vec<u8>>,
    report: String,
    failed: Vec<String>,
}

/// The student's yes to the waiting capture, with what the photographer decided.
#[derive(Debug, Clone)]
pub struct Agreement<'a> {
    pub student_id: &'a str,
    pub session_id: Option<&'a str>,
    /// Failed checks accepted, each with its written reason.
    pub overrides: Vec<CheckOverride>,
    /// The photographer confirmed replacing a photo awaiting review.
    pub retake: bool,
    pub photographer: &'a str,
}

/// The photo pipeline (its models load once) and the one capture waiting for an answer.
#[derive(Default)]
pub struct CaptureDesk {
    standardizer: OnceLock<std::result::Result<Arc<Standardizer>, String>>,
    pending: Mutex<Option<PendingCapture>>,
}

impl std::fmt::Debug for CaptureDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CaptureDesk")
    }
}

impl CaptureDesk {
    /// Loads the photo models (blocking, ~a second the first time).
    pub fn standardizer(&self) -> Result<Arc<Standardizer>> {
        self.standardizer
            .get_or_init(|| {
                Standardizer::new(PhotoSpec::default())
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(WorkflowError::Models)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Option<PendingCapture>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes the standard photo from a captured frame and runs the checks; the capture waits
    /// for the student's answer (one at a time: a new one replaces it). Blocking: call it off
    /// the window's thread.
    pub fn examine(&self, original: Vec<u8>) -> Result<CaptureView> {
        let started = std::time::Instant::now();
        let standardizer = self.standardizer()?;
        let result = standardizer.standardize(&original);
        let original_preview = photoroll_station::preview_jpeg(&original)
            .map(|(jpeg, _, _)| jpeg)
            .unwrap_or_default();
        let checks: Vec<CheckView> = result
            .report
            .checks
            .iter()
            .map(|c| CheckView {
                code: c.code.as_str().to_string(),
                passed: c.passed,
                message: c.message.clone(),
                limit: c.limit.clone(),
                score: if c.score.is_finite() { c.score } else { 0.0 },
            })
            .collect();
        let report = serde_json::to_string(&result.report)
            .map_err(|e| WorkflowError::Capture(e.to_string()))?;
        let token = uuid::Uuid::new_v4().to_string();
        let failed = checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.code.clone())
            .collect();
        *self.pending() = Some(PendingCapture {
            token: token.clone(),
            original,
            original_preview,
            standard: result.jpeg,
            report,
            failed,
        });
        Ok(CaptureView {
            token,
            checks,
            error: result.report.error.clone(),
            millis: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// The failed checks of the waiting capture that `overrides` do not yet explain: the
    /// window enables 同意 when this is empty.
    pub fn unresolved(&self, token: &str, overrides: &[CheckOverride]) -> Result<Vec<String>> {
        match self.pending().as_ref().filter(|p| p.token == token) {
            Some(p) => Ok(photoroll_core::unresolved_checks(&p.failed, overrides)),
            None => refused("stale_capture", "这张照片已保存或已重拍"),
        }
    }

    /// The waiting capture's original, scaled for the window.
    pub fn original_preview(&self) -> Option<Vec<u8>> {
        self.pending().as_ref().map(|p| p.original_preview.clone())
    }

    /// The waiting capture's standard photo.
    pub fn standard(&self) -> Option<Vec<u8>> {
        self.pending().as_ref().and_then(|p| p.standard.clone())
    }

    /// The student agreed: the waiting capture is saved durably. On any refusal it stays
    /// waiting, so the photographer can add a reason or confirm the retake and try again.
    pub async fn save(
        &self,
        store: &Store,
        token: &str,
        agreement: Agreement<'_>,
    ) -> Result<SavedView> {
        let Agreement {
            student_id,
            session_id,
            overrides,
            retake,
            photographer,
        } = agreement;
        let photographer = Photographer::parse(photographer)?;
        let pending = self
            .pending()
            .take_if(|p| p.token == token)
            .ok_or_else(|| WorkflowError::Refused {
                code: "stale_capture",
                message: "这张照片已保存或已重拍".into(),
            })?;
        let put_back = |p: PendingCapture| *self.pending() = Some(p);
        let Some(standard) = pending.standard.as_deref() else {
            put_back(pending);
            return refused("no_standard", "没有生成标准照片，请重拍");
        };
        let actor = photographer.actor();
        let saved = store
            .save_capture(&NewCapture {
                student_id,
                session_id,
                original: &pending.original,
                standard,
                report: pending.report.clone(),
                overrides,
                actor: &actor,
                retake,
                source: Default::default(),
            })
            .await;
        let saved = match saved {
            Ok(s) => s,
            Err(e) => {
                put_back(pending);
                return Err(e.into());
            }
        };
        Ok(SavedView {
            student: store.station_student(student_id).await?,
            tally: match session_id {
                Some(s) => Some(store.session_tally(s).await?),
                None => None,
            },
            became_photo: saved.became_photo,
        })
    }
}

/// `photoroll capture`: one photo from a file for the student `who` (a collection code or the
/// ID's last four) identifies in a session, through the same steps as the window (identify,
/// examine, save). `agreement.student_id` is ignored: `who` finds the student.
pub async fn capture_file(
    store: &Store,
    desk: &CaptureDesk,
    who: &str,
    photo: Vec<u8>,
    agreement: Agreement<'_>,
) -> Result<(CaptureView, SavedView)> {
    let Some(session_id) = agreement.session_id else {
        return refused("bad_session", "请指定采集场次");
    };
    let session = crate::sessions::find_session(store, session_id).await?;
    let found = crate::sessions::identify(store, &session.id, who).await?;
    let student = match found.matches.as_slice() {
        [one] => one.clone(),
        [] => return refused("unknown_student", format!("场次中找不到 “{who}”")),
        many => {
            return refused(
                "ambiguous_student",
                format!("“{who}” 对应 {} 名学生：请用采集码", many.len()),
            );
        }
    };
    let view = tokio::task::block_in_place(|| desk.examine(photo))?;
    if let Some(e) = &view.error {
        return refused("no_standard", format!("没有生成标准照片：{e}"));
    }
    let saved = desk
        .save(
            store,
            &view.token,
            Agreement {
                student_id: &student.id,
                session_id: Some(&session.id),
                ..agreement
            },
        )
        .await?;
    Ok((view, saved))
}
