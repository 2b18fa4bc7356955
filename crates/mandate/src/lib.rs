//! The mandate (委托书): a school entrusts a collection unit with its graduates' photo collection
//! (domain.md, "Contract"). [`render`] prints it as an A4 PDF in Chinese for the school to sign and
//! stamp; [`check_scan`] tells whether the signed scan that comes back is really a PDF, JPEG or PNG.
//!
//! The PDF carries real text (searchable, copyable) in a subset of a CJK font found on the system
//! ([`CjkFont::find`]): shipping a CJK font would add 10-20 MB to the app for one page.

mod font;
mod layout;
mod scan;

pub use font::CjkFont;
pub use layout::render;
pub use scan::{MAX_SCAN_BYTES, ScanError, ScanKind, check_scan, check_scan_file};

use std::path::PathBuf;

/// What one mandate says. Strings are printed as given; [`render`] refuses the ones that would
/// make a wrong document (a school code that is not 5 digits, a term that ends before it starts).
#[derive(Debug, Clone)]
pub struct MandateDoc {
    /// The collection unit (受托方).
    pub provider: String,
    /// 委托方.
    pub school_name: String,
    /// 院校代码, 5 digits.
    pub school_code: String,
    /// The signed education categories this mandate covers, in print order.
    pub categories: Vec<MandateCategory>,
    /// 委托N年.
    pub years: u32,
    /// The day the mandate is issued (即日).
    pub from: chrono::NaiveDate,
    /// The last day of the term (即日起至…).
    pub until: chrono::NaiveDate,
    /// 经办人.
    pub handler: String,
    /// The mandate's id, printed small so a scan can be matched to its mandate.
    pub mandate_no: String,
}

/// One education category and its price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateCategory {
    /// e.g. 成人高等教育.
    pub name: String,
    /// Yuan per student, already formatted with two decimals, e.g. "25.00".
    pub price: String,
}

/// Why a mandate could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum MandateError {
    #[error(
        "找不到中文字体：请安装 Noto CJK 字体（Debian/Ubuntu：apt install fonts-noto-cjk；Fedora：dnf install google-noto-serif-cjk-fonts），或将环境变量 PHOTOROLL_CJK_FONT 设为字体文件路径 \
         (no CJK font found: install one, e.g. `apt install fonts-noto-cjk` on Debian/Ubuntu, or set PHOTOROLL_CJK_FONT to a font file; searched: {})",
        .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NoCjkFont { searched: Vec<PathBuf> },
    #[error("无法读取字体文件“{}”：{source} (cannot read the font file)", .path.display())]
    FontRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("“{}”不是可用的字体文件：{reason} (not a usable font file)", .path.display())]
    NotAFont { path: PathBuf, reason: String },
    #[error("字体文件“{}”中没有第 {index} 个字体，共 {count} 个 (the font file has {count} faces, no face {index})", .path.display())]
    NoSuchFace {
        path: PathBuf,
        index: u32,
        count: u32,
    },
    #[error("字体“{font}”缺少字符“{ch}”(U+{:04X})，无法打印 (the font has no glyph for this character)", u32::from(*.ch))]
    MissingGlyph { font: String, ch: char },
    #[error("委托书内容有误：{0}")]
    InvalidDoc(String),
    #[error("生成 PDF 失败：{0} (writing the PDF failed)")]
    Pdf(String),
}
