//! The one place where errors become what the window shows: a Chinese message to read and a
//! stable code for support, never a raw Rust error. Which errors are refusals, and their
//! codes, the application layer decides.

use photoroll_workflows::WorkflowError;
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

impl From<WorkflowError> for UiError {
    fn from(e: WorkflowError) -> Self {
        let code = e.code();
        let message = match code {
            "cancelled" => "已取消，没有任何改动".to_string(),
            _ => e.to_string(),
        };
        if !e.is_refusal() && code != "cancelled" {
            log::warn!("{code}: {e}");
        }
        Self::new(code, message, e.is_refusal())
    }
}

impl From<photoroll_store::StoreError> for UiError {
    fn from(e: photoroll_store::StoreError) -> Self {
        WorkflowError::from(e).into()
    }
}

impl From<tokio::task::JoinError> for UiError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::new("task", e.to_string(), false)
    }
}
