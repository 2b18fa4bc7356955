//! Roster imports: stored whole in one transaction with their outbox operation, or not at all.

use crate::{Store, StoreError, now, outbox};
use photoroll_core::roster::{RecordKey, RosterKeys, RowFailure, StudentRecord};
use photoroll_core::{EducationCategory, JobControl, Level, SchoolCode};
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite, Transaction};

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

#[derive(Serialize)]
struct StudentOp<'a> {
    id: &'a str,
    record: &'a StudentRecord,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StoredFailure {
    pub row: i64,
    pub code: String,
    pub message: String,
    pub cells: Vec<String>,
}

impl Store {
    /// The keys of the records already on a school's roster (see
    /// [`photoroll_core::roster::same_record`]).
    pub async fn existing_keys(&self, school: &SchoolCode) -> Result<RosterKeys, StoreError> {
        #[derive(sqlx::FromRow)]
        struct KeyRow {
            collection_code: Option<String>,
            id_number: Option<String>,
            category: String,
            level: Option<String>,
        }
        let rows: Vec<KeyRow> = sqlx::query_as(
            "SELECT collection_code, id_number, category, level FROM students WHERE school_code = ?",
        )
        .bind(school.as_str())
        .fetch_all(self.pool())
        .await?;
        let mut keys = RosterKeys::new();
        for r in rows {
            keys.insert(RecordKey {
                collection_code: r.collection_code,
                id_number: r.id_number,
                category: stored_category(&r.category)?,
                level: r.level.as_deref().map(stored_level).transpose()?,
            });
        }
        Ok(keys)
    }

    /// Stores a whole validated import in one transaction (see [`ImportWriter`] to stream one).
    pub async fn insert_import(
        &self,
        import: &NewImport,
        job: &JobControl,
    ) -> Result<ImportSummary, StoreError> {
        let mut writer = self
            .begin_import(&import.school, import.category, &import.file_name, job)
            .await?;
        let total = import.records.len() as u64;
        for chunk in import.records.chunks(STUDENTS_PER_INSERT) {
            writer.write_students(chunk).await?;
            job.step(writer.written, total)?;
        }
        writer
            .finish(
                &import.sheet_name,
                &import.headers,
                import.total,
                &import.failures,
            )
            .await
    }

    /// Opens the transaction of an import. Nothing is visible until [`ImportWriter::finish`];
    /// dropping the writer (an error, a refused file, a cancel) rolls everything back.
    pub async fn begin_import(
        &self,
        school: &SchoolCode,
        category: Option<EducationCategory>,
        file_name: &str,
        job: &JobControl,
    ) -> Result<ImportWriter, StoreError> {
        if self.school(school).await?.is_none() {
            return Err(StoreError::UnknownSchool(school.to_string()));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let at = now();
        let mut tx = self.pool().begin().await?;
        // 32 MB of page cache while 100,000 rows go into four indexes; finish() sets it back.
        sqlx::query("PRAGMA cache_size = -32000")
            .execute(&mut *tx)
            .await?;
        // The import row comes first (students reference it); its totals are set by finish().
        sqlx::query(
            "INSERT INTO roster_imports (id, school_code, category, file_name, sheet_name, imported_at, total, imported, failed, headers)
             VALUES (?, ?, ?, ?, '', ?, 0, 0, 0, '[]')",
        )
        .bind(&id)
        .bind(school.as_str())
        .bind(category.map(|c| c.id()))
        .bind(file_name)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        Ok(ImportWriter {
            store: self.clone(),
            tx,
            id,
            at,
            school: school.clone(),
            category,
            file_name: file_name.to_string(),
            written: 0,
            students_json: String::from("["),
            job: job.clone(),
        })
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
        // Sessions may cover these students (a session sheet printed before the roster was
        // found wrong); they leave the session with the roster.
        for sql in [
            "DELETE FROM capture_session_students WHERE student_id IN (SELECT id FROM students WHERE import_id = ?)",
            "DELETE FROM transitions WHERE student_id IN (SELECT id FROM students WHERE import_id = ?)",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
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
            photoroll_core::Operation::RosterImportDeleted {
                import_id: id.to_string(),
                students: n,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// An import being stored: students arrive in batches while the file is still being read, so
/// parsing and SQLite work overlap on two cores. One transaction from begin to finish.
pub struct ImportWriter {
    store: Store,
    tx: Transaction<'static, Sqlite>,
    id: String,
    at: String,
    school: SchoolCode,
    category: Option<EducationCategory>,
    file_name: String,
    written: u64,
    /// The outbox payload's student array, built as batches are written so records can be
    /// dropped after their batch.
    students_json: String,
    job: JobControl,
}

impl std::fmt::Debug for ImportWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportWriter")
            .field("id", &self.id)
            .field("written", &self.written)
            .finish()
    }
}

impl ImportWriter {
    pub fn import_id(&self) -> &str {
        &self.id
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    /// Inserts a batch of students (multi-row inserts within SQLite's variable limit).
    pub async fn write_students(&mut self, records: &[StudentRecord]) -> Result<(), StoreError> {
        for chunk in records.chunks(STUDENTS_PER_INSERT) {
            if self.job.is_cancelled() {
                return Err(photoroll_core::Cancelled.into());
            }
            let ids: Vec<String> = chunk
                .iter()
                .map(|_| uuid::Uuid::now_v7().to_string())
                .collect();
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO students (id, school_code, import_id, row_number, name, id_kind, id_number, id_last_four,
                 collection_code, student_number, examinee_number, teaching_site, department, major, class_name,
                 enrolment_year, category, level, updated_at) ",
            );
            qb.push_values(chunk.iter().zip(&ids), |mut b, (r, sid)| {
                b.push_bind(sid.clone())
                    .push_bind(self.school.as_str().to_string())
                    .push_bind(self.id.clone())
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
                    .push_bind(self.at.clone());
            });
            qb.build().execute(&mut *self.tx).await?;
            for (record, id) in chunk.iter().zip(&ids) {
                if self.students_json.len() > 1 {
                    self.students_json.push(',');
                }
                self.students_json
                    .push_str(&serde_json::to_string(&StudentOp { id, record })?);
            }
            self.written += chunk.len() as u64;
        }
        Ok(())
    }

    /// Stores the failures, the import's totals and its outbox operation, and commits.
    pub async fn finish(
        mut self,
        sheet_name: &str,
        headers: &[String],
        total: u64,
        failures: &[(RowFailure, Vec<String>)],
    ) -> Result<ImportSummary, StoreError> {
        for chunk in failures.chunks(5000) {
            let cells: Vec<String> = chunk
                .iter()
                .map(|(_, c)| serde_json::to_string(c))
                .collect::<Result<_, _>>()?;
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO import_failures (import_id, row_number, code, message, cells) ",
            );
            qb.push_values(chunk.iter().zip(cells), |mut b, ((f, _), cells)| {
                b.push_bind(self.id.clone())
                    .push_bind(i64::from(f.row))
                    .push_bind(f.code.id())
                    .push_bind(f.message.clone())
                    .push_bind(cells);
            });
            qb.build().execute(&mut *self.tx).await?;
        }
        sqlx::query(
            "UPDATE roster_imports SET sheet_name = ?, total = ?, imported = ?, failed = ?, headers = ? WHERE id = ?",
        )
        .bind(sheet_name)
        .bind(total as i64)
        .bind(self.written as i64)
        .bind(failures.len() as i64)
        .bind(serde_json::to_string(headers)?)
        .bind(&self.id)
        .execute(&mut *self.tx)
        .await?;
        // One coarse operation per import, carrying its rows with the ids they were given:
        // the entry is serialised with no students, and the array built batch by batch goes in
        // its place (`students` is the operation's last field).
        self.students_json.push(']');
        let head = serde_json::to_string(&photoroll_core::OutboxEntry::new(
            photoroll_core::Operation::RosterImported {
                import_id: self.id.clone(),
                school_code: self.school.to_string(),
                category: self.category,
                file_name: self.file_name.clone(),
                imported_at: self.at.clone(),
                total,
                failed: failures.len() as u64,
                students: Vec::new(),
            },
        ))?;
        let prefix = head
            .strip_suffix("[]}}")
            .ok_or_else(|| StoreError::Corrupt("roster operation layout".into()))?;
        let payload = format!("{prefix}{}}}}}", self.students_json);
        if self.job.is_cancelled() {
            return Err(photoroll_core::Cancelled.into());
        }
        outbox::append_json(
            &mut self.tx,
            "roster_import",
            &self.id,
            "roster_imported",
            payload,
        )
        .await?;
        // Same connection, before it goes back to the pool: its normal cache again.
        sqlx::query("PRAGMA cache_size = -8000")
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        self.store.import(&self.id).await
    }
}

pub(crate) fn kind_id(k: photoroll_core::DocumentKind) -> &'static str {
    match k {
        photoroll_core::DocumentKind::ResidentId => "resident_id",
        photoroll_core::DocumentKind::Other => "other",
    }
}

/// A category as the store writes it (its identifier); anything else is a corrupt row, never
/// guessed: duplicate checks depend on it.
pub(crate) fn stored_category(raw: &str) -> Result<EducationCategory, StoreError> {
    EducationCategory::ALL
        .into_iter()
        .find(|c| c.id() == raw)
        .ok_or_else(|| StoreError::Corrupt(format!("名单中有未知的学历类别 “{raw}”")))
}

pub(crate) fn stored_level(raw: &str) -> Result<Level, StoreError> {
    Level::ALL
        .into_iter()
        .find(|l| l.id() == raw)
        .ok_or_else(|| StoreError::Corrupt(format!("名单中有未知的学历层次 “{raw}”")))
}
