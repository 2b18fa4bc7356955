//! Saving a capture the student agreed to: the one write at a station that must never be lost
//! or half done. Both blobs are written to temporary files, fsynced and renamed first; then one
//! transaction records the photos, the capture, the state change and its outbox operation, on a
//! connection switched to `synchronous = FULL` so the commit itself is on disk before
//! `save_capture` returns and the window says 已保存. A crash before the commit leaves at most
//! unreferenced blobs (harmless, content-addressed), never a record without its photos.

use crate::students::{Transition, record_transition};
use crate::{Store, StoreError, now, outbox};
use photoroll_core::{Action, CollectionState, TransitionRules};
use serde::{Deserialize, Serialize};

/// A failed check the photographer accepted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CheckOverride {
    pub code: String,
    pub reason: String,
}

/// The failed checks (by code) that no override accepts with a reason: a capture with any of
/// these cannot be saved.
pub fn unresolved_checks(failed: &[String], overrides: &[CheckOverride]) -> Vec<String> {
    failed
        .iter()
        .filter(|code| {
            !overrides
                .iter()
                .any(|o| &o.code == *code && !o.reason.trim().is_empty())
        })
        .cloned()
        .collect()
}

#[derive(Debug, Clone)]
pub struct NewCapture<'a> {
    pub student_id: &'a str,
    pub session_id: Option<&'a str>,
    pub original: &'a [u8],
    pub standard: &'a [u8],
    /// The standardisation report as JSON.
    pub report: String,
    pub overrides: Vec<CheckOverride>,
    pub actor: &'a str,
    /// The student already has a submitted photo and the photographer confirmed a retake: the
    /// old one is withdrawn (and kept in history) before the new one is submitted.
    pub retake: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedCapture {
    pub id: String,
    pub original_hash: String,
    pub standard_hash: String,
    pub state: String,
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
        let original_hash = self.blobs().put(capture.original)?;
        let standard_hash = self.blobs().put(capture.standard)?;
        let mut conn = self.pool().acquire().await?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
        let result = self
            .save_capture_on(&mut conn, capture, &original_hash, &standard_hash, id, at)
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
        original_hash: &str,
        standard_hash: &str,
        id: &str,
        at: &str,
    ) -> Result<SavedCapture, StoreError> {
        use sqlx::Connection;
        let mut tx = conn.begin().await?;
        let row: Option<(String, bool)> = sqlx::query_as(
            "SELECT s.state, sc.final_confirmation FROM students s JOIN schools sc ON sc.code = s.school_code WHERE s.id = ?",
        )
        .bind(capture.student_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (state, final_confirmation) =
            row.ok_or_else(|| StoreError::UnknownStudent(capture.student_id.to_string()))?;
        let rules = TransitionRules { final_confirmation };
        let mut from = CollectionState::parse(&state)
            .ok_or_else(|| StoreError::UnknownStudent(capture.student_id.to_string()))?;
        let mut actions = Vec::new();
        if from == CollectionState::Submitted && capture.retake {
            actions.push((Action::Withdraw, from, from.apply(Action::Withdraw, rules)?));
            from = CollectionState::Pending;
        }
        actions.push((Action::Submit, from, from.apply(Action::Submit, rules)?));
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
            "INSERT INTO captures (id, student_id, session_id, original_hash, standard_hash, report, overrides, actor, taken_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .execute(&mut *tx)
        .await?;
        let reason = (!capture.overrides.is_empty()).then(|| {
            capture
                .overrides
                .iter()
                .map(|o| format!("{}: {}", o.code, o.reason))
                .collect::<Vec<_>>()
                .join("; ")
        });
        let mut to = from;
        for (action, before, after) in &actions {
            let submit = *action == Action::Submit;
            record_transition(
                &mut tx,
                &Transition {
                    student_id: capture.student_id,
                    from: *before,
                    action: *action,
                    to: *after,
                    actor: capture.actor,
                    photo_hash: submit.then_some(standard_hash),
                    reason: if submit {
                        reason.as_deref()
                    } else {
                        Some("重拍")
                    },
                    at,
                },
            )
            .await?;
            to = *after;
        }
        sqlx::query("UPDATE students SET state = ?, photo_hash = ?, updated_at = ? WHERE id = ?")
            .bind(to.id())
            .bind(standard_hash)
            .bind(at)
            .bind(capture.student_id)
            .execute(&mut *tx)
            .await?;
        outbox::append(
            &mut tx,
            "capture",
            id,
            "save",
            &serde_json::json!({
                "student_id": capture.student_id,
                "session_id": capture.session_id,
                "original_hash": original_hash,
                "standard_hash": standard_hash,
                "overrides": capture.overrides,
                "actor": capture.actor,
                "retake": actions.len() > 1,
                "state": to,
                "at": at,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(SavedCapture {
            id: id.to_string(),
            original_hash: original_hash.to_string(),
            standard_hash: standard_hash.to_string(),
            state: to.id().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_check_needs_an_override_with_a_reason() {
        let failed = vec!["yaw".to_string(), "glasses_glare".to_string()];
        let with = |code: &str, reason: &str| CheckOverride {
            code: code.into(),
            reason: reason.into(),
        };
        assert_eq!(unresolved_checks(&failed, &[]), failed);
        assert_eq!(
            unresolved_checks(
                &failed,
                &[with("yaw", "颈椎病，无法正对"), with("glasses_glare", "  ")]
            ),
            vec!["glasses_glare".to_string()]
        );
        assert!(
            unresolved_checks(&failed, &[with("yaw", "a"), with("glasses_glare", "b")]).is_empty()
        );
        assert!(unresolved_checks(&[], &[]).is_empty());
    }
}
