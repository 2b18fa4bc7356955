//! Long jobs the window started: their progress channel and cancel, by the id the window gave.

use photoroll_core::JobControl;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use tauri::ipc::Channel;

/// Progress of a long job, sent on the job's channel.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct JobProgress {
    pub done: u32,
    pub total: u32,
}

/// The running jobs, for cancel.
#[derive(Debug, Default)]
pub struct Jobs {
    running: Mutex<HashMap<String, JobControl>>,
}

impl Jobs {
    /// A job reporting on `channel`, cancellable by `id` until [`Jobs::finish`].
    pub fn start(&self, id: &str, channel: Channel<JobProgress>) -> JobControl {
        let job = JobControl::new().with_progress(move |done, total| {
            // A closed window drops the channel; the job still finishes or is cancelled.
            let _ = channel.send(JobProgress {
                done: done.min(u64::from(u32::MAX)) as u32,
                total: total.min(u64::from(u32::MAX)) as u32,
            });
        });
        self.lock().insert(id.to_string(), job.clone());
        job
    }

    pub fn finish(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Asks a running job to stop; false when no such job is running.
    pub fn cancel(&self, id: &str) -> bool {
        match self.lock().get(id) {
            Some(job) => {
                job.cancel();
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, JobControl>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }
}
