use photoroll_store::StoreError;

/// Every way a workflow can end without its result. Each face shows it its own way: the CLI as
/// exit status 2 (refused) or 1 (this machine failed), the window as a Chinese message with a
/// stable code; both ask [`WorkflowError::is_refusal`] and [`WorkflowError::code`] instead of
/// deciding for themselves.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// The input was refused; nothing was stored. The code names the rule.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Import(#[from] photoroll_roster::ImportError),
    #[error(transparent)]
    Export(#[from] photoroll_roster::ExportError),
    #[error("{0}")]
    Demo(#[from] photoroll_demo::DemoError),
    #[error("写入模板失败：{0}")]
    Template(String),
    #[error("照片模型无法加载：{0}")]
    Models(String),
    #[error("拍摄失败：{0}")]
    Capture(String),
    #[error(transparent)]
    Cancelled(#[from] photoroll_core::Cancelled),
    #[error("{0}")]
    Package(String),
    #[error("{0}")]
    Mandate(String),
    #[error("后台任务异常结束：{0}")]
    Task(String),
}

pub type Result<T> = std::result::Result<T, WorkflowError>;

pub(crate) fn refused<T>(code: &'static str, message: impl Into<String>) -> Result<T> {
    Err(WorkflowError::Refused {
        code,
        message: message.into(),
    })
}

impl From<photoroll_core::CaptureInputError> for WorkflowError {
    fn from(e: photoroll_core::CaptureInputError) -> Self {
        Self::Refused {
            code: "capture_input",
            message: e.to_string(),
        }
    }
}

impl From<tokio::task::JoinError> for WorkflowError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Task(e.to_string())
    }
}

impl WorkflowError {
    /// Whether the user's input was refused (as opposed to a failure of this machine).
    pub fn is_refusal(&self) -> bool {
        use photoroll_roster::{ExportError as X, ImportError as I};
        match self {
            Self::Refused { .. } => true,
            Self::Store(s) | Self::Export(X::Store(s)) | Self::Import(I::Store(s)) => {
                store_refusal(s)
            }
            Self::Import(e) => e.is_refusal() && self.code() != "cancelled",
            _ => false,
        }
    }

    /// A stable identifier for support, shown one click away in the window.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused { code, .. } => code,
            Self::Store(s) | Self::Export(photoroll_roster::ExportError::Store(s)) => store_code(s),
            Self::Import(photoroll_roster::ImportError::Store(s)) => store_code(s),
            Self::Import(photoroll_roster::ImportError::Workbook(
                photoroll_roster::WorkbookError::Cancelled(_),
            ))
            | Self::Export(photoroll_roster::ExportError::Cancelled(_))
            | Self::Cancelled(_) => "cancelled",
            Self::Import(photoroll_roster::ImportError::Workbook(_)) => "workbook_refused",
            Self::Import(photoroll_roster::ImportError::UnknownSchool(_)) => "unknown_school",
            Self::Import(photoroll_roster::ImportError::Io { .. }) => "io",
            Self::Import(photoroll_roster::ImportError::Task(_)) | Self::Task(_) => "task",
            Self::Export(_) => "export",
            Self::Demo(_) => "demo",
            Self::Template(_) => "template",
            Self::Models(_) => "models",
            Self::Capture(_) => "capture",
            Self::Package(_) => "package",
            Self::Mandate(_) => "mandate",
        }
    }
}

/// Whether a store error means the input was refused (for faces that read the store directly).
pub fn store_refusal(e: &StoreError) -> bool {
    use StoreError as S;
    matches!(
        e,
        S::UnknownSchool(_)
            | S::UnknownImport(_)
            | S::UnknownStudent(_)
            | S::ImportHasPhotos(_)
            | S::Transition(_)
            | S::BadBackup(_)
            | S::BadSession(_)
            | S::BadStationFile(_)
            | S::RestoreTargetNotEmpty(_)
            | S::UnresolvedChecks(_)
            | S::CaptureInput(_)
            | S::CaptureRefused(_)
            | S::Decision(_)
            | S::ReviewInput(_)
            | S::UnknownReason(_)
            | S::UnknownTransition(_)
            | S::BadSetting(_)
            | S::AlreadyInBatch(_)
            | S::AlreadyOrdered(_)
            | S::UnknownPrintOrder(_)
            | S::PrintState(_)
            | S::Contract(_)
            | S::BadContract(_)
    )
}

fn store_code(e: &StoreError) -> &'static str {
    use StoreError as S;
    match e {
        S::UnknownSchool(_) => "unknown_school",
        S::UnknownImport(_) => "unknown_import",
        S::UnknownStudent(_) => "unknown_student",
        S::ImportHasPhotos(_) => "import_has_photos",
        S::Transition(_) | S::CaptureRefused(_) => "transition",
        S::BadBackup(_) => "bad_backup",
        S::BadSession(_) => "bad_session",
        S::BadStationFile(_) => "bad_station_file",
        S::RestoreTargetNotEmpty(_) => "restore_target_not_empty",
        S::UnresolvedChecks(_) => "unresolved_checks",
        S::CaptureInput(_) => "capture_input",
        S::Cancelled(_) => "cancelled",
        S::Database(_) | S::Migrate(_) => "database",
        S::Io { .. } => "io",
        S::Json(_) => "data",
        S::Corrupt(_) => "corrupt",
        S::NoHomeDir => "no_home_dir",
        S::BlobMissing(_) => "blob_missing",
        S::Decision(photoroll_core::DecisionRefused::StalePhoto { .. }) => "stale_photo",
        S::Decision(photoroll_core::DecisionRefused::NoPhoto) => "no_photo",
        S::Decision(_) => "undo_refused",
        S::ReviewInput(_) => "review_input",
        S::UnknownReason(_) => "unknown_reason",
        S::UnknownTransition(_) => "unknown_transition",
        S::BadSetting(_) => "bad_setting",
        S::AlreadyInBatch(_) => "already_in_batch",
        S::AlreadyOrdered(_) => "already_ordered",
        S::UnknownPrintOrder(_) => "unknown_print_order",
        S::PrintState(_) => "print_state",
        S::Contract(_) | S::BadContract(_) => "contract",
    }
}
