//! Student state changes and photos, each recorded with its outbox operation.

use crate::{Store, StoreError, now, outbox};
use photoroll_core::{Action, CollectionState, TransitionRules};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TransitionRecord {
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub id: i64,
    pub from_state: String,
    pub action: String,
    pub to_state: String,
    pub actor: String,
    pub photo_hash: Option<String>,
    pub reason: Option<String>,
    pub reason_key: Option<String>,
    pub at: String,
}

/// One row of a student's history.
pub(crate) struct Transition<'a> {
    pub student_id: &'a str,
    pub from: CollectionState,
    pub action: Action,
    pub to: CollectionState,
    pub actor: &'a str,
    pub photo_hash: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub reason_key: Option<&'a str>,
    pub at: &'a str,
}

/// Records a state change in the student's history, inside the caller's transaction, naming
/// the outbox operation that carries it. Returns the history row's id.
pub(crate) async fn record_transition(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    t: &Transition<'_>,
    op_id: &str,
) -> Result<i64, StoreError> {
    let id = sqlx::query(
        "INSERT INTO transitions (student_id, from_state, action, to_state, actor, photo_hash, reason, reason_key, op_id, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(t.student_id)
    .bind(t.from.id())
    .bind(t.action.id())
    .bind(t.to.id())
    .bind(t.actor)
    .bind(t.photo_hash)
    .bind(t.reason)
    .bind(t.reason_key)
    .bind(op_id)
    .bind(t.at)
    .execute(&mut **tx)
    .await?
    .last_insert_rowid();
    Ok(id)
}

/// A transition of its own (not part of a capture): its `StudentTransitioned` operation and
/// its history row.
pub(crate) async fn record_with_operation(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    t: &Transition<'_>,
) -> Result<i64, StoreError> {
    let op_id = outbox::append(
        tx,
        photoroll_core::Operation::StudentTransitioned {
            student_id: t.student_id.to_string(),
            from: t.from,
            action: t.action,
            to: t.to,
            actor: t.actor.to_string(),
            photo_hash: t.photo_hash.map(str::to_string),
            reason: t.reason.map(str::to_string),
            reason_key: t.reason_key.map(str::to_string),
            at: t.at.to_string(),
        },
    )
    .await?;
    record_transition(tx, t, &op_id).await
}

/// A state change asked for by a person (a reviewer, an admin, the auto-confirm job).
pub(crate) struct StateChange<'a> {
    pub student_id: &'a str,
    pub action: Action,
    pub actor: &'a str,
    /// The photo the decision was made on: refused if it is no longer the student's photo.
    pub judged_photo: Option<&'a str>,
    /// A photo the change attaches (the demo's, a submit); `None` keeps the current one.
    pub photo_hash: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub reason_key: Option<&'a str>,
}

pub(crate) struct Applied {
    pub transition_id: i64,
    pub from: CollectionState,
    pub to: CollectionState,
}

/// Whether a state tells the student or the admin something (a rejection's reason, why a
/// comparison held the photo) that stays on the record.
fn keeps_reason(to: CollectionState) -> bool {
    matches!(to, CollectionState::Rejected | CollectionState::Intercepted)
}

/// One state change through core's table, inside the caller's transaction: the student's row,
/// the history row and the outbox operation together.
pub(crate) async fn apply_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    change: &StateChange<'_>,
) -> Result<Applied, StoreError> {
    let row: Option<(String, bool, Option<String>)> = sqlx::query_as(
        "SELECT s.state, sc.final_confirmation, s.photo_hash FROM students s JOIN schools sc ON sc.code = s.school_code WHERE s.id = ?",
    )
    .bind(change.student_id)
    .fetch_optional(&mut **tx)
    .await?;
    let (state, final_confirmation, current_photo) =
        row.ok_or_else(|| StoreError::UnknownStudent(change.student_id.to_string()))?;
    if let Some(judged) = change.judged_photo {
        photoroll_core::check_judged_photo(current_photo.as_deref(), judged)?;
    }
    let from = crate::stored_state(&state)?;
    let to = from.apply(change.action, TransitionRules { final_confirmation })?;
    let at = now();
    let photo_hash = change.photo_hash.or(current_photo.as_deref());
    let state_reason = keeps_reason(to).then_some(change.reason).flatten();
    sqlx::query(
        "UPDATE students SET state = ?, photo_hash = ?, state_reason = ?, updated_at = ? WHERE id = ?",
    )
    .bind(to.id())
    .bind(photo_hash)
    .bind(state_reason)
    .bind(&at)
    .bind(change.student_id)
    .execute(&mut **tx)
    .await?;
    let transition_id = record_with_operation(
        tx,
        &Transition {
            student_id: change.student_id,
            from,
            action: change.action,
            to,
            actor: change.actor,
            photo_hash,
            reason: change.reason,
            reason_key: change.reason_key,
            at: &at,
        },
    )
    .await?;
    Ok(Applied {
        transition_id,
        from,
        to,
    })
}

impl Store {
    /// Stores a photo blob for a student and records whose it is. Returns the hash.
    pub async fn add_photo(
        &self,
        student_id: &str,
        kind: &str,
        bytes: &[u8],
    ) -> Result<String, StoreError> {
        let hash = self.blobs().put(bytes)?;
        let mut tx = self.pool().begin().await?;
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM students WHERE id = ?")
            .bind(student_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::UnknownStudent(student_id.to_string()));
        }
        sqlx::query("INSERT OR IGNORE INTO photos (hash, student_id, kind, bytes, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&hash)
            .bind(student_id)
            .bind(kind)
            .bind(bytes.len() as i64)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        outbox::append(
            &mut tx,
            photoroll_core::Operation::PhotoAttached {
                hash: hash.clone(),
                student_id: student_id.to_string(),
                kind: kind.to_string(),
                bytes: bytes.len() as u64,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(hash)
    }

    /// Applies an action through the core state machine, recording who, when, which photo, why.
    pub async fn apply_action(
        &self,
        student_id: &str,
        action: Action,
        actor: &str,
        photo_hash: Option<&str>,
        reason: Option<&str>,
    ) -> Result<CollectionState, StoreError> {
        let mut tx = self.pool().begin().await?;
        let applied = apply_in(
            &mut tx,
            &StateChange {
                student_id,
                action,
                actor,
                judged_photo: None,
                photo_hash,
                reason,
                reason_key: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(applied.to)
    }

    pub async fn transitions(&self, student_id: &str) -> Result<Vec<TransitionRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, from_state, action, to_state, actor, photo_hash, reason, reason_key, at FROM transitions WHERE student_id = ? ORDER BY id",
        )
        .bind(student_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Removes the demo school and everything under it, including its unpushed outbox operations
    /// (demo data never reaches a server) and photo blobs no real student uses.
    pub async fn clear_demo(&self) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let demo = "SELECT code FROM schools WHERE is_demo = 1";
        let students = format!("SELECT id FROM students WHERE school_code IN ({demo})");
        let imports = format!("SELECT id FROM roster_imports WHERE school_code IN ({demo})");
        for sql in [
            format!(
                "DELETE FROM outbox WHERE pushed_at IS NULL AND (entity_id IN ({demo}) OR entity_id IN ({imports})
                 OR entity_id IN ({students}) OR entity_id IN (SELECT hash FROM photos WHERE student_id IN ({students}))
                 OR entity_id IN (SELECT id FROM captures WHERE student_id IN ({students}))
                 OR entity_id IN (SELECT id FROM capture_sessions WHERE school_code IN ({demo})))"
            ),
            format!("DELETE FROM captures WHERE student_id IN ({students})"),
            // A batch holding a demo student goes whole: a batch re-downloads as written or not at all.
            format!("DELETE FROM batch_entries WHERE batch_id IN (SELECT batch_id FROM batch_entries WHERE student_id IN ({students}))"),
            "DELETE FROM download_batches WHERE id NOT IN (SELECT batch_id FROM batch_entries)".to_string(),
            format!("DELETE FROM print_order_lines WHERE order_id IN (SELECT id FROM print_orders WHERE school_code IN ({demo}))"),
            format!("DELETE FROM print_orders WHERE school_code IN ({demo})"),
            format!("DELETE FROM contracts WHERE school_code IN ({demo})"),
            format!("DELETE FROM mandate_scans WHERE school_code IN ({demo})"),
            format!("DELETE FROM comparisons WHERE student_id IN ({students})"),
            format!("DELETE FROM admission_photos WHERE student_id IN ({students})"),
            format!("DELETE FROM capture_session_students WHERE student_id IN ({students})"),
            format!("DELETE FROM capture_sessions WHERE school_code IN ({demo})"),
            format!("DELETE FROM transitions WHERE student_id IN ({students})"),
            format!("DELETE FROM photos WHERE student_id IN ({students})"),
            format!("DELETE FROM students WHERE school_code IN ({demo})"),
            format!("DELETE FROM import_failures WHERE import_id IN ({imports})"),
            format!("DELETE FROM roster_imports WHERE school_code IN ({demo})"),
            "DELETE FROM schools WHERE is_demo = 1".to_string(),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        // The demo's photos go with it; `gc` decides, so a photo a real record shares stays.
        self.collect_garbage(std::time::Duration::ZERO).await?;
        Ok(())
    }
}
