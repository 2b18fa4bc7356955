//! Portrait comparison (人像比对): admission photos (with their history), face embeddings stored
//! once per photo and model, comparison results, the school's comparison settings, and the
//! interception a result may cause, through `students::apply_in` like every state change.

use crate::progress::{StudentFilter, push_filter};
use crate::students::{StateChange, apply_in};
use crate::{Store, StoreError, now, outbox};
use photoroll_core::compare::{CompareSettings, CompareThresholds, IdCheck, Outcome};
use photoroll_core::id_document::{mask_name, mask_number};
use photoroll_core::{Action, CollectionState, Operation, SchoolCode};
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite};

/// Who the history names when a comparison holds a student.
pub const COMPARISON_ACTOR: &str = "人像比对";

/// A student's current admission photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AdmissionPhoto {
    pub hash: String,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub bytes: i64,
    pub file_name: String,
    pub imported_at: String,
    /// When a newer photo replaced it (history rows only).
    pub replaced_at: Option<String>,
}

/// What setting an admission photo did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum AdmissionSet {
    /// The student had none.
    Added,
    /// An older photo was replaced (kept in the history).
    Replaced,
    /// The same photo was already the student's: nothing written.
    Unchanged,
}

/// A student a comparison run looks at: completed, with a photo; the admission photo if any.
#[derive(Debug, Clone)]
pub struct CompareCandidate {
    pub student_id: String,
    pub school_code: String,
    pub name: String,
    /// Needed by 人证比对 only; never logged or shown.
    pub id_number: Option<String>,
    pub collected_hash: String,
    pub admission_hash: Option<String>,
    /// The latest comparison's pair and model, if any: a run of new photos only skips a
    /// student whose current pair was compared with the current model.
    pub latest: Option<(String, String, String)>,
}

/// One result to record.
#[derive(Debug, Clone)]
pub struct NewComparison<'a> {
    pub student_id: &'a str,
    pub collected_hash: &'a str,
    pub admission_hash: &'a str,
    pub score: Option<f32>,
    pub outcome: Outcome,
    pub id_check: Option<IdCheck>,
    pub model_version: &'a str,
    pub thresholds: CompareThresholds,
}

/// A student's latest comparison as the 比对 list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ComparisonRow {
    pub student_id: String,
    pub school_code: String,
    pub collection_code: Option<String>,
    pub name_masked: String,
    pub id_masked: Option<String>,
    pub class_name: Option<String>,
    pub state: CollectionState,
    pub state_reason: Option<String>,
    pub collected_sha256: String,
    pub admission_sha256: String,
    pub score: Option<f32>,
    pub outcome: Outcome,
    pub id_check: Option<IdCheck>,
    pub model_version: String,
    pub intercepted: bool,
    pub compared_at: String,
    /// The student's photo or admission photo changed since: the result is out of date.
    pub stale: bool,
}

/// Which results the 比对 list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ComparisonFilter {
    pub students: StudentFilter,
    pub outcome: Option<Outcome>,
}

#[derive(sqlx::FromRow)]
struct ComparisonSqlRow {
    student_id: String,
    school_code: String,
    collection_code: Option<String>,
    name: String,
    id_number: Option<String>,
    class_name: Option<String>,
    state: String,
    state_reason: Option<String>,
    collected_hash: String,
    admission_hash: String,
    score: Option<f64>,
    outcome: String,
    id_check: Option<String>,
    model_version: String,
    intercepted: bool,
    compared_at: String,
    photo_hash: Option<String>,
    current_admission: Option<String>,
}

fn id_check_key(c: IdCheck) -> &'static str {
    match c {
        IdCheck::Match => "match",
        IdCheck::Mismatch => "mismatch",
        IdCheck::NotFound => "not_found",
    }
}

fn parse_id_check(raw: &str) -> Option<IdCheck> {
    match raw {
        "match" => Some(IdCheck::Match),
        "mismatch" => Some(IdCheck::Mismatch),
        "not_found" => Some(IdCheck::NotFound),
        _ => None,
    }
}

impl Store {
    /// Sets a student's admission photo: the blob, the history (the older one marked
    /// replaced) and the outbox operation together.
    pub async fn set_admission_photo(
        &self,
        student_id: &str,
        bytes: &[u8],
        file_name: &str,
    ) -> Result<AdmissionSet, StoreError> {
        let _blobs_in_use = self.blob_writes().read().await;
        let hash = self.blobs().put(bytes)?;
        let mut tx = self.pool().begin().await?;
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM students WHERE id = ?")
            .bind(student_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::UnknownStudent(student_id.to_string()));
        }
        let current: Option<String> = sqlx::query_scalar(
            "SELECT hash FROM admission_photos WHERE student_id = ? AND replaced_at IS NULL",
        )
        .bind(student_id)
        .fetch_optional(&mut *tx)
        .await?;
        if current.as_deref() == Some(hash.as_str()) {
            return Ok(AdmissionSet::Unchanged);
        }
        let at = now();
        sqlx::query(
            "UPDATE admission_photos SET replaced_at = ? WHERE student_id = ? AND replaced_at IS NULL",
        )
        .bind(&at)
        .bind(student_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO admission_photos (student_id, hash, bytes, file_name, imported_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(student_id)
        .bind(&hash)
        .bind(bytes.len() as i64)
        .bind(file_name)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        outbox::append(
            &mut tx,
            Operation::AdmissionPhotoSet {
                student_id: student_id.to_string(),
                hash,
                bytes: bytes.len() as u64,
                file_name: file_name.to_string(),
                at,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(if current.is_some() {
            AdmissionSet::Replaced
        } else {
            AdmissionSet::Added
        })
    }

    /// A student's admission photos, the current one first, then the replaced ones newest
    /// first.
    pub async fn admission_photos(
        &self,
        student_id: &str,
    ) -> Result<Vec<AdmissionPhoto>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT hash, bytes, file_name, imported_at, replaced_at FROM admission_photos
             WHERE student_id = ? ORDER BY replaced_at IS NOT NULL, id DESC",
        )
        .bind(student_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// A stored embedding: `None` when never computed, `Some(None)` when the photo has no face.
    pub async fn face_embedding(
        &self,
        hash: &str,
        model_version: &str,
    ) -> Result<Option<Option<Vec<u8>>>, StoreError> {
        let row: Option<(Option<Vec<u8>>,)> = sqlx::query_as(
            "SELECT vector FROM face_embeddings WHERE hash = ? AND model_version = ?",
        )
        .bind(hash)
        .bind(model_version)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(v,)| v))
    }

    /// Every stored embedding of these photos (the run loads them at once).
    pub async fn face_embeddings(
        &self,
        hashes: &[String],
        model_version: &str,
    ) -> Result<std::collections::HashMap<String, Option<Vec<u8>>>, StoreError> {
        let mut out = std::collections::HashMap::with_capacity(hashes.len());
        // SQLite's bound-parameter limit: ask in slices.
        for slice in hashes.chunks(900) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "SELECT hash, vector FROM face_embeddings WHERE model_version = ",
            );
            qb.push_bind(model_version).push(" AND hash IN (");
            let mut list = qb.separated(", ");
            for h in slice {
                list.push_bind(h);
            }
            qb.push(")");
            let rows: Vec<(String, Option<Vec<u8>>)> =
                qb.build_query_as().fetch_all(self.pool()).await?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Stores an embedding (`None`: no face), once per photo and model.
    pub async fn save_face_embedding(
        &self,
        hash: &str,
        model_version: &str,
        vector: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT OR REPLACE INTO face_embeddings (hash, model_version, vector, computed_at) VALUES (?, ?, ?, ?)",
        )
        .bind(hash)
        .bind(model_version)
        .bind(vector)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The completed students under the filter that have a photo, with their current
    /// admission photo if any, in roster order.
    pub async fn compare_candidates(
        &self,
        filter: &StudentFilter,
    ) -> Result<Vec<CompareCandidate>, StoreError> {
        let mut filter = filter.clone();
        filter.state = Some(CollectionState::Completed);
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT s.id, s.school_code, s.name, s.id_number, s.photo_hash,
                (SELECT hash FROM admission_photos a WHERE a.student_id = s.id AND a.replaced_at IS NULL),
                c.collected_hash, c.admission_hash, c.model_version
             FROM (SELECT rowid, * FROM students",
        );
        push_filter(&mut qb, &filter, true);
        qb.push(
            " AND photo_hash IS NOT NULL) s
             LEFT JOIN (SELECT student_id, MAX(id) AS id FROM comparisons GROUP BY student_id) latest ON latest.student_id = s.id
             LEFT JOIN comparisons c ON c.id = latest.id
             ORDER BY s.rowid",
        );
        #[derive(sqlx::FromRow)]
        struct Row(
            String,
            String,
            String,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = qb.build_query_as().fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|r| CompareCandidate {
                student_id: r.0,
                school_code: r.1,
                name: r.2,
                id_number: r.3,
                collected_hash: r.4,
                admission_hash: r.5,
                latest: match (r.6, r.7, r.8) {
                    (Some(c), Some(a), Some(m)) => Some((c, a, m)),
                    _ => None,
                },
            })
            .collect())
    }

    /// Stores embeddings (`None`: no face) in one transaction.
    pub async fn save_face_embeddings(
        &self,
        model_version: &str,
        embeddings: &[(String, Option<Vec<u8>>)],
    ) -> Result<(), StoreError> {
        let at = now();
        let mut tx = self.pool().begin().await?;
        for (hash, vector) in embeddings {
            sqlx::query(
                "INSERT OR REPLACE INTO face_embeddings (hash, model_version, vector, computed_at) VALUES (?, ?, ?, ?)",
            )
            .bind(hash)
            .bind(model_version)
            .bind(vector.as_deref())
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// [`Store::record_comparison`] for many students in one transaction (a run records in
    /// slices). Returns, per comparison, whether the student was intercepted now.
    pub async fn record_comparisons(
        &self,
        comparisons: &[NewComparison<'_>],
    ) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let mut out = Vec::with_capacity(comparisons.len());
        for c in comparisons {
            out.push(record_in(&mut tx, c).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Records a comparison and, when the school intercepts and the outcome holds delivery,
    /// moves the student completed → intercepted on the photo compared, all in one
    /// transaction. A run that finds the same answer as the latest row for the same pair adds
    /// no row. Returns whether the student was intercepted now.
    pub async fn record_comparison(&self, c: &NewComparison<'_>) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let intercepted = record_in(&mut tx, c).await?;
        tx.commit().await?;
        Ok(intercepted)
    }

    /// Each student's latest comparison under the filter, doubtful outcomes first (lowest
    /// score first), then by collection code.
    pub async fn comparison_results(
        &self,
        filter: &ComparisonFilter,
    ) -> Result<Vec<ComparisonRow>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT s.id AS student_id, s.school_code, s.collection_code, s.name, s.id_number, s.class_name, s.state,
                s.state_reason, c.collected_hash, c.admission_hash, c.score, c.outcome, c.id_check, c.model_version,
                c.intercepted, c.compared_at, s.photo_hash,
                (SELECT hash FROM admission_photos a WHERE a.student_id = s.id AND a.replaced_at IS NULL) AS current_admission
             FROM comparisons c
             JOIN (SELECT student_id, MAX(id) AS id FROM comparisons GROUP BY student_id) latest ON latest.id = c.id
             JOIN (SELECT rowid, * FROM students",
        );
        push_filter(&mut qb, &filter.students, true);
        qb.push(") s ON s.id = c.student_id");
        if let Some(o) = filter.outcome {
            qb.push(" WHERE c.outcome = ").push_bind(o.key());
        }
        qb.push(
            " ORDER BY CASE c.outcome WHEN 'id_mismatch' THEN 0 WHEN 'id_not_found' THEN 0 WHEN 'different' THEN 1
               WHEN 'possibly_same' THEN 2 WHEN 'no_face' THEN 3 ELSE 4 END, c.score, s.collection_code",
        );
        let rows: Vec<ComparisonSqlRow> = qb.build_query_as().fetch_all(self.pool()).await?;
        rows.into_iter()
            .map(|r| {
                let outcome = Outcome::parse(&r.outcome)
                    .ok_or_else(|| StoreError::Corrupt(format!("比对结果 {}", r.outcome)))?;
                let stale = r.photo_hash.as_deref() != Some(r.collected_hash.as_str())
                    || r.current_admission.as_deref() != Some(r.admission_hash.as_str());
                Ok(ComparisonRow {
                    student_id: r.student_id,
                    school_code: r.school_code,
                    collection_code: r.collection_code,
                    name_masked: mask_name(&r.name),
                    id_masked: r.id_number.as_deref().map(mask_number),
                    class_name: r.class_name,
                    state: crate::stored_state(&r.state)?,
                    state_reason: r.state_reason,
                    collected_sha256: r.collected_hash,
                    admission_sha256: r.admission_hash,
                    score: r.score.map(|s| s as f32),
                    outcome,
                    id_check: r.id_check.as_deref().and_then(parse_id_check),
                    model_version: r.model_version,
                    intercepted: r.intercepted,
                    compared_at: r.compared_at,
                    stale,
                })
            })
            .collect()
    }

    /// The latest comparison outcome of a student's current photo, if any (驳回重拍 names it).
    pub async fn latest_outcome(&self, student_id: &str) -> Result<Option<Outcome>, StoreError> {
        let raw: Option<String> = sqlx::query_scalar(
            "SELECT c.outcome FROM comparisons c JOIN students s ON s.id = c.student_id
             WHERE c.student_id = ? AND c.collected_hash = s.photo_hash ORDER BY c.id DESC LIMIT 1",
        )
        .bind(student_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(raw.as_deref().and_then(Outcome::parse))
    }

    pub async fn compare_settings(&self, code: &SchoolCode) -> Result<CompareSettings, StoreError> {
        let row: Option<(bool, f64, f64, i64)> = sqlx::query_as(
            "SELECT intercept, compare_same, compare_possibly_same, admission_max_bytes FROM schools WHERE code = ?",
        )
        .bind(code.as_str())
        .fetch_optional(self.pool())
        .await?;
        let (intercept, same, possibly_same, max) =
            row.ok_or_else(|| StoreError::UnknownSchool(code.to_string()))?;
        Ok(CompareSettings {
            intercept,
            thresholds: CompareThresholds {
                same: same as f32,
                possibly_same: possibly_same as f32,
            },
            admission_max_bytes: max.max(0) as u64,
        })
    }

    pub async fn set_compare_settings(
        &self,
        code: &SchoolCode,
        settings: CompareSettings,
    ) -> Result<CompareSettings, StoreError> {
        let settings = settings
            .check()
            .map_err(|e| StoreError::BadSetting(e.to_string()))?;
        let mut tx = self.pool().begin().await?;
        let n = sqlx::query(
            "UPDATE schools SET intercept = ?, compare_same = ?, compare_possibly_same = ?, admission_max_bytes = ? WHERE code = ?",
        )
        .bind(settings.intercept)
        .bind(f64::from(settings.thresholds.same))
        .bind(f64::from(settings.thresholds.possibly_same))
        .bind(settings.admission_max_bytes as i64)
        .bind(code.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::UnknownSchool(code.to_string()));
        }
        outbox::append(
            &mut tx,
            Operation::CompareSettingsSet {
                school_code: code.to_string(),
                settings,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(settings)
    }
}

async fn record_in(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    c: &NewComparison<'_>,
) -> Result<bool, StoreError> {
    let latest: Option<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT collected_hash, admission_hash, outcome, model_version, id_check FROM comparisons
         WHERE student_id = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(c.student_id)
    .fetch_optional(&mut **tx)
    .await?;
    let same_as_latest = latest.is_some_and(|(col, adm, outcome, model, id_check)| {
        col == c.collected_hash
            && adm == c.admission_hash
            && outcome == c.outcome.key()
            && model == c.model_version
            && id_check.as_deref() == c.id_check.map(id_check_key)
    });
    let school: Option<(bool, String, Option<String>)> = sqlx::query_as(
        "SELECT sc.intercept, s.state, s.photo_hash FROM students s JOIN schools sc ON sc.code = s.school_code WHERE s.id = ?",
    )
    .bind(c.student_id)
    .fetch_optional(&mut **tx)
    .await?;
    let (intercept_on, state, photo) =
        school.ok_or_else(|| StoreError::UnknownStudent(c.student_id.to_string()))?;
    // 仍然报送 on this very photo: the admin has looked and decided.
    let cleared: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM transitions WHERE student_id = ? AND action = 'send_anyway' AND photo_hash = ?)",
    )
    .bind(c.student_id)
    .bind(c.collected_hash)
    .fetch_one(&mut **tx)
    .await?;
    let intercept = photoroll_core::compare::intercepts(intercept_on, c.outcome, cleared)
        && state == CollectionState::Completed.id()
        && photo.as_deref() == Some(c.collected_hash);
    if same_as_latest && !intercept {
        return Ok(false);
    }
    let at = now();
    sqlx::query(
        "INSERT INTO comparisons (student_id, collected_hash, admission_hash, score, outcome, id_check, model_version,
            threshold_same, threshold_possibly, intercepted, compared_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(c.student_id)
    .bind(c.collected_hash)
    .bind(c.admission_hash)
    .bind(c.score.map(f64::from))
    .bind(c.outcome.key())
    .bind(c.id_check.map(id_check_key))
    .bind(c.model_version)
    .bind(f64::from(c.thresholds.same))
    .bind(f64::from(c.thresholds.possibly_same))
    .bind(intercept)
    .bind(&at)
    .execute(&mut **tx)
    .await?;
    outbox::append(
        tx,
        Operation::ComparisonRecorded {
            student_id: c.student_id.to_string(),
            collected_hash: c.collected_hash.to_string(),
            admission_hash: c.admission_hash.to_string(),
            score: c.score,
            outcome: c.outcome.key().to_string(),
            model_version: c.model_version.to_string(),
            at,
        },
    )
    .await?;
    if intercept {
        let reason = photoroll_core::compare::intercept_message(c.outcome, c.score);
        apply_in(
            tx,
            &StateChange {
                student_id: c.student_id,
                action: Action::Intercept,
                actor: COMPARISON_ACTOR,
                judged_photo: Some(c.collected_hash),
                photo_hash: None,
                reason: Some(&reason),
                reason_key: Some(c.outcome.key()),
            },
        )
        .await?;
    }
    Ok(intercept)
}
