//! 委托采集 from the window: contracts per school and category, the mandate (委托书) as a PDF,
//! and the signed scan that moves the contracts on. Each command is one call into
//! `photoroll_workflows::contracts`, the same as `photoroll contract …`; a price's form, a
//! term's bounds and what a scan must be are decided there.

use crate::error::UiError;
use crate::state::AppState;
use photoroll_core::EducationCategory;
use photoroll_store::{ContractRecord, MandateCoverage};
use photoroll_workflows::contracts::{self, ContractInput, MandateRequest, MandateWritten};
use serde::Deserialize;
use std::path::PathBuf;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

type Result<T> = std::result::Result<T, UiError>;

/// The school's contracts (every school's when `None`).
#[tauri::command]
#[specta::specta]
pub async fn contracts(
    state: State<'_, AppState>,
    school: Option<String>,
) -> Result<Vec<ContractRecord>> {
    Ok(contracts::contracts(&state.store, school.as_deref()).await?)
}

/// A contract as the form sends it: price as typed ("25.00"), date as "YYYY-MM-DD".
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct ContractForm {
    pub school: String,
    pub category: EducationCategory,
    pub price: String,
    pub handler: String,
    pub valid_until: String,
}

/// Adds a contract, or changes the price, handler and date of the school's one for the category.
#[tauri::command]
#[specta::specta]
pub async fn save_contract(
    state: State<'_, AppState>,
    contract: ContractForm,
) -> Result<ContractRecord> {
    let input = ContractInput {
        school: &contract.school,
        category: contract.category.id(),
        price: &contract.price,
        handler: &contract.handler,
        valid_until: &contract.valid_until,
    };
    Ok(contracts::save_contract(&state.store, &input).await?)
}

/// 生成委托书: the mandate for these categories of one school, as an A4 PDF at `path`, dated
/// today (this machine's date).
#[tauri::command]
#[specta::specta]
pub async fn write_mandate(
    state: State<'_, AppState>,
    school: String,
    categories: Vec<EducationCategory>,
    years: u32,
    provider: String,
    path: PathBuf,
) -> Result<MandateWritten> {
    let request = MandateRequest {
        school: &school,
        categories,
        years,
        provider: &provider,
        today: chrono::Local::now().date_naive(),
    };
    Ok(contracts::write_mandate(&state.store, &request, &path).await?)
}

/// Opens a written mandate in the system's PDF viewer, from which the user prints it: the
/// window has no print dialog of its own, the viewer's is the print dialog. Only PDFs.
#[tauri::command]
#[specta::specta]
pub async fn open_mandate(app: AppHandle, path: PathBuf) -> Result<()> {
    let is_pdf = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if !is_pdf || !path.is_file() {
        return Err(UiError::new(
            "not_a_mandate",
            format!("找不到委托书 {}", path.display()),
            true,
        ));
    }
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| {
            UiError::new(
                "no_viewer",
                format!(
                    "无法用系统程序打开 {}：{e}。请在文件夹中找到它，用 PDF 阅读器打开并打印",
                    path.display()
                ),
                false,
            )
        })
}

/// 上传委托书扫描件: the signed scan (PDF, JPEG or PNG) for the categories it covers.
#[tauri::command]
#[specta::specta]
pub async fn upload_mandate(
    state: State<'_, AppState>,
    path: PathBuf,
    school: String,
    categories: Vec<EducationCategory>,
) -> Result<MandateCoverage> {
    Ok(contracts::upload_mandate(&state.store, &path, &school, &categories).await?)
}
