//! Contracts (委托采集) per school and category, and the signed mandate scans that move them.

use crate::{Store, StoreError, now, outbox};
use photoroll_core::{Contract, ContractState, EducationCategory, Operation, SchoolCode};
use serde::Serialize;
use std::collections::BTreeSet;

/// A contract as the list shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ContractRecord {
    pub id: String,
    pub school: String,
    pub school_name: String,
    pub category: EducationCategory,
    /// "25.00", CNY per student.
    pub price: String,
    pub handler: String,
    pub valid_until: String,
    pub state: ContractState,
    pub state_name: String,
}

/// What an upload did: the school's signed categories it now covers, those still missing,
/// and whether the contracts moved to 已上传委托书.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MandateCoverage {
    pub covered: Vec<EducationCategory>,
    pub missing: Vec<EducationCategory>,
    pub moved: bool,
}

/// A scan to record: its blob is already stored under `hash`.
#[derive(Debug, Clone)]
pub struct MandateScan<'a> {
    pub school: &'a str,
    pub hash: &'a str,
    pub kind: &'a str,
    pub bytes: u64,
    pub file_name: &'a str,
    pub categories: &'a [EducationCategory],
}

type ContractRow = (String, String, String, String, i64, String, String, String);

fn record(row: ContractRow) -> Result<ContractRecord, StoreError> {
    let (id, school, school_name, category, price_fen, handler, valid_until, state) = row;
    let category = EducationCategory::parse(&category)
        .ok_or_else(|| StoreError::Corrupt(format!("未知的学历类别 “{category}”")))?;
    let state = ContractState::parse(&state)
        .ok_or_else(|| StoreError::Corrupt(format!("未知的合同状态 “{state}”")))?;
    Ok(ContractRecord {
        id,
        school,
        school_name,
        category,
        price: photoroll_core::contract::format_price(price_fen),
        handler,
        valid_until,
        state,
        state_name: state.display_name().to_string(),
    })
}

const CONTRACT_COLUMNS: &str =
    "SELECT c.id, c.school_code, s.name, c.category, c.price_fen, c.handler, c.valid_until, c.state
    FROM contracts c JOIN schools s ON s.code = c.school_code";

impl Store {
    /// Adds the contract of a school and category, or changes its price, handler and date
    /// (its state stays: a signed mandate does not need signing again for a new price).
    pub async fn save_contract(&self, c: &Contract) -> Result<ContractRecord, StoreError> {
        let school = c.school.as_str();
        if self.school(&c.school).await?.is_none() {
            return Err(StoreError::UnknownSchool(school.to_string()));
        }
        let at = now();
        let mut tx = self.pool().begin().await?;
        let existing: Option<(String, String)> = sqlx::query_as(
            "SELECT id, state FROM contracts WHERE school_code = ? AND category = ?",
        )
        .bind(school)
        .bind(c.category.id())
        .fetch_optional(&mut *tx)
        .await?;
        let (id, state) = match existing {
            Some((id, state)) => (
                id,
                ContractState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("未知的合同状态 “{state}”")))?,
            ),
            None => (
                uuid::Uuid::now_v7().to_string(),
                ContractState::AwaitingMandate,
            ),
        };
        sqlx::query(
            "INSERT INTO contracts (id, school_code, category, price_fen, handler, valid_until, state, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET price_fen = excluded.price_fen, handler = excluded.handler,
               valid_until = excluded.valid_until, updated_at = excluded.updated_at",
        )
        .bind(&id)
        .bind(school)
        .bind(c.category.id())
        .bind(c.price_fen)
        .bind(&c.handler)
        .bind(&c.valid_until)
        .bind(state.id())
        .bind(&at)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        outbox::append(
            &mut tx,
            Operation::ContractSaved {
                contract_id: id.clone(),
                contract: Contract { state, ..c.clone() },
            },
        )
        .await?;
        tx.commit().await?;
        self.contract(&id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("合同 {id} 保存后不见了")))
    }

    pub async fn contract(&self, id: &str) -> Result<Option<ContractRecord>, StoreError> {
        let row: Option<ContractRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{CONTRACT_COLUMNS} WHERE c.id = ?"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(record).transpose()
    }

    /// Every contract, or one school's, by school then category.
    pub async fn contracts(
        &self,
        school: Option<&SchoolCode>,
    ) -> Result<Vec<ContractRecord>, StoreError> {
        let rows: Vec<ContractRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{CONTRACT_COLUMNS} WHERE (?1 IS NULL OR c.school_code = ?1) ORDER BY c.school_code, c.created_at"
        )))
        .bind(school.map(|s| s.as_str().to_string()))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(record).collect()
    }

    /// Records a signed scan for the categories it covers. Once every category the school has
    /// a contract for is covered by some scan, its contracts move to 已上传委托书 together
    /// (the manual: the account opens only when every signed category is covered).
    pub async fn record_mandate_scan(
        &self,
        scan: &MandateScan<'_>,
    ) -> Result<MandateCoverage, StoreError> {
        let at = now();
        let mut tx = self.pool().begin().await?;
        let ids: Vec<&str> = scan.categories.iter().map(|c| c.id()).collect();
        sqlx::query(
            "INSERT INTO mandate_scans (hash, school_code, kind, bytes, file_name, categories, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(hash, school_code) DO UPDATE SET categories = excluded.categories, uploaded_at = excluded.uploaded_at",
        )
        .bind(scan.hash)
        .bind(scan.school)
        .bind(scan.kind)
        .bind(scan.bytes as i64)
        .bind(scan.file_name)
        .bind(serde_json::to_string(&ids)?)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let mut covered = BTreeSet::new();
        let lists: Vec<String> =
            sqlx::query_scalar("SELECT categories FROM mandate_scans WHERE school_code = ?")
                .bind(scan.school)
                .fetch_all(&mut *tx)
                .await?;
        for list in lists {
            let ids: Vec<String> = serde_json::from_str(&list)?;
            covered.extend(ids.iter().filter_map(|c| EducationCategory::parse(c)));
        }
        let contracts: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, category, state FROM contracts WHERE school_code = ?")
                .bind(scan.school)
                .fetch_all(&mut *tx)
                .await?;
        let mut missing = Vec::new();
        let mut signed = Vec::new();
        for (id, category, state) in &contracts {
            let cat = EducationCategory::parse(category)
                .ok_or_else(|| StoreError::Corrupt(format!("未知的学历类别 “{category}”")))?;
            let state = ContractState::parse(state)
                .ok_or_else(|| StoreError::Corrupt(format!("未知的合同状态 “{state}”")))?;
            if covered.contains(&cat) {
                signed.push((id, cat, state));
            } else {
                missing.push(cat);
            }
        }
        let moved = missing.is_empty() && !signed.is_empty();
        if moved {
            for (id, _, state) in &signed {
                if *state == ContractState::Active {
                    continue;
                }
                let to = state.mandate_uploaded()?;
                sqlx::query("UPDATE contracts SET state = ?, updated_at = ? WHERE id = ?")
                    .bind(to.id())
                    .bind(&at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        outbox::append(
            &mut tx,
            Operation::MandateUploaded {
                scan_hash: scan.hash.to_string(),
                school_code: scan.school.to_string(),
                categories: scan.categories.to_vec(),
                at,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(MandateCoverage {
            covered: signed.iter().map(|(_, c, _)| *c).collect(),
            missing,
            moved,
        })
    }
}
