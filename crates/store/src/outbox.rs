//! The outbox: operations for the sync to push, appended inside the transaction of the change.

use crate::StoreError;
use serde::Serialize;
use sqlx::{Sqlite, Transaction};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OutboxOp {
    pub seq: i64,
    pub op_id: String,
    pub entity: String,
    pub entity_id: String,
    pub op: String,
    pub payload: String,
    pub created_at: String,
}

pub(crate) async fn append(
    tx: &mut Transaction<'_, Sqlite>,
    entity: &str,
    entity_id: &str,
    op: &str,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    append_raw(tx, entity, entity_id, op, serde_json::to_string(payload)?).await
}

/// Appends an operation whose payload is already serialised JSON.
pub(crate) async fn append_raw(
    tx: &mut Transaction<'_, Sqlite>,
    entity: &str,
    entity_id: &str,
    op: &str,
    payload: String,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (op_id, entity, entity_id, op, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(entity)
        .bind(entity_id)
        .bind(op)
        .bind(payload)
        .bind(crate::now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl crate::Store {
    /// Operations not yet pushed, oldest first.
    pub async fn pending_outbox(&self, limit: i64) -> Result<Vec<OutboxOp>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT seq, op_id, entity, entity_id, op, payload, created_at FROM outbox
             WHERE pushed_at IS NULL ORDER BY seq LIMIT ?",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
