//! What every command shares: the store, the capture desk, the live camera, the running
//! jobs and the comparison's shared parts. Each lives in its own module; this one only holds
//! them.

use crate::compare::Comparisons;
use crate::jobs::Jobs;
use crate::live_camera::LiveCamera;
use crate::print::SheetPreviews;
use photoroll_store::Store;
use photoroll_workflows::CaptureDesk;
use std::sync::Arc;

#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub desk: Arc<CaptureDesk>,
    pub camera: LiveCamera,
    pub jobs: Jobs,
    pub comparisons: Comparisons,
    pub previews: SheetPreviews,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            desk: Arc::default(),
            camera: LiveCamera::default(),
            jobs: Jobs::default(),
            // 人证比对's provider is read once, from the environment, at start.
            comparisons: Comparisons::new(photoroll_idcheck::from_env_verifier()),
            previews: SheetPreviews::default(),
        }
    }
}
