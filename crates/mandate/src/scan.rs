//! The signed and stamped mandate comes back as a scan: a PDF, JPEG or PNG, told by its content.
//! A file named .pdf can be anything (a zip of the scans, a saved web page, a download cut short),
//! and it would be stored as proof of the mandate.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Larger than any scan of a one-page document, even at 600 dpi in colour.
pub const MAX_SCAN_BYTES: u64 = 20 * 1024 * 1024;

/// How far into a file a reader looks for a start or end marker: PDF readers accept a PDF with up
/// to 1 KB of junk before `%PDF-` (some mail gateways prepend headers) or after `%%EOF`.
const SLACK: usize = 1024;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanKind {
    Pdf,
    Jpeg,
    Png,
}

impl ScanKind {
    /// The usual file extension, for storing the scan under a name that says what it is.
    pub fn extension(self) -> &'static str {
        match self {
            ScanKind::Pdf => "pdf",
            ScanKind::Jpeg => "jpg",
            ScanKind::Png => "png",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(
        "委托书扫描件须为 PDF、JPEG 或 PNG 文件，这个文件是{what} (the mandate scan must be a PDF, JPEG or PNG file; this file is {what_en})"
    )]
    NotAScan {
        what: &'static str,
        what_en: &'static str,
    },
    #[error(
        "委托书扫描件过大：{} MB，上限 {} MB (the scan is too large: {bytes} bytes, at most {} bytes)",
        .bytes.div_ceil(1024 * 1024), MAX_SCAN_BYTES / (1024 * 1024), MAX_SCAN_BYTES
    )]
    TooLarge { bytes: u64 },
    #[error("无法读取委托书扫描件“{}”：{source} (cannot read the scan)", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What the bytes are, by their content.
pub fn check_scan(bytes: &[u8]) -> Result<ScanKind, ScanError> {
    if bytes.len() as u64 > MAX_SCAN_BYTES {
        return Err(ScanError::TooLarge {
            bytes: bytes.len() as u64,
        });
    }
    let not = |what, what_en| Err(ScanError::NotAScan { what, what_en });
    if bytes.is_empty() {
        return not("空文件", "empty");
    }
    let head = &bytes[..bytes.len().min(SLACK + 5)];
    if find(head, b"%PDF-").is_some() {
        let tail = &bytes[bytes.len().saturating_sub(SLACK)..];
        return if find(tail, b"%%EOF").is_some() {
            Ok(ScanKind::Pdf)
        } else {
            not(
                "不完整的 PDF（缺少 %%EOF，可能未下载或保存完整）",
                "a truncated PDF (no %%EOF near its end)",
            )
        };
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        // Some scanners pad the file with zeros after the end-of-image marker.
        let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        return if end >= 5 && bytes[..end].ends_with(&[0xFF, 0xD9]) {
            Ok(ScanKind::Jpeg)
        } else {
            not(
                "不完整的 JPEG 图片（缺少结束标记）",
                "a truncated JPEG (no end-of-image marker)",
            )
        };
    }
    if bytes.starts_with(&PNG_SIGNATURE) {
        // The first chunk of every PNG is IHDR, 13 bytes long.
        return if bytes.len() >= 33 && bytes[8..16] == [0, 0, 0, 13, b'I', b'H', b'D', b'R'] {
            Ok(ScanKind::Png)
        } else {
            not("损坏的 PNG 图片", "a damaged PNG")
        };
    }
    let (what, what_en) = describe(bytes);
    not(what, what_en)
}

/// [`check_scan`] on a file, refusing a too large one by its length before reading it, and
/// reading at most one byte past the limit, so a file that grows while read is refused too.
pub fn check_scan_file(path: &Path) -> Result<(ScanKind, Vec<u8>), ScanError> {
    let io = |source| ScanError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "不是文件 (not a file)",
        )));
    }
    if meta.len() > MAX_SCAN_BYTES {
        return Err(ScanError::TooLarge { bytes: meta.len() });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_SCAN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let kind = check_scan(&bytes)?;
    Ok((kind, bytes))
}

/// What a refused file probably is, so the message tells the user what they picked by mistake.
fn describe(bytes: &[u8]) -> (&'static str, &'static str) {
    let start = &bytes[..bytes.len().min(512)];
    let text = String::from_utf8_lossy(start)
        .trim_start()
        .to_ascii_lowercase();
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        (
            "压缩包或 Office 文档（zip）",
            "a zip archive or Office document",
        )
    } else if text.starts_with("<!doctype html")
        || text.starts_with("<html")
        || text.contains("<html")
    {
        ("网页（HTML）", "a web page (HTML)")
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        ("旧版 Office 文档（doc/xls）", "an old Office document")
    } else if bytes.starts_with(b"GIF8") {
        ("GIF 图片", "a GIF image")
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        ("WebP 图片", "a WebP image")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        ("TIFF 图片", "a TIFF image")
    } else if bytes.starts_with(b"BM") {
        ("BMP 图片", "a BMP image")
    } else {
        ("无法识别的内容", "of unknown content")
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_markers_may_sit_within_a_kilobyte_of_the_ends() {
        let mut pdf = vec![b'x'; 1000];
        pdf.extend_from_slice(b"%PDF-1.7\n...\n%%EOF\n");
        pdf.extend(vec![b'\n'; 1000]);
        assert_eq!(check_scan(&pdf).ok(), Some(ScanKind::Pdf));
        let mut late = vec![b'x'; 2000];
        late.extend_from_slice(b"%PDF-1.7\n%%EOF");
        assert!(check_scan(&late).is_err());
    }

    #[test]
    fn jpeg_may_be_padded_with_zeros() {
        assert_eq!(
            check_scan(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0xFF, 0xD9, 0, 0]).ok(),
            Some(ScanKind::Jpeg)
        );
        assert!(check_scan(&[0xFF, 0xD8, 0xFF, 0xD9]).is_err());
        assert!(check_scan(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).is_err());
    }
}
