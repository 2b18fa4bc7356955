//! What every command shares: the store, the capture desk, the live camera and the running
//! jobs. Each lives in its own module; this one only holds them.

use crate::jobs::Jobs;
use crate::live_camera::LiveCamera;
use photoroll_store::Store;
use photoroll_workflows::CaptureDesk;
use std::sync::Arc;

#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub desk: Arc<CaptureDesk>,
    pub camera: LiveCamera,
    pub jobs: Jobs,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            desk: Arc::default(),
            camera: LiveCamera::default(),
            jobs: Jobs::default(),
        }
    }
}
