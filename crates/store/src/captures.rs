//! Saving a capture the student agreed to: the one write at a station that must never be lost
//! or half done. Both blobs are written to temporary files, fsynced and renamed first; then one
//! transaction records the photos, the capture, the state change and its outbox operation, on a
//! connection switched to `synchronous = FULL` so the commit itself is on disk before
//! `save_capture` returns and the window says 已保存. A crash before the commit leaves at most
//! unreferenced blobs (removed later by `collect_garbage`), never a record without its photos.

use crate::students::{Transition, record_transition};
use crate::{Store, StoreError, now, outbox};
use photoroll_core::{CheckOverride, Operation, TransitionRules};
use serde::Serialize;

/// Where a capture comes from, which decides how its failed checks are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaptureSource {
    /// Taken at a station: every failed check needs the photographer's written reason.
    #[default]
    Station,
    /// 照片导入 (a studio's folder, mailed photos, another system's zip): nobody was there to
    /// override, so failed checks are kept with the capture for the reviewer to judge.
    Import,
}

impl CaptureSource {
    pub fn id(self) -> &'static str {
        match self {
            Self::Station => "station",
            Self::Import => "import",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewCapture<'a> {
    pub student_id: &'a str,
    pub session_id: Option<&'a str>,
    pub original: &'a [u8],
    pub standard: &'a [u8],
    /// The standardisation report as JSON; its failed checks must each have an override.
    pub report: String,
    pub overrides: Vec<CheckOverride>,
    /// Who took it (`Photographer::actor`), recorded on the capture and its transitions.
    pub actor: &'a str,
    /// The student already has a submitted photo and the photographer confirmed a retake: the
    /// old one is withdrawn (and kept in history) before the new one is submitted.
    pub retake: bool,
    pub source: CaptureSource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedCapture {
    pub id: String,
    pub original_hash: String,
    pub standard_hash: String,
    pub state: String,
    /// False when the student already had a newer photo: this one went to their history only.
    pub became_photo: bool,
}

/// The stored names of a capture's two photos and its failed checks (JSON).
struct Hashes<'a> {
    original: &'a str,
    standard: &'a str,
    failed_checks: &'a str,
}

impl Store {
    pub async fn save_capture(&self, capture: &NewCapture<'_>) -> Result<SavedCapture, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        self.save_capture_as(capture, &id, &now()).await
    }

    /// Saves a capture under a given id and time: a station's capture arriving at the admin's.
    pub(crate) async fn save_capture_as(
        &self,
        capture: &NewCapture<'_>,
        id: &str,
        at: &str,
    ) -> Result<SavedCapture, StoreError> {
        // The station's rule, run again wherever a capture comes from.
        let failed = photoroll_core::failed_checks_in_report(&capture.report)?;
        if capture.source == CaptureSource::Station {
            let unresolved = photoroll_core::unresolved_checks(&failed, &capture.overrides);
            if !unresolved.is_empty() {
                return Err(StoreError::UnresolvedChecks(unresolved));
            }
        }
        let failed = serde_json::to_string(&failed)?;
        let _blobs_in_use = self.blob_writes().read().await;
        let original_hash = self.blobs().put(capture.original)?;
        let standard_hash = self.blobs().put(capture.standard)?;
        let mut conn = self.pool().acquire().await?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
        let result = self
            .save_capture_on(
                &mut conn,
                capture,
                Hashes {
                    original: &original_hash,
                    standard: &standard_hash,
                    failed_checks: &failed,
                },
                id,
                at,
            )
            .await;
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await?;
        result
    }

    async fn save_capture_on(
        &self,
        conn: &mut sqlx::SqliteConnection,
        capture: &NewCapture<'_>,
        hashes: Hashes<'_>,
        id: &str,
        at: &str,
    ) -> Result<SavedCapture, StoreError> {
        use sqlx::Connection;
        let Hashes {
            original: original_hash,
            standard: standard_hash,
            failed_checks,
        } = hashes;
        let mut tx = conn.begin().await?;
        let row: Option<(String, bool, Option<String>)> = sqlx::query_as(
            "SELECT s.state, sc.final_confirmation,
                    (SELECT MAX(taken_at) FROM captures c WHERE c.student_id = s.id)
             FROM students s JOIN schools sc ON sc.code = s.school_code WHERE s.id = ?",
        )
        .bind(capture.student_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (state, final_confirmation, newest) =
            row.ok_or_else(|| StoreError::UnknownStudent(capture.student_id.to_string()))?;
        let rules = TransitionRules { final_confirmation };
        let from = crate::stored_state(&state)?;
        // A capture older than the student's photo (a station's file imported late) is kept in
        // their history, but never replaces the newer photo nor moves the student.
        let became_photo = newest.as_deref().is_none_or(|newest| newest <= at);
        let steps = if became_photo {
            from.capture_transitions(capture.retake, rules)?
        } else {
            Vec::new()
        };
        for (kind, hash, bytes) in [
            ("original", original_hash, capture.original.len()),
            ("standard", standard_hash, capture.standard.len()),
        ] {
            sqlx::query("INSERT OR IGNORE INTO photos (hash, student_id, kind, bytes, created_at) VALUES (?, ?, ?, ?, ?)")
                .bind(hash)
                .bind(capture.student_id)
                .bind(kind)
                .bind(bytes as i64)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        let overrides = serde_json::to_string(&capture.overrides)?;
        sqlx::query(
            "INSERT INTO captures (id, student_id, session_id, original_hash, standard_hash, report, overrides, actor, taken_at, source, failed_checks)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(capture.student_id)
        .bind(capture.session_id)
        .bind(original_hash)
        .bind(standard_hash)
        .bind(&capture.report)
        .bind(&overrides)
        .bind(capture.actor)
        .bind(at)
        .bind(capture.source.id())
        .bind(failed_checks)
        .execute(&mut *tx)
        .await?;
        let to = steps.last().map_or(from, |&(_, _, after)| after);
        // The capture's one operation carries its transitions; they name it in the history.
        let op_id = outbox::append(
            &mut tx,
            Operation::CaptureSaved {
                capture_id: id.to_string(),
                student_id: capture.student_id.to_string(),
                session_id: capture.session_id.map(str::to_string),
                original_hash: original_hash.to_string(),
                standard_hash: standard_hash.to_string(),
                overrides: capture.overrides.clone(),
                source: capture.source.id().to_string(),
                actor: capture.actor.to_string(),
                retake: steps.len() > 1,
                became_photo,
                state: to,
                taken_at: at.to_string(),
            },
        )
        .await?;
        let reason = (!capture.overrides.is_empty()).then(|| {
            capture
                .overrides
                .iter()
                .map(|o| format!("{}: {}", o.code, o.reason))
                .collect::<Vec<_>>()
                .join("; ")
        });
        for &(before, action, after) in &steps {
            let submit = action == photoroll_core::Action::Submit;
            record_transition(
                &mut tx,
                &Transition {
                    student_id: capture.student_id,
                    from: before,
                    action,
                    to: after,
                    actor: capture.actor,
                    photo_hash: submit.then_some(standard_hash),
                    reason: if submit {
                        reason.as_deref()
                    } else {
                        Some("重拍")
                    },
                    reason_key: None,
                    at,
                },
                &op_id,
            )
            .await?;
        }
        if became_photo {
            sqlx::query(
                "UPDATE students SET state = ?, photo_hash = ?, state_reason = NULL, updated_at = ? WHERE id = ?",
            )
            .bind(to.id())
            .bind(standard_hash)
            .bind(at)
            .bind(capture.student_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(SavedCapture {
            id: id.to_string(),
            original_hash: original_hash.to_string(),
            standard_hash: standard_hash.to_string(),
            state: to.id().to_string(),
            became_photo,
        })
    }
}
