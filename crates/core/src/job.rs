//! Progress and cancellation for long work (import, export, backup), shared by the CLI and the
//! window so both faces report the same way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("操作已取消 (cancelled)")]
pub struct Cancelled;

type ProgressFn = dyn Fn(u64, u64) + Send + Sync;

/// A cancel flag plus a progress callback `(done, total)`. Cloning shares both.
#[derive(Clone, Default)]
pub struct JobControl {
    cancel: Arc<AtomicBool>,
    progress: Option<Arc<ProgressFn>>,
}

impl std::fmt::Debug for JobControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobControl")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl JobControl {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_progress(mut self, f: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// Reports progress and returns `Err(Cancelled)` once cancellation was asked for, so loops
    /// can write `job.step(i, n)?`.
    pub fn step(&self, done: u64, total: u64) -> Result<(), Cancelled> {
        if let Some(p) = &self.progress {
            p(done, total);
        }
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}
