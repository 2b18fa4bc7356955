//! What every command shares: the store and the running jobs (for cancel).

use photoroll_core::JobControl;
use photoroll_store::Store;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub station: crate::station::StationDesk,
    jobs: Mutex<HashMap<String, JobControl>>,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            station: Default::default(),
            jobs: Mutex::new(HashMap::new()),
        }
    }

    pub fn register_job(&self, id: &str, job: JobControl) {
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string(), job);
    }

    pub fn finish_job(&self, id: &str) {
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// Asks a running job to stop; false when no such job is running.
    pub fn cancel_job(&self, id: &str) -> bool {
        match self.jobs.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            Some(job) => {
                job.cancel();
                true
            }
            None => false,
        }
    }
}
