//! 照片制作 / 冲印 / 加洗: the address book, print orders and their packages, extra sets, the
//! print-ready sheets for the shop, and the order's progress (printed, shipped).

use crate::error::refused;
use crate::{Result, WorkflowError};
use photoroll_core::{EducationCategory, JobControl, PrintAddress, PrintPackage, PrintState};
use photoroll_package::PackageWriter;
use photoroll_printsheet::{Dpi, LabelFont, Layout, Paper, SheetPlan};
use photoroll_store::{
    AddressRecord, NewPrintOrder, PrintCandidate, PrintLine, PrintOrderRecord, Store,
};
use serde::Serialize;
use std::path::Path;

fn bad(code: &'static str, message: impl Into<String>) -> WorkflowError {
    WorkflowError::Refused {
        code,
        message: message.into(),
    }
}

pub async fn add_address(
    store: &Store,
    recipient: &str,
    phone: &str,
    address: &str,
) -> Result<String> {
    let a = PrintAddress::new(recipient, phone, address)
        .map_err(|e| bad("bad_address", e.to_string()))?;
    Ok(store.add_print_address(&a).await?)
}

pub async fn addresses(store: &Store) -> Result<Vec<AddressRecord>> {
    Ok(store.print_addresses().await?)
}

/// What an order is asked for, as typed.
#[derive(Debug, Clone)]
pub struct OrderRequest<'a> {
    pub school: &'a str,
    pub category: &'a str,
    /// 分包; none means every completed or delivered student of the school and category.
    pub packages: Vec<PrintPackage>,
    pub layout: &'a str,
    pub paper: &'a str,
    pub dpi: u32,
    pub address_id: &'a str,
    pub actor: &'a str,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OrderCreated {
    pub order_id: String,
    pub students: u32,
}

/// The sheet settings, checked: the layout must fit the paper at the dpi.
fn sheet_plan(layout: &str, paper: &str, dpi: u32) -> Result<SheetPlan> {
    let layout = Layout::parse(layout).map_err(|e| bad("bad_layout", e.to_string()))?;
    let paper = Paper::parse(paper).map_err(|e| bad("bad_paper", e.to_string()))?;
    let dpi = Dpi::parse(dpi).map_err(|e| bad("bad_dpi", e.to_string()))?;
    photoroll_printsheet::plan(layout, paper, dpi).map_err(|e| bad("bad_layout", e.to_string()))
}

/// Creates an order and queues its students (未申请 → 待冲印): each completed or delivered
/// student with a photo, in no other order, under the first package they match.
pub async fn create_order(store: &Store, req: &OrderRequest<'_>) -> Result<OrderCreated> {
    let school = crate::maintenance::parse_school(req.school)?;
    if store.school(&school).await?.is_none() {
        return Err(photoroll_store::StoreError::UnknownSchool(school.to_string()).into());
    }
    let category = crate::roster::parse_category(req.category)?;
    let plan = sheet_plan(req.layout, req.paper, req.dpi)?;
    if store.print_address(req.address_id.trim()).await?.is_none() {
        return refused(
            "unknown_address",
            format!(
                "找不到收件地址 {}：先用 `photoroll print address add` 添加",
                req.address_id
            ),
        );
    }
    let packages: Vec<PrintPackage> = req
        .packages
        .iter()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect();
    let wanted = if packages.is_empty() {
        vec![PrintPackage::default()]
    } else {
        packages.clone()
    };
    let mut taken = std::collections::HashSet::new();
    let mut students: Vec<(PrintCandidate, String)> = Vec::new();
    for p in &wanted {
        for c in store
            .print_candidates(school.as_str(), category, p, true)
            .await?
        {
            if taken.insert(c.id.clone()) {
                students.push((c, p.label()));
            }
        }
    }
    if students.is_empty() {
        return refused(
            "nothing_to_print",
            "所选范围内没有可冲印的学生：只有“采集完成”或“上网成功”、且未在其他冲印订单中的学生可以下单",
        );
    }
    let order_id = store
        .create_print_order(
            &NewPrintOrder {
                school_code: school.to_string(),
                category,
                packages,
                layout: plan.layout.id().to_string(),
                paper: paper_id(plan.paper).to_string(),
                dpi: plan.dpi.value(),
                address_id: req.address_id.trim().to_string(),
                actor: req.actor.to_string(),
            },
            &students,
        )
        .await?;
    Ok(OrderCreated {
        order_id,
        students: students.len() as u32,
    })
}

fn paper_id(p: Paper) -> &'static str {
    match p {
        Paper::Five => "5",
        Paper::Six => "6",
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ExtraAdded {
    pub line: u32,
    pub students: u32,
}

/// 加洗: one more set for each named student (by collection code), as the order's next line.
/// Each must belong to the order's school and category and have a completed or delivered photo.
pub async fn add_extra(store: &Store, order_id: &str, codes: &[String]) -> Result<ExtraAdded> {
    let Some(order) = store.print_order(order_id.trim()).await? else {
        return Err(photoroll_store::StoreError::UnknownPrintOrder(order_id.to_string()).into());
    };
    if codes.is_empty() {
        return refused("no_student", "请至少指定一位学生的图像采集码");
    }
    let category = EducationCategory::parse(&order.category).ok_or_else(|| {
        photoroll_store::StoreError::Corrupt(format!("未知的学历类别 “{}”", order.category))
    })?;
    let printable = store
        .print_candidates(
            &order.school_code,
            category,
            &PrintPackage::default(),
            false,
        )
        .await?;
    // An extra set sorts with the student's own set (same package); a student outside the
    // order's own sets gets a package of its own.
    let own = store.print_lines(&order.id).await?;
    let mut students = Vec::new();
    let mut unknown = Vec::new();
    for code in codes {
        let code = photoroll_core::normalise_collection_code(code);
        let found = store.students_by_collection_code(&code).await?;
        let candidate = found
            .iter()
            .filter(|s| s.school_code == order.school_code)
            .find_map(|s| printable.iter().find(|c| c.id == s.id));
        match candidate {
            Some(c)
                if !students
                    .iter()
                    .any(|(s, _): &(PrintCandidate, String)| s.id == c.id) =>
            {
                let package = own
                    .iter()
                    .find(|l| l.student_id == c.id && l.line == 0)
                    .map_or_else(|| "加洗".to_string(), |l| l.package.clone());
                students.push((c.clone(), package));
            }
            Some(_) => {}
            None => unknown.push(code),
        }
    }
    if !unknown.is_empty() {
        return refused(
            "not_printable",
            format!(
                "这些图像采集码不是本订单院校和类别中“采集完成”或“上网成功”的学生：{}",
                unknown.join("、")
            ),
        );
    }
    let line = store.add_print_extra(&order.id, &students).await?;
    Ok(ExtraAdded {
        line,
        students: students.len() as u32,
    })
}

pub async fn orders(store: &Store) -> Result<Vec<PrintOrderRecord>> {
    Ok(store.print_orders().await?)
}

pub async fn lines(store: &Store, order_id: &str) -> Result<Vec<PrintLine>> {
    Ok(store.print_lines(order_id.trim()).await?)
}

/// Moves the order's sets on: `printed` (已冲印) or `shipped` (已寄出).
pub async fn mark(store: &Store, order_id: &str, to: &str) -> Result<u32> {
    let to = PrintState::parse(to)
        .filter(|s| matches!(s, PrintState::Printed | PrintState::Shipped))
        .ok_or_else(|| {
            bad(
                "bad_print_state",
                format!("冲印状态应为 printed 或 shipped：{to}"),
            )
        })?;
    Ok(store.mark_print_order(order_id.trim(), to).await?)
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SheetsWritten {
    pub sheets: u32,
    pub photos: u32,
    /// Labels need a CJK font; without one the sheets are printed without them (said here).
    pub labels: bool,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub bytes: u64,
    pub sha256: String,
}

/// The order sheet's columns (订单.xlsx).
const ORDER_HEADERS: [&str; 7] = [
    "分包",
    "班级",
    "学生",
    "图像采集码",
    "套",
    "冲印张数",
    "文件",
];

/// Keeps a name usable as one folder or file name on every system.
fn path_part(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_matches('.');
    if trimmed.is_empty() {
        "_".to_string()
    } else {
        trimmed.chars().take(60).collect()
    }
}

/// Sets rendered at once: two threads, a bounded batch, so memory stays flat whatever the
/// order's size.
const BATCH: usize = 16;

/// Writes the print-ready sheets of every set of the order (package, then class, then code), in
/// a zip with 订单.xlsx, for the print shop.
pub async fn write_sheets(
    store: &Store,
    order_id: &str,
    path: &Path,
    job: &JobControl,
) -> Result<SheetsWritten> {
    let Some(order) = store.print_order(order_id.trim()).await? else {
        return Err(photoroll_store::StoreError::UnknownPrintOrder(order_id.to_string()).into());
    };
    let plan = sheet_plan(&order.layout, &order.paper, order.dpi)?;
    let lines = store.print_lines(&order.id).await?;
    let font = LabelFont::system().ok();
    let labels = font.is_some();
    let mut packages: Vec<String> = Vec::new();
    for l in &lines {
        if !packages.contains(&l.package) {
            packages.push(l.package.clone());
        }
    }
    let mut writer =
        PackageWriter::with_workbook(path, &order.created_at, "订单.xlsx", "订单", &ORDER_HEADERS)?;
    let mut sheets = 0u32;
    let total = lines.len() as u64;
    for (b, batch) in lines.chunks(BATCH).enumerate() {
        let photos: Vec<Vec<u8>> = batch
            .iter()
            .map(|l| store.blobs().get(&l.photo_hash))
            .collect::<std::result::Result<_, _>>()?;
        let rendered = render_batch(&plan, batch, &photos, font.as_ref())?;
        for (l, set) in batch.iter().zip(rendered) {
            let pkg = packages.iter().position(|p| *p == l.package).unwrap_or(0) + 1;
            let class = l.class_name.as_deref().unwrap_or("未分班");
            let code = l.collection_code.as_deref().unwrap_or("无采集码");
            let set_name = if l.line == 0 {
                "本单".to_string()
            } else {
                format!("加洗{}", l.line)
            };
            let folder = format!("{pkg:02}-{}/{}", path_part(&l.package), path_part(class));
            let mut first = String::new();
            for (k, jpeg) in set.iter().enumerate() {
                let name = format!(
                    "{folder}/{}-{}{}-{}.jpg",
                    path_part(code),
                    path_part(&l.name),
                    if l.line == 0 {
                        String::new()
                    } else {
                        format!("-加洗{}", l.line)
                    },
                    k + 1
                );
                writer.add_file(&name, jpeg)?;
                if k == 0 {
                    first = name;
                }
            }
            sheets += set.len() as u32;
            writer.add_row(&[
                format!("{pkg:02}-{}", l.package),
                class.to_string(),
                l.name.clone(),
                code.to_string(),
                set_name,
                set.len().to_string(),
                first,
            ])?;
        }
        job.step(((b + 1) * BATCH).min(lines.len()) as u64, total)?;
    }
    let written = writer.finish()?;
    Ok(SheetsWritten {
        sheets,
        photos: lines.len() as u32,
        labels,
        bytes: written.bytes,
        sha256: written.sha256,
    })
}

/// Renders a batch of sets on two threads, keeping their order.
fn render_batch(
    plan: &SheetPlan,
    lines: &[PrintLine],
    photos: &[Vec<u8>],
    font: Option<&LabelFont>,
) -> Result<Vec<Vec<Vec<u8>>>> {
    let render = |i: usize| {
        let l = &lines[i];
        let label = match l.class_name.as_deref() {
            Some(c) => format!("{}  {c}", l.name),
            None => l.name.clone(),
        };
        photoroll_printsheet::render_sheets(plan, &photos[i], &label, font).map_err(|e| {
            WorkflowError::Package(format!(
                "{}（{}）的照片无法排版：{e}",
                l.name,
                l.collection_code.as_deref().unwrap_or("-")
            ))
        })
    };
    let half = lines.len().div_ceil(2);
    std::thread::scope(|s| {
        let second = s.spawn(|| (half..lines.len()).map(render).collect::<Result<Vec<_>>>());
        let mut out = (0..half).map(render).collect::<Result<Vec<_>>>()?;
        out.extend(
            second
                .join()
                .map_err(|_| WorkflowError::Task("冲印排版线程异常结束".into()))??,
        );
        Ok(out)
    })
}
