//! The append-only audit log: who, when, from which address, what action on which record, and
//! the outcome. The tables refuse UPDATE and DELETE (triggers), so a bug cannot rewrite history.

use crate::db::Db;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub role: &'a str,
    pub school: Option<&'a str>,
    pub client_addr: &'a str,
    pub action: &'a str,
    pub record: &'a str,
    pub outcome: &'a str,
}

pub async fn record(db: &Db, entry: AuditEntry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit (at, actor, role, school_code, client_addr, action, record, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(crate::now_ms())
    .bind(entry.actor)
    .bind(entry.role)
    .bind(entry.school)
    .bind(entry.client_addr)
    .bind(entry.action)
    .bind(entry.record)
    .bind(entry.outcome)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Records, logging instead of failing the request when the log itself cannot be written.
pub async fn record_or_log(db: &Db, entry: AuditEntry<'_>) {
    if let Err(e) = record(db, entry.clone()).await {
        tracing::error!(error = %e, action = entry.action, "audit log write failed");
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub role: String,
    pub school: Option<String>,
    pub client_addr: String,
    pub action: String,
    pub record: String,
    pub outcome: String,
}

/// Entries at or after `since_ms`, oldest first; `school` = None reads every school's.
pub async fn read(
    db: &Db,
    school: Option<&str>,
    since_ms: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    type Row = (
        i64,
        i64,
        String,
        String,
        Option<String>,
        String,
        String,
        String,
        String,
    );
    let rows: Vec<Row> = match school {
        Some(school) => {
            sqlx::query_as(
                "SELECT id, at, actor, role, school_code, client_addr, action, record, outcome \
                 FROM audit WHERE at >= $1 AND school_code = $2 ORDER BY id LIMIT $3",
            )
            .bind(since_ms)
            .bind(school)
            .bind(limit)
            .fetch_all(&db.pool)
            .await?
        }
        None => {
            sqlx::query_as(
                "SELECT id, at, actor, role, school_code, client_addr, action, record, outcome \
                 FROM audit WHERE at >= $1 ORDER BY id LIMIT $2",
            )
            .bind(since_ms)
            .bind(limit)
            .fetch_all(&db.pool)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(
            |(id, at, actor, role, school, client_addr, action, record, outcome)| AuditRow {
                id,
                at,
                actor,
                role,
                school,
                client_addr,
                action,
                record,
                outcome,
            },
        )
        .collect())
}
