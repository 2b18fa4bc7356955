//! Contracts (委托采集) on the server: a school admin registers each signed category and
//! uploads the signed mandate; the operator activates the account (账户开通) from the CLI.
//! The states and their moves are core's.

use crate::AppState;
use crate::app::{ApiJson, ApiQuery, Caller};
use crate::blobs::parse_sha256;
use crate::db::Db;
use crate::error::ApiError;
use crate::students::school_has_blob;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use photoroll_core::contract::{self, ContractState};
use photoroll_core::{EducationCategory, Permission, Target};
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(list))
        .route("/contracts/{category}", put(register))
        .route("/contracts/{category}/mandate", post(mandate))
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ContractView {
    pub school: String,
    pub category: String,
    pub price: String,
    pub handler: String,
    pub valid_until: String,
    pub state: String,
    pub state_name: String,
    pub mandate_sha256: Option<String>,
}

type Row = (String, String, i64, String, String, String, Option<String>);

fn view(
    (school, category, price_fen, handler, valid_until, state, mandate_sha256): Row,
) -> ContractView {
    let state_name = ContractState::parse(&state)
        .map(|s| s.display_name().to_string())
        .unwrap_or_else(|| state.clone());
    ContractView {
        school,
        category,
        price: contract::format_price(price_fen),
        handler,
        valid_until,
        state,
        state_name,
        mandate_sha256,
    }
}

pub async fn contracts_of(db: &Db, school: Option<&str>) -> Result<Vec<ContractView>, ApiError> {
    let rows: Vec<Row> = match school {
        Some(s) => sqlx::query_as("SELECT school_code, category, price_fen, handler, valid_until, state, mandate_sha256 FROM contracts WHERE school_code = $1 ORDER BY category")
            .bind(s)
            .fetch_all(&db.pool)
            .await?,
        None => sqlx::query_as("SELECT school_code, category, price_fen, handler, valid_until, state, mandate_sha256 FROM contracts ORDER BY school_code, category")
            .fetch_all(&db.pool)
            .await?,
    };
    Ok(rows.into_iter().map(view).collect())
}

fn parse_category(raw: &str) -> Result<EducationCategory, ApiError> {
    EducationCategory::parse(raw)
        .ok_or_else(|| ApiError::invalid("bad_category", format!("未知学历类别: {raw}")))
}

/// One contract moved by core's rule, compare-and-set on its state.
async fn move_contract(
    db: &Db,
    school: &str,
    category: &str,
    step: impl Fn(ContractState) -> Result<ContractState, contract::ContractError>,
    mandate: Option<&str>,
) -> Result<ContractView, ApiError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT state FROM contracts WHERE school_code = $1 AND category = $2")
            .bind(school)
            .bind(category)
            .fetch_optional(&db.pool)
            .await?;
    let (raw,) = row.ok_or_else(|| ApiError::NotFound("该院校没有此学历类别的合同".into()))?;
    let from = ContractState::parse(&raw)
        .ok_or_else(|| ApiError::Internal(format!("stored contract state {raw}")))?;
    let to = step(from).map_err(|e| ApiError::conflict("bad_contract_state", e.to_string()))?;
    let done = sqlx::query(
        "UPDATE contracts SET state = $1, mandate_sha256 = COALESCE($2, mandate_sha256), updated_at = $3 \
         WHERE school_code = $4 AND category = $5 AND state = $6",
    )
    .bind(to.id())
    .bind(mandate)
    .bind(crate::now_ms())
    .bind(school)
    .bind(category)
    .bind(from.id())
    .execute(&db.pool)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ApiError::conflict(
            "moved_on",
            "合同状态刚被改变，请刷新后再试",
        ));
    }
    contracts_of(db, Some(school))
        .await?
        .into_iter()
        .find(|c| c.category == category)
        .ok_or_else(ApiError::not_found)
}

/// 账户开通, for the admin CLI: the operator's step after the mandate is in.
pub async fn activate(db: &Db, school: &str, category: &str) -> Result<ContractView, ApiError> {
    let category = parse_category(category)?;
    move_contract(db, school, category.id(), ContractState::activate, None).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    school: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Vec<ContractView>>, ApiError> {
    let named = p
        .school
        .as_deref()
        .map(|s| crate::app::text_field(s, "school", 16))
        .transpose()?;
    let school = caller.school_or(named.as_deref())?.to_string();
    caller
        .may(
            &state,
            Permission::ReadContracts,
            Target {
                school: &school,
                student: None,
            },
        )
        .await?;
    contracts_of(&state.db, Some(&school)).await.map(Json)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Register {
    price: String,
    handler: String,
    valid_until: String,
}

async fn register(
    State(state): State<AppState>,
    caller: Caller,
    Path(category): Path<String>,
    ApiJson(body): ApiJson<Register>,
) -> Result<Json<ContractView>, ApiError> {
    let school = caller
        .principal()
        .school
        .clone()
        .ok_or(ApiError::Forbidden)?;
    caller
        .may(
            &state,
            Permission::ManageContract,
            Target {
                school: &school,
                student: None,
            },
        )
        .await?;
    let category = parse_category(&category)?;
    let price = contract::parse_price(&crate::app::text_field(&body.price, "采集价格", 16)?)
        .map_err(|e| ApiError::invalid("bad_price", e.to_string()))?;
    let until = contract::parse_valid_until(&crate::app::text_field(
        &body.valid_until,
        "签约有效期",
        16,
    )?)
    .map_err(|e| ApiError::invalid("bad_date", e.to_string()))?;
    let handler = crate::app::text_field(&body.handler, "经办人", 32)?;
    let handler = handler.as_str();
    if handler.is_empty() {
        return Err(ApiError::invalid("bad_handler", "经办人应为1–32个字"));
    }
    let inserted = sqlx::query(
        "INSERT INTO contracts (school_code, category, price_fen, handler, valid_until, state, mandate_sha256, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&school)
    .bind(category.id())
    .bind(price)
    .bind(handler)
    .bind(until.to_string())
    .bind(ContractState::AwaitingMandate.id())
    .bind(crate::now_ms())
    .execute(&state.db.pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(ApiError::conflict("contract_exists", "该学历类别已有合同"));
    }
    caller
        .audit(
            &state,
            "register_contract",
            &format!("school:{school}/contract:{}", category.id()),
            "ok",
        )
        .await;
    contracts_of(&state.db, Some(&school))
        .await?
        .into_iter()
        .find(|c| c.category == category.id())
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mandate {
    sha256: String,
}

async fn mandate(
    State(state): State<AppState>,
    caller: Caller,
    Path(category): Path<String>,
    ApiJson(body): ApiJson<Mandate>,
) -> Result<Json<ContractView>, ApiError> {
    let school = caller
        .principal()
        .school
        .clone()
        .ok_or(ApiError::Forbidden)?;
    caller
        .may(
            &state,
            Permission::ManageContract,
            Target {
                school: &school,
                student: None,
            },
        )
        .await?;
    let category = parse_category(&category)?;
    let sha = parse_sha256(&body.sha256)?;
    if !school_has_blob(&state.db, &school, &sha).await? {
        return Err(ApiError::invalid(
            "scan_not_uploaded",
            "委托书扫描件尚未上传：先上传，再提交",
        ));
    }
    let result = move_contract(
        &state.db,
        &school,
        category.id(),
        ContractState::mandate_uploaded,
        Some(&sha),
    )
    .await;
    let outcome = result
        .as_ref()
        .map(|c| format!("ok:{}", c.state))
        .unwrap_or_else(|e| e.outcome());
    caller
        .audit(
            &state,
            "upload_mandate",
            &format!("school:{school}/contract:{}", category.id()),
            &outcome,
        )
        .await;
    result.map(Json)
}
