//! Delivery packages (下载批次) and the channel's results (上网结果).

use crate::progress::{StudentFilter, push_filter};
use crate::students::{StateChange, apply_in};
use crate::{Store, StoreError, now, outbox};
use photoroll_core::delivery::PACKAGE_STATES;
use photoroll_core::{Action, CollectionState};
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite};

/// A student a package may take, with everything its info row needs. `id_number` is the full
/// document number: the package writer masks it unless the admin asked for full IDs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageCandidate {
    pub rowid: i64,
    pub id: String,
    pub school_code: String,
    pub school_name: String,
    pub name: String,
    pub id_number: Option<String>,
    pub collection_code: Option<String>,
    pub student_number: Option<String>,
    pub examinee_number: Option<String>,
    pub department: Option<String>,
    pub major: Option<String>,
    pub class_name: Option<String>,
    pub category: String,
    pub level: Option<String>,
    pub photo_hash: String,
    pub captured_at: Option<String>,
    pub approved_at: Option<String>,
}

/// A batch in the download history.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BatchRecord {
    pub id: String,
    pub created_at: String,
    pub actor: String,
    pub filter: String,
    pub name_by: String,
    pub full_ids: bool,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub photos: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub bytes: i64,
    pub sha256: String,
}

/// One photo of a batch, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    pub seq: i64,
    pub student_id: String,
    pub file_name: String,
    pub photo_hash: String,
    pub info: Vec<String>,
}

/// One line of the channel's result workbook, resolved to a student.
#[derive(Debug, Clone)]
pub struct DeliveryResult<'a> {
    pub student_id: &'a str,
    pub action: Action,
    /// What the student is told (a failure's reason).
    pub reason: Option<&'a str>,
}

/// Which states a package filter covers: the filter's own when it is one a package may take,
/// none when it is another, both otherwise.
fn package_states(filter: &StudentFilter) -> Vec<CollectionState> {
    match filter.state {
        Some(s) if PACKAGE_STATES.contains(&s) => vec![s],
        Some(_) => Vec::new(),
        None => PACKAGE_STATES.to_vec(),
    }
}

fn push_candidates(qb: &mut QueryBuilder<Sqlite>, filter: &StudentFilter) {
    push_filter(qb, filter, false);
    qb.push(" AND photo_hash IS NOT NULL AND state IN (");
    let mut sep = qb.separated(", ");
    for s in package_states(filter) {
        sep.push_bind(s.id());
    }
    // An empty IN list is legal in SQLite and matches nothing.
    sep.push_unseparated(")");
    qb.push(" AND id NOT IN (SELECT student_id FROM batch_entries)");
}

impl Store {
    /// How many students a package of this filter would take now.
    pub async fn count_package_candidates(
        &self,
        filter: &StudentFilter,
    ) -> Result<i64, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM students");
        push_candidates(&mut qb, filter);
        Ok(qb.build_query_scalar().fetch_one(self.pool()).await?)
    }

    /// One page of package candidates in roster order after `after_rowid`.
    pub async fn package_candidates_after(
        &self,
        filter: &StudentFilter,
        after_rowid: i64,
        limit: i64,
    ) -> Result<Vec<PackageCandidate>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT rowid, id, school_code, (SELECT sc.name FROM schools sc WHERE sc.code = students.school_code) AS school_name,
               name, id_number, collection_code, student_number, examinee_number, department, major, class_name,
               category, level, photo_hash,
               (SELECT MAX(c.taken_at) FROM captures c WHERE c.student_id = students.id AND c.standard_hash = students.photo_hash) AS captured_at,
               (SELECT MAX(t.at) FROM transitions t WHERE t.student_id = students.id AND t.action IN ('approve', 'send_anyway')) AS approved_at
             FROM students",
        );
        push_candidates(&mut qb, filter);
        qb.push(" AND rowid > ")
            .push_bind(after_rowid)
            .push(" ORDER BY rowid LIMIT ")
            .push_bind(limit);
        Ok(qb.build_query_as().fetch_all(self.pool()).await?)
    }

    /// Records a written package: the batch and every photo in it, in one transaction. A student
    /// another batch took meanwhile makes the whole record fail (the package is then discarded).
    pub async fn record_batch(
        &self,
        batch: &BatchRecord,
        entries: &[BatchEntry],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO download_batches (id, created_at, actor, filter, name_by, full_ids, photos, bytes, sha256)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&batch.id)
        .bind(&batch.created_at)
        .bind(&batch.actor)
        .bind(&batch.filter)
        .bind(&batch.name_by)
        .bind(batch.full_ids)
        .bind(batch.photos)
        .bind(batch.bytes)
        .bind(&batch.sha256)
        .execute(&mut *tx)
        .await?;
        for e in entries {
            let taken = sqlx::query(
                "INSERT INTO batch_entries (batch_id, seq, student_id, file_name, photo_hash, info) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&batch.id)
            .bind(e.seq)
            .bind(&e.student_id)
            .bind(&e.file_name)
            .bind(&e.photo_hash)
            .bind(serde_json::to_string(&e.info)?)
            .execute(&mut *tx)
            .await;
            if let Err(sqlx::Error::Database(d)) = &taken
                && d.is_unique_violation()
            {
                return Err(StoreError::AlreadyInBatch(e.file_name.clone()));
            }
            taken?;
        }
        outbox::append(
            &mut tx,
            photoroll_core::Operation::DownloadBatchRecorded {
                batch_id: batch.id.clone(),
                student_ids: entries.iter().map(|e| e.student_id.clone()).collect(),
                sha256: batch.sha256.clone(),
                actor: batch.actor.clone(),
                at: batch.created_at.clone(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The download history, newest first.
    pub async fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, created_at, actor, filter, name_by, full_ids, photos, bytes, sha256 FROM download_batches ORDER BY created_at DESC, id DESC",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn batch(&self, id: &str) -> Result<Option<BatchRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, created_at, actor, filter, name_by, full_ids, photos, bytes, sha256 FROM download_batches WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// One page of a batch's photos in their written order.
    pub async fn batch_entries_after(
        &self,
        batch_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<BatchEntry>, StoreError> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT seq, student_id, file_name, photo_hash, info FROM batch_entries WHERE batch_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(batch_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(seq, student_id, file_name, photo_hash, info)| {
                Ok(BatchEntry {
                    seq,
                    student_id,
                    file_name,
                    photo_hash,
                    info: serde_json::from_str(&info)?,
                })
            })
            .collect()
    }

    /// Applies one result line through the state machine, in its own transaction: a line the
    /// table refuses changes nothing and stops no other line.
    pub async fn apply_delivery_result(
        &self,
        result: &DeliveryResult<'_>,
        actor: &str,
    ) -> Result<CollectionState, StoreError> {
        let mut tx = self.pool().begin().await?;
        let applied = apply_in(
            &mut tx,
            &StateChange {
                student_id: result.student_id,
                action: result.action,
                actor,
                judged_photo: None,
                photo_hash: None,
                reason: result.reason,
                reason_key: (result.action == Action::DeliveryFailed).then_some("delivery"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(applied.to)
    }

    /// When the batch recorded `at` for its photos: a fresh id and the time, in one place so a
    /// batch's time and its entries' zip timestamps agree.
    pub fn new_batch_stamp() -> (String, String) {
        (uuid::Uuid::now_v7().to_string(), now())
    }
}
