//! A tethered camera's hot folder. Studio photographers shoot with a DSLR whose tethering
//! software (EOS Utility, Lightroom, gPhoto) writes each shot into a folder; the newest
//! complete JPEG there is the capture. Writing a 20 MB file takes a moment, so a file counts
//! as complete only when it is a whole JPEG (starts with SOI, ends with EOI) and its size has
//! not changed for `settle`.

use crate::{CameraError, CaptureSource, Frame, is_image_name};
use notify::{RecursiveMode, Watcher};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Candidate {
    size: u64,
    /// When the size was first seen at its current value.
    since: Instant,
    /// Order of appearance: the newest shot wins.
    order: u64,
    /// The whole file, once it has settled and been read: the live loop asks several times a
    /// second, and a DSLR's shot is 20 MB, so it is read once, not on every loop.
    settled: Option<Arc<Vec<u8>>>,
}

/// A shot's path and its whole, settled bytes.
type SettledShot = (PathBuf, Arc<Vec<u8>>);

pub struct HotFolderSource {
    folder: PathBuf,
    settle: Duration,
    _watcher: notify::RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
    /// Files there before the station started: earlier shoots, never a capture.
    existing: HashSet<PathBuf>,
    candidates: HashMap<PathBuf, Candidate>,
    order: u64,
    taken: HashSet<PathBuf>,
    sequence: u64,
    last_previewed: Option<PathBuf>,
    files_read: u64,
}

impl std::fmt::Debug for HotFolderSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotFolderSource")
            .field("folder", &self.folder)
            .field("candidates", &self.candidates.len())
            .finish()
    }
}

fn folder_error(path: &Path, e: impl ToString) -> CameraError {
    CameraError::Folder {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

/// A whole JPEG: SOI at the start, EOI at the end (some cameras pad the end with zeros).
pub fn is_complete_jpeg(bytes: &[u8]) -> bool {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    bytes.len() >= 4 && bytes.starts_with(&[0xFF, 0xD8]) && bytes[..end].ends_with(&[0xFF, 0xD9])
}

impl HotFolderSource {
    pub fn watch(folder: &Path, settle: Duration) -> Result<HotFolderSource, CameraError> {
        let existing = std::fs::read_dir(folder)
            .map_err(|e| folder_error(folder, e))?
            .flatten()
            .map(|e| e.path())
            .collect();
        let (tx, events) = channel();
        let mut watcher = notify::recommended_watcher(tx).map_err(|e| folder_error(folder, e))?;
        watcher
            .watch(folder, RecursiveMode::NonRecursive)
            .map_err(|e| folder_error(folder, e))?;
        Ok(HotFolderSource {
            folder: folder.to_path_buf(),
            settle,
            _watcher: watcher,
            events,
            existing,
            candidates: HashMap::new(),
            order: 0,
            taken: HashSet::new(),
            sequence: 0,
            last_previewed: None,
            files_read: 0,
        })
    }

    /// How many times a shot's file has been read whole (a settled shot is read once).
    pub fn files_read(&self) -> u64 {
        self.files_read
    }

    /// Takes in what the watcher saw, then returns the newest complete shot not yet taken.
    fn newest_complete(&mut self) -> Result<Option<SettledShot>, CameraError> {
        while let Ok(event) = self.events.try_recv() {
            let event = event.map_err(|e| folder_error(&self.folder, e))?;
            for path in event.paths {
                if is_image_name(&path) && !self.existing.contains(&path) {
                    if !self.candidates.contains_key(&path) {
                        self.order += 1;
                    }
                    let order = self.order;
                    self.candidates.entry(path).or_insert(Candidate {
                        size: u64::MAX,
                        since: Instant::now(),
                        order,
                        settled: None,
                    });
                }
            }
        }
        // Only the newest shot counts: while it is still being written, an older one is not
        // taken in its place (the photographer pressed the shutter again for a reason).
        let Some((path, candidate)) = self
            .candidates
            .iter_mut()
            .filter(|(p, _)| !self.taken.contains(*p))
            .max_by_key(|(_, c)| c.order)
        else {
            return Ok(None);
        };
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(None); // renamed or deleted by the tethering software
        };
        if meta.len() != candidate.size {
            candidate.size = meta.len();
            candidate.since = Instant::now();
            candidate.settled = None;
            return Ok(None);
        }
        if let Some(bytes) = &candidate.settled {
            return Ok(Some((path.clone(), bytes.clone())));
        }
        if candidate.since.elapsed() < self.settle {
            return Ok(None);
        }
        let bytes = std::fs::read(path).map_err(|e| folder_error(path, e))?;
        self.files_read += 1;
        if bytes.len() as u64 == candidate.size && is_complete_jpeg(&bytes) {
            let bytes = Arc::new(bytes);
            candidate.settled = Some(bytes.clone());
            return Ok(Some((path.clone(), bytes)));
        }
        Ok(None)
    }
}

impl CaptureSource for HotFolderSource {
    fn name(&self) -> String {
        format!("联机拍摄文件夹（{}）", self.folder.display())
    }

    fn preview(&mut self) -> Result<Option<Frame>, CameraError> {
        match self.newest_complete()? {
            Some((path, bytes)) if self.last_previewed.as_ref() != Some(&path) => {
                self.sequence += 1;
                self.last_previewed = Some(path.clone());
                Ok(Some(Frame {
                    bytes: bytes.as_ref().clone(),
                    sequence: self.sequence,
                    origin: path.display().to_string(),
                }))
            }
            _ => Ok(None),
        }
    }

    fn capture(&mut self) -> Result<Frame, CameraError> {
        let (path, bytes) = self.newest_complete()?.ok_or(CameraError::NothingNew)?;
        // Each shot is one student's: older shots not taken are passed over for good.
        let order = self.candidates[&path].order;
        let older: Vec<PathBuf> = self
            .candidates
            .iter()
            .filter(|(_, c)| c.order <= order)
            .map(|(p, _)| p.clone())
            .collect();
        self.taken.extend(older);
        for p in &self.taken {
            // A taken shot is never a capture again: its bytes need not stay in memory.
            if let Some(c) = self.candidates.get_mut(p) {
                c.settled = None;
            }
        }
        self.sequence += 1;
        Ok(Frame {
            bytes: Arc::unwrap_or_clone(bytes),
            sequence: self.sequence,
            origin: path.display().to_string(),
        })
    }
}
