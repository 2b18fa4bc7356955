//! Capture sessions (采集场次): which students a centralized session covers, and its feature
//! code (特征码), the four digits students type with their ID's last four.

use crate::progress::push_filter;
use crate::{Store, StoreError, StudentFilter, now, outbox};
use photoroll_core::EducationCategory;
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite};

/// What a new session covers.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub school_code: String,
    pub name: String,
    pub category: Option<EducationCategory>,
    pub department: Option<String>,
    pub class_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CaptureSession {
    pub id: String,
    pub school_code: String,
    pub name: String,
    pub feature_code: String,
    pub category: Option<String>,
    pub department: Option<String>,
    pub class_name: Option<String>,
    pub created_at: String,
    pub students: i64,
}

/// The select list of [`CaptureSession`], for `concat!` (sqlx takes only static SQL).
macro_rules! session_columns {
    () => {
        "SELECT s.id, s.school_code, s.name, s.feature_code, s.category, s.department, s.class_name, s.created_at,
                (SELECT COUNT(*) FROM capture_session_students c WHERE c.session_id = s.id) AS students
         FROM capture_sessions s"
    };
}

/// A four-digit code from `random`'s bytes.
fn feature_code(random: &[u8; 16]) -> String {
    let n = u32::from_le_bytes([random[0], random[1], random[2], random[3]]) % 10_000;
    format!("{n:04}")
}

impl Store {
    /// Creates a session over the school's students matching the filter, with a feature code
    /// no other session of the school has. Refused when it would cover no one.
    pub async fn create_session(&self, new: &NewSession) -> Result<CaptureSession, StoreError> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(StoreError::BadSession("场次名称不能为空".into()));
        }
        let mut tx = self.pool().begin().await?;
        let school: Option<String> = sqlx::query_scalar("SELECT code FROM schools WHERE code = ?")
            .bind(&new.school_code)
            .fetch_optional(&mut *tx)
            .await?;
        if school.is_none() {
            return Err(StoreError::UnknownSchool(new.school_code.clone()));
        }
        let used: Vec<String> =
            sqlx::query_scalar("SELECT feature_code FROM capture_sessions WHERE school_code = ?")
                .bind(&new.school_code)
                .fetch_all(&mut *tx)
                .await?;
        if used.len() >= 10_000 {
            return Err(StoreError::BadSession("本校特征码已用完".into()));
        }
        let code = loop {
            let c = feature_code(uuid::Uuid::new_v4().as_bytes());
            if !used.contains(&c) {
                break c;
            }
        };
        let id = uuid::Uuid::now_v7().to_string();
        let created_at = now();
        sqlx::query(
            "INSERT INTO capture_sessions (id, school_code, name, feature_code, category, department, class_name, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(&new.school_code)
        .bind(name)
        .bind(&code)
        .bind(new.category.map(|c| c.id()))
        .bind(&new.department)
        .bind(&new.class_name)
        .bind(&created_at)
        .execute(&mut *tx)
        .await?;
        let filter = StudentFilter {
            school: Some(new.school_code.clone()),
            category: new.category,
            department: new.department.clone(),
            class_name: new.class_name.clone(),
            ..StudentFilter::default()
        };
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO capture_session_students (session_id, student_id) SELECT ",
        );
        qb.push_bind(&id).push(", id FROM students");
        push_filter(&mut qb, &filter, false);
        let covered = qb.build().execute(&mut *tx).await?.rows_affected() as i64;
        if covered == 0 {
            return Err(StoreError::BadSession(
                "没有符合条件的学生：请检查类别、院系和班级".into(),
            ));
        }
        let session = CaptureSession {
            id,
            school_code: new.school_code.clone(),
            name: name.to_string(),
            feature_code: code,
            category: new.category.map(|c| c.id().to_string()),
            department: new.department.clone(),
            class_name: new.class_name.clone(),
            created_at,
            students: covered,
        };
        outbox::append(
            &mut tx,
            photoroll_core::Operation::SessionCreated {
                session_id: session.id.clone(),
                school_code: session.school_code.clone(),
                name: session.name.clone(),
                feature_code: session.feature_code.clone(),
                category: session.category.clone(),
                department: session.department.clone(),
                class_name: session.class_name.clone(),
                created_at: session.created_at.clone(),
                students: session.students as u64,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Every session, newest first, with how many students it covers.
    pub async fn sessions(&self) -> Result<Vec<CaptureSession>, StoreError> {
        Ok(sqlx::query_as(concat!(
            session_columns!(),
            " ORDER BY s.created_at DESC, s.id DESC"
        ))
        .fetch_all(self.pool())
        .await?)
    }

    /// A school's sessions, newest first.
    pub async fn school_sessions(
        &self,
        school_code: &str,
    ) -> Result<Vec<CaptureSession>, StoreError> {
        Ok(sqlx::query_as(concat!(
            session_columns!(),
            " WHERE s.school_code = ? ORDER BY s.created_at DESC, s.id DESC"
        ))
        .bind(school_code)
        .fetch_all(self.pool())
        .await?)
    }

    /// One session by id.
    pub async fn session(&self, id: &str) -> Result<Option<CaptureSession>, StoreError> {
        Ok(
            sqlx::query_as(concat!(session_columns!(), " WHERE s.id = ?"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// The session a school's feature code opens, as a student at the session types it: one
    /// indexed lookup (identification runs on every scan).
    pub async fn session_by_feature_code(
        &self,
        school_code: &str,
        code: &str,
    ) -> Result<Option<CaptureSession>, StoreError> {
        Ok(sqlx::query_as(concat!(
            session_columns!(),
            " WHERE s.school_code = ? AND s.feature_code = ?"
        ))
        .bind(school_code)
        .bind(code.trim())
        .fetch_optional(self.pool())
        .await?)
    }

    /// The ids of the students a session covers.
    pub async fn session_student_ids(&self, session_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT student_id FROM capture_session_students WHERE session_id = ? ORDER BY student_id",
        )
        .bind(session_id)
        .fetch_all(self.pool())
        .await?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn feature_codes_are_four_digits() {
        assert_eq!(super::feature_code(&[0; 16]), "0000");
        assert_eq!(
            super::feature_code(&[0xff; 16]),
            format!("{:04}", u32::MAX % 10_000)
        );
        assert_eq!(
            super::feature_code(&[7, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
            "0007"
        );
    }
}
