use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("数据库错误: {0}")]
    Database(#[from] sqlx::Error),
    #[error("数据库迁移失败: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("文件读写失败 {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("数据格式错误: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "学生已在另一个下载批次中（{0}）：每位学生只进入一个批次 (the student is already in another batch)"
    )]
    AlreadyInBatch(String),
    #[error("学生 {0} 已在另一个冲印订单中 (the student is already in a print order)")]
    AlreadyOrdered(String),
    #[error("找不到冲印订单 {0} (unknown print order)")]
    UnknownPrintOrder(String),
    #[error(transparent)]
    PrintState(#[from] photoroll_core::print::PrintStateError),
    #[error(transparent)]
    Contract(#[from] photoroll_core::ContractError),
    #[error("{0}")]
    BadContract(String),
    #[error("找不到用户数据目录")]
    NoHomeDir,
    #[error("未知的院校代码 {0}：请先用 `photoroll school add` 添加院校")]
    UnknownSchool(String),
    #[error("找不到名单导入记录 {0}")]
    UnknownImport(String),
    #[error("找不到学生 {0}")]
    UnknownStudent(String),
    #[error("采集站文件无效：{0}")]
    BadStationFile(String),
    #[error("无法创建采集场次：{0}")]
    BadSession(String),
    #[error("名单中已有学生采集了照片，不能删除：{0}")]
    ImportHasPhotos(String),
    #[error(transparent)]
    Transition(#[from] photoroll_core::TransitionError),
    #[error("数据库中的数据无效（{0}）：请从备份恢复或联系技术支持")]
    Corrupt(String),
    #[error("还有未通过且未说明原因的检查：{}", .0.join("、"))]
    UnresolvedChecks(Vec<String>),
    #[error("{0}")]
    CaptureInput(#[from] photoroll_core::CaptureInputError),
    #[error(transparent)]
    CaptureRefused(#[from] photoroll_core::CaptureRefused),
    #[error("照片文件 {0} 不存在或已损坏")]
    BlobMissing(String),
    #[error("备份文件无效: {0}")]
    BadBackup(String),
    #[error("恢复目标目录不是空的: {0}")]
    RestoreTargetNotEmpty(PathBuf),
    #[error(transparent)]
    Cancelled(#[from] photoroll_core::Cancelled),
    #[error(transparent)]
    Decision(#[from] photoroll_core::DecisionRefused),
    #[error(transparent)]
    ReviewInput(#[from] photoroll_core::ReviewInputError),
    #[error("驳回原因“{0}”不在原因目录中：请在 设置 → 驳回原因 中查看")]
    UnknownReason(String),
    #[error("找不到审核记录 {0}")]
    UnknownTransition(i64),
    #[error("{0}")]
    BadSetting(String),
}

impl StoreError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl From<zip::result::ZipError> for StoreError {
    fn from(e: zip::result::ZipError) -> Self {
        Self::BadBackup(e.to_string())
    }
}
