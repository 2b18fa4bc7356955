//! 照片制作 from the window: the address book, print orders (packages, layout, paper, dpi), their
//! sets' progress (已冲印, 已寄出), 加洗, the print-ready sheets for the shop as a job with progress
//! and cancel, and a preview of an order's first set. Each command is one call into
//! `photoroll_workflows::print`, the same as `photoroll print …`; whether a layout fits the
//! paper or a student may be ordered is decided there.

use crate::error::UiError;
use crate::jobs::JobProgress;
use crate::state::AppState;
use photoroll_core::{EducationCategory, PrintPackage};
use photoroll_printsheet::{Dpi, LabelFont, Layout, Paper};
use photoroll_store::{AddressRecord, PrintOrderRecord};
use photoroll_workflows::print::{self, ExtraAdded, OrderCreated, OrderRequest, SheetsWritten};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tauri::State;
use tauri::ipc::Channel;

type Result<T> = std::result::Result<T, UiError>;

#[tauri::command]
#[specta::specta]
pub async fn print_addresses(state: State<'_, AppState>) -> Result<Vec<AddressRecord>> {
    Ok(print::addresses(&state.store).await?)
}

/// Adds an address to the book; refused, in the backend's words, when a field is missing or
/// the phone is not one.
#[tauri::command]
#[specta::specta]
pub async fn add_print_address(
    state: State<'_, AppState>,
    recipient: String,
    phone: String,
    address: String,
) -> Result<String> {
    Ok(print::add_address(&state.store, &recipient, &phone, &address).await?)
}

/// A new order as the form sends it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct OrderForm {
    pub school: String,
    pub category: EducationCategory,
    /// 分包; empty ones (and none at all) mean every student of the school and category.
    pub packages: Vec<PrintPackage>,
    /// "1" | "2" | "1inch" | "2inch"
    pub layout: String,
    /// "5" | "6"
    pub paper: String,
    pub dpi: u32,
    pub address_id: String,
    pub actor: String,
}

#[tauri::command]
#[specta::specta]
pub async fn create_print_order(
    state: State<'_, AppState>,
    order: OrderForm,
) -> Result<OrderCreated> {
    let request = OrderRequest {
        school: &order.school,
        category: order.category.id(),
        packages: order.packages.clone(),
        layout: &order.layout,
        paper: &order.paper,
        dpi: order.dpi,
        address_id: &order.address_id,
        actor: &order.actor,
    };
    Ok(print::create_order(&state.store, &request).await?)
}

/// Orders with how many of their sets are 待冲印, 已冲印 and 已寄出.
#[tauri::command]
#[specta::specta]
pub async fn print_orders(state: State<'_, AppState>) -> Result<Vec<PrintOrderRecord>> {
    Ok(print::orders(&state.store).await?)
}

/// 加洗: one more set for each student named by collection code.
#[tauri::command]
#[specta::specta]
pub async fn add_print_extra(
    state: State<'_, AppState>,
    order_id: String,
    codes: Vec<String>,
) -> Result<ExtraAdded> {
    let codes: Vec<String> = codes
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    Ok(print::add_extra(&state.store, &order_id, &codes).await?)
}

/// 标记已冲印 (`printed`) or 已寄出 (`shipped`); returns the sets moved.
#[tauri::command]
#[specta::specta]
pub async fn mark_print_order(
    state: State<'_, AppState>,
    order_id: String,
    to: String,
) -> Result<u32> {
    Ok(print::mark(&state.store, &order_id, &to).await?)
}

/// 生成冲印文件: every set's sheets in a zip with 订单.xlsx, as a job.
#[tauri::command]
#[specta::specta]
pub async fn write_print_sheets(
    state: State<'_, AppState>,
    order_id: String,
    path: PathBuf,
    job_id: String,
    on_progress: Channel<JobProgress>,
) -> Result<SheetsWritten> {
    let job = state.jobs.start(&job_id, on_progress);
    let result = print::write_sheets(&state.store, &order_id, &path, &job).await;
    state.jobs.finish(&job_id);
    Ok(result?)
}

/// The first sheet of an order's first set, scaled for the screen, served by `photo://` under
/// its SHA-256 (held in memory, never stored as a photo).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SheetPreview {
    /// The preview JPEG's SHA-256: ask `photo://localhost/<key>` for it.
    pub key: String,
    /// Sheets in one set (the preview shows the first).
    pub sheets: u32,
    /// Whose set it is.
    pub name: String,
    /// Whether the label strip could be drawn (a CJK font was found).
    pub labels: bool,
}

/// Preview width: a 6寸 sheet at 300 dpi is 1800 px wide; the screen shows it at about 640.
const PREVIEW_WIDTH: u32 = 960;
/// Previews kept for `photo://` (one per order shown, a few at most).
const PREVIEW_KEEP: usize = 8;

/// Recently rendered previews, by key; oldest out first.
#[derive(Debug, Default)]
pub struct SheetPreviews(Mutex<VecDeque<(String, Arc<Vec<u8>>)>>);

impl SheetPreviews {
    fn put(&self, key: String, jpeg: Vec<u8>) {
        let mut q = self.0.lock().unwrap_or_else(|p| p.into_inner());
        q.retain(|(k, _)| *k != key);
        q.push_back((key, Arc::new(jpeg)));
        while q.len() > PREVIEW_KEEP {
            q.pop_front();
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<Arc<Vec<u8>>> {
        let q = self.0.lock().unwrap_or_else(|p| p.into_inner());
        q.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }
}

/// Renders the order's first set with `photoroll_printsheet::render_sheets` (as the sheets
/// written for the shop are) and keeps its first sheet, scaled down, for `photo://`.
#[tauri::command]
#[specta::specta]
pub async fn print_sheet_preview(
    state: State<'_, AppState>,
    order_id: String,
) -> Result<SheetPreview> {
    let Some(order) = state.store.print_order(order_id.trim()).await? else {
        return Err(photoroll_store::StoreError::UnknownPrintOrder(order_id).into());
    };
    let lines = print::lines(&state.store, &order.id).await?;
    let Some(line) = lines.into_iter().next() else {
        return Err(UiError::new("empty_order", "这个订单没有学生", true));
    };
    let bad = |e: photoroll_printsheet::ParseError| UiError::new("bad_layout", e.to_string(), true);
    let plan = photoroll_printsheet::plan(
        Layout::parse(&order.layout).map_err(bad)?,
        Paper::parse(&order.paper).map_err(bad)?,
        Dpi::parse(order.dpi).map_err(bad)?,
    )
    .map_err(|e| UiError::new("bad_layout", e.to_string(), true))?;
    let photo = state.store.blobs().get(&line.photo_hash)?;
    let label = match line.class_name.as_deref() {
        Some(c) => format!("{}  {c}", line.name),
        None => line.name.clone(),
    };
    let (first, sheets, labels) = tokio::task::spawn_blocking(move || {
        let font = LabelFont::system().ok();
        let sheets = photoroll_printsheet::render_sheets(&plan, &photo, &label, font.as_ref())
            .map_err(|e| UiError::new("render", e.to_string(), false))?;
        let count = sheets.len() as u32;
        let first = sheets
            .into_iter()
            .next()
            .ok_or_else(|| UiError::new("render", "版式没有相纸", false))?;
        let small = crate::photos::scaled(&first, PREVIEW_WIDTH)
            .map_err(|e| UiError::new("render", e, false))?;
        Ok::<_, UiError>((small, count, font.is_some()))
    })
    .await??;
    let key = photoroll_store::BlobStore::hash_of(&first);
    state.previews.put(key.clone(), first);
    Ok(SheetPreview {
        key,
        sheets,
        name: line.name,
        labels,
    })
}
