//! Loading a school's roster onto the server from a workbook (the operator's CLI), with the
//! same reader and the same row rules as the laptops. Rows without a collection code cannot be
//! found by a student and are reported, not stored.

use crate::db::Db;
use crate::error::ApiError;
use photoroll_core::roster::{RosterKeys, RosterValidator};
use photoroll_core::{JobControl, SchoolCode};
use serde::Serialize;
use std::ops::ControlFlow;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RosterLoad {
    pub total: u64,
    pub imported: u64,
    pub updated: u64,
    pub failed: Vec<(u32, String)>,
}

pub async fn import(db: &Db, school: &str, bytes: &[u8]) -> Result<RosterLoad, ApiError> {
    let code =
        SchoolCode::parse(school).map_err(|e| ApiError::invalid("bad_school", e.to_string()))?;
    let mut validator = RosterValidator::new(
        code,
        None,
        photoroll_roster::rules_for_today(),
        RosterKeys::new(),
    );
    let mut good = Vec::new();
    let mut failed = Vec::new();
    let job = JobControl::new();
    let info = photoroll_roster::read_roster(
        bytes,
        &photoroll_roster::Limits::default(),
        &job,
        |raw, _| {
            match validator.check(raw) {
                Ok(record) => match record.collection_code.clone() {
                    Some(_) => good.push(record),
                    None => failed.push((
                        record.row,
                        "缺少采集码：学生凭采集码登录，服务器只收有采集码的记录".to_string(),
                    )),
                },
                Err(f) => failed.push((f.row, f.message)),
            }
            ControlFlow::Continue(())
        },
    )
    .map_err(|e| ApiError::invalid("bad_workbook", e.to_string()))?;
    let mut imported = 0;
    let mut updated = 0;
    let now = crate::now_ms();
    let mut tx = db.pool.begin().await?;
    for r in &good {
        let last4 = r
            .document
            .as_ref()
            .map(|d| d.last_four())
            .or_else(|| r.id_last_four.clone())
            .unwrap_or_default();
        let masked = r
            .document
            .as_ref()
            .map(|d| d.masked())
            .unwrap_or_else(|| format!("**************{last4}"));
        let inserted = sqlx::query(
            "INSERT INTO students (school_code, collection_code, name, id_last4, id_masked, category, department, class_name, state, photo_sha256, reject_reason, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', NULL, NULL, $9) ON CONFLICT (collection_code) DO NOTHING",
        )
        .bind(school)
        .bind(r.collection_code.as_deref())
        .bind(&r.name)
        .bind(&last4)
        .bind(&masked)
        .bind(r.category.display_name())
        .bind(r.department.as_deref())
        .bind(r.class_name.as_deref())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            imported += 1;
            continue;
        }
        let (owner,): (String,) =
            sqlx::query_as("SELECT school_code FROM students WHERE collection_code = $1")
                .bind(r.collection_code.as_deref())
                .fetch_one(&mut *tx)
                .await?;
        if owner != school {
            // One person, one school: a code on another school's roster is a wrong file or a
            // wrong --school, never a second record.
            failed.push((r.row, format!("采集码已在院校 {owner} 的名单中")));
            continue;
        }
        {
            // A record already here keeps its state and photo; the roster fields follow the file.
            sqlx::query(
                "UPDATE students SET name = $1, id_last4 = $2, id_masked = $3, category = $4, department = $5, class_name = $6, updated_at = $7 \
                 WHERE school_code = $8 AND collection_code = $9",
            )
            .bind(&r.name)
            .bind(&last4)
            .bind(&masked)
            .bind(r.category.display_name())
            .bind(r.department.as_deref())
            .bind(r.class_name.as_deref())
            .bind(now)
            .bind(school)
            .bind(r.collection_code.as_deref())
            .execute(&mut *tx)
            .await?;
            updated += 1;
        }
    }
    tx.commit().await?;
    // A roster is a bulk load: fresh statistics let the planner use the indexes at once (without
    // them PostgreSQL sorted a whole school for every page of the list until autovacuum ran).
    sqlx::query("ANALYZE students").execute(&db.pool).await?;
    Ok(RosterLoad {
        total: info.data_rows,
        imported,
        updated,
        failed,
    })
}
