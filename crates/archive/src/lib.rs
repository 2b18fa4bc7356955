//! The one zip reader for every archive Photoroll opens (backups, station packs, captures files,
//! photo imports): nothing in an archive is trusted until it has been checked.
//!
//! [`ArchiveReader::new`] checks the whole central directory before a byte is inflated:
//! - the entry count, read from the end-of-central-directory record before the directory itself
//!   is parsed, so 100,000 tiny entries cost a 64 KiB read, not 100,000 allocations;
//! - every entry's declared size, their total and their compression ratio against [`Limits`];
//! - names: no absolute paths, `..`/`.`/empty segments, backslashes, drive letters (`:`), NUL
//!   or control characters, no duplicates;
//! - no symbolic links, no encryption, only stored or deflated entries;
//! - (a photo zip, [`UnsafeEntries::List`]: an entry with an unsafe name or a symbolic link is
//!   listed with its reason and can never be read, instead of refusing the archive;)
//! - no overlapping entries (the classic non-recursive zip bomb) and local headers that agree
//!   with the central directory.
//!
//! Then [`ArchiveReader::copy_to`] streams one entry into any writer (a file, a `Vec`,
//! [`std::io::sink`]) through a counter that enforces the same limits on the bytes actually
//! inflated (declared sizes can lie) and hashes them with SHA-256 on the way: memory stays at
//! one 64 KiB buffer whatever the entry's size.
//!
//! Names are read as UTF-8 when they are valid UTF-8, otherwise in the code page the limits
//! name ([`LegacyNames`]: CP437 by the specification, GBK for photo zips from Chinese Windows).

use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;
const TIB: u64 = 1024 * GIB;

/// What an archive may hold. Every check is made on the central directory first and again on
/// the bytes actually inflated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries in the central directory (directories included).
    pub max_entries: u64,
    /// Uncompressed bytes of one entry, unless `large_entries` names it.
    pub max_entry_bytes: u64,
    /// Uncompressed bytes of all entries together.
    pub max_total_bytes: u64,
    /// Uncompressed bytes per compressed byte, for entries bigger than `ratio_floor_bytes`.
    pub max_ratio: u64,
    /// Entries up to this size are not ratio-checked (a small file of spaces is no bomb).
    pub ratio_floor_bytes: u64,
    /// Bytes of one entry's name.
    pub max_name_bytes: usize,
    /// Named entries allowed a size other than `max_entry_bytes` (a backup's database).
    pub large_entries: &'static [(&'static str, u64)],
    /// How a name that is not UTF-8 is read (zips written by Windows tools in the user's code
    /// page).
    pub legacy_names: LegacyNames,
    /// What an entry whose name is unsafe (see the crate's documentation) or that is a symbolic
    /// link does to the archive.
    pub unsafe_entries: UnsafeEntries,
}

/// The code page a name that is not UTF-8 is read in. A name that is valid UTF-8 is read as
/// UTF-8 whatever the zip's flag says (macOS and Linux tools often leave the flag off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyNames {
    /// The zip specification's default.
    Cp437,
    /// What Windows' own zip tool and most Chinese archivers write on a Chinese system; a name
    /// that is not valid GBK either is read as CP437.
    Gbk,
}

/// What an unsafe entry (a name with `..`, an absolute path, a drive letter, control
/// characters…, or a symbolic link) does to the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeEntries {
    /// The whole archive is refused (backups, station files: one bad entry means a forged file).
    Refuse,
    /// The entry is listed with [`Entry::unsafe_reason`] and can never be read; the rest of the
    /// archive is usable (a photo import reports such a file and goes on).
    List,
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Limits {
    /// For a zip of unknown purpose: 10,000 entries, 64 MiB each, 1 GiB in all, 100:1.
    pub const DEFAULT: Limits = Limits {
        max_entries: 10_000,
        max_entry_bytes: 64 * MIB,
        max_total_bytes: GIB,
        max_ratio: 100,
        ratio_floor_bytes: MIB,
        max_name_bytes: 512,
        large_entries: &[],
        legacy_names: LegacyNames::Cp437,
        unsafe_entries: UnsafeEntries::Refuse,
    };

    /// A whole data folder: the database (give it a `large_entries` line) and every photo,
    /// stored. A million entries is five photos for each of 200,000 students.
    pub const BACKUP: Limits = Limits {
        max_entries: 1_000_000,
        max_entry_bytes: 64 * MIB,
        max_total_bytes: 4 * TIB,
        max_ratio: 200,
        ..Limits::DEFAULT
    };

    /// A station pack: a manifest and `pack.json` (300,000 students are about 40 MB of JSON).
    pub const STATION_PACK: Limits = Limits {
        max_entries: 16,
        max_entry_bytes: 64 * MIB,
        max_total_bytes: 128 * MIB,
        ..Limits::DEFAULT
    };

    /// A station's captures file: `captures.json` and two photos per capture.
    pub const STATION_CAPTURES: Limits = Limits {
        max_entries: 500_000,
        max_entry_bytes: 64 * MIB,
        max_total_bytes: 2 * TIB,
        ..Limits::DEFAULT
    };

    /// A zip of photos (photo import, admission photos): a photo is at most 60 MB to decode.
    /// Made by schools and studios on Windows, so names that are not UTF-8 are GBK; an unsafe
    /// entry is listed (the import reports that one file), not a reason to refuse the rest.
    pub const PHOTOS: Limits = Limits {
        max_entries: 200_000,
        max_entry_bytes: 64 * MIB,
        max_total_bytes: 256 * GIB,
        legacy_names: LegacyNames::Gbk,
        unsafe_entries: UnsafeEntries::List,
        ..Limits::DEFAULT
    };

    /// The most `name` may inflate to.
    pub fn entry_limit(&self, name: &str) -> u64 {
        self.large_entries
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(self.max_entry_bytes, |(_, limit)| *limit)
    }

    /// The most an entry of `compressed` bytes may inflate to by the ratio rule.
    fn ratio_bound(&self, compressed: u64) -> u64 {
        compressed
            .saturating_mul(self.max_ratio)
            .max(self.ratio_floor_bytes)
    }
}

/// Why an archive was refused. Every message names the entry and the limit, in Chinese and
/// English. [`ArchiveError::Write`] and [`ArchiveError::Io`] are this machine's failures; every
/// other variant means the archive itself is bad.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("无法读取压缩包 / cannot read the archive: {0}")]
    Io(#[source] std::io::Error),
    #[error("不是有效的 zip 文件 / not a valid zip file: {0}")]
    NotZip(String),
    #[error(
        "压缩包条目过多：{count} 个，上限 {limit} 个 / too many entries: {count}, the limit is {limit}"
    )]
    TooManyEntries { count: u64, limit: u64 },
    #[error(
        "条目 “{entry}” 过大：{size} 字节，上限 {limit} 字节 / entry “{entry}” is too large: {size} bytes, the limit is {limit}"
    )]
    EntryTooLarge {
        entry: String,
        size: u64,
        limit: u64,
    },
    #[error(
        "解压后总大小超过上限：至少 {total} 字节，上限 {limit} 字节 / uncompressed total of at least {total} bytes is over the limit of {limit}"
    )]
    TotalTooLarge { total: u64, limit: u64 },
    #[error(
        "条目 “{entry}” 压缩比过高（{size} 字节压缩为 {compressed} 字节，上限 {limit}:1），疑似压缩炸弹 / entry “{entry}” compresses too well ({size} bytes in {compressed}, the limit is {limit}:1): a zip bomb?"
    )]
    RatioTooHigh {
        entry: String,
        size: u64,
        compressed: u64,
        limit: u64,
    },
    #[error(
        "条目 “{entry}” 的实际大小与声明的 {declared} 字节不符（实际 {actual}{more}字节）/ entry “{entry}” does not inflate to its declared {declared} bytes ({actual}{more_en} bytes)",
        more = if *.at_least { " 字节以上，" } else { " " },
        more_en = if *.at_least { " or more" } else { "" }
    )]
    SizeMismatch {
        entry: String,
        declared: u64,
        actual: u64,
        at_least: bool,
    },
    #[error("不允许的条目名 “{entry}”：{reason} / entry name not allowed: {reason_en}")]
    BadName {
        entry: String,
        reason: &'static str,
        reason_en: &'static str,
    },
    #[error("条目名重复 “{0}” / duplicate entry name “{0}”")]
    DuplicateName(String),
    #[error("压缩包中有重名的条目 / the archive holds two entries with the same name")]
    DuplicateNames,
    #[error("条目 “{0}” 是符号链接，不允许 / entry “{0}” is a symbolic link: not allowed")]
    Symlink(String),
    #[error("条目 “{0}” 已加密，不支持 / entry “{0}” is encrypted: not supported")]
    Encrypted(String),
    #[error(
        "条目 “{entry}” 的压缩方式 {method} 不受支持（只支持 stored、deflate）/ entry “{entry}” uses compression {method}: only stored and deflate are supported"
    )]
    UnsupportedMethod { entry: String, method: String },
    #[error(
        "压缩包中的条目相互重叠（疑似压缩炸弹）/ entries overlap each other in the archive (a zip bomb?)"
    )]
    Overlapping,
    #[error("条目 “{entry}” 已损坏 / entry “{entry}” is damaged: {detail}")]
    Corrupt { entry: String, detail: String },
    #[error("压缩包中没有 “{0}” / no entry “{0}” in the archive")]
    Missing(String),
    #[error("条目 “{0}” 是目录，不是文件 / entry “{0}” is a directory, not a file")]
    NotAFile(String),
    #[error("写出条目 “{entry}” 失败 / writing entry “{entry}” failed: {source}")]
    Write {
        entry: String,
        #[source]
        source: std::io::Error,
    },
}

impl ArchiveError {
    /// True when the archive is at fault (refuse it); false for this machine's failures.
    pub fn is_bad_archive(&self) -> bool {
        !matches!(self, Self::Io(_) | Self::Write { .. })
    }
}

/// One entry as the central directory declares it (checked against [`Limits`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// Declared uncompressed size; reading enforces it.
    pub size: u64,
    pub compressed_size: u64,
    pub is_dir: bool,
    /// Why the entry may not be read (its name, or a symbolic link), in Chinese and English:
    /// only with [`UnsafeEntries::List`]; reading it fails with that error.
    pub unsafe_reason: Option<String>,
}

/// Why an entry listed under [`UnsafeEntries::List`] may not be read.
#[derive(Debug, Clone, Copy)]
enum Blocked {
    Name {
        reason: &'static str,
        reason_en: &'static str,
    },
    Symlink,
}

impl Blocked {
    fn error(self, entry: &str) -> ArchiveError {
        match self {
            Self::Name { reason, reason_en } => ArchiveError::BadName {
                entry: entry.to_string(),
                reason,
                reason_en,
            },
            Self::Symlink => ArchiveError::Symlink(entry.to_string()),
        }
    }
}

/// What [`ArchiveReader::copy_to`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub bytes: u64,
    pub sha256: [u8; 32],
}

impl Copied {
    /// The SHA-256 as 64 lowercase hex characters (a blob's name).
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

/// A checked zip, read one entry at a time. See the crate's documentation.
pub struct ArchiveReader<R: Read + Seek = BufReader<File>> {
    zip: zip::ZipArchive<R>,
    limits: Limits,
    entries: Vec<Entry>,
    /// Per entry, why it may not be read (listed unsafe entries).
    blocked: Vec<Option<Blocked>>,
    /// Entries already counted into `inflated` (re-reading one does not count twice).
    counted: Vec<bool>,
    inflated: u64,
}

impl<R: Read + Seek> std::fmt::Debug for ArchiveReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveReader")
            .field("limits", &self.limits)
            .field("entries", &self.entries.len())
            .field("inflated", &self.inflated)
            .finish()
    }
}

impl ArchiveReader<BufReader<File>> {
    /// Opens and checks the zip at `path`.
    pub fn open(path: &Path, limits: Limits) -> Result<Self, ArchiveError> {
        let file = File::open(path).map_err(ArchiveError::Io)?;
        Self::new(BufReader::new(file), limits)
    }
}

/// Size of the end-of-central-directory record without its comment.
const EOCD_LEN: usize = 22;
const EOCD_SIG: [u8; 4] = *b"PK\x05\x06";
const EOCD64_LOCATOR_SIG: [u8; 4] = *b"PK\x06\x07";
const EOCD64_SIG: [u8; 4] = *b"PK\x06\x06";
/// Bytes of central directory allowed per entry (46 fixed, the name, a few extra fields).
const CD_BYTES_PER_ENTRY: u64 = 1024;

fn u16_at(b: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[at], b[at + 1]]))
}
fn u32_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]))
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// Reads every end-of-central-directory record the zip parser could pick (any signature in the
/// last 64 KiB + 22 bytes) and refuses the archive when one declares more entries, or a bigger
/// central directory, than the limits allow: before the directory is parsed into memory.
fn precheck_directory<R: Read + Seek>(r: &mut R, limits: &Limits) -> Result<(), ArchiveError> {
    let len = r.seek(SeekFrom::End(0)).map_err(ArchiveError::Io)?;
    let start = len.saturating_sub(EOCD_LEN as u64 + 4 + 65_536);
    r.seek(SeekFrom::Start(start)).map_err(ArchiveError::Io)?;
    let mut tail = Vec::with_capacity((len - start) as usize);
    r.by_ref()
        .take(len - start)
        .read_to_end(&mut tail)
        .map_err(ArchiveError::Io)?;
    let max_cd = limits
        .max_entries
        .saturating_mul(CD_BYTES_PER_ENTRY)
        .saturating_add(MIB);
    for at in (0..tail.len().saturating_sub(EOCD_LEN - 1)).rev() {
        if tail[at..at + 4] != EOCD_SIG {
            continue;
        }
        let count16 = u16_at(&tail, at + 10).max(u16_at(&tail, at + 8));
        let cd_size32 = u32_at(&tail, at + 12);
        let cd_offset = u32_at(&tail, at + 16);
        let (mut count, mut cd_size) = (count16, cd_size32);
        let zip64 = count16 == 0xFFFF || cd_size32 == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF;
        // A stray signature (inside a photo's bytes, say) is no record: a real one ends the
        // file with its comment, or points back at a central header.
        let ends_file = at + EOCD_LEN + u16_at(&tail, at + 20) as usize == tail.len();
        if !zip64 && !ends_file {
            let record = start + at as u64;
            let mut points_at_header = false;
            for candidate in [Some(cd_offset), record.checked_sub(cd_size)] {
                let Some(offset) = candidate.filter(|o| o.saturating_add(4) <= len) else {
                    continue;
                };
                let mut sig = [0u8; 4];
                r.seek(SeekFrom::Start(offset)).map_err(ArchiveError::Io)?;
                r.read_exact(&mut sig).map_err(ArchiveError::Io)?;
                points_at_header |= sig == *b"PK\x01\x02";
            }
            if !points_at_header {
                continue;
            }
        }
        if zip64 && let Some(loc) = at.checked_sub(20) {
            // The zip64 locator sits right before the record and points at the zip64 record.
            let eocd64 = if tail[loc..loc + 4] == EOCD64_LOCATOR_SIG {
                Some(u64_at(&tail, loc + 8))
            } else {
                None
            };
            if let Some(offset) = eocd64.filter(|o| o.saturating_add(56) <= len) {
                let mut rec = [0u8; 56];
                r.seek(SeekFrom::Start(offset)).map_err(ArchiveError::Io)?;
                r.read_exact(&mut rec).map_err(ArchiveError::Io)?;
                if rec[..4] == EOCD64_SIG {
                    // 0xFFFF and 0xFFFFFFFF are markers that say "see the zip64 record" (the
                    // zip crate writes every marker whenever one is needed): not sizes.
                    let count64 = u64_at(&rec, 24).max(u64_at(&rec, 32));
                    let cd_size64 = u64_at(&rec, 40);
                    count = if count16 == 0xFFFF {
                        count64
                    } else {
                        count16.max(count64)
                    };
                    cd_size = if cd_size32 == 0xFFFF_FFFF {
                        cd_size64
                    } else {
                        cd_size32.max(cd_size64)
                    };
                }
            }
        }
        if count > limits.max_entries {
            return Err(ArchiveError::TooManyEntries {
                count,
                limit: limits.max_entries,
            });
        }
        if cd_size > max_cd {
            return Err(ArchiveError::TooManyEntries {
                count: cd_size / 46,
                limit: limits.max_entries,
            });
        }
    }
    r.seek(SeekFrom::Start(0)).map_err(ArchiveError::Io)?;
    Ok(())
}

/// Why `name` may not be an entry's name, in Chinese and English.
fn name_problem(raw: &[u8], name: &str, limits: &Limits) -> Option<(&'static str, &'static str)> {
    if raw.contains(&0) || name.contains('\0') {
        return Some(("含有 NUL 字符", "it contains a NUL character"));
    }
    if name.is_empty() {
        return Some(("名称为空", "it is empty"));
    }
    if name.len() > limits.max_name_bytes {
        return Some(("名称过长", "it is too long"));
    }
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
    {
        return Some(("含有控制字符", "it contains control characters"));
    }
    if name.contains('\\') {
        return Some(("含有反斜杠", "it contains a backslash"));
    }
    if name.starts_with('/') {
        return Some(("是绝对路径", "it is an absolute path"));
    }
    if name.contains(':') {
        return Some(("含有冒号（盘符）", "it contains a colon (a drive letter)"));
    }
    let body = name.strip_suffix('/').unwrap_or(name);
    for part in body.split('/') {
        if part.is_empty() {
            return Some(("含有空的路径段", "it has an empty path segment"));
        }
        if part == "." || part == ".." {
            return Some(("含有 . 或 .. 路径段", "it has a . or .. segment"));
        }
    }
    None
}

fn not_zip(e: zip::result::ZipError) -> ArchiveError {
    match e {
        zip::result::ZipError::Io(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
            ArchiveError::Io(e)
        }
        e => ArchiveError::NotZip(e.to_string()),
    }
}

impl<R: Read + Seek> ArchiveReader<R> {
    /// Checks the archive's central directory against `limits` (see the crate's documentation).
    pub fn new(mut reader: R, limits: Limits) -> Result<Self, ArchiveError> {
        precheck_directory(&mut reader, &limits)?;
        let mut zip = zip::ZipArchive::new(reader).map_err(not_zip)?;
        if zip.len() as u64 > limits.max_entries {
            return Err(ArchiveError::TooManyEntries {
                count: zip.len() as u64,
                limit: limits.max_entries,
            });
        }
        if zip.has_duplicate_names() {
            // The parser keeps one entry per raw name: which one repeats is no longer known.
            return Err(ArchiveError::DuplicateNames);
        }
        let mut entries: Vec<Entry> = Vec::with_capacity(zip.len());
        let mut blocked_entries = Vec::with_capacity(zip.len());
        let mut total = 0u64;
        for i in 0..zip.len() {
            let e = zip.by_index_data(i).map_err(not_zip)?;
            let raw = e.name_raw();
            let name = match (std::str::from_utf8(raw), limits.legacy_names) {
                (Ok(utf8), _) => utf8.to_string(),
                (Err(_), LegacyNames::Gbk) => {
                    match encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(raw)
                    {
                        Some(gbk) => gbk.into_owned(),
                        None => e.name().map_err(not_zip)?.into_owned(),
                    }
                }
                (Err(_), LegacyNames::Cp437) => e.name().map_err(not_zip)?.into_owned(),
            };
            let mut blocked = None;
            if let Some((reason, reason_en)) = name_problem(raw, &name, &limits) {
                blocked = Some(Blocked::Name { reason, reason_en });
            } else if e.is_symlink() {
                blocked = Some(Blocked::Symlink);
            }
            if let Some(b) = blocked
                && limits.unsafe_entries == UnsafeEntries::Refuse
            {
                return Err(b.error(&name));
            }
            if e.encrypted() {
                return Err(ArchiveError::Encrypted(name));
            }
            let method = e.compression();
            if !matches!(
                method,
                zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
            ) {
                return Err(ArchiveError::UnsupportedMethod {
                    entry: name,
                    method: format!("{method:?}"),
                });
            }
            let (size, compressed) = (e.size(), e.compressed_size());
            let is_dir = name.ends_with('/');
            if is_dir && size != 0 {
                return Err(ArchiveError::Corrupt {
                    entry: name,
                    detail: "目录条目不能有内容 / a directory entry has content".into(),
                });
            }
            if method == zip::CompressionMethod::Stored && size != compressed {
                return Err(ArchiveError::SizeMismatch {
                    entry: name,
                    declared: size,
                    actual: compressed,
                    at_least: false,
                });
            }
            let limit = limits.entry_limit(&name);
            if size > limit {
                return Err(ArchiveError::EntryTooLarge {
                    entry: name,
                    size,
                    limit,
                });
            }
            if size > limits.ratio_bound(compressed) {
                return Err(ArchiveError::RatioTooHigh {
                    entry: name,
                    size,
                    compressed,
                    limit: limits.max_ratio,
                });
            }
            total = total.saturating_add(size);
            if total > limits.max_total_bytes {
                return Err(ArchiveError::TotalTooLarge {
                    total,
                    limit: limits.max_total_bytes,
                });
            }
            entries.push(Entry {
                unsafe_reason: blocked.map(|b| b.error(&name).to_string()),
                name,
                size,
                compressed_size: compressed,
                is_dir,
            });
            blocked_entries.push(blocked);
        }
        // Raw names differ but decoded ones may not (UTF-8 and CP437 spellings of one name).
        let mut names = HashSet::with_capacity(entries.len());
        if let Some(dup) = entries.iter().find(|e| !names.insert(e.name.as_str())) {
            return Err(ArchiveError::DuplicateName(dup.name.clone()));
        }
        drop(names);
        if zip.has_overlapping_entries().map_err(not_zip)? {
            return Err(ArchiveError::Overlapping);
        }
        zip.validate_header_consistency().map_err(|e| match e {
            zip::result::ZipError::Io(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
                ArchiveError::Io(e)
            }
            e => ArchiveError::NotZip(format!(
                "本地文件头与中央目录不一致 / local headers disagree with the central directory: {e}"
            )),
        })?;
        Ok(Self {
            counted: vec![false; entries.len()],
            zip,
            limits,
            entries,
            blocked: blocked_entries,
            inflated: 0,
        })
    }

    /// Every entry, in the archive's order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The index of the entry called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.zip
            .index_for_name_raw(name.as_bytes())
            .filter(|&i| self.entries.get(i).is_some_and(|e| e.name == name))
            .or_else(|| self.entries.iter().position(|e| e.name == name))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.index_of(name).is_some()
    }

    /// Streams the entry called `name` into `out`, hashing it; see [`Self::copy_index_to`].
    pub fn copy_to<W: Write + ?Sized>(
        &mut self,
        name: &str,
        out: &mut W,
    ) -> Result<Copied, ArchiveError> {
        let index = self
            .index_of(name)
            .ok_or_else(|| ArchiveError::Missing(name.to_string()))?;
        self.copy_index_to(index, out)
    }

    /// Streams entry `index` into `out` through a 64 KiB buffer, computing its SHA-256. The
    /// bytes actually inflated are held to the entry's limit, its declared size, the ratio rule
    /// and the archive's total: the first byte over any of them stops the copy with an error
    /// (what was already written to `out` is the caller's to discard).
    pub fn copy_index_to<W: Write + ?Sized>(
        &mut self,
        index: usize,
        out: &mut W,
    ) -> Result<Copied, ArchiveError> {
        let mut hasher = Sha256::new();
        let bytes = self.inflate(index, out, Some(&mut hasher))?;
        Ok(Copied {
            bytes,
            sha256: hasher.finalize().into(),
        })
    }

    /// Inflates entry `index` and throws the bytes away, holding them to every limit as
    /// [`Self::copy_index_to`] does but without hashing: checks an archive whole before any of
    /// it is used. Returns the entry's size.
    pub fn verify_index(&mut self, index: usize) -> Result<u64, ArchiveError> {
        self.inflate(index, &mut std::io::sink(), None)
    }

    fn inflate<W: Write + ?Sized>(
        &mut self,
        index: usize,
        out: &mut W,
        mut hasher: Option<&mut Sha256>,
    ) -> Result<u64, ArchiveError> {
        let entry = self
            .entries
            .get(index)
            .ok_or_else(|| ArchiveError::Missing(format!("#{index}")))?;
        if let Some(blocked) = self.blocked[index] {
            return Err(blocked.error(&entry.name));
        }
        if entry.is_dir {
            return Err(ArchiveError::NotAFile(entry.name.clone()));
        }
        let name = entry.name.clone();
        let declared = entry.size;
        let entry_limit = self.limits.entry_limit(&name);
        let ratio_bound = self.limits.ratio_bound(entry.compressed_size);
        let compressed = entry.compressed_size;
        let counted_before = self.counted[index];
        let corrupt = |detail: String| ArchiveError::Corrupt {
            entry: name.clone(),
            detail,
        };
        let mut file = self
            .zip
            .by_index(index)
            .map_err(|e| corrupt(e.to_string()))?;
        let mut buf = vec![0u8; 64 * KIB as usize];
        let mut bytes = 0u64;
        loop {
            // Never ask for more than one byte past the declared size: a lie stops right there.
            let want =
                (declared.saturating_add(1) - bytes.min(declared)).min(buf.len() as u64) as usize;
            let n = match file.read(&mut buf[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(corrupt(e.to_string())),
            };
            bytes += n as u64;
            if bytes > entry_limit {
                return Err(ArchiveError::EntryTooLarge {
                    entry: name,
                    size: bytes,
                    limit: entry_limit,
                });
            }
            if bytes > ratio_bound {
                return Err(ArchiveError::RatioTooHigh {
                    entry: name,
                    size: bytes,
                    compressed,
                    limit: self.limits.max_ratio,
                });
            }
            if bytes > declared {
                return Err(ArchiveError::SizeMismatch {
                    entry: name,
                    declared,
                    actual: bytes,
                    at_least: true,
                });
            }
            if !counted_before && self.inflated + bytes > self.limits.max_total_bytes {
                return Err(ArchiveError::TotalTooLarge {
                    total: self.inflated + bytes,
                    limit: self.limits.max_total_bytes,
                });
            }
            if let Some(h) = hasher.as_deref_mut() {
                h.update(&buf[..n]);
            }
            out.write_all(&buf[..n])
                .map_err(|source| ArchiveError::Write {
                    entry: name.clone(),
                    source,
                })?;
        }
        if bytes != declared {
            return Err(ArchiveError::SizeMismatch {
                entry: name,
                declared,
                actual: bytes,
                at_least: false,
            });
        }
        if !counted_before {
            self.counted[index] = true;
            self.inflated += bytes;
        }
        Ok(bytes)
    }

    /// The entry called `name`, whole in memory: for small entries (JSON); at most its limit.
    pub fn read(&mut self, name: &str) -> Result<(Vec<u8>, Copied), ArchiveError> {
        let index = self
            .index_of(name)
            .ok_or_else(|| ArchiveError::Missing(name.to_string()))?;
        let mut out = Vec::with_capacity(self.entries[index].size.min(MIB) as usize);
        let copied = self.copy_index_to(index, &mut out)?;
        Ok((out, copied))
    }

    /// Inflates and hashes the entry called `name`, keeping nothing.
    pub fn hash(&mut self, name: &str) -> Result<Copied, ArchiveError> {
        self.copy_to(name, &mut std::io::sink())
    }
}
