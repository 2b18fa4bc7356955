//! Roster workbooks in and out of the store: reading .xlsx/.xls rosters (header found anywhere
//! in the first rows, synonyms accepted, hostile files refused whole), the import that validates
//! and stores them, the template, the failed-rows export and the student list export.

mod export;
mod import;
mod results;
mod template;
mod workbook;

pub use export::{ExportError, export_students, write_failures, write_students};
pub use import::{ImportError, ImportOptions, ImportReport, import_workbook, rules_for_today};
pub use results::{ResultRow, read_delivery_results};
pub use template::write_template;
pub use workbook::{Limits, SheetInfo, WorkbookError, read_roster};
