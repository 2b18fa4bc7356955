//! Roster imports: stored whole in one transaction with their outbox operation, or not at all.

use crate::{Store, StoreError, now, outbox};
use photoroll_core::roster::{RowFailure, StudentRecord};
use photoroll_core::{EducationCategory, JobControl, SchoolCode};
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite};
use std::collections::HashSet;

/// SQLite allows 32766 bound variables per statement; 19 per student row.
const STUDENTS_PER_INSERT: usize = 1700;

/// A validated import ready to be stored.
#[derive(Debug)]
pub struct NewImport {
    pub school: SchoolCode,
    pub category: Option<EducationCategory>,
    pub file_name: String,
    pub sheet_name: String,
    pub headers: Vec<String>,
    pub total: u64,
    pub records: Vec<StudentRecord>,
    /// Each failure with its row's cells as uploaded.
    pub failures: Vec<(RowFailure, Vec<String>)>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ImportSummary {
    pub id: String,
    pub school_code: String,
    pub category: Option<String>,
    pub file_name: String,
    pub sheet_name: String,
    pub imported_at: String,
    pub total: i64,
    pub imported: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredFailure {
    pub row: i64,
    pub code: String,
    pub message: String,
    pub cells: Vec<String>,
}

impl Store {
    /// Collection codes and document numbers already on a school's roster.
    pub async fn existing_keys(
        &self,
        school: &SchoolCode,
    ) -> Result<(HashSet<String>, HashSet<String>), StoreError> {
        let rows: Vec<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT collection_code, id_number FROM students WHERE school_code = ?")
                .bind(school.as_str())
                .fetch_all(self.pool())
                .await?;
        let mut codes = HashSet::with_capacity(rows.len());
        let mut ids = HashSet::with_capacity(rows.len());
        for (c, i) in rows {
            codes.extend(c);
            ids.extend(i);
        }
        Ok((codes, ids))
    }

    /// Stores an import: its record, its good rows, its failures and one outbox operation, in one
    /// transaction. Cancelling through `job` rolls everything back.
    pub async fn insert_import(
        &self,
        import: &NewImport,
        job: &JobControl,
    ) -> Result<ImportSummary, StoreError> {
        if self.school(&import.school).await?.is_none() {
            return Err(StoreError::UnknownSchool(import.school.to_string()));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let at = now();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO roster_imports (id, school_code, category, file_name, sheet_name, imported_at, total, imported, failed, headers)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(import.school.as_str())
        .bind(import.category.map(|c| c.id()))
        .bind(&import.file_name)
        .bind(&import.sheet_name)
        .bind(&at)
        .bind(import.total as i64)
        .bind(import.records.len() as i64)
        .bind(import.failures.len() as i64)
        .bind(serde_json::to_string(&import.headers)?)
        .execute(&mut *tx)
        .await?;

        let student_ids: Vec<String> = import
            .records
            .iter()
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect();
        let total = import.records.len() as u64;
        for (chunk_no, chunk) in import.records.chunks(STUDENTS_PER_INSERT).enumerate() {
            let first = chunk_no * STUDENTS_PER_INSERT;
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO students (id, school_code, import_id, row_number, name, id_kind, id_number, id_last_four,
                 collection_code, student_number, examinee_number, teaching_site, department, major, class_name,
                 enrolment_year, category, level, updated_at) ",
            );
            qb.push_values(chunk.iter().enumerate(), |mut b, (i, r)| {
                b.push_bind(student_ids[first + i].clone())
                    .push_bind(import.school.as_str().to_string())
                    .push_bind(id.clone())
                    .push_bind(i64::from(r.row))
                    .push_bind(r.name.clone())
                    .push_bind(r.document.as_ref().map(|d| kind_id(d.kind())))
                    .push_bind(r.document.as_ref().map(|d| d.number().to_string()))
                    .push_bind(r.id_last_four.clone())
                    .push_bind(r.collection_code.clone())
                    .push_bind(r.student_number.clone())
                    .push_bind(r.examinee_number.clone())
                    .push_bind(r.teaching_site.clone())
                    .push_bind(r.department.clone())
                    .push_bind(r.major.clone())
                    .push_bind(r.class_name.clone())
                    .push_bind(r.enrolment_year)
                    .push_bind(r.category.id())
                    .push_bind(r.level.map(|l| l.id()))
                    .push_bind(at.clone());
            });
            qb.build().execute(&mut *tx).await?;
            job.step((first + chunk.len()) as u64, total)?;
        }

        for chunk in import.failures.chunks(5000) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO import_failures (import_id, row_number, code, message, cells) ",
            );
            let mut err = None;
            qb.push_values(chunk, |mut b, (f, cells)| {
                let cells = serde_json::to_string(cells).unwrap_or_else(|e| {
                    err = Some(e);
                    String::new()
                });
                b.push_bind(id.clone())
                    .push_bind(i64::from(f.row))
                    .push_bind(f.code.id())
                    .push_bind(f.message.clone())
                    .push_bind(cells);
            });
            if let Some(e) = err {
                return Err(e.into());
            }
            qb.build().execute(&mut *tx).await?;
        }

        // One coarse operation per import, carrying its rows with the ids they were given.
        let students: Vec<serde_json::Value> = import
            .records
            .iter()
            .zip(&student_ids)
            .map(|(r, sid)| serde_json::json!({ "id": sid, "record": r }))
            .collect();
        let payload = serde_json::json!({
            "import_id": id,
            "school_code": import.school,
            "category": import.category,
            "file_name": import.file_name,
            "imported_at": at,
            "total": import.total,
            "failed": import.failures.len(),
            "students": students,
        });
        outbox::append(&mut tx, "roster_import", &id, "create", &payload).await?;
        job.step(total, total)?;
        tx.commit().await?;
        self.import(&id).await
    }

    pub async fn import(&self, id: &str) -> Result<ImportSummary, StoreError> {
        sqlx::query_as(
            "SELECT id, school_code, category, file_name, sheet_name, imported_at, total, imported, failed
             FROM roster_imports WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::UnknownImport(id.to_string()))
    }

    /// Import history, newest first.
    pub async fn imports(&self) -> Result<Vec<ImportSummary>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, school_code, category, file_name, sheet_name, imported_at, total, imported, failed
             FROM roster_imports ORDER BY imported_at DESC, rowid DESC",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// The uploaded header row and the failed rows exactly as uploaded.
    pub async fn import_failures(
        &self,
        id: &str,
    ) -> Result<(Vec<String>, Vec<StoredFailure>), StoreError> {
        let headers: Option<String> =
            sqlx::query_scalar("SELECT headers FROM roster_imports WHERE id = ?")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        let headers: Vec<String> = serde_json::from_str(
            &headers.ok_or_else(|| StoreError::UnknownImport(id.to_string()))?,
        )?;
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT row_number, code, message, cells FROM import_failures WHERE import_id = ? ORDER BY row_number",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        let failures = rows
            .into_iter()
            .map(|(row, code, message, cells)| {
                Ok(StoredFailure {
                    row,
                    code,
                    message,
                    cells: serde_json::from_str(&cells)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((headers, failures))
    }

    /// Deletes an import with its students, refused whole when any of them has a photo.
    pub async fn delete_import(&self, id: &str) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT id FROM roster_imports WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::UnknownImport(id.to_string()));
        }
        let with_photos: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT name, collection_code FROM students WHERE import_id = ?
             AND (photo_hash IS NOT NULL OR state <> 'pending' OR id IN (SELECT student_id FROM photos))
             ORDER BY row_number",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        if !with_photos.is_empty() {
            let names: Vec<String> = with_photos
                .iter()
                .take(20)
                .map(|(n, c)| match c {
                    Some(c) => format!("{n}（{c}）"),
                    None => n.clone(),
                })
                .collect();
            let more = with_photos.len().saturating_sub(names.len());
            let mut msg = format!("{}名学生已有照片：{}", with_photos.len(), names.join("、"));
            if more > 0 {
                msg.push_str(&format!(" 等另{more}名"));
            }
            return Err(StoreError::ImportHasPhotos(msg));
        }
        sqlx::query("DELETE FROM transitions WHERE student_id IN (SELECT id FROM students WHERE import_id = ?)")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query("DELETE FROM students WHERE import_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM import_failures WHERE import_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM roster_imports WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        outbox::append(
            &mut tx,
            "roster_import",
            id,
            "delete",
            &serde_json::json!({ "students": n }),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}

pub(crate) fn kind_id(k: photoroll_core::DocumentKind) -> &'static str {
    match k {
        photoroll_core::DocumentKind::ResidentId => "resident_id",
        photoroll_core::DocumentKind::Other => "other",
    }
}
