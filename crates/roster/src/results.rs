//! The collection channel's result workbook (上网结果): which photos CHSI took and which it
//! refused, and why. Read like a roster (type from the bytes, header anywhere in the first 20
//! rows, hostile files refused whole); each data row becomes a [`ResultRow`] or a row error.

use crate::workbook::{HEADER_SEARCH_ROWS, Limits, SheetRows, WorkbookError, read_sheets};
use photoroll_core::delivery::DeliveryOutcome;
use photoroll_core::roster::CellValue;
use photoroll_core::{JobControl, normalise_collection_code};

/// One data row as read, with its row number as Excel shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRow {
    pub row: u32,
    pub code: String,
    pub outcome: Result<DeliveryOutcome, String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResultColumn {
    Code,
    Outcome,
    Reason,
}

fn column(header: &str) -> Option<ResultColumn> {
    let h: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    match h.as_str() {
        "图像采集码" | "采集码" | "学信网图像采集码" => Some(ResultColumn::Code),
        "上网结果" | "结果" | "上网状态" | "处理结果" => Some(ResultColumn::Outcome),
        "失败原因" | "原因" | "备注" | "不合格原因" => Some(ResultColumn::Reason),
        _ => None,
    }
}

struct ResultSink<'a> {
    limits: &'a Limits,
    job: &'a JobControl,
    columns: Option<Vec<Option<ResultColumn>>>,
    rows: Vec<ResultRow>,
    total: u64,
}

impl SheetRows for ResultSink<'_> {
    fn width(&self) -> Option<usize> {
        self.columns.as_ref().map(Vec::len)
    }

    fn limits(&self) -> &Limits {
        self.limits
    }

    fn set_total(&mut self, rows: u64) {
        self.total = rows;
    }

    fn row(
        &mut self,
        _sheet: &str,
        index: u32,
        cells: &[CellValue],
    ) -> Result<bool, WorkbookError> {
        let Some(columns) = &self.columns else {
            if index >= HEADER_SEARCH_ROWS {
                return Ok(false);
            }
            let mut found: Vec<Option<ResultColumn>> =
                cells.iter().map(|c| column(&c.text())).collect();
            // A column named twice: the first one counts.
            for i in 0..found.len() {
                if found[i].is_some() && found[..i].contains(&found[i]) {
                    found[i] = None;
                }
            }
            if found.contains(&Some(ResultColumn::Code))
                && found.contains(&Some(ResultColumn::Outcome))
            {
                self.columns = Some(found);
            }
            return Ok(true);
        };
        if cells.iter().all(CellValue::is_blank) {
            return Ok(true);
        }
        if self.rows.len() as u64 >= u64::from(self.limits.max_rows) {
            return Err(WorkbookError::TooManyRows {
                limit: self.limits.max_rows,
            });
        }
        let cell = |want: ResultColumn| {
            columns
                .iter()
                .position(|c| *c == Some(want))
                .and_then(|i| cells.get(i))
                .map(CellValue::text)
                .unwrap_or_default()
        };
        let outcome_text = cell(ResultColumn::Outcome);
        let reason = cell(ResultColumn::Reason);
        self.rows.push(ResultRow {
            row: index + 1,
            code: normalise_collection_code(&cell(ResultColumn::Code)),
            outcome: DeliveryOutcome::parse(&outcome_text).ok_or(outcome_text),
            reason: (!reason.is_empty()).then_some(reason),
        });
        if self.rows.len().is_multiple_of(2048) {
            self.job.step(u64::from(index), self.total)?;
        }
        Ok(true)
    }
}

/// Reads every data row of the first sheet with a result header (图像采集码/采集码 and
/// 上网结果/结果; 失败原因/原因 optional).
pub fn read_delivery_results(
    bytes: &[u8],
    limits: &Limits,
    job: &JobControl,
) -> Result<Vec<ResultRow>, WorkbookError> {
    let mut sink = ResultSink {
        limits,
        job,
        columns: None,
        rows: Vec::new(),
        total: 0,
    };
    read_sheets(bytes, &mut sink)?;
    if sink.columns.is_none() {
        return Err(WorkbookError::NoResultHeader);
    }
    Ok(sink.rows)
}
