//! Review (审核): the queue, one decision on the photo on screen, bulk decisions by filter or by
//! code, undo, final confirmation and its auto-confirm job, the reject-reason catalogue and the
//! school's review settings. The window and `photoroll review …` both call these.

use crate::error::{Result, WorkflowError, refused};
use photoroll_core::{
    Action, CollectionState, JobControl, RejectReason, ReviewInputError, Reviewer,
};
use photoroll_store::{
    BulkOutcome, ChecksFilter, Decided, Decision, QueueEntry, ReviewFilter, SchoolSettings,
    Skipped, Store, StudentRow, TransitionRecord,
};
use serde::Serialize;
use std::time::Duration;

pub type Instant = chrono::DateTime<chrono::Utc>;

/// How often the app looks for students whose confirmation deadline passed.
pub const AUTO_CONFIRM_EVERY: Duration = Duration::from_secs(10 * 60);

impl From<ReviewInputError> for WorkflowError {
    fn from(e: ReviewInputError) -> Self {
        Self::Refused {
            code: "review_input",
            message: e.to_string(),
        }
    }
}

/// The decisions the review screen and `photoroll review` make, with what each needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Verdict {
    Approve,
    /// A catalogue reason, with an optional written note (R writes one).
    Reject {
        reason_key: String,
        note: Option<String>,
    },
    Withdraw,
    /// The student confirmed in person (最终确认).
    Confirm,
    /// The student asked for a new photo.
    StudentRetake,
    /// 仍然报送: an intercepted student is cleared for delivery, with the admin's reason.
    SendAnyway {
        reason: String,
    },
    /// 驳回重拍: an intercepted student retakes (reason: the comparison).
    RejectRetake,
}

impl Verdict {
    pub fn action(&self) -> Action {
        match self {
            Self::Approve => Action::Approve,
            Self::Reject { .. } => Action::Reject,
            Self::Withdraw => Action::Withdraw,
            Self::Confirm => Action::Confirm,
            Self::StudentRetake => Action::StudentRetake,
            Self::SendAnyway { .. } => Action::SendAnyway,
            Self::RejectRetake => Action::RejectRetake,
        }
    }

    fn reason(&self) -> Result<(Option<&str>, Option<String>)> {
        match self {
            Self::Reject { reason_key, note } => Ok((
                Some(reason_key.as_str()),
                photoroll_core::review::parse_note(note.as_deref().unwrap_or(""))?,
            )),
            Self::SendAnyway { reason } => Ok((
                None,
                Some(
                    photoroll_core::compare::parse_send_anyway_reason(reason).map_err(|e| {
                        WorkflowError::Refused {
                            code: "send_anyway_reason",
                            message: e.to_string(),
                        }
                    })?,
                ),
            )),
            Self::RejectRetake => Ok((
                Some(photoroll_core::compare::RETAKE_REASON_KEY),
                Some(photoroll_core::compare::retake_message(None)),
            )),
            _ => Ok((None, None)),
        }
    }
}

/// How the history names the person: reviewers decide photos (and take their decisions back),
/// admins record what a student said.
fn actor(name: &str, action: Action) -> Result<String> {
    let who = Reviewer::parse(name)?;
    let by_reviewer = photoroll_core::review::is_review_decision(action) || action == Action::Undo;
    Ok(if by_reviewer {
        who.actor()
    } else {
        format!("管理员：{}", who.as_str())
    })
}

/// The queue under the filter; with no state chosen, the photos awaiting review.
pub async fn queue(store: &Store, mut filter: ReviewFilter) -> Result<Vec<QueueEntry>> {
    if filter.students.state.is_none() {
        filter.students.state = Some(CollectionState::Submitted);
    }
    Ok(store.review_queue(&filter).await?)
}

pub async fn detail(store: &Store, student_id: &str) -> Result<photoroll_store::ReviewDetail> {
    Ok(store.review_detail(student_id).await?)
}

/// One decision on the photo the reviewer saw.
pub async fn decide(
    store: &Store,
    reviewer: &str,
    student_id: &str,
    judged_photo: &str,
    verdict: &Verdict,
) -> Result<Decided> {
    let actor = actor(reviewer, verdict.action())?;
    let (reason_key, note) = verdict.reason()?;
    Ok(store
        .decide(&Decision {
            student_id,
            action: verdict.action(),
            judged_photo: Some(judged_photo),
            actor: &actor,
            reason_key,
            note: note.as_deref(),
        })
        .await?)
}

pub async fn undo(store: &Store, reviewer: &str, transition_id: i64) -> Result<Decided> {
    let actor = actor(reviewer, Action::Undo)?;
    Ok(store.undo_decision(transition_id, &actor).await?)
}

/// The same decision for every photo of a list the reviewer saw (each judged as listed).
pub async fn decide_listed(
    store: &Store,
    reviewer: &str,
    listed: &[QueueEntry],
    verdict: &Verdict,
    job: &JobControl,
) -> Result<BulkOutcome> {
    let actor = actor(reviewer, verdict.action())?;
    let (reason_key, note) = verdict.reason()?;
    let students: Vec<(String, String)> = listed
        .iter()
        .map(|e| (e.student_id.clone(), e.photo_sha256.clone()))
        .collect();
    Ok(store
        .decide_many(
            &students,
            verdict.action(),
            &actor,
            reason_key,
            note.as_deref(),
            job,
        )
        .await?)
}

/// The same decision for every photo the filter selects now (bulk approve by filter).
pub async fn decide_filtered(
    store: &Store,
    reviewer: &str,
    filter: ReviewFilter,
    verdict: &Verdict,
    job: &JobControl,
) -> Result<BulkOutcome> {
    let listed = queue(store, filter).await?;
    decide_listed(store, reviewer, &listed, verdict, job).await
}

/// A student named by collection code in a bulk report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedCode {
    pub code: String,
    pub reason: String,
}

/// What a decision by codes did: how many were decided, and each code left alone with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodesOutcome {
    pub decided: usize,
    pub skipped: Vec<SkippedCode>,
}

/// Decides students named by collection code (the CLI): each judged on their current photo.
/// A code not in the store, or one the table refuses, is skipped with the reason.
pub async fn decide_codes(
    store: &Store,
    reviewer: &str,
    codes: &[String],
    verdict: &Verdict,
) -> Result<CodesOutcome> {
    let mut listed = Vec::new();
    let mut skipped = Vec::new();
    let mut code_of = std::collections::HashMap::new();
    for code in codes {
        match one_by_code(store, code).await {
            Ok(row) => match &row.photo_hash {
                Some(photo) => {
                    code_of.insert(row.id.clone(), code.clone());
                    listed.push(QueueEntry {
                        student_id: row.id.clone(),
                        collection_code: row.collection_code.clone(),
                        name_masked: String::new(),
                        class_name: None,
                        state: photoroll_core::CollectionState::parse(&row.state)
                            .unwrap_or(CollectionState::Pending),
                        photo_sha256: photo.clone(),
                        failed_checks: Vec::new(),
                        since: String::new(),
                    })
                }
                None => skipped.push(SkippedCode {
                    code: code.clone(),
                    reason: photoroll_core::DecisionRefused::NoPhoto.to_string(),
                }),
            },
            Err(e) => skipped.push(SkippedCode {
                code: code.clone(),
                reason: e.to_string(),
            }),
        }
    }
    let outcome = decide_listed(store, reviewer, &listed, verdict, &JobControl::new()).await?;
    skipped.extend(outcome.skipped.into_iter().map(
        |Skipped {
             student_id, reason, ..
         }| {
            SkippedCode {
                code: code_of.get(&student_id).cloned().unwrap_or(student_id),
                reason,
            }
        },
    ));
    Ok(CodesOutcome {
        decided: outcome.decided.len(),
        skipped,
    })
}

/// One decision by collection code (the CLI's withdraw, confirm, student-retake): refused with
/// the reason when the code is unknown or the table forbids it.
pub async fn decide_code(
    store: &Store,
    reviewer: &str,
    code: &str,
    verdict: &Verdict,
) -> Result<Decided> {
    let row = one_by_code(store, code).await?;
    let Some(photo) = row.photo_hash.as_deref() else {
        return refused("no_photo", format!("{code}：该学生没有照片"));
    };
    decide(store, reviewer, &row.id, photo, verdict).await
}

/// The one student holding a collection code.
pub async fn one_by_code(store: &Store, code: &str) -> Result<StudentRow> {
    let mut rows = store.students_by_collection_code(code).await?;
    match rows.len() {
        0 => refused(
            "unknown_student",
            format!("找不到图像采集码为 “{code}” 的学生"),
        ),
        1 => Ok(rows.remove(0)),
        n => refused(
            "ambiguous_code",
            format!("{n} 所院校都有图像采集码 “{code}”：请先按院校筛选"),
        ),
    }
}

/// A student's record and history, as `photoroll student show` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct StudentHistory {
    pub collection_code: Option<String>,
    pub state: String,
    pub state_reason: Option<String>,
    pub photo_sha256: Option<String>,
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub action: String,
    pub from: String,
    pub to: String,
    pub actor: String,
    pub at: String,
    pub photo_sha256: Option<String>,
    pub reason: Option<String>,
}

impl From<TransitionRecord> for HistoryEntry {
    fn from(t: TransitionRecord) -> Self {
        HistoryEntry {
            action: t.action,
            from: t.from_state,
            to: t.to_state,
            actor: t.actor,
            at: t.at,
            photo_sha256: t.photo_hash,
            reason: t.reason,
        }
    }
}

pub async fn student_history(store: &Store, code: &str) -> Result<StudentHistory> {
    let row = one_by_code(store, code).await?;
    let history = store.transitions(&row.id).await?;
    Ok(StudentHistory {
        collection_code: row.collection_code,
        state: row.state,
        state_reason: row.state_reason,
        photo_sha256: row.photo_hash,
        history: history.into_iter().map(HistoryEntry::from).collect(),
    })
}

pub async fn reasons(store: &Store) -> Result<Vec<RejectReason>> {
    Ok(store.reject_reasons().await?)
}

pub async fn save_reason(store: &Store, key: &str, label: &str, message: &str) -> Result<()> {
    let reason = photoroll_core::review::parse_reject_reason(key, label, message)?;
    Ok(store.save_reject_reason(&reason).await?)
}

pub async fn remove_reason(store: &Store, key: &str) -> Result<()> {
    Ok(store.remove_reject_reason(key).await?)
}

pub async fn move_reason(store: &Store, key: &str, to: usize) -> Result<()> {
    Ok(store.move_reject_reason(key, to).await?)
}

/// Auto-confirms the students whose deadline passed at `now` (RFC 3339; default: now).
pub async fn auto_confirm(store: &Store, now: Option<&str>) -> Result<u64> {
    let at = match now {
        Some(raw) => parse_instant(raw)?,
        None => chrono::Utc::now(),
    };
    Ok(store.auto_confirm_due(at).await?)
}

/// The auto-confirm job the app runs: once at start-up and every ten minutes (errors are
/// logged; the next round tries again).
pub fn spawn_auto_confirm(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(AUTO_CONFIRM_EVERY);
        loop {
            every.tick().await;
            match store.auto_confirm_due(chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(confirmed = n, "auto-confirmed students past their deadline")
                }
                Err(e) => tracing::warn!(error = %e, "auto-confirm failed"),
            }
        }
    })
}

/// Parses `--now` (RFC 3339), for automation and tests.
pub fn parse_instant(raw: &str) -> Result<Instant> {
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|e| {
            refused(
                "bad_time",
                format!("时间应为 RFC 3339 格式，收到 “{raw}”：{e}"),
            )
        })
}

/// The school's review settings: final confirmation and its deadline in days.
pub async fn set_school(
    store: &Store,
    code: &str,
    final_confirmation: Option<bool>,
    confirm_days: Option<i64>,
) -> Result<SchoolSettings> {
    let code = crate::maintenance::parse_school(code)?;
    if let Some(on) = final_confirmation {
        store.set_final_confirmation(&code, on).await?;
    }
    if let Some(days) = confirm_days {
        store.set_confirm_days(&code, days).await?;
    }
    Ok(store.school_settings(&code).await?)
}

pub fn parse_checks_filter(failed_check: Option<&str>, all_passed: bool) -> ChecksFilter {
    match (failed_check, all_passed) {
        (_, true) => ChecksFilter::AllPassed,
        (Some("any"), false) => ChecksFilter::AnyFailed,
        (Some(code), false) => ChecksFilter::Failed(code.trim().to_string()),
        (None, false) => ChecksFilter::Unfiltered,
    }
}
