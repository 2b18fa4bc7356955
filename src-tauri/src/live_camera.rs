//! The running live source at a station and the newest preview frame the window has been
//! sent. Shared state only; the commands that start and stop it are in `camera`.

use photoroll_station::Station;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The running source, and the newest preview frame the window has been sent.
#[derive(Default)]
pub struct LiveCamera {
    station: Mutex<Option<Arc<Station>>>,
    served: AtomicU64,
}

impl std::fmt::Debug for LiveCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveCamera")
    }
}

impl LiveCamera {
    pub fn station(&self) -> Option<Arc<Station>> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<Station>>> {
        self.station.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Puts `next` in place of the running source and returns the old one, to be dropped
    /// (its threads joined) by the caller, outside the lock.
    pub(crate) fn replace(&self, next: Option<Arc<Station>>) -> Option<Arc<Station>> {
        self.served.store(0, Ordering::Relaxed);
        std::mem::replace(&mut *self.lock(), next)
    }

    /// The preview frame after `after` (or after the newest already served), waiting up to
    /// `wait`: JPEG bytes and the frame's sequence number.
    pub fn preview_after(&self, after: u64, wait: Duration) -> Option<(Vec<u8>, u64)> {
        let station = self.station()?;
        let after = after.max(self.served.load(Ordering::Relaxed));
        let p = station.preview_after(after, wait)?;
        self.served.store(p.sequence, Ordering::Relaxed);
        Some((p.jpeg.as_ref().clone(), p.sequence))
    }
}
