//! Review (审核): the queue, decisions on the exact photo judged, undo, bulk decisions, the
//! reject-reason catalogue, final confirmation and its auto-confirm job. Every decision goes
//! through `students::apply_in`: core's table, the history row and the outbox operation in
//! one transaction.

use crate::progress::{StudentFilter, StudentRow, push_filter};
use crate::students::{StateChange, Transition, TransitionRecord, apply_in, record_with_operation};
use crate::{Store, StoreError, now, outbox};
use photoroll_core::id_document::mask_name;
use photoroll_core::{
    Action, CheckOverride, CollectionState, JobControl, Operation, RejectReason, SchoolCode,
};
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite};

/// "Failed checks: any / none / a given check" on the review queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "code")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ChecksFilter {
    #[default]
    Unfiltered,
    AnyFailed,
    AllPassed,
    Failed(String),
}

impl ChecksFilter {
    fn admits(&self, failed: &[String]) -> bool {
        match self {
            Self::Unfiltered => true,
            Self::AnyFailed => !failed.is_empty(),
            Self::AllPassed => failed.is_empty(),
            Self::Failed(code) => failed.iter().any(|f| f == code),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReviewFilter {
    pub students: StudentFilter,
    /// Only the students a capture session covers.
    pub session: Option<String>,
    pub checks: ChecksFilter,
}

/// A photo in the review queue, as light as the list needs (10,000 of them load at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct QueueEntry {
    pub student_id: String,
    pub collection_code: Option<String>,
    pub name_masked: String,
    pub class_name: Option<String>,
    pub state: CollectionState,
    pub photo_sha256: String,
    pub failed_checks: Vec<String>,
    /// When the student's state last changed (for a submitted photo: when it was submitted).
    pub since: String,
}

/// One automatic check of the capture behind a photo, with the photographer's reason when
/// they accepted it failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CheckResult {
    pub code: String,
    pub passed: bool,
    pub message: String,
    pub limit: String,
    pub override_reason: Option<String>,
}

/// The capture a photo came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CaptureInfo {
    pub capture_id: String,
    pub original_sha256: String,
    pub actor: String,
    pub taken_at: String,
    /// `station` or `import`.
    pub source: String,
    pub session_id: Option<String>,
    /// Failed checks first.
    pub checks: Vec<CheckResult>,
}

/// Everything the review screen shows for one student.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReviewDetail {
    pub student: StudentRow,
    pub capture: Option<CaptureInfo>,
    pub history: Vec<TransitionRecord>,
}

/// A decision on one student's photo.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub student_id: &'a str,
    pub action: Action,
    /// The photo the reviewer saw; the decision is refused if it is no longer the student's.
    pub judged_photo: Option<&'a str>,
    pub actor: &'a str,
    /// For a rejection: the catalogue key and an optional written note.
    pub reason_key: Option<&'a str>,
    pub note: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Decided {
    /// The history row; the window keeps it to undo.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub transition_id: i64,
    pub from: CollectionState,
    pub to: CollectionState,
}

/// A student a bulk decision left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Skipped {
    pub student_id: String,
    pub code: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BulkOutcome {
    pub decided: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// Stopped by the user: the students after the last slice were not decided.
    pub cancelled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SchoolSettings {
    pub final_confirmation: bool,
    pub confirm_days: i64,
    pub allow_walk_ins: bool,
}

/// A bulk decision commits in slices this size: one transaction per slice keeps 10,000
/// decisions fast, and a cancel between slices keeps what was decided.
const BULK_SLICE: usize = 500;

/// A refusal's stable code, for bulk reports and the CLI's JSON.
pub fn refusal_code(e: &StoreError) -> &'static str {
    use photoroll_core::DecisionRefused as D;
    match e {
        StoreError::Decision(D::StalePhoto { .. }) => "stale_photo",
        StoreError::Decision(D::NoPhoto) => "no_photo",
        StoreError::Decision(_) => "undo_refused",
        StoreError::Transition(_) => "transition",
        StoreError::UnknownStudent(_) => "unknown_student",
        StoreError::UnknownReason(_) => "unknown_reason",
        _ => "error",
    }
}

/// Whether a bulk decision should skip this student (and go on) rather than stop.
fn skips(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Decision(_) | StoreError::Transition(_) | StoreError::UnknownStudent(_)
    )
}

#[derive(sqlx::FromRow)]
struct CaptureRow {
    id: String,
    original_hash: String,
    report: String,
    overrides: String,
    actor: String,
    taken_at: String,
    source: String,
    session_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DecisionRow {
    student_id: String,
    from_state: String,
    action: String,
    to_state: String,
    photo_hash: Option<String>,
    op_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct QueueRow {
    id: String,
    collection_code: Option<String>,
    name: String,
    class_name: Option<String>,
    state: String,
    photo_hash: String,
    updated_at: String,
    failed_checks: Option<String>,
}

impl Store {
    /// The review queue: students with a photo under the filter, oldest change first.
    pub async fn review_queue(&self, filter: &ReviewFilter) -> Result<Vec<QueueEntry>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT id, collection_code, name, class_name, state, photo_hash, updated_at,
                (SELECT c.failed_checks FROM captures c WHERE c.student_id = students.id
                 AND c.standard_hash = students.photo_hash ORDER BY c.taken_at DESC LIMIT 1) AS failed_checks
             FROM students",
        );
        push_filter(&mut qb, &filter.students, true);
        qb.push(" AND photo_hash IS NOT NULL");
        if let Some(session) = &filter.session {
            qb.push(
                " AND id IN (SELECT student_id FROM capture_session_students WHERE session_id = ",
            )
            .push_bind(session.clone())
            .push(")");
        }
        qb.push(" ORDER BY updated_at, rowid");
        let rows: Vec<QueueRow> = qb.build_query_as().fetch_all(self.pool()).await?;
        let mut queue = Vec::with_capacity(rows.len());
        for r in rows {
            let failed: Vec<String> = match r.failed_checks.as_deref() {
                Some(json) => serde_json::from_str(json)
                    .map_err(|e| StoreError::Corrupt(format!("检查结果 {json}: {e}")))?,
                None => Vec::new(),
            };
            if !filter.checks.admits(&failed) {
                continue;
            }
            queue.push(QueueEntry {
                name_masked: mask_name(&r.name),
                student_id: r.id,
                collection_code: r.collection_code,
                class_name: r.class_name,
                state: crate::stored_state(&r.state)?,
                photo_sha256: r.photo_hash,
                failed_checks: failed,
                since: r.updated_at,
            });
        }
        Ok(queue)
    }

    /// One student as the review screen shows them: the masked record, the capture behind
    /// their photo with its checks and overrides, and their history.
    pub async fn review_detail(&self, student_id: &str) -> Result<ReviewDetail, StoreError> {
        let student = self.student(student_id).await?;
        let capture: Option<CaptureRow> = match &student.photo_hash {
            Some(hash) => {
                sqlx::query_as(
                    "SELECT id, original_hash, report, overrides, actor, taken_at, source, session_id
                     FROM captures WHERE student_id = ? AND standard_hash = ? ORDER BY taken_at DESC LIMIT 1",
                )
                .bind(student_id)
                .bind(hash)
                .fetch_optional(self.pool())
                .await?
            }
            None => None,
        };
        let capture = capture
            .map(|c| {
                Ok::<_, StoreError>(CaptureInfo {
                    checks: checks_of(&c.report, &c.overrides)?,
                    capture_id: c.id,
                    original_sha256: c.original_hash,
                    actor: c.actor,
                    taken_at: c.taken_at,
                    source: c.source,
                    session_id: c.session_id,
                })
            })
            .transpose()?;
        Ok(ReviewDetail {
            history: self.transitions(student_id).await?,
            student,
            capture,
        })
    }

    /// One student by id, ID masked.
    pub async fn student(&self, student_id: &str) -> Result<StudentRow, StoreError> {
        self.students_where("id = ", student_id)
            .await?
            .pop()
            .ok_or_else(|| StoreError::UnknownStudent(student_id.to_string()))
    }

    /// The students holding a collection code (one per school at most).
    pub async fn students_by_collection_code(
        &self,
        code: &str,
    ) -> Result<Vec<StudentRow>, StoreError> {
        self.students_where(
            "collection_code = ",
            &photoroll_core::normalise_collection_code(code),
        )
        .await
    }

    async fn students_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Vec<StudentRow>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new(crate::progress::STUDENT_COLUMNS);
        qb.push(" WHERE ").push(column).push_bind(value.to_string());
        qb.push(" ORDER BY school_code");
        let rows: Vec<crate::progress::RawStudent> =
            qb.build_query_as().fetch_all(self.pool()).await?;
        Ok(rows.into_iter().map(StudentRow::from).collect())
    }

    /// Applies one decision. A rejection takes its message from the catalogue (plus the note).
    pub async fn decide(&self, decision: &Decision<'_>) -> Result<Decided, StoreError> {
        let reason = self.reason_text(decision).await?;
        let mut tx = self.pool().begin().await?;
        let decided = decide_in(&mut tx, decision, reason.as_deref()).await?;
        tx.commit().await?;
        Ok(decided)
    }

    async fn reason_text(&self, decision: &Decision<'_>) -> Result<Option<String>, StoreError> {
        // 驳回重拍 and 仍然报送 carry their own words (the comparison's message, the admin's
        // reason), not the reviewer's catalogue.
        if matches!(decision.action, Action::RejectRetake | Action::SendAnyway) {
            return Ok(decision.note.map(str::to_string));
        }
        match decision.reason_key {
            Some(key) => {
                let reason = self.reject_reason(key).await?;
                Ok(Some(photoroll_core::review::student_message(
                    &reason,
                    decision.note,
                )))
            }
            None => Ok(decision.note.map(str::to_string)),
        }
    }

    /// The same decision for many students, each on the photo the reviewer's list showed.
    /// Students the table or a changed photo refuses are skipped with the reason; the rest are
    /// decided. Cancelling keeps what was decided so far.
    pub async fn decide_many(
        &self,
        students: &[(String, String)],
        action: Action,
        actor: &str,
        reason_key: Option<&str>,
        note: Option<&str>,
        job: &JobControl,
    ) -> Result<BulkOutcome, StoreError> {
        let template = Decision {
            student_id: "",
            action,
            judged_photo: None,
            actor,
            reason_key,
            note,
        };
        let reason = self.reason_text(&template).await?;
        let mut outcome = BulkOutcome::default();
        let total = students.len() as u64;
        for (slice_no, slice) in students.chunks(BULK_SLICE).enumerate() {
            if job.is_cancelled() {
                outcome.cancelled = true;
                break;
            }
            let mut tx = self.pool().begin().await?;
            for (student_id, photo) in slice {
                let decision = Decision {
                    student_id,
                    judged_photo: Some(photo),
                    ..template.clone()
                };
                // A savepoint per student: a refusal rolls back only that student's writes.
                let mut one = sqlx::Connection::begin(&mut *tx).await?;
                match decide_in(&mut one, &decision, reason.as_deref()).await {
                    Ok(_) => {
                        one.commit().await?;
                        outcome.decided.push(student_id.clone());
                    }
                    Err(e) if skips(&e) => {
                        one.rollback().await?;
                        outcome.skipped.push(Skipped {
                            student_id: student_id.clone(),
                            code: refusal_code(&e).to_string(),
                            reason: e.to_string(),
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
            tx.commit().await?;
            // A cancel here is seen at the top of the next slice.
            let _ = job.step((slice_no * BULK_SLICE + slice.len()) as u64, total);
        }
        Ok(outcome)
    }

    /// Takes back a review decision (the window's Z): allowed while it is the student's latest
    /// change and not yet pushed. Recorded as its own `undo` transition.
    pub async fn undo_decision(
        &self,
        transition_id: i64,
        actor: &str,
    ) -> Result<Decided, StoreError> {
        let mut tx = self.pool().begin().await?;
        let row: Option<DecisionRow> =
            sqlx::query_as(
                "SELECT student_id, from_state, action, to_state, photo_hash, op_id FROM transitions WHERE id = ?",
            )
            .bind(transition_id)
            .fetch_optional(&mut *tx)
            .await?;
        let DecisionRow {
            student_id,
            from_state: from,
            action,
            to_state: to,
            photo_hash,
            op_id,
        } = row.ok_or(StoreError::UnknownTransition(transition_id))?;
        let action = Action::parse(&action)
            .ok_or_else(|| StoreError::Corrupt(format!("未知的操作 “{action}”")))?;
        let (from, to) = (crate::stored_state(&from)?, crate::stored_state(&to)?);
        let (latest, current): (i64, String) = sqlx::query_as(
            "SELECT (SELECT MAX(id) FROM transitions WHERE student_id = ?), state FROM students WHERE id = ?",
        )
        .bind(&student_id)
        .bind(&student_id)
        .fetch_one(&mut *tx)
        .await?;
        let synced: bool = match &op_id {
            Some(op_id) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) > 0 FROM outbox WHERE op_id = ? AND pushed_at IS NOT NULL",
                )
                .bind(op_id)
                .fetch_one(&mut *tx)
                .await?
            }
            None => true,
        };
        let current = crate::stored_state(&current)?;
        let back = photoroll_core::undo_decision(
            (from, action, to),
            current,
            latest == transition_id,
            synced,
        )?;
        let at = now();
        sqlx::query(
            "UPDATE students SET state = ?, state_reason = NULL, updated_at = ? WHERE id = ?",
        )
        .bind(back.id())
        .bind(&at)
        .bind(&student_id)
        .execute(&mut *tx)
        .await?;
        let reason = format!("撤销“{}”", action.display_name());
        let id = record_with_operation(
            &mut tx,
            &Transition {
                student_id: &student_id,
                from: current,
                action: Action::Undo,
                to: back,
                actor,
                photo_hash: photo_hash.as_deref(),
                reason: Some(&reason),
                reason_key: None,
                at: &at,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Decided {
            transition_id: id,
            from: current,
            to: back,
        })
    }

    /// Auto-confirms every student whose confirmation deadline (their school's days after the
    /// approval) has passed at `at`. Returns how many.
    pub async fn auto_confirm_due(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT s.id,
                (SELECT MAX(t.at) FROM transitions t WHERE t.student_id = s.id AND t.to_state = 'awaiting_confirmation'),
                sc.confirm_days
             FROM students s JOIN schools sc ON sc.code = s.school_code
             WHERE s.state = 'awaiting_confirmation'",
        )
        .fetch_all(self.pool())
        .await?;
        let mut confirmed = 0;
        for (student_id, since, days) in rows {
            let Some(since) = since else { continue };
            let since = chrono::DateTime::parse_from_rfc3339(&since)
                .map_err(|e| StoreError::Corrupt(format!("时间 “{since}”: {e}")))?;
            if since + chrono::Duration::days(days) > at {
                continue;
            }
            let mut tx = self.pool().begin().await?;
            match apply_in(
                &mut tx,
                &StateChange {
                    student_id: &student_id,
                    action: Action::AutoConfirm,
                    actor: photoroll_core::review::AUTO_CONFIRM_ACTOR,
                    judged_photo: None,
                    photo_hash: None,
                    reason: Some("超过确认期限，自动确认"),
                    reason_key: None,
                },
            )
            .await
            {
                Ok(_) => {
                    tx.commit().await?;
                    confirmed += 1;
                }
                // Someone answered between the read and this write: nothing to confirm.
                Err(StoreError::Transition(_)) => tx.rollback().await?,
                Err(e) => return Err(e),
            }
        }
        Ok(confirmed)
    }

    pub async fn school_settings(&self, code: &SchoolCode) -> Result<SchoolSettings, StoreError> {
        let row: Option<(bool, i64, bool)> = sqlx::query_as(
            "SELECT final_confirmation, confirm_days, allow_walk_ins FROM schools WHERE code = ?",
        )
        .bind(code.as_str())
        .fetch_optional(self.pool())
        .await?;
        let (final_confirmation, confirm_days, allow_walk_ins) =
            row.ok_or_else(|| StoreError::UnknownSchool(code.to_string()))?;
        Ok(SchoolSettings {
            final_confirmation,
            confirm_days,
            allow_walk_ins,
        })
    }

    pub async fn set_confirm_days(&self, code: &SchoolCode, days: i64) -> Result<(), StoreError> {
        let days = photoroll_core::review::parse_confirm_days(days)?;
        let mut tx = self.pool().begin().await?;
        let n = sqlx::query("UPDATE schools SET confirm_days = ? WHERE code = ?")
            .bind(days)
            .bind(code.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::UnknownSchool(code.to_string()));
        }
        outbox::append(
            &mut tx,
            Operation::ConfirmDaysSet {
                school_code: code.to_string(),
                days,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The active reject reasons, in the reviewer's order (keys 1–9 pick the first nine).
    pub async fn reject_reasons(&self) -> Result<Vec<RejectReason>, StoreError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT key, label, message FROM reject_reasons WHERE active = 1 ORDER BY position, key",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key, label, message)| RejectReason {
                key,
                label,
                message,
            })
            .collect())
    }

    async fn reject_reason(&self, key: &str) -> Result<RejectReason, StoreError> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT key, label, message FROM reject_reasons WHERE key = ? AND active = 1",
        )
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.map(|(key, label, message)| RejectReason {
            key,
            label,
            message,
        })
        .ok_or_else(|| StoreError::UnknownReason(key.to_string()))
    }

    /// Adds a reason at the end, or changes an existing one's label and message (a removed
    /// one comes back).
    pub async fn save_reject_reason(&self, reason: &RejectReason) -> Result<(), StoreError> {
        let reason = photoroll_core::review::parse_reject_reason(
            &reason.key,
            &reason.label,
            &reason.message,
        )?;
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO reject_reasons (key, label, message, position, active)
             VALUES (?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM reject_reasons), 1)
             ON CONFLICT(key) DO UPDATE SET label = excluded.label, message = excluded.message, active = 1",
        )
        .bind(&reason.key)
        .bind(&reason.label)
        .bind(&reason.message)
        .execute(&mut *tx)
        .await?;
        catalogue_changed(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes a reason out of the catalogue (past decisions keep it).
    pub async fn remove_reject_reason(&self, key: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let n = sqlx::query("UPDATE reject_reasons SET active = 0 WHERE key = ? AND active = 1")
            .bind(key)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::UnknownReason(key.to_string()));
        }
        catalogue_changed(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves a reason to a position (0-based) among the active ones.
    pub async fn move_reject_reason(&self, key: &str, to: usize) -> Result<(), StoreError> {
        let mut keys: Vec<String> = self
            .reject_reasons()
            .await?
            .into_iter()
            .map(|r| r.key)
            .collect();
        let from = keys
            .iter()
            .position(|k| k == key)
            .ok_or_else(|| StoreError::UnknownReason(key.to_string()))?;
        let moved = keys.remove(from);
        keys.insert(to.min(keys.len()), moved);
        let mut tx = self.pool().begin().await?;
        for (i, key) in keys.iter().enumerate() {
            sqlx::query("UPDATE reject_reasons SET position = ? WHERE key = ?")
                .bind(i as i64 + 1)
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        catalogue_changed(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new data folder starts with core's catalogue.
    pub(crate) async fn seed_reject_reasons(&self) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reject_reasons")
            .fetch_one(&mut *tx)
            .await?;
        if n > 0 {
            return Ok(());
        }
        for (i, r) in photoroll_core::review::default_reject_reasons()
            .iter()
            .enumerate()
        {
            sqlx::query(
                "INSERT INTO reject_reasons (key, label, message, position) VALUES (?, ?, ?, ?)",
            )
            .bind(&r.key)
            .bind(&r.label)
            .bind(&r.message)
            .bind(i as i64 + 1)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn catalogue_changed(tx: &mut sqlx::Transaction<'_, Sqlite>) -> Result<(), StoreError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT key, label, message FROM reject_reasons WHERE active = 1 ORDER BY position, key",
    )
    .fetch_all(&mut **tx)
    .await?;
    let reasons = rows
        .into_iter()
        .map(|(key, label, message)| RejectReason {
            key,
            label,
            message,
        })
        .collect();
    outbox::append(tx, Operation::RejectReasonsChanged { reasons }).await?;
    Ok(())
}

/// One decision inside the caller's transaction.
async fn decide_in(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    decision: &Decision<'_>,
    reason: Option<&str>,
) -> Result<Decided, StoreError> {
    if decision.action == Action::Reject && decision.reason_key.is_none() {
        return Err(StoreError::ReviewInput(
            photoroll_core::ReviewInputError::MissingNote,
        ));
    }
    let applied = apply_in(
        tx,
        &StateChange {
            student_id: decision.student_id,
            action: decision.action,
            actor: decision.actor,
            judged_photo: decision.judged_photo,
            photo_hash: None,
            reason,
            reason_key: decision.reason_key,
        },
    )
    .await?;
    Ok(Decided {
        transition_id: applied.transition_id,
        from: applied.from,
        to: applied.to,
    })
}

/// A capture report's checks, failed first, each with the photographer's override reason.
fn checks_of(report: &str, overrides: &str) -> Result<Vec<CheckResult>, StoreError> {
    #[derive(Deserialize)]
    struct Check {
        code: String,
        passed: bool,
        #[serde(default)]
        message: String,
        #[serde(default)]
        limit: String,
    }
    #[derive(Deserialize)]
    struct Report {
        #[serde(default)]
        checks: Vec<Check>,
    }
    let report: Report =
        serde_json::from_str(report).map_err(|e| StoreError::Corrupt(format!("采集报告: {e}")))?;
    let overrides: Vec<CheckOverride> = serde_json::from_str(overrides)
        .map_err(|e| StoreError::Corrupt(format!("检查说明: {e}")))?;
    let mut checks: Vec<CheckResult> = report
        .checks
        .into_iter()
        .map(|c| CheckResult {
            override_reason: overrides
                .iter()
                .find(|o| o.code == c.code)
                .map(|o| o.reason.clone()),
            code: c.code,
            passed: c.passed,
            message: c.message,
            limit: c.limit,
        })
        .collect();
    checks.sort_by_key(|c| c.passed);
    Ok(checks)
}
