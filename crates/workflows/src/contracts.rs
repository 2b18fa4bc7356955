//! 委托采集: contracts per school and category, the mandate (委托书) to print and sign, and the
//! signed scan that moves the contracts on.

use crate::error::refused;
use crate::{Result, WorkflowError};
use photoroll_core::contract::{mandate_term_text, mandate_until, parse_price, parse_valid_until};
use photoroll_core::{Contract, ContractState, EducationCategory, SchoolCode};
use photoroll_mandate::{CjkFont, MandateCategory, MandateDoc, MandateError, ScanError};
use photoroll_store::{ContractRecord, MandateCoverage, MandateScan, Store};
use serde::Serialize;
use std::path::Path;

impl From<MandateError> for WorkflowError {
    fn from(e: MandateError) -> Self {
        match e {
            MandateError::InvalidDoc(_) => WorkflowError::Refused {
                code: "bad_mandate",
                message: e.to_string(),
            },
            e => WorkflowError::Mandate(e.to_string()),
        }
    }
}

impl From<ScanError> for WorkflowError {
    fn from(e: ScanError) -> Self {
        WorkflowError::Refused {
            code: match e {
                ScanError::TooLarge { .. } => "too_large",
                ScanError::NotAScan { .. } => "not_a_scan",
                ScanError::Io { .. } => "unreadable",
            },
            message: e.to_string(),
        }
    }
}

/// A contract as typed by the admin.
#[derive(Debug, Clone)]
pub struct ContractInput<'a> {
    pub school: &'a str,
    pub category: &'a str,
    pub price: &'a str,
    pub handler: &'a str,
    pub valid_until: &'a str,
}

fn contract_refused(e: photoroll_core::ContractError) -> WorkflowError {
    WorkflowError::Refused {
        code: "contract",
        message: e.to_string(),
    }
}

/// Adds a school's contract for a category, or changes its price, handler and date.
pub async fn save_contract(store: &Store, input: &ContractInput<'_>) -> Result<ContractRecord> {
    let school = crate::maintenance::parse_school(input.school)?;
    let category = crate::roster::parse_category(input.category)?;
    let price_fen = parse_price(input.price).map_err(contract_refused)?;
    let handler = photoroll_core::text::normalize_cell(input.handler);
    if handler.is_empty() || handler.chars().count() > 50 {
        return Err(contract_refused(photoroll_core::ContractError::NoHandler));
    }
    let valid_until = parse_valid_until(input.valid_until).map_err(contract_refused)?;
    Ok(store
        .save_contract(&Contract {
            school,
            category,
            price_fen,
            handler,
            valid_until: valid_until.format("%Y-%m-%d").to_string(),
            state: ContractState::AwaitingMandate,
        })
        .await?)
}

pub async fn contracts(store: &Store, school: Option<&str>) -> Result<Vec<ContractRecord>> {
    let school = school.map(crate::maintenance::parse_school).transpose()?;
    Ok(store.contracts(school.as_ref()).await?)
}

/// The school's contracts for these categories, each category once; refused when one has none.
async fn signed(
    store: &Store,
    school: &SchoolCode,
    categories: &[EducationCategory],
) -> Result<Vec<ContractRecord>> {
    if categories.is_empty() {
        return refused("no_category", "请至少选择一个学历类别");
    }
    let all = store.contracts(Some(school)).await?;
    let mut out: Vec<ContractRecord> = Vec::new();
    for c in categories {
        if out.iter().any(|o| o.category == *c) {
            continue;
        }
        match all.iter().find(|k| k.category == *c) {
            Some(k) => out.push(k.clone()),
            None => {
                return refused(
                    "no_contract",
                    format!(
                        "{school} 没有“{}”的委托采集合同：先用 `photoroll contract add` 签约",
                        c.display_name()
                    ),
                );
            }
        }
    }
    Ok(out)
}

/// The mandate's issue day (即日): the laptop's own date, as the school signs it.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// What goes into a mandate.
#[derive(Debug, Clone)]
pub struct MandateRequest<'a> {
    pub school: &'a str,
    pub categories: Vec<EducationCategory>,
    pub years: u32,
    /// 受托方: the collection unit's name.
    pub provider: &'a str,
    pub today: chrono::NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MandateWritten {
    pub path: String,
    pub term: String,
    pub categories: Vec<EducationCategory>,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub bytes: u64,
}

/// Writes the mandate for the school's signed categories as an A4 PDF at `path`.
pub async fn write_mandate(
    store: &Store,
    request: &MandateRequest<'_>,
    path: &Path,
) -> Result<MandateWritten> {
    let school_code = crate::maintenance::parse_school(request.school)?;
    let Some(school) = store.school(&school_code).await? else {
        return Err(photoroll_store::StoreError::UnknownSchool(school_code.to_string()).into());
    };
    let contracts = signed(store, &school_code, &request.categories).await?;
    let until = mandate_until(request.today, request.years).map_err(contract_refused)?;
    let mut handlers: Vec<&str> = Vec::new();
    for c in &contracts {
        if !handlers.contains(&c.handler.as_str()) {
            handlers.push(&c.handler);
        }
    }
    let doc = MandateDoc {
        provider: request.provider.trim().to_string(),
        school_name: school.name.clone(),
        school_code: school_code.to_string(),
        categories: contracts
            .iter()
            .map(|c| MandateCategory {
                name: c.category.display_name().to_string(),
                price: c.price.clone(),
            })
            .collect(),
        years: request.years,
        from: request.today,
        until,
        handler: handlers.join("、"),
        mandate_no: format!(
            "WT-{}-{}",
            school_code,
            uuid::Uuid::now_v7().simple().to_string()[..12].to_uppercase()
        ),
    };
    let pdf = tokio::task::spawn_blocking(move || -> Result<Vec<u8>> {
        let font = CjkFont::find()?;
        Ok(photoroll_mandate::render(&doc, &font)?)
    })
    .await??;
    write_atomically(path, &pdf)?;
    Ok(MandateWritten {
        path: std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string(),
        term: mandate_term_text(request.years, until),
        categories: contracts.iter().map(|c| c.category).collect(),
        bytes: pdf.len() as u64,
    })
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let io =
        |e: std::io::Error| WorkflowError::Mandate(format!("无法写入 {}：{e}", path.display()));
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Stores the signed scan (PDF, JPEG or PNG by content, ≤ 20 MB) for the categories it covers.
/// The school's contracts move to 已上传委托书 once every one of them is covered.
pub async fn upload_mandate(
    store: &Store,
    path: &Path,
    school: &str,
    categories: &[EducationCategory],
) -> Result<MandateCoverage> {
    let school_code = crate::maintenance::parse_school(school)?;
    signed(store, &school_code, categories).await?;
    let owned = path.to_path_buf();
    let (kind, bytes) =
        tokio::task::spawn_blocking(move || photoroll_mandate::check_scan_file(&owned)).await??;
    let hash = store.blobs().put(&bytes)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(store
        .record_mandate_scan(&MandateScan {
            school: school_code.as_str(),
            hash: &hash,
            kind: kind.extension(),
            bytes: bytes.len() as u64,
            file_name: &file_name,
            categories,
        })
        .await?)
}
