//! Tauri commands for review (审核) and its settings (驳回原因, a school's 最终确认): each
//! parses what the window sent and makes one call into `photoroll_workflows::review`. The
//! rules (which decision a state allows, a stale photo, a reason's form) are decided there.

use crate::error::UiError;
use crate::jobs::JobProgress;
use crate::state::AppState;
use photoroll_core::RejectReason;
use photoroll_store::{
    BulkOutcome, Decided, QueueEntry, ReviewDetail, ReviewFilter, SchoolSettings,
};
use photoroll_workflows::review::{self, Verdict};
use tauri::State;
use tauri::ipc::Channel;

type Result<T> = std::result::Result<T, UiError>;

/// The review queue under the filter (no state chosen: the photos awaiting review), oldest
/// first.
#[tauri::command]
#[specta::specta]
pub async fn review_queue(
    state: State<'_, AppState>,
    filter: ReviewFilter,
) -> Result<Vec<QueueEntry>> {
    Ok(review::queue(&state.store, filter).await?)
}

/// One student as the review screen shows them: masked record, capture and checks, history.
#[tauri::command]
#[specta::specta]
pub async fn review_detail(state: State<'_, AppState>, student_id: String) -> Result<ReviewDetail> {
    Ok(review::detail(&state.store, &student_id).await?)
}

/// One decision on the photo the reviewer saw (`judged_photo`, its SHA-256): refused with
/// `stale_photo` when the student's photo changed since.
#[tauri::command]
#[specta::specta]
pub async fn review_decide(
    state: State<'_, AppState>,
    reviewer: String,
    student_id: String,
    judged_photo: String,
    verdict: Verdict,
) -> Result<Decided> {
    Ok(review::decide(
        &state.store,
        &reviewer,
        &student_id,
        &judged_photo,
        &verdict,
    )
    .await?)
}

/// Takes back a decision this screen made (Z), recorded as its own transition.
#[tauri::command]
#[specta::specta]
pub async fn review_undo(
    state: State<'_, AppState>,
    reviewer: String,
    transition_id: f64,
) -> Result<Decided> {
    // Transition ids travel as JS numbers; anything that is not a whole number is no id.
    if !(transition_id.is_finite() && transition_id.fract() == 0.0 && transition_id >= 1.0) {
        return Err(UiError::new("unknown_transition", "没有可撤销的决定", true));
    }
    Ok(review::undo(&state.store, &reviewer, transition_id as i64).await?)
}

/// The same decision for every photo the filter selects now, as a job with progress and
/// cancel; already-decided students stay decided when it is cancelled.
#[tauri::command]
#[specta::specta]
pub async fn review_bulk(
    state: State<'_, AppState>,
    reviewer: String,
    filter: ReviewFilter,
    verdict: Verdict,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<BulkOutcome> {
    let job = state.jobs.start(&job_id, on_progress);
    let result = review::decide_filtered(&state.store, &reviewer, filter, &verdict, &job).await;
    state.jobs.finish(&job_id);
    Ok(result?)
}

/// The reject-reason catalogue in the reviewer's order (keys 1–9 pick the first nine).
#[tauri::command]
#[specta::specta]
pub async fn reject_reasons(state: State<'_, AppState>) -> Result<Vec<RejectReason>> {
    Ok(review::reasons(&state.store).await?)
}

/// Adds a reason at the end, or changes an existing one's label and message.
#[tauri::command]
#[specta::specta]
pub async fn save_reject_reason(
    state: State<'_, AppState>,
    reason: RejectReason,
) -> Result<Vec<RejectReason>> {
    review::save_reason(&state.store, &reason.key, &reason.label, &reason.message).await?;
    Ok(review::reasons(&state.store).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_reject_reason(
    state: State<'_, AppState>,
    key: String,
) -> Result<Vec<RejectReason>> {
    review::remove_reason(&state.store, &key).await?;
    Ok(review::reasons(&state.store).await?)
}

/// Moves a reason to a position (0-based).
#[tauri::command]
#[specta::specta]
pub async fn move_reject_reason(
    state: State<'_, AppState>,
    key: String,
    to: u32,
) -> Result<Vec<RejectReason>> {
    review::move_reason(&state.store, &key, to as usize).await?;
    Ok(review::reasons(&state.store).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn school_settings(state: State<'_, AppState>, school: String) -> Result<SchoolSettings> {
    Ok(review::set_school(&state.store, &school, None, None).await?)
}

/// A school's final confirmation on/off and its auto-confirm deadline in days.
#[tauri::command]
#[specta::specta]
pub async fn set_school_settings(
    state: State<'_, AppState>,
    school: String,
    final_confirmation: Option<bool>,
    confirm_days: Option<u32>,
) -> Result<SchoolSettings> {
    Ok(review::set_school(
        &state.store,
        &school,
        final_confirmation,
        confirm_days.map(i64::from),
    )
    .await?)
}
