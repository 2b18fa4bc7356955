//! Collection progress: counts per state and filtered student lists with masked IDs.

use crate::{Store, StoreError, now};
use photoroll_core::id_document::mask_number;
use photoroll_core::{CollectionState, EducationCategory};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, QueryBuilder, Row, Sqlite};

/// What the progress screen and `photoroll progress` filter by. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StudentFilter {
    pub school: Option<String>,
    pub state: Option<CollectionState>,
    pub category: Option<EducationCategory>,
    pub department: Option<String>,
    pub class_name: Option<String>,
    /// A name fragment, a collection code, or an ID's last four characters.
    pub search: Option<String>,
}

/// A student as lists show it: the ID masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StudentRow {
    pub id: String,
    pub school_code: String,
    pub name: String,
    pub id_masked: Option<String>,
    pub id_last_four: Option<String>,
    pub collection_code: Option<String>,
    pub student_number: Option<String>,
    pub examinee_number: Option<String>,
    pub teaching_site: Option<String>,
    pub department: Option<String>,
    pub major: Option<String>,
    pub class_name: Option<String>,
    pub enrolment_year: Option<i64>,
    pub category: String,
    pub level: Option<String>,
    pub state: String,
    pub photo_hash: Option<String>,
    /// Why the admin should look at this record (e.g. added at a capture station).
    pub flag: Option<String>,
    /// What the student is told about their state (a rejection's reason).
    pub state_reason: Option<String>,
}

/// Counts per state, every state present (zero included), plus the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProgressCounts {
    pub pending: i64,
    pub submitted: i64,
    pub rejected: i64,
    pub awaiting_confirmation: i64,
    pub completed: i64,
    pub intercepted: i64,
    pub delivered: i64,
    pub total: i64,
}

impl ProgressCounts {
    pub fn get(&self, state: CollectionState) -> i64 {
        match state {
            CollectionState::Pending => self.pending,
            CollectionState::Submitted => self.submitted,
            CollectionState::Rejected => self.rejected,
            CollectionState::AwaitingConfirmation => self.awaiting_confirmation,
            CollectionState::Completed => self.completed,
            CollectionState::Intercepted => self.intercepted,
            CollectionState::Delivered => self.delivered,
        }
    }

    fn slot(&mut self, state: CollectionState) -> &mut i64 {
        match state {
            CollectionState::Pending => &mut self.pending,
            CollectionState::Submitted => &mut self.submitted,
            CollectionState::Rejected => &mut self.rejected,
            CollectionState::AwaitingConfirmation => &mut self.awaiting_confirmation,
            CollectionState::Completed => &mut self.completed,
            CollectionState::Intercepted => &mut self.intercepted,
            CollectionState::Delivered => &mut self.delivered,
        }
    }
}

/// An export in the history: the name the user gave it (or the file name), where it went, and
/// the filter it ran (JSON of a [`StudentFilter`]) so it can be run again.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ExportRecord {
    pub id: String,
    pub name: String,
    pub path: String,
    pub filter: String,
    pub rows: i64,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawStudent {
    id: String,
    school_code: String,
    name: String,
    id_number: Option<String>,
    id_last_four: Option<String>,
    collection_code: Option<String>,
    student_number: Option<String>,
    examinee_number: Option<String>,
    teaching_site: Option<String>,
    department: Option<String>,
    major: Option<String>,
    class_name: Option<String>,
    enrolment_year: Option<i64>,
    category: String,
    level: Option<String>,
    state: String,
    photo_hash: Option<String>,
    flag: Option<String>,
    state_reason: Option<String>,
}

impl From<RawStudent> for StudentRow {
    fn from(r: RawStudent) -> Self {
        StudentRow {
            id: r.id,
            school_code: r.school_code,
            name: r.name,
            id_masked: r.id_number.as_deref().map(mask_number),
            id_last_four: r.id_last_four,
            collection_code: r.collection_code,
            student_number: r.student_number,
            examinee_number: r.examinee_number,
            teaching_site: r.teaching_site,
            department: r.department,
            major: r.major,
            class_name: r.class_name,
            enrolment_year: r.enrolment_year,
            category: r.category,
            level: r.level,
            state: r.state,
            photo_hash: r.photo_hash,
            flag: r.flag,
            state_reason: r.state_reason,
        }
    }
}

pub(crate) fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &StudentFilter, with_state: bool) {
    qb.push(" WHERE 1 = 1");
    if let Some(s) = &f.school {
        qb.push(" AND school_code = ").push_bind(s.clone());
    }
    if let (true, Some(s)) = (with_state, f.state) {
        qb.push(" AND state = ").push_bind(s.id());
    }
    if let Some(c) = f.category {
        qb.push(" AND category = ").push_bind(c.id());
    }
    if let Some(d) = f.department.as_ref().filter(|d| !d.is_empty()) {
        qb.push(" AND department = ").push_bind(d.clone());
    }
    if let Some(c) = f.class_name.as_ref().filter(|c| !c.is_empty()) {
        qb.push(" AND class_name = ").push_bind(c.clone());
    }
    if let Some(s) = f
        .search
        .as_ref()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let upper = s.to_ascii_uppercase();
        let escaped = s
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        qb.push(" AND (name LIKE ")
            .push_bind(format!("%{escaped}%"))
            .push(" ESCAPE '\\' OR collection_code = ")
            .push_bind(upper.clone())
            .push(" OR id_last_four = ")
            .push_bind(upper)
            .push(")");
    }
}

/// Runs a `STUDENT_COLUMNS_WITH_ROWID` query: each student with its row key.
async fn fetch_with_rowid(
    store: &Store,
    qb: &mut QueryBuilder<Sqlite>,
) -> Result<Vec<(i64, RawStudent)>, StoreError> {
    Ok(qb
        .build()
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| Ok((row.try_get::<i64, _>("rowid")?, RawStudent::from_row(row)?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

const STUDENT_COLUMNS_WITH_ROWID: &str = "SELECT rowid, id, school_code, name, id_number, id_last_four, collection_code, student_number,
    examinee_number, teaching_site, department, major, class_name, enrolment_year, category, level, state, photo_hash, flag, state_reason
    FROM students";

pub(crate) const STUDENT_COLUMNS: &str = "SELECT id, school_code, name, id_number, id_last_four, collection_code, student_number,
    examinee_number, teaching_site, department, major, class_name, enrolment_year, category, level, state, photo_hash, flag, state_reason
    FROM students";

impl Store {
    /// Counts per state under the filter (its own state field is ignored: chips show every state).
    pub async fn progress(&self, filter: &StudentFilter) -> Result<ProgressCounts, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT state, COUNT(*) FROM students");
        push_filter(&mut qb, filter, false);
        qb.push(" GROUP BY state");
        let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(self.pool()).await?;
        let mut counts = ProgressCounts {
            pending: 0,
            submitted: 0,
            rejected: 0,
            awaiting_confirmation: 0,
            completed: 0,
            intercepted: 0,
            delivered: 0,
            total: 0,
        };
        for (state, n) in rows {
            // A state this build does not know (a newer schema) still counts in the total.
            if let Some(st) = CollectionState::parse(&state) {
                *counts.slot(st) += n;
            }
            counts.total += n;
        }
        Ok(counts)
    }

    /// Students under the filter in roster order, IDs masked. `limit`/`offset` page the list.
    pub async fn students(
        &self,
        filter: &StudentFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StudentRow>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new(STUDENT_COLUMNS);
        push_filter(&mut qb, filter, true);
        qb.push(" ORDER BY rowid LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        let rows: Vec<RawStudent> = qb.build_query_as().fetch_all(self.pool()).await?;
        Ok(rows.into_iter().map(StudentRow::from).collect())
    }

    /// The row keys of every student under the filter, in list order. A list view holds these
    /// (8 bytes a student) and loads any page by key, so a page deep in the list costs the same
    /// as the first: OFFSET would step through every row before it.
    pub async fn student_keys(&self, filter: &StudentFilter) -> Result<Vec<i64>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT rowid FROM students");
        push_filter(&mut qb, filter, true);
        qb.push(" ORDER BY rowid");
        Ok(qb.build_query_scalar().fetch_all(self.pool()).await?)
    }

    /// The students with these row keys, in the order given (unknown keys are skipped).
    pub async fn students_by_keys(&self, keys: &[i64]) -> Result<Vec<StudentRow>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            let mut qb = QueryBuilder::<Sqlite>::new(STUDENT_COLUMNS_WITH_ROWID);
            qb.push(" WHERE rowid IN (");
            let mut sep = qb.separated(", ");
            for k in chunk {
                sep.push_bind(*k);
            }
            qb.push(")");
            let mut rows: std::collections::HashMap<i64, RawStudent> =
                fetch_with_rowid(self, &mut qb).await?.into_iter().collect();
            out.extend(
                chunk
                    .iter()
                    .filter_map(|k| rows.remove(k))
                    .map(StudentRow::from),
            );
        }
        Ok(out)
    }

    /// One page of students after `after_rowid`, for walking a whole filter without OFFSET
    /// (which rescans every skipped row). Returns the rows and the cursor for the next page.
    pub async fn students_after(
        &self,
        filter: &StudentFilter,
        after_rowid: i64,
        limit: i64,
    ) -> Result<(Vec<StudentRow>, i64), StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new(STUDENT_COLUMNS_WITH_ROWID);
        push_filter(&mut qb, filter, true);
        qb.push(" AND rowid > ")
            .push_bind(after_rowid)
            .push(" ORDER BY rowid LIMIT ")
            .push_bind(limit);
        let rows = fetch_with_rowid(self, &mut qb).await?;
        let cursor = rows.last().map_or(after_rowid, |(r, _)| *r);
        Ok((
            rows.into_iter().map(|(_, r)| StudentRow::from(r)).collect(),
            cursor,
        ))
    }

    pub async fn count_students(&self, filter: &StudentFilter) -> Result<i64, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM students");
        push_filter(&mut qb, filter, true);
        Ok(qb.build_query_scalar().fetch_one(self.pool()).await?)
    }

    /// The students of one import, in file order.
    pub async fn import_students(&self, import_id: &str) -> Result<Vec<StudentRow>, StoreError> {
        self.import(import_id).await?;
        let rows: Vec<RawStudent> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{STUDENT_COLUMNS} WHERE import_id = ? ORDER BY row_number"
        )))
        .bind(import_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(StudentRow::from).collect())
    }

    /// Distinct departments and classes, for the filter menus.
    pub async fn facets(
        &self,
        school: Option<&str>,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let q = |col: &str| {
            format!(
                "SELECT DISTINCT {col} FROM students WHERE {col} IS NOT NULL AND (?1 IS NULL OR school_code = ?1) ORDER BY {col}"
            )
        };
        let deps: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(q("department")))
            .bind(school)
            .fetch_all(self.pool())
            .await?;
        let classes: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(q("class_name")))
            .bind(school)
            .fetch_all(self.pool())
            .await?;
        Ok((deps, classes))
    }

    pub async fn record_export(
        &self,
        name: &str,
        path: &str,
        filter: &StudentFilter,
        rows: i64,
    ) -> Result<ExportRecord, StoreError> {
        let rec = ExportRecord {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_string(),
            path: path.to_string(),
            filter: serde_json::to_string(filter)?,
            rows,
            created_at: now(),
        };
        sqlx::query("INSERT INTO exports (id, name, path, filter, rows, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&rec.id)
            .bind(&rec.name)
            .bind(&rec.path)
            .bind(&rec.filter)
            .bind(rec.rows)
            .bind(&rec.created_at)
            .execute(self.pool())
            .await?;
        Ok(rec)
    }

    /// One export of the history, by its id.
    pub async fn export(&self, id: &str) -> Result<Option<ExportRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, path, filter, rows, created_at FROM exports WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The export history, newest first.
    pub async fn exports(&self) -> Result<Vec<ExportRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT id, name, path, filter, rows, created_at FROM exports ORDER BY created_at DESC, rowid DESC")
            .fetch_all(self.pool())
            .await?)
    }
}
