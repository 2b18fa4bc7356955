//! 照片导入: photos from elsewhere (a studio's folder, mailed photos, another system's zip) go
//! through the same path as a station capture. Each file is named after its student (the
//! collection code, or the ID number with [`NameBy::Id`]), standardized and checked like a
//! capture, and saved with its failed checks for the reviewer (`CaptureSource::Import`); the
//! student moves pending/rejected → submitted, a submitted photo is replaced (kept in history).
//!
//! One failure per file, in the report; the batch goes on. PATH itself (missing, neither a
//! folder nor a zip, a zip outside the archive bounds) is refused before anything is stored:
//! every zip entry that will be read is inflated once against the bounds first.
//!
//! Speed: two threads standardize (the models are shared) while one reader feeds them and the
//! async task saves the results in the files' order; cancelling stops after the file being
//! saved, and what was saved stays saved.

use crate::CaptureDesk;
use crate::error::{Result, WorkflowError, refused};
use photoroll_archive::{ArchiveError, ArchiveReader, Limits};
use photoroll_core::{
    CaptureAdmission, CollectionState, EducationCategory, IdDocument, JobControl, mask_name,
};
use photoroll_imaging::Standardizer;
use photoroll_store::{CaptureSource, NewCapture, Store, StoreError, StudentKey, StudentRow};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The most a photo file may hold: a 24-megapixel JPEG straight from a camera is 6–12 MB.
pub const MAX_PHOTO_BYTES: u64 = 20 * 1024 * 1024;
/// Files a folder may hold (as a photo zip's entries).
pub const MAX_FILES: usize = Limits::PHOTOS.max_entries as usize;
/// Sub-folders deeper than this are not searched (a class per folder is two levels).
const MAX_DEPTH: usize = 16;
/// Who the capture and its state changes are recorded as.
pub const IMPORT_ACTOR: &str = "照片导入";

/// What the files are named after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum NameBy {
    /// `<采集码>.jpg`
    #[default]
    Code,
    /// `<证件号>.jpg`: the person's one record (学籍) that can take a photo.
    Id,
}

impl NameBy {
    pub fn parse(raw: &str) -> Result<Self> {
        match raw.trim() {
            "code" => Ok(Self::Code),
            "id" => Ok(Self::Id),
            other => refused(
                "name_by",
                format!("--name-by 只能是 code 或 id，收到 “{other}”"),
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoImportOptions {
    pub school: String,
    pub name_by: NameBy,
    /// Files whose checks fail are reported (`checks_failed`) instead of imported.
    pub only_passing: bool,
}

/// Why one file was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum PhotoFailureCode {
    /// No student of the school has the name's code or ID (or the name is neither).
    UnknownStudent,
    /// Several records of one ID number can take a photo: the file must be named by code.
    AmbiguousStudent,
    /// Not a JPEG or PNG (by its extension or its bytes), or unreadable.
    NotAnImage,
    /// No face found: no standard photo could be made.
    NoFace,
    /// The student is past taking a photo (awaiting confirmation, completed, intercepted,
    /// delivered).
    AlreadyFinal,
    /// Two files for the same student: neither is imported.
    DuplicateInBatch,
    /// Path traversal, an absolute path, a drive letter, control characters, a symbolic link.
    UnsafeName,
    /// Over [`MAX_PHOTO_BYTES`].
    TooLarge,
    /// `only_passing`: the standard photo failed a check.
    ChecksFailed,
}

impl PhotoFailureCode {
    pub fn id(self) -> &'static str {
        match self {
            Self::UnknownStudent => "unknown_student",
            Self::AmbiguousStudent => "ambiguous_student",
            Self::NotAnImage => "not_an_image",
            Self::NoFace => "no_face",
            Self::AlreadyFinal => "already_final",
            Self::DuplicateInBatch => "duplicate_in_batch",
            Self::UnsafeName => "unsafe_name",
            Self::TooLarge => "too_large",
            Self::ChecksFailed => "checks_failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PhotoImportFailure {
    /// The file's path inside PATH (a zip entry's name as decoded).
    pub file: String,
    pub code: PhotoFailureCode,
    pub message: String,
}

/// `{"total","imported","failed":[{"file","code","message"}]}` (a contract). `total` counts
/// every file but hidden and system ones (`.DS_Store`, `Thumbs.db`, `__MACOSX/`), which are
/// ignored; any other file that is not .jpg/.jpeg/.png is reported as `not_an_image`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PhotoImportReport {
    pub total: u32,
    pub imported: u32,
    pub failed: Vec<PhotoImportFailure>,
    /// Cancelled midway: the files after the last one saved were not looked at (only present,
    /// as `true`, then).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "specta", specta(optional))]
    pub cancelled: bool,
}

/// What a file's name says, before any student is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoName<'a> {
    /// A .jpg/.jpeg/.png: `key` is the name without folders and extension, trimmed.
    Photo { key: &'a str },
    /// Another extension (or none): reported as `not_an_image`.
    NotAPhoto { extension: String },
    /// Hidden and system files, folders: not counted.
    Ignored,
    /// Not safe to take a student's key from; the reason, in Chinese.
    Unsafe(&'static str),
}

/// Reads a file's path inside PATH (`/` or `\` separated). Never panics; a `Photo` key never
/// holds a separator, a control character, a `..`, nor is it a path of its own.
pub fn parse_photo_name(raw: &str) -> PhotoName<'_> {
    if raw
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
    {
        return PhotoName::Unsafe("文件名含有控制字符");
    }
    if raw.starts_with(['/', '\\']) {
        return PhotoName::Unsafe("文件名是绝对路径");
    }
    if raw.contains(':') {
        return PhotoName::Unsafe("文件名含有冒号（盘符）");
    }
    let body = raw.strip_suffix(['/', '\\']).unwrap_or(raw);
    let is_dir = body.len() != raw.len();
    let segments: Vec<&str> = body.split(['/', '\\']).collect();
    for part in &segments {
        if *part == ".." {
            return PhotoName::Unsafe("文件名含有 .. 路径段（路径穿越）");
        }
        if part.is_empty() || *part == "." {
            return PhotoName::Unsafe("文件名含有空的或 . 路径段");
        }
    }
    let base = segments.last().copied().unwrap_or_default();
    if is_dir
        || base.starts_with('.')
        || segments.iter().any(|s| s.eq_ignore_ascii_case("__MACOSX"))
        || ["thumbs.db", "desktop.ini", "ehthumbs.db"]
            .iter()
            .any(|junk| base.eq_ignore_ascii_case(junk))
    {
        return PhotoName::Ignored;
    }
    let Some((stem, extension)) = base.rsplit_once('.') else {
        return PhotoName::NotAPhoto {
            extension: String::new(),
        };
    };
    let extension = extension.to_ascii_lowercase();
    if matches!(extension.as_str(), "jpg" | "jpeg" | "png") {
        PhotoName::Photo { key: stem.trim() }
    } else {
        PhotoName::NotAPhoto { extension }
    }
}

/// A name as the report shows it: control characters escaped.
fn shown(raw: &str) -> String {
    if raw.chars().any(char::is_control) {
        raw.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        raw.to_string()
    }
}

/// What a listed file is to a report: unsafe (with the reason), or its name read. `None`: a
/// hidden or system file, not counted.
pub(crate) enum Classified<'a> {
    Unsafe(String),
    Named(PhotoName<'a>),
}

pub(crate) fn classify(listed: &Listed) -> Option<Classified<'_>> {
    let name = parse_photo_name(&listed.file);
    match (&listed.unsafe_reason, name) {
        (Some(reason), _) => Some(Classified::Unsafe(reason.clone())),
        (None, PhotoName::Ignored) => None,
        (None, PhotoName::Unsafe(reason)) => Some(Classified::Unsafe(reason.into())),
        (None, name) => Some(Classified::Named(name)),
    }
}

/// Where a file's bytes are.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    File(PathBuf),
    Entry(usize),
}

/// One file found in PATH.
#[derive(Debug)]
pub(crate) struct Listed {
    pub file: String,
    pub source: Source,
    pub size: u64,
    /// Found unsafe while listing (a symbolic link, an unsafe zip entry), with the reason.
    pub unsafe_reason: Option<String>,
}

/// PATH, opened and checked.
pub(crate) struct Batch {
    pub files: Vec<Listed>,
    pub zip: Option<ArchiveReader>,
}

fn refused_path(message: String) -> WorkflowError {
    WorkflowError::Refused {
        code: "photo_source",
        message,
    }
}

/// Lists a folder (recursively, sorted, symbolic links reported and never followed) or a zip
/// (checked whole against the archive bounds). Blocking.
pub(crate) fn open_batch(path: &Path) -> Result<Batch> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(refused_path(format!("找不到 {}", path.display())));
        }
        Err(e) => {
            return Err(refused_path(format!("无法读取 {}：{e}", path.display())));
        }
    };
    // PATH itself may be a link the user made; what is inside it may not.
    let meta = if meta.file_type().is_symlink() {
        std::fs::metadata(path)
            .map_err(|e| refused_path(format!("无法读取 {}：{e}", path.display())))?
    } else {
        meta
    };
    if meta.is_dir() {
        let mut files = Vec::new();
        walk(path, "", 0, &mut files)?;
        return Ok(Batch { files, zip: None });
    }
    if !meta.is_file() {
        return Err(refused_path(format!(
            "{} 既不是文件夹也不是 zip 压缩包",
            path.display()
        )));
    }
    let mut magic = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut magic))
        .map_err(|e| refused_path(format!("无法读取 {}：{e}", path.display())))?;
    if n < 4 || (magic != *b"PK\x03\x04" && magic != *b"PK\x05\x06") {
        return Err(refused_path(format!(
            "{} 不是文件夹也不是 zip 压缩包：请选择照片所在的文件夹，或它们的 zip 压缩包",
            path.display()
        )));
    }
    let archive_refusal = |e: ArchiveError| {
        if e.is_bad_archive() {
            WorkflowError::Refused {
                code: "bad_archive",
                message: format!("压缩包 {} 被拒绝，未导入任何照片：{e}", path.display()),
            }
        } else {
            WorkflowError::Capture(format!("读取 {}：{e}", path.display()))
        }
    };
    let mut zip = ArchiveReader::open(path, Limits::PHOTOS).map_err(archive_refusal)?;
    let mut files = Vec::with_capacity(zip.len());
    for (index, entry) in zip.entries().iter().enumerate() {
        if entry.is_dir && entry.unsafe_reason.is_none() {
            continue;
        }
        files.push(Listed {
            file: shown(&entry.name),
            source: Source::Entry(index),
            size: entry.size,
            unsafe_reason: entry.unsafe_reason.clone(),
        });
    }
    // The whole archive within its bounds (sizes that lie, ratios) before anything is stored:
    // every entry that will be read is inflated once, kept nowhere.
    for listed in &files {
        if let Source::Entry(index) = listed.source
            && listed.unsafe_reason.is_none()
            && listed.size <= MAX_PHOTO_BYTES
            && matches!(parse_photo_name(&listed.file), PhotoName::Photo { .. })
        {
            zip.verify_index(index).map_err(archive_refusal)?;
        }
    }
    Ok(Batch {
        files,
        zip: Some(zip),
    })
}

fn walk(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<Listed>) -> Result<()> {
    let read = std::fs::read_dir(dir)
        .map_err(|e| refused_path(format!("无法读取文件夹 {}：{e}", dir.display())))?;
    let mut children = Vec::new();
    for entry in read {
        let entry =
            entry.map_err(|e| refused_path(format!("无法读取文件夹 {}：{e}", dir.display())))?;
        children.push(entry);
    }
    children.sort_by_key(|e| e.file_name());
    for entry in children {
        let os_name = entry.file_name();
        let name = os_name.to_string_lossy();
        let file = format!("{prefix}{}", shown(&name));
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|e| refused_path(format!("无法读取 {}：{e}", path.display())))?;
        let mut listed = Listed {
            file,
            source: Source::File(path.clone()),
            size: meta.len(),
            unsafe_reason: None,
        };
        if meta.file_type().is_symlink() {
            listed.unsafe_reason = Some("是符号链接（不会跟随）".into());
        } else if os_name.to_str().is_none() {
            listed.unsafe_reason = Some("文件名不是有效的 Unicode 编码".into());
        } else if meta.is_dir() {
            if depth < MAX_DEPTH && !name.starts_with('.') && !name.eq_ignore_ascii_case("__MACOSX")
            {
                walk(&path, &format!("{}/", listed.file), depth + 1, out)?;
            }
            continue;
        } else if !meta.is_file() {
            listed.unsafe_reason = Some("不是普通文件".into());
        }
        out.push(listed);
        if out.len() > MAX_FILES {
            return Err(refused_path(format!(
                "文件夹中的文件超过 {MAX_FILES} 个：请分批导入"
            )));
        }
    }
    Ok(())
}

/// A file that names a student who can take the photo.
#[derive(Debug, Clone)]
struct Target {
    /// Its place among all files (the report's order).
    seq: usize,
    file: String,
    source: Source,
    student_id: String,
}

/// What the standardizing threads hand the saver.
#[derive(Debug)]
enum Outcome {
    Photo {
        original: Vec<u8>,
        standard: Vec<u8>,
        report: String,
        /// Failed checks: code and message.
        failed: Vec<(String, String)>,
    },
    Failed(PhotoFailureCode, String),
}

fn state_name(row: &StudentRow) -> &str {
    CollectionState::parse(&row.state).map_or(row.state.as_str(), |s| s.display_name())
}

fn record_name(row: &StudentRow) -> String {
    let category =
        EducationCategory::parse(&row.category).map_or(row.category.as_str(), |c| c.display_name());
    match &row.level {
        Some(level) => format!("{category}·{level}"),
        None => category.to_string(),
    }
}

/// Finds the one student a photo's key names, or why not.
async fn resolve(
    store: &Store,
    school: &str,
    name_by: NameBy,
    key: &str,
) -> Result<std::result::Result<StudentRow, (PhotoFailureCode, String)>> {
    use PhotoFailureCode as F;
    let (rows, what) = match name_by {
        NameBy::Code => match photoroll_core::parse_collection_code(key) {
            Ok(code) => (
                store
                    .school_students_by(school, StudentKey::CollectionCode(&code))
                    .await?,
                format!("采集码 {code}"),
            ),
            Err(e) => {
                return Ok(Err((
                    F::UnknownStudent,
                    format!("文件名 “{key}” 不是采集码（{e}）：照片应以学生的采集码命名"),
                )));
            }
        },
        NameBy::Id => match IdDocument::parse(key, None) {
            Ok(id) => (
                store
                    .school_students_by(school, StudentKey::IdNumber(id.number()))
                    .await?,
                format!("证件号 {}", id.masked()),
            ),
            Err(e) => {
                return Ok(Err((
                    F::UnknownStudent,
                    format!("文件名不是证件号（{e}）：照片应以学生的证件号命名"),
                )));
            }
        },
    };
    if rows.is_empty() {
        return Ok(Err((
            F::UnknownStudent,
            format!("院校 {school} 的名单中没有{what}的学生"),
        )));
    }
    let admits = |r: &StudentRow| {
        CollectionState::parse(&r.state)
            .is_some_and(|s| s.capture_admission() != CaptureAdmission::Closed)
    };
    let (open, closed): (Vec<StudentRow>, Vec<StudentRow>) = rows.into_iter().partition(admits);
    match open.len() {
        1 => Ok(Ok(open.into_iter().next().expect("one"))),
        0 => {
            let states: Vec<String> = closed
                .iter()
                .map(|r| {
                    if closed.len() > 1 {
                        format!("{}「{}」", record_name(r), state_name(r))
                    } else {
                        format!("「{}」", state_name(r))
                    }
                })
                .collect();
            Ok(Err((
                F::AlreadyFinal,
                format!(
                    "{}（{what}）的状态为{}，不能再导入照片",
                    mask_name(&closed[0].name),
                    states.join("、")
                ),
            )))
        }
        n => {
            let records: Vec<String> = open
                .iter()
                .map(|r| {
                    format!(
                        "{}（采集码 {}）",
                        record_name(r),
                        r.collection_code.as_deref().unwrap_or("无")
                    )
                })
                .collect();
            Ok(Err((
                F::AmbiguousStudent,
                format!(
                    "{what}有 {n} 条可以采集的学籍：{}；请用采集码命名这张照片",
                    records.join("、")
                ),
            )))
        }
    }
}

/// Imports the photos in `path` (a folder or a zip) for a school's students. See the module's
/// documentation. `Err` only when PATH or the school is refused (nothing stored then) or this
/// machine failed (what was saved before stays saved).
pub async fn import_photos(
    store: &Store,
    desk: &CaptureDesk,
    path: &Path,
    options: &PhotoImportOptions,
    job: &JobControl,
) -> Result<PhotoImportReport> {
    let school = crate::maintenance::parse_school(&options.school)?;
    if store.school(&school).await?.is_none() {
        return refused(
            "unknown_school",
            format!("找不到院校 {school}：先用 `photoroll school add` 添加"),
        );
    }
    let school = school.to_string();
    let owned = path.to_path_buf();
    let Batch { files, zip } = tokio::task::spawn_blocking(move || open_batch(&owned)).await??;

    use PhotoFailureCode as F;
    let mut failed: Vec<(usize, PhotoImportFailure)> = Vec::new();
    let fail = |failed: &mut Vec<(usize, PhotoImportFailure)>, seq, file: &str, code, message| {
        failed.push((
            seq,
            PhotoImportFailure {
                file: file.to_string(),
                code,
                message,
            },
        ))
    };
    let mut targets: Vec<Target> = Vec::new();
    let mut total = 0usize;
    for listed in files {
        let Some(classified) = classify(&listed) else {
            continue;
        };
        let seq = total;
        total += 1;
        let file = listed.file.as_str();
        let name = match classified {
            Classified::Unsafe(reason) => {
                fail(&mut failed, seq, file, F::UnsafeName, reason);
                continue;
            }
            Classified::Named(name) => name,
        };
        let key = match name {
            PhotoName::NotAPhoto { extension } => {
                let what = if extension.is_empty() {
                    "没有扩展名".to_string()
                } else {
                    format!("扩展名 .{extension}")
                };
                fail(
                    &mut failed,
                    seq,
                    file,
                    F::NotAnImage,
                    format!("不是 JPEG 或 PNG 照片（{what}）"),
                );
                continue;
            }
            PhotoName::Photo { key } => key,
            // Sorted out by `classify`.
            PhotoName::Ignored | PhotoName::Unsafe(_) => continue,
        };
        if listed.size > MAX_PHOTO_BYTES {
            fail(
                &mut failed,
                seq,
                file,
                F::TooLarge,
                format!(
                    "文件 {:.1} MB，超过上限 {} MB",
                    listed.size as f64 / 1_048_576.0,
                    MAX_PHOTO_BYTES / 1_048_576
                ),
            );
            continue;
        }
        match resolve(store, &school, options.name_by, key).await? {
            Ok(student) => targets.push(Target {
                seq,
                file: listed.file.clone(),
                source: listed.source,
                student_id: student.id,
            }),
            Err((code, message)) => fail(&mut failed, seq, file, code, message),
        }
        if job.is_cancelled() {
            return Err(photoroll_core::Cancelled.into());
        }
    }

    // Two files for one student: which is right cannot be told, so neither is imported.
    let mut by_student: HashMap<&str, Vec<&str>> = HashMap::new();
    for t in &targets {
        by_student.entry(&t.student_id).or_default().push(&t.file);
    }
    let duplicated: HashMap<String, Vec<String>> = by_student
        .into_iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(id, files)| {
            (
                id.to_string(),
                files.iter().map(|f| f.to_string()).collect(),
            )
        })
        .collect();
    targets.retain(|t| match duplicated.get(&t.student_id) {
        Some(files) => {
            let others: Vec<&str> = files
                .iter()
                .map(String::as_str)
                .filter(|f| *f != t.file)
                .collect();
            fail(
                &mut failed,
                t.seq,
                &t.file,
                F::DuplicateInBatch,
                format!(
                    "与 {} 是同一名学生的照片：无法判断用哪一张，均未导入",
                    others.join("、")
                ),
            );
            false
        }
        None => true,
    });

    let total_u64 = total as u64;
    let mut done = failed.len() as u64;
    let _ = job.step(done, total_u64);
    let mut imported = 0u32;
    let mut cancelled = false;
    if !targets.is_empty() {
        // Loading the models blocks for about a second the first time.
        let standardizer = match tokio::runtime::Handle::current().runtime_flavor() {
            tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| desk.standardizer())?
            }
            _ => desk.standardizer()?,
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(usize, Outcome)>(4);
        let work: Vec<(usize, Source)> = targets
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t.source.clone()))
            .collect();
        let stop = job.clone();
        let producer = tokio::task::spawn_blocking(move || {
            standardize_all(&standardizer, zip, work, &tx, &stop);
        });
        let mut ready: BTreeMap<usize, Outcome> = BTreeMap::new();
        let mut next = 0usize;
        let mut error = None;
        'saving: while let Some((i, outcome)) = rx.recv().await {
            ready.insert(i, outcome);
            while let Some(outcome) = ready.remove(&next) {
                if job.is_cancelled() {
                    cancelled = true;
                    break 'saving;
                }
                let target = &targets[next];
                next += 1;
                match save(store, target, outcome, options.only_passing, path).await {
                    Ok(None) => imported += 1,
                    Ok(Some((code, message))) => {
                        fail(&mut failed, target.seq, &target.file, code, message)
                    }
                    Err(e) => {
                        error = Some(e);
                        break 'saving;
                    }
                }
                done += 1;
                let _ = job.step(done, total_u64);
            }
        }
        drop(rx);
        producer.await?;
        if let Some(e) = error {
            return Err(e);
        }
        cancelled |= next < targets.len();
    }
    failed.sort_by_key(|(seq, _)| *seq);
    Ok(PhotoImportReport {
        total: total as u32,
        imported,
        failed: failed.into_iter().map(|(_, f)| f).collect(),
        cancelled,
    })
}

/// The reader and two standardizing threads. Results go to `tx` tagged with their index; the
/// work stops when the saver hangs up or the job is cancelled.
fn standardize_all(
    standardizer: &Standardizer,
    mut zip: Option<ArchiveReader>,
    work: Vec<(usize, Source)>,
    tx: &tokio::sync::mpsc::Sender<(usize, Outcome)>,
    job: &JobControl,
) {
    let (feed, queue) = std::sync::mpsc::sync_channel::<(usize, std::io::Result<Vec<u8>>)>(2);
    let queue = Arc::new(Mutex::new(queue));
    std::thread::scope(|scope| {
        for _ in 0..2 {
            let queue = Arc::clone(&queue);
            scope.spawn(move || {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok((i, bytes)) = next else { break };
                    let outcome = match bytes {
                        Ok(bytes) => standardize_one(standardizer, bytes),
                        Err(e) => Outcome::Failed(
                            PhotoFailureCode::NotAnImage,
                            format!("无法读取文件：{e}"),
                        ),
                    };
                    if job.is_cancelled() || tx.blocking_send((i, outcome)).is_err() {
                        break;
                    }
                }
            });
        }
        // Only the workers hold the queue now: when both stop, feeding fails and ends.
        drop(queue);
        for (i, source) in work {
            if job.is_cancelled() {
                break;
            }
            let bytes = read_source(zip.as_mut(), &source);
            if feed.send((i, bytes)).is_err() {
                break;
            }
        }
        drop(feed);
    });
}

pub(crate) fn read_source(
    zip: Option<&mut ArchiveReader>,
    source: &Source,
) -> std::io::Result<Vec<u8>> {
    match (source, zip) {
        (Source::Entry(index), Some(zip)) => {
            let mut out = Vec::new();
            zip.copy_index_to(*index, &mut out)
                .map_err(std::io::Error::other)?;
            Ok(out)
        }
        (Source::File(path), _) => {
            // Listed as a plain file; refuse it if it became a link since.
            let meta = std::fs::symlink_metadata(path)?;
            if !meta.is_file() {
                return Err(std::io::Error::other("不再是普通文件"));
            }
            let mut out = Vec::with_capacity(meta.len().min(MAX_PHOTO_BYTES) as usize);
            std::fs::File::open(path)?
                .take(MAX_PHOTO_BYTES + 1)
                .read_to_end(&mut out)?;
            if out.len() as u64 > MAX_PHOTO_BYTES {
                return Err(std::io::Error::other(format!(
                    "超过上限 {} MB",
                    MAX_PHOTO_BYTES / 1_048_576
                )));
            }
            Ok(out)
        }
        (Source::Entry(_), None) => Err(std::io::Error::other("压缩包未打开")),
    }
}

fn standardize_one(standardizer: &Standardizer, original: Vec<u8>) -> Outcome {
    let result = standardizer.standardize(&original);
    let Some(standard) = result.jpeg else {
        let report = &result.report;
        return if report.source.is_none() {
            Outcome::Failed(
                PhotoFailureCode::NotAnImage,
                format!(
                    "不是可以读取的 JPEG 或 PNG 照片：{}",
                    report.error.as_deref().unwrap_or("无法解码")
                ),
            )
        } else {
            let why = report
                .error
                .clone()
                .or_else(|| report.failed().next().map(|c| c.message.clone()))
                .unwrap_or_else(|| "没有检测到人脸".into());
            Outcome::Failed(PhotoFailureCode::NoFace, format!("没有生成标准照片：{why}"))
        };
    };
    let failed = result
        .report
        .failed()
        .map(|c| (c.code.as_str().to_string(), c.message.clone()))
        .collect();
    match serde_json::to_string(&result.report) {
        Ok(report) => Outcome::Photo {
            original,
            standard,
            report,
            failed,
        },
        Err(e) => Outcome::Failed(PhotoFailureCode::NoFace, format!("检查报告无法保存：{e}")),
    }
}

/// Saves one standardized file. `Ok(Some(..))` is the file's failure; `Err` this machine's.
async fn save(
    store: &Store,
    target: &Target,
    outcome: Outcome,
    only_passing: bool,
    path: &Path,
) -> Result<Option<(PhotoFailureCode, String)>> {
    let (original, standard, report, failed) = match outcome {
        Outcome::Failed(code, message) => return Ok(Some((code, message))),
        Outcome::Photo {
            original,
            standard,
            report,
            failed,
        } => (original, standard, report, failed),
    };
    if only_passing && !failed.is_empty() {
        let list: Vec<String> = failed.iter().map(|(c, m)| format!("{c}（{m}）")).collect();
        return Ok(Some((
            PhotoFailureCode::ChecksFailed,
            format!("未通过检查，未导入：{}", list.join("；")),
        )));
    }
    let source_name = path
        .components()
        .next_back()
        .and_then(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .unwrap_or_default();
    let actor = if source_name.is_empty() {
        IMPORT_ACTOR.to_string()
    } else {
        format!("{IMPORT_ACTOR}：{source_name}")
    };
    let saved = store
        .save_capture(&NewCapture {
            student_id: &target.student_id,
            session_id: None,
            original: &original,
            standard: &standard,
            report,
            overrides: vec![],
            actor: &actor,
            // A submitted photo is replaced (withdrawn, kept in history); for pending and
            // rejected students this changes nothing.
            retake: true,
            source: CaptureSource::Import,
        })
        .await;
    match saved {
        Ok(_) => Ok(None),
        // The student moved on while the batch ran (a reviewer, another import).
        Err(StoreError::CaptureRefused(e)) => Ok(Some((
            PhotoFailureCode::AlreadyFinal,
            format!("学生的状态已不允许导入照片：{e}"),
        ))),
        Err(StoreError::UnknownStudent(_)) => Ok(Some((
            PhotoFailureCode::UnknownStudent,
            "学生已从名单中删除".into(),
        ))),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_read_as_the_import_needs() {
        use PhotoName as N;
        assert_eq!(
            parse_photo_name("2026ABCD0001.jpg"),
            N::Photo {
                key: "2026ABCD0001"
            }
        );
        assert_eq!(
            parse_photo_name("计算机1班/ 2026abcd0002 .JPEG"),
            N::Photo {
                key: "2026abcd0002"
            }
        );
        assert_eq!(
            parse_photo_name("照片\\130121199001012442.png"),
            N::Photo {
                key: "130121199001012442"
            }
        );
        assert_eq!(
            parse_photo_name("readme.txt"),
            N::NotAPhoto {
                extension: "txt".into()
            }
        );
        assert_eq!(
            parse_photo_name("IMG_0001.HEIC"),
            N::NotAPhoto {
                extension: "heic".into()
            }
        );
        for ignored in [
            ".DS_Store",
            "a/Thumbs.db",
            "__MACOSX/._x.jpg",
            "photos/",
            "x/.y.jpg",
        ] {
            assert_eq!(parse_photo_name(ignored), N::Ignored, "{ignored}");
        }
        for hostile in [
            "../x.jpg",
            "/etc/x.jpg",
            "a/../../x.jpg",
            "..\\x.jpg",
            "\\\\server\\x.jpg",
            "C:/x.jpg",
            "C:x.jpg",
            "a\0.jpg",
            "a\n.jpg",
            "a//b.jpg",
            "./a.jpg",
            "\u{202E}gpj.exe",
            "..",
        ] {
            assert!(
                matches!(parse_photo_name(hostile), N::Unsafe(_)),
                "{hostile:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn hostile_random_names_never_panic_and_never_escape(
            raw in prop_oneof![
                ".{0,40}",
                "[./\\\\a-z0-9:]{0,24}",
                "(\\.\\./|/|\\\\|[a-zA-Z]:|[a-z0-9]{1,4}/){0,5}[a-z0-9.]{0,10}\\.(jpg|png|txt)",
            ]
        ) {
            let name = parse_photo_name(&raw);
            let traverses = raw.split(['/', '\\']).any(|s| s == "..");
            let absolute = raw.starts_with(['/', '\\']) || raw.contains(':');
            if let PhotoName::Photo { key } = name {
                prop_assert!(!traverses && !absolute, "{raw:?} was accepted");
                prop_assert!(!key.contains(['/', '\\', ':']));
                prop_assert!(!key.chars().any(char::is_control));
                prop_assert!(key != ".." && key != ".");
                // As a path, the key is at most one plain component inside any folder.
                let joined = Path::new("/import").join(key);
                prop_assert!(joined.starts_with("/import"));
                prop_assert!(Path::new(key).components().all(|c| matches!(c, Component::Normal(_))));
                prop_assert!(Path::new(key).components().count() <= 1);
            }
        }
    }
}
