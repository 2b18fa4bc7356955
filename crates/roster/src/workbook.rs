//! Reading roster workbooks. The file type is decided from its bytes, not its name: Excel users
//! routinely save CSV and web pages with an .xls name.

use calamine::{Data, DataRef, Reader, Xls, Xlsx};
use photoroll_core::JobControl;
use photoroll_core::roster::{CellValue, Column, RawRow};
use std::io::Cursor;
use std::ops::ControlFlow;

/// Refusal limits: a file bigger than `max_file_bytes`, an .xlsx whose parts unpack beyond
/// `max_unpacked_bytes`, or a sheet with more than `max_rows` data rows is refused whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_unpacked_bytes: u64,
    pub max_rows: u32,
    /// Cells visited (blank ones included) before the sheet counts as hostile.
    pub max_cells: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 50 * 1024 * 1024,
            max_unpacked_bytes: 1024 * 1024 * 1024,
            max_rows: 300_000,
            max_cells: 30_000_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    #[error("文件过大（{size} 字节），上限为 {limit} 字节")]
    TooLarge { size: u64, limit: u64 },
    #[error("文件解压后过大（声明 {size} 字节，上限 {limit} 字节），可能是压缩炸弹")]
    UnpackedTooLarge { size: u64, limit: u64 },
    #[error("文件是空的")]
    Empty,
    #[error(
        "这是 CSV 文本文件，只是以 .xls/.xlsx 为扩展名：请在 Excel 中“另存为” Excel 工作簿（.xlsx）后再导入"
    )]
    Csv,
    #[error(
        "这是网页（HTML/XML）文件，只是以 .xls 为扩展名（常见于从网站导出的名单）：请在 Excel 中打开并“另存为” Excel 工作簿（.xlsx）后再导入"
    )]
    Html,
    #[error("工作簿已加密（设置了打开密码）：请在 Excel 中取消密码后再导入")]
    Encrypted,
    #[error("不是 Excel 工作簿（{0}）：请上传 .xlsx 或 .xls 文件")]
    NotAWorkbook(String),
    #[error("工作簿已损坏或无法读取：{0}")]
    Corrupt(String),
    #[error("在任何工作表的前20行中都没有找到表头：表头需要包含“姓名”以及“采集码”或“证件号”等列")]
    NoHeader,
    #[error(
        "在任何工作表的前20行中都没有找到结果表头：表头需要包含“图像采集码”（或“采集码”）和“上网结果”（或“结果”）列"
    )]
    NoResultHeader,
    #[error("数据行超过上限 {limit} 行：请拆分成多个文件导入")]
    TooManyRows { limit: u32 },
    #[error("工作表包含的单元格过多（超过 {limit} 个），可能是格式异常的文件")]
    TooManyCells { limit: u64 },
    #[error(transparent)]
    Cancelled(#[from] photoroll_core::Cancelled),
    #[error("读取已中止")]
    Stopped,
}

/// What was read: the sheet, its header row (every column as uploaded), where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetInfo {
    pub sheet_name: String,
    pub header_row: u32,
    pub headers: Vec<String>,
    pub columns: Vec<Option<Column>>,
    /// Non-blank data rows.
    pub data_rows: u64,
}

pub(crate) const HEADER_SEARCH_ROWS: u32 = 20;

enum Kind {
    Xlsx,
    Xls,
}

fn sniff(bytes: &[u8], limits: &Limits) -> Result<Kind, WorkbookError> {
    if bytes.is_empty() {
        return Err(WorkbookError::Empty);
    }
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(WorkbookError::TooLarge {
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| WorkbookError::Corrupt(e.to_string()))?;
        let mut unpacked = 0u64;
        let mut is_excel = false;
        for i in 0..zip.len() {
            let Some(Ok(name)) = zip.name_for_index(i) else {
                continue;
            };
            is_excel |= name == "xl/workbook.xml" || name == "xl/workbook.bin";
        }
        // Declared sizes are what calamine will trust when it allocates.
        let mut zip = zip;
        for i in 0..zip.len() {
            let f = zip
                .by_index_raw(i)
                .map_err(|e| WorkbookError::Corrupt(e.to_string()))?;
            unpacked = unpacked.saturating_add(f.size());
        }
        if unpacked > limits.max_unpacked_bytes {
            return Err(WorkbookError::UnpackedTooLarge {
                size: unpacked,
                limit: limits.max_unpacked_bytes,
            });
        }
        if !is_excel {
            return Err(WorkbookError::NotAWorkbook(
                "是一个 zip 压缩包，但不含 Excel 工作表".into(),
            ));
        }
        return Ok(Kind::Xlsx);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        // An encrypted .xlsx is an OLE container with an EncryptedPackage stream; directory
        // entry names are UTF-16LE.
        let marker: Vec<u8> = "EncryptedPackage"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        if bytes.windows(marker.len()).any(|w| w == marker.as_slice()) {
            return Err(WorkbookError::Encrypted);
        }
        return Ok(Kind::Xls);
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{FEFF}').trim_start();
    if trimmed.starts_with('<') {
        return Err(WorkbookError::Html);
    }
    let first_line = trimmed.lines().next().unwrap_or("");
    let printable = head
        .iter()
        .filter(|b| **b >= 0x20 || matches!(**b, b'\n' | b'\r' | b'\t'))
        .count();
    if printable * 10 >= head.len() * 9
        && (first_line.contains(',') || first_line.contains('\t') || first_line.contains(';'))
    {
        return Err(WorkbookError::Csv);
    }
    Err(WorkbookError::NotAWorkbook("无法识别的文件类型".into()))
}

fn cell_from_ref(v: &DataRef<'_>) -> CellValue {
    match v {
        DataRef::Empty => CellValue::Empty,
        DataRef::Int(i) => CellValue::Number(*i as f64),
        DataRef::Float(f) => CellValue::Number(*f),
        DataRef::String(s) => CellValue::Text(s.clone()),
        DataRef::SharedString(s) => CellValue::Text((*s).to_string()),
        DataRef::Bool(b) => CellValue::Text(if *b { "TRUE" } else { "FALSE" }.into()),
        DataRef::DateTime(d) => CellValue::Text(excel_serial_to_date(d.as_f64())),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => CellValue::Text(s.clone()),
        DataRef::Error(e) => CellValue::Text(format!("#{e}")),
    }
}

fn cell_from_data(v: &Data) -> CellValue {
    match v {
        Data::Empty => CellValue::Empty,
        Data::Int(i) => CellValue::Number(*i as f64),
        Data::Float(f) => CellValue::Number(*f),
        Data::String(s) => CellValue::Text(s.clone()),
        Data::Bool(b) => CellValue::Text(if *b { "TRUE" } else { "FALSE" }.into()),
        Data::DateTime(d) => CellValue::Text(excel_serial_to_date(d.as_f64())),
        Data::DateTimeIso(s) | Data::DurationIso(s) => CellValue::Text(s.clone()),
        Data::Error(e) => CellValue::Text(format!("#{e}")),
    }
}

/// Excel's day serial (1900 system, with its phantom 1900-02-29) to `YYYY-MM-DD`.
fn excel_serial_to_date(serial: f64) -> String {
    if !serial.is_finite() || !(1.0..3_000_000.0).contains(&serial) {
        return photoroll_core::roster::format_number(serial);
    }
    // Days since 1970-01-01: serial 25569 is 1970-01-01.
    let days = serial.floor() as i64 - 25569;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

fn header_columns(cells: &[CellValue]) -> Option<(Vec<String>, Vec<Option<Column>>)> {
    let mut columns: Vec<Option<Column>> = cells
        .iter()
        .map(|c| Column::from_header(&c.text()))
        .collect();
    // A column named twice: the first one counts, later ones are ignored.
    let mut seen = std::collections::HashSet::new();
    for c in columns.iter_mut() {
        if let Some(col) = c
            && !seen.insert(*col)
        {
            *c = None;
        }
    }
    let has_name = columns.contains(&Some(Column::Name));
    let recognised = columns.iter().flatten().count();
    if !has_name || recognised < 2 {
        return None;
    }
    let width = cells
        .iter()
        .rposition(|c| !c.is_blank())
        .map_or(0, |i| i + 1);
    columns.truncate(width);
    Some((
        cells[..width].iter().map(CellValue::text).collect(),
        columns,
    ))
}

/// What the sheet readers feed: every row of a sheet in order, until a header is found in the
/// first 20 rows of some sheet and its data rows are taken. Rosters and the channel's result
/// workbooks read the same files the same way; only the header they look for differs.
pub(crate) trait SheetRows {
    /// Returns Ok(false) when no header was found within the search rows (try the next sheet).
    fn row(&mut self, sheet: &str, index: u32, cells: &[CellValue]) -> Result<bool, WorkbookError>;
    /// The header's width once found: cells beyond it are not kept.
    fn width(&self) -> Option<usize>;
    fn limits(&self) -> &Limits;
    fn set_total(&mut self, rows: u64);
}

/// Drives a sheet's rows (in order, each with its 0-based row index) through header detection
/// and hands every non-blank data row to `on_row`.
struct RowSink<'a, F> {
    limits: &'a Limits,
    job: &'a JobControl,
    info: Option<SheetInfo>,
    on_row: F,
    progress_total: u64,
}

impl<F: FnMut(&RawRow, &[CellValue]) -> ControlFlow<()>> SheetRows for RowSink<'_, F> {
    fn width(&self) -> Option<usize> {
        self.info.as_ref().map(|i| i.headers.len())
    }

    fn limits(&self) -> &Limits {
        self.limits
    }

    fn set_total(&mut self, rows: u64) {
        self.progress_total = rows;
    }

    fn row(&mut self, sheet: &str, index: u32, cells: &[CellValue]) -> Result<bool, WorkbookError> {
        let Some(info) = &mut self.info else {
            if index >= HEADER_SEARCH_ROWS {
                return Ok(false);
            }
            if let Some((headers, columns)) = header_columns(cells) {
                self.info = Some(SheetInfo {
                    sheet_name: sheet.to_string(),
                    header_row: index + 1,
                    headers,
                    columns,
                    data_rows: 0,
                });
            }
            return Ok(true);
        };
        if cells.iter().all(CellValue::is_blank) {
            return Ok(true);
        }
        info.data_rows += 1;
        if info.data_rows > u64::from(self.limits.max_rows) {
            return Err(WorkbookError::TooManyRows {
                limit: self.limits.max_rows,
            });
        }
        let mut raw = RawRow::new(index + 1);
        let width = info.headers.len();
        for (i, col) in info.columns.iter().enumerate() {
            if let (Some(col), Some(v)) = (col, cells.get(i)) {
                raw.set(*col, v.clone());
            }
        }
        let original = &cells[..cells.len().min(width)];
        if (self.on_row)(&raw, original).is_break() {
            return Err(WorkbookError::Stopped);
        }
        if info.data_rows % 2048 == 0 {
            self.job.step(info.data_rows, self.progress_total)?;
        }
        Ok(true)
    }
}

/// Reads the first sheet whose header it recognises. `on_row` receives each non-blank data row
/// mapped to the known columns, plus the row's cells as uploaded (aligned with the headers);
/// returning `Break` stops the read with [`WorkbookError::Stopped`].
pub fn read_roster(
    bytes: &[u8],
    limits: &Limits,
    job: &JobControl,
    on_row: impl FnMut(&RawRow, &[CellValue]) -> ControlFlow<()>,
) -> Result<SheetInfo, WorkbookError> {
    let mut sink = RowSink {
        limits,
        job,
        info: None,
        on_row,
        progress_total: 0,
    };
    read_sheets(bytes, &mut sink)?;
    let info = sink.info.ok_or(WorkbookError::NoHeader)?;
    job.step(info.data_rows, info.data_rows)?;
    Ok(info)
}

/// Sniffs the file and feeds its sheets to `sink`.
pub(crate) fn read_sheets(bytes: &[u8], sink: &mut impl SheetRows) -> Result<(), WorkbookError> {
    match sniff(bytes, sink.limits())? {
        Kind::Xlsx => read_xlsx(bytes, sink),
        Kind::Xls => read_xls(bytes, sink),
    }
}

fn corrupt(e: impl std::fmt::Display) -> WorkbookError {
    WorkbookError::Corrupt(e.to_string())
}

fn read_xlsx(bytes: &[u8], sink: &mut impl SheetRows) -> Result<(), WorkbookError> {
    let mut book: Xlsx<_> = match Xlsx::new(Cursor::new(bytes)) {
        Ok(b) => b,
        Err(calamine::XlsxError::Password) => return Err(WorkbookError::Encrypted),
        Err(e) => return Err(corrupt(e)),
    };
    for sheet in book.sheet_names() {
        let mut reader = book.worksheet_cells_reader(&sheet).map_err(corrupt)?;
        sink.set_total(u64::from(reader.dimensions().end.0));
        let mut current: Option<u32> = None;
        let mut cells: Vec<CellValue> = Vec::new();
        let mut visited = 0u64;
        // Cells stream in row order; a row is complete when the next one starts.
        loop {
            let next = reader.next_cell().map_err(corrupt)?;
            let pos = next.as_ref().map(|c| c.get_position());
            if let Some(cur) = current
                && pos.is_none_or(|(r, _)| r != cur)
            {
                if !sink.row(&sheet, cur, &cells)? {
                    break;
                }
                cells.clear();
            }
            let Some(cell) = next else { break };
            visited += 1;
            if visited > sink.limits().max_cells {
                return Err(WorkbookError::TooManyCells {
                    limit: sink.limits().max_cells,
                });
            }
            let (row, col) = cell.get_position();
            if sink.width().is_none() && row >= HEADER_SEARCH_ROWS {
                break;
            }
            current = Some(row);
            let width = sink.width().unwrap_or(1024);
            let col = col as usize;
            if col < width {
                if cells.len() <= col {
                    cells.resize(col + 1, CellValue::Empty);
                }
                cells[col] = cell_from_ref(cell.get_value());
            }
        }
        if sink.width().is_some() {
            return Ok(());
        }
    }
    Ok(())
}

fn read_xls(bytes: &[u8], sink: &mut impl SheetRows) -> Result<(), WorkbookError> {
    let mut book: Xls<_> = match Xls::new(Cursor::new(bytes)) {
        Ok(b) => b,
        Err(calamine::XlsError::Password) => return Err(WorkbookError::Encrypted),
        Err(e) => return Err(corrupt(e)),
    };
    // .xls caps a sheet at 65,536 × 256 cells, which bounds calamine's dense range.
    for sheet in book.sheet_names() {
        let range = match book.worksheet_range(&sheet) {
            Ok(r) => r,
            Err(calamine::XlsError::Password) => return Err(WorkbookError::Encrypted),
            Err(e) => return Err(corrupt(e)),
        };
        let Some((start_row, start_col)) = range.start() else {
            continue;
        };
        sink.set_total(range.height() as u64);
        let lead: Vec<CellValue> = vec![CellValue::Empty; start_col as usize];
        for (i, row) in range.rows().enumerate() {
            let mut cells = lead.clone();
            cells.extend(row.iter().map(cell_from_data));
            if !sink.row(&sheet, start_row + i as u32, &cells)? {
                break;
            }
        }
        if sink.width().is_some() {
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_dates() {
        assert_eq!(excel_serial_to_date(25569.0), "1970-01-01");
        assert_eq!(excel_serial_to_date(43709.0), "2019-09-01");
        assert_eq!(excel_serial_to_date(45351.5), "2024-02-29");
    }

    #[test]
    fn sniffing_tells_text_files_apart() {
        let l = Limits::default();
        assert!(matches!(sniff(b"", &l), Err(WorkbookError::Empty)));
        assert!(matches!(
            sniff("姓名,证件号\n张三,1\n".as_bytes(), &l),
            Err(WorkbookError::Csv)
        ));
        assert!(matches!(
            sniff(b"\xEF\xBB\xBF<html><table></table></html>", &l),
            Err(WorkbookError::Html)
        ));
        assert!(matches!(
            sniff(b"\x00\x01\x02garbage\xff\xfe", &l),
            Err(WorkbookError::NotAWorkbook(_))
        ));
        let small = Limits {
            max_file_bytes: 4,
            ..l
        };
        assert!(matches!(
            sniff(b"PK\x03\x04abc", &small),
            Err(WorkbookError::TooLarge { .. })
        ));
    }
}
