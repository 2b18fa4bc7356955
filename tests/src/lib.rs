//! Test support shared by the end-to-end tests: real workbooks written with rust_xlsxwriter,
//! read back with calamine, and the committed fixtures.

use calamine::{Data, Reader};
use rust_xlsxwriter::{Format, Workbook};
use std::path::{Path, PathBuf};

/// A cell to write: text (stored as a text cell), a number, or nothing.
#[derive(Debug, Clone)]
pub enum C {
    T(&'static str),
    S(String),
    N(f64),
    Blank,
}

/// Writes one sheet of rows (the first row is usually the header) to an .xlsx file.
pub fn write_xlsx(path: &Path, sheet: &str, rows: &[Vec<C>]) {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    let text = Format::new().set_num_format("@");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                C::T(s) => ws.write_string_with_format(r, c, *s, &text).map(|_| ()),
                C::S(s) => ws.write_string_with_format(r, c, s, &text).map(|_| ()),
                C::N(n) => ws.write_number(r, c, *n).map(|_| ()),
                C::Blank => Ok(()),
            }
            .unwrap();
        }
    }
    book.save(path).unwrap();
}

/// Every cell of a sheet as (text, was-it-a-string-cell).
pub fn read_sheet(path: &Path, sheet: &str) -> Vec<Vec<(String, bool)>> {
    let mut book = calamine::open_workbook_auto(path).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|d| match d {
                    Data::String(s) => (s.clone(), true),
                    Data::Empty => (String::new(), false),
                    other => (other.to_string(), false),
                })
                .collect()
        })
        .collect()
}

pub fn sheet_names(path: &Path) -> Vec<String> {
    calamine::open_workbook_auto(path).unwrap().sheet_names()
}

/// The running checkout's `tests/fixtures/NAME`. Found from the package directory cargo gives
/// the running test, not from the one this crate was compiled in: a target dir shared between
/// clones at different paths (CI's cache) keeps binaries compiled in another clone, which may
/// be gone.
pub fn fixture(name: &str) -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    start
        .ancestors()
        .map(|d| d.join("tests/fixtures"))
        .find(|d| d.is_dir())
        .or_else(|| Some(start.join("fixtures")).filter(|d| d.is_dir()))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
        .join(name)
}

/// The bytes of a real portrait in `fixtures/faces` (see its SOURCES.md).
pub fn face_bytes(name: &str) -> Vec<u8> {
    let path = fixture("faces").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A valid resident ID for a row index (distinct per index below 1000 × 28).
pub fn valid_id(i: usize) -> String {
    let first17 = format!(
        "110105{:04}{:02}{:02}{:03}",
        1995 + (i / 1000) % 8,
        1 + (i / 8000) % 12,
        1 + i % 28,
        i % 1000
    );
    let sum: u32 = first17
        .bytes()
        .zip([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{first17}{}", b"10X98765432"[(sum % 11) as usize] as char)
}
