//! Workbooks written from the store: failed rows for re-import, and student lists (masked).
//! Files are written to a temp file beside the target and renamed, so a half-written export is
//! never left where the user looks.

use photoroll_core::{CollectionState, EducationCategory, JobControl, Level};
use photoroll_store::{ExportRecord, Store, StoreError, StoredFailure, StudentFilter, StudentRow};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("写入 Excel 失败: {0}")]
    Xlsx(#[from] XlsxError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("无法写入 {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Cancelled(#[from] photoroll_core::Cancelled),
}

fn save_atomically(book: &mut Workbook, path: &Path) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    book.save_to_writer(&mut tmp)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// The failed rows exactly as uploaded (every column, unmasked: it is the admin's own data),
/// plus the original row number and the reason, all as text cells, ready to fix and re-import.
pub fn write_failures(
    path: &Path,
    headers: &[String],
    failures: &[StoredFailure],
) -> Result<(), ExportError> {
    let mut book = Workbook::new();
    let text = Format::new().set_num_format("@");
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("失败行")?;
    let n = headers.len() as u16;
    for (i, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16, h, &bold)?;
        sheet.set_column_format(i as u16, &text)?;
        sheet.set_column_width(i as u16, 16.0)?;
    }
    sheet.write_string_with_format(0, n, "原行号", &bold)?;
    sheet.write_string_with_format(0, n + 1, "失败原因", &bold)?;
    sheet.set_column_width(n + 1, 60.0)?;
    for (r, f) in failures.iter().enumerate() {
        let row = r as u32 + 1;
        for (c, v) in f.cells.iter().enumerate() {
            sheet.write_string_with_format(row, c as u16, v, &text)?;
        }
        sheet.write_number(row, n, f.row as f64)?;
        sheet.write_string(row, n + 1, format!("{}: {}", f.code, f.message))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    save_atomically(&mut book, path)
}

const STUDENT_HEADERS: [&str; 15] = [
    "姓名",
    "证件号",
    "采集码",
    "院校代码",
    "学历类别",
    "学历层次",
    "学号",
    "考生号",
    "教学点",
    "院系",
    "专业",
    "班级",
    "入学年份",
    "采集状态",
    "照片",
];

fn write_student_header(sheet: &mut Worksheet) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (i, h) in STUDENT_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    Ok(())
}

fn category_name(id: &str) -> &str {
    EducationCategory::ALL
        .iter()
        .find(|c| c.id() == id)
        .map_or(id, |c| c.display_name())
}

fn level_name(id: &str) -> &str {
    Level::ALL
        .iter()
        .find(|l| l.id() == id)
        .map_or(id, |l| l.display_name())
}

fn write_student(sheet: &mut Worksheet, row: u32, s: &StudentRow) -> Result<(), XlsxError> {
    let state = CollectionState::parse(&s.state).map_or(s.state.as_str(), |st| st.display_name());
    let year = s.enrolment_year.map(|y| y.to_string());
    let cells: [Option<&str>; 15] = [
        Some(&s.name),
        s.id_masked.as_deref(),
        s.collection_code.as_deref(),
        Some(&s.school_code),
        Some(category_name(&s.category)),
        s.level.as_deref().map(level_name),
        s.student_number.as_deref(),
        s.examinee_number.as_deref(),
        s.teaching_site.as_deref(),
        s.department.as_deref(),
        s.major.as_deref(),
        s.class_name.as_deref(),
        year.as_deref(),
        Some(state),
        Some(if s.photo_hash.is_some() { "有" } else { "无" }),
    ];
    for (c, v) in cells.iter().enumerate() {
        if let Some(v) = v {
            // Strings only: identifiers stay exact and Excel shows them as text.
            sheet.write_string(row, c as u16, *v)?;
        }
    }
    Ok(())
}

/// Writes a student list (IDs masked) to `path`.
pub fn write_students(path: &Path, students: &[StudentRow]) -> Result<(), ExportError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name("采集信息")?;
    write_student_header(sheet)?;
    for (i, s) in students.iter().enumerate() {
        write_student(sheet, i as u32 + 1, s)?;
    }
    save_atomically(&mut book, path)
}

/// Exports the students under `filter` page by page, records it in the export history.
pub async fn export_students(
    store: &Store,
    filter: &StudentFilter,
    path: &Path,
    name: &str,
    job: &JobControl,
) -> Result<ExportRecord, ExportError> {
    const PAGE: i64 = 10_000;
    let total = store.count_students(filter).await?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name("采集信息")?;
    write_student_header(sheet)?;
    let mut row = 1u32;
    let mut cursor = 0;
    loop {
        let (page, next) = store.students_after(filter, cursor, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for s in &page {
            write_student(sheet, row, s)?;
            row += 1;
        }
        cursor = next;
        job.step(u64::from(row - 1), total as u64)?;
    }
    save_atomically(&mut book, path)?;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(store
        .record_export(name, &abs.display().to_string(), filter, i64::from(row - 1))
        .await?)
}
