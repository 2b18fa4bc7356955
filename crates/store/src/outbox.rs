//! The outbox: operations for the sync to push, appended inside the transaction of the change.
//! Each row holds one [`OutboxEntry`] as JSON, with the entity and operation name copied into
//! columns so the sync can index them without parsing.

use crate::StoreError;
use photoroll_core::{Operation, OutboxEntry};
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

impl OutboxOp {
    /// The typed operation this row carries.
    pub fn entry(&self) -> Result<OutboxEntry, StoreError> {
        Ok(serde_json::from_str(&self.payload)?)
    }
}

/// Appends an operation; returns its id (what a push is idempotent by).
pub(crate) async fn append(
    tx: &mut Transaction<'_, Sqlite>,
    operation: Operation,
) -> Result<String, StoreError> {
    let (entity, entity_id) = operation.entity();
    let (entity, entity_id, name) = (entity, entity_id.to_string(), operation.name());
    let payload = serde_json::to_string(&OutboxEntry::new(operation))?;
    append_json(tx, entity, &entity_id, name, payload).await
}

/// Appends an entry already serialised (a roster import streams its students into the JSON).
pub(crate) async fn append_json(
    tx: &mut Transaction<'_, Sqlite>,
    entity: &str,
    entity_id: &str,
    op: &str,
    payload: String,
) -> Result<String, StoreError> {
    let op_id = uuid::Uuid::new_v4().to_string();
    sqlx::query("INSERT INTO outbox (op_id, entity, entity_id, op, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(&op_id)
        .bind(entity)
        .bind(entity_id)
        .bind(op)
        .bind(payload)
        .bind(crate::now())
        .execute(&mut **tx)
        .await?;
    Ok(op_id)
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
