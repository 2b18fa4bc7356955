//! Finding the student in front of a capture station: by the collection code a QR scan or a
//! handheld scanner gives, or by the ID's last four characters within a session (the feature
//! code picks the session), as students identify themselves in the manuals. Lists show masked
//! names only. A code the roster lacks can become a flagged new record where the school allows.
//! What the typed text means is core's (`photoroll_core::identify`); this module only looks up.

use crate::{Store, StoreError, now, outbox};
use photoroll_core::{
    CaptureAdmission, CollectionState, EducationCategory, Level, Operation, WalkIn, mask_name,
};
use serde::Serialize;

/// A student as the station shows them: enough to call them forward, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StationStudent {
    pub id: String,
    pub name_masked: String,
    pub id_last_four: Option<String>,
    pub collection_code: Option<String>,
    /// One person may hold several records (a 专科 and a 专升本): the category and level tell
    /// the photographer which one a list of matches offers.
    pub category: EducationCategory,
    pub level: Option<Level>,
    pub state: CollectionState,
    /// What the station may do for this student (core's rule, shown by the window).
    pub capture: CaptureAdmission,
    /// Taken at a station as a new record; the admin confirms it.
    pub flagged: bool,
    /// Why the last photo was rejected, shown to the photographer before the retake.
    pub state_reason: Option<String>,
}

/// A session's progress at the station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SessionTally {
    /// Students the session covers.
    pub covered: i64,
    /// Students with a capture saved in this session.
    pub done: i64,
    /// Captures saved in the last hour.
    pub last_hour: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    id_last_four: Option<String>,
    collection_code: Option<String>,
    category: String,
    level: Option<String>,
    state: String,
    flag: Option<String>,
    state_reason: Option<String>,
}

impl Row {
    fn into_station(self) -> Result<StationStudent, StoreError> {
        let state: CollectionState = crate::stored_state(&self.state)?;
        Ok(StationStudent {
            name_masked: mask_name(&self.name),
            id: self.id,
            id_last_four: self.id_last_four,
            collection_code: self.collection_code,
            category: crate::roster::stored_category(&self.category)?,
            level: self
                .level
                .as_deref()
                .map(crate::roster::stored_level)
                .transpose()?,
            state,
            capture: state.capture_admission(),
            flagged: self.flag.is_some(),
            state_reason: self.state_reason,
        })
    }
}

/// The columns of [`Row`], for `concat!` (sqlx takes only static SQL).
macro_rules! columns {
    () => {
        "st.id, st.name, st.id_last_four, st.collection_code, st.category, st.level, st.state, st.flag, st.state_reason"
    };
}

impl Store {
    async fn session_school(&self, session_id: &str) -> Result<String, StoreError> {
        sqlx::query_scalar("SELECT school_code FROM capture_sessions WHERE id = ?")
            .bind(session_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::BadSession(format!("找不到采集场次 {session_id}")))
    }

    /// The student of the session's school whose collection code is `code` (a scanned QR's
    /// payload, kept opaque: compared exactly after trimming).
    pub async fn student_by_code(
        &self,
        session_id: &str,
        code: &str,
    ) -> Result<Option<StationStudent>, StoreError> {
        let school = self.session_school(session_id).await?;
        let row: Option<Row> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM students st WHERE st.school_code = ? AND st.collection_code = ?"
        ))
        .bind(&school)
        .bind(photoroll_core::normalise_collection_code(code))
        .fetch_optional(self.pool())
        .await?;
        row.map(Row::into_station).transpose()
    }

    /// The session's students whose ID ends with `last_four`.
    pub async fn students_by_last_four(
        &self,
        session_id: &str,
        last_four: &str,
    ) -> Result<Vec<StationStudent>, StoreError> {
        let wanted = photoroll_core::identify::normalise_last_four(last_four);
        if wanted.chars().count() != 4 {
            return Err(StoreError::BadSession("请输入证件号后四位".into()));
        }
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM capture_session_students c JOIN students st ON st.id = c.student_id
             WHERE c.session_id = ? AND upper(st.id_last_four) = ? ORDER BY st.name, st.id LIMIT 50"
        ))
        .bind(session_id)
        .bind(&wanted)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(Row::into_station).collect()
    }

    /// One student, as the station shows them.
    pub async fn station_student(&self, student_id: &str) -> Result<StationStudent, StoreError> {
        let row: Option<Row> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM students st WHERE st.id = ?"
        ))
        .bind(student_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(Row::into_station)
            .transpose()?
            .ok_or_else(|| StoreError::UnknownStudent(student_id.into()))
    }

    /// Whether the school takes students the roster lacks as new records at a station.
    pub async fn set_allow_walk_ins(
        &self,
        school_code: &str,
        allow: bool,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE schools SET allow_walk_ins = ? WHERE code = ?")
            .bind(allow)
            .bind(school_code)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UnknownSchool(school_code.into()));
        }
        Ok(())
    }

    pub async fn allows_walk_ins(&self, session_id: &str) -> Result<bool, StoreError> {
        let school = self.session_school(session_id).await?;
        Ok(
            sqlx::query_scalar("SELECT allow_walk_ins FROM schools WHERE code = ?")
                .bind(&school)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// A student the roster does not have: a new pending record in the session, keyed by the
    /// scanned code, with the name the photographer typed, flagged for the admin.
    pub async fn add_walk_in(
        &self,
        session_id: &str,
        walk_in: &WalkIn,
        actor: &str,
    ) -> Result<StationStudent, StoreError> {
        if !self.allows_walk_ins(session_id).await? {
            return Err(StoreError::BadSession(
                "本校不允许在采集现场新增名单外的学生，请联系学校管理员".into(),
            ));
        }
        let mut tx = self.pool().begin().await?;
        let (school, category): (String, Option<String>) =
            sqlx::query_as("SELECT school_code, category FROM capture_sessions WHERE id = ?")
                .bind(session_id)
                .fetch_one(&mut *tx)
                .await?;
        let taken: Option<String> = sqlx::query_scalar(
            "SELECT id FROM students WHERE school_code = ? AND collection_code = ?",
        )
        .bind(&school)
        .bind(&walk_in.collection_code)
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_some() {
            return Err(StoreError::BadSession("该采集码已在名单中".into()));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let category = category.unwrap_or_else(|| "regular".into());
        let at = now();
        let flag = format!("现场新增（{actor}）");
        sqlx::query(
            "INSERT INTO students (id, school_code, name, collection_code, category, state, flag, updated_at)
             VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
        )
        .bind(&id)
        .bind(&school)
        .bind(&walk_in.name)
        .bind(&walk_in.collection_code)
        .bind(&category)
        .bind(&flag)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO capture_session_students (session_id, student_id) VALUES (?, ?)")
            .bind(session_id)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        outbox::append(
            &mut tx,
            Operation::WalkInAdded {
                student_id: id.clone(),
                school_code: school,
                session_id: session_id.to_string(),
                name: walk_in.name.clone(),
                collection_code: walk_in.collection_code.clone(),
                category,
                flag,
                actor: actor.to_string(),
                at,
            },
        )
        .await?;
        tx.commit().await?;
        self.station_student(&id).await
    }

    /// How far the session has come: students done and captures in the last hour.
    pub async fn session_tally(&self, session_id: &str) -> Result<SessionTally, StoreError> {
        let hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (covered, done, last_hour): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM capture_session_students WHERE session_id = ?1),
                    (SELECT COUNT(DISTINCT student_id) FROM captures WHERE session_id = ?1),
                    (SELECT COUNT(*) FROM captures WHERE session_id = ?1 AND taken_at >= ?2)",
        )
        .bind(session_id)
        .bind(&hour_ago)
        .fetch_one(self.pool())
        .await?;
        Ok(SessionTally {
            covered,
            done,
            last_hour,
        })
    }

    /// The school's records a photo file is named after (照片导入): the one holding a collection
    /// code, or every record (学籍) of an ID number, one person holding several at a school.
    pub async fn school_students_by(
        &self,
        school: &str,
        key: StudentKey<'_>,
    ) -> Result<Vec<crate::progress::StudentRow>, StoreError> {
        let (column, value) = match key {
            StudentKey::CollectionCode(code) => (
                "collection_code",
                photoroll_core::normalise_collection_code(code),
            ),
            StudentKey::IdNumber(number) => ("id_number", number.to_string()),
        };
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(crate::progress::STUDENT_COLUMNS);
        qb.push(" WHERE school_code = ")
            .push_bind(school.to_string())
            .push(" AND ")
            .push(column)
            .push(" = ")
            .push_bind(value)
            .push(" ORDER BY rowid");
        let rows: Vec<crate::progress::RawStudent> =
            qb.build_query_as().fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .map(crate::progress::StudentRow::from)
            .collect())
    }
}

/// What a photo file's name identifies a student by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StudentKey<'a> {
    /// Normalised here as every collection code is.
    CollectionCode(&'a str),
    /// As stored: `IdDocument::number` of the parsed name.
    IdNumber(&'a str),
}
