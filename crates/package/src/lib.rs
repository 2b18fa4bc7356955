//! The delivery package (上网照压缩包 + 采集信息.xlsx) and the print shop's sheets (冲印包 +
//! 订单.xlsx) as bytes: files in a zip with one workbook listing them.
//!
//! A package must download again byte for byte (the history promises it, and the SHA-256 on
//! record proves it), so nothing in it may depend on when or where it is written: entries go in
//! the order given, stored (JPEGs do not compress), every timestamp is the batch's own time, and
//! the info workbook's document date is that time too. The zip is streamed (data descriptors, no
//! seeking back) through a SHA-256 of its own bytes, so the hash costs no second read and
//! memory stays flat however many photos go in.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, ZipWriter};

/// The info workbook's name inside the package.
pub const INFO_WORKBOOK: &str = "采集信息.xlsx";

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("无法写入 {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("写入压缩包失败：{0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("写入采集信息表失败：{0}")]
    Xlsx(#[from] XlsxError),
    #[error("批次时间无效（{0}）")]
    BadTime(String),
    #[error("压缩包内文件名重复：{0}")]
    DuplicateEntry(String),
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What was written: the zip's SHA-256 (hex) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub sha256: String,
    pub bytes: u64,
}

/// Writes one package to a temporary file beside `path`; [`PackageWriter::finish`] moves it
/// into place. Dropped unfinished (an error, a cancel), it leaves nothing behind.
pub struct PackageWriter {
    zip: ZipWriter<StreamWriter<Hashing<BufWriter<File>>>>,
    tmp: tempfile::TempPath,
    path: PathBuf,
    options: SimpleFileOptions,
    book: Workbook,
    workbook_name: String,
    row: u32,
    names: std::collections::HashSet<String>,
}

impl std::fmt::Debug for PackageWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageWriter")
            .field("path", &self.path)
            .field("rows", &self.row)
            .finish()
    }
}

/// The batch time as a local (Beijing) wall-clock time: what zip tools and Excel show.
fn beijing(created_at: &str) -> Result<chrono::NaiveDateTime, PackageError> {
    let t = chrono::DateTime::parse_from_rfc3339(created_at)
        .map_err(|_| PackageError::BadTime(created_at.to_string()))?;
    Ok((t.to_utc() + chrono::Duration::hours(8)).naive_utc())
}

impl PackageWriter {
    /// A delivery package: `created_at` is the batch's RFC 3339 time; `headers` the info
    /// workbook's header row.
    pub fn create(path: &Path, created_at: &str, headers: &[&str]) -> Result<Self, PackageError> {
        Self::with_workbook(path, created_at, INFO_WORKBOOK, "采集信息", headers)
    }

    /// Any zip of files plus one workbook (`workbook_name`, added last) with a sheet
    /// `sheet_name` whose header row is `headers`.
    pub fn with_workbook(
        path: &Path,
        created_at: &str,
        workbook_name: &str,
        sheet_name: &str,
        headers: &[&str],
    ) -> Result<Self, PackageError> {
        use chrono::{Datelike, Timelike};
        let io = |source| PackageError::Io {
            path: path.to_path_buf(),
            source,
        };
        let local = beijing(created_at)?;
        let stamp = zip::DateTime::from_date_and_time(
            local.year().clamp(1980, 2107) as u16,
            local.month() as u8,
            local.day() as u8,
            local.hour() as u8,
            local.minute() as u8,
            local.second() as u8,
        )
        .map_err(|_| PackageError::BadTime(created_at.to_string()))?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let (file, tmp) = tempfile::NamedTempFile::new_in(dir)
            .map_err(io)?
            .into_parts();
        let zip = ZipWriter::new_stream(Hashing {
            inner: BufWriter::with_capacity(256 * 1024, file),
            sha: Sha256::new(),
            bytes: 0,
        });
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(stamp)
            .unix_permissions(0o644);

        let mut book = Workbook::new();
        let created =
            ExcelDateTime::from_ymd(local.year() as u16, local.month() as u8, local.day() as u8)?
                .and_hms(
                local.hour() as u16,
                local.minute() as u8,
                local.second() as u8,
            )?;
        book.set_properties(&DocProperties::new().set_creation_datetime(&created));
        let bold = Format::new().set_bold();
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(sheet_name)?;
        for (i, h) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, *h, &bold)?;
            sheet.set_column_width(i as u16, 18.0)?;
        }
        Ok(Self {
            zip,
            tmp,
            path: path.to_path_buf(),
            options,
            book,
            workbook_name: workbook_name.to_string(),
            row: 0,
            names: Default::default(),
        })
    }

    /// Adds one photo under `file_name` and its row of the info workbook (text cells: IDs and
    /// codes stay exact).
    pub fn add_photo(
        &mut self,
        file_name: &str,
        photo: &[u8],
        info: &[String],
    ) -> Result<(), PackageError> {
        self.add_file(file_name, photo)?;
        self.add_row(info)
    }

    /// Adds one file; names are unique within the zip.
    pub fn add_file(&mut self, file_name: &str, bytes: &[u8]) -> Result<(), PackageError> {
        if !self.names.insert(file_name.to_string()) {
            return Err(PackageError::DuplicateEntry(file_name.to_string()));
        }
        self.zip.start_file(file_name, self.options)?;
        self.zip
            .write_all(bytes)
            .map_err(|source| PackageError::Io {
                path: self.path.clone(),
                source,
            })
    }

    /// Adds one row to the workbook, as text cells.
    pub fn add_row(&mut self, info: &[String]) -> Result<(), PackageError> {
        self.row += 1;
        let sheet = self.book.worksheet_from_index(0)?;
        for (c, v) in info.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(self.row, c as u16, v)?;
            }
        }
        Ok(())
    }

    /// Rows written to the workbook so far.
    pub fn rows(&self) -> u32 {
        self.row
    }

    /// Adds the info workbook last, closes the zip, syncs it and moves it to `path`.
    pub fn finish(mut self) -> Result<Written, PackageError> {
        let io = |path: &Path, source| PackageError::Io {
            path: path.to_path_buf(),
            source,
        };
        self.book.worksheet_from_index(0)?.set_freeze_panes(1, 0)?;
        let mut info = std::io::Cursor::new(Vec::new());
        self.book.save_to_writer(&mut info)?;
        self.zip
            .start_file(self.workbook_name.as_str(), self.options)?;
        self.zip
            .write_all(info.get_ref())
            .map_err(|e| io(&self.path, e))?;
        let stream = self.zip.finish()?;
        let mut hashing = stream.into_inner();
        hashing.flush().map_err(|e| io(&self.path, e))?;
        let sha256 = hex::encode(hashing.sha.finalize());
        let bytes = hashing.bytes;
        let file = hashing
            .inner
            .into_inner()
            .map_err(|e| io(&self.path, e.into_error()))?;
        file.sync_all().map_err(|e| io(&self.path, e))?;
        self.tmp
            .persist(&self.path)
            .map_err(|e| io(&self.path, e.error))?;
        Ok(Written { sha256, bytes })
    }
}
