//! The one place where errors become what the window shows: a Chinese message to read and a
//! stable code for support, never a raw Rust error.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct UiError {
    /// Stable identifier, shown one click away ("详情") for support.
    pub code: String,
    /// What happened and what to do, in Chinese.
    pub message: String,
    /// Whether the user's input was refused (as opposed to a failure of this machine).
    pub refused: bool,
}

impl UiError {
    pub fn new(code: &str, message: impl Into<String>, refused: bool) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            refused,
        }
    }
}

impl From<photoroll_store::StoreError> for UiError {
    fn from(e: photoroll_store::StoreError) -> Self {
        use photoroll_store::StoreError as E;
        let (code, refused) = match &e {
            E::UnknownSchool(_) => ("unknown_school", true),
            E::UnknownImport(_) => ("unknown_import", true),
            E::UnknownStudent(_) => ("unknown_student", true),
            E::ImportHasPhotos(_) => ("import_has_photos", true),
            E::Transition(_) => ("transition", true),
            E::BadBackup(_) => ("bad_backup", true),
            E::BadSession(_) => ("bad_session", true),
            E::BadStationFile(_) => ("bad_station_file", true),
            E::RestoreTargetNotEmpty(_) => ("restore_target_not_empty", true),
            E::Cancelled(_) => ("cancelled", false),
            E::Database(_) | E::Migrate(_) => ("database", false),
            E::Io { .. } => ("io", false),
            E::Json(_) => ("data", false),
            E::NoHomeDir => ("no_home_dir", false),
            E::BlobMissing(_) => ("blob_missing", false),
        };
        log::warn!("{code}: {e}");
        Self::new(code, e.to_string(), refused)
    }
}

impl From<photoroll_roster::ImportError> for UiError {
    fn from(e: photoroll_roster::ImportError) -> Self {
        use photoroll_roster::{ImportError as E, WorkbookError as W};
        match e {
            E::Store(s) => s.into(),
            E::Workbook(W::Cancelled(_)) => {
                Self::new("cancelled", "导入已取消，名单没有任何改动", false)
            }
            E::Workbook(w) => Self::new("workbook_refused", w.to_string(), true),
            E::UnknownSchool(_) => Self::new("unknown_school", e.to_string(), true),
            E::Io { .. } => Self::new("io", e.to_string(), false),
            E::Task(_) => Self::new("task", e.to_string(), false),
        }
    }
}

impl From<photoroll_roster::ExportError> for UiError {
    fn from(e: photoroll_roster::ExportError) -> Self {
        use photoroll_roster::ExportError as E;
        match e {
            E::Store(s) => s.into(),
            E::Cancelled(_) => Self::new("cancelled", "导出已取消，没有写入文件", false),
            other => Self::new("export", other.to_string(), false),
        }
    }
}

impl From<photoroll_demo::DemoError> for UiError {
    fn from(e: photoroll_demo::DemoError) -> Self {
        Self::new("demo", e.to_string(), false)
    }
}
