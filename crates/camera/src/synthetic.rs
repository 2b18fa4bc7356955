//! A folder of images played in a loop: the station's demo camera, and the source the
//! end-to-end tests drive the capture flow with.

use crate::{CameraError, CaptureSource, Frame, is_image_name};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct SyntheticSource {
    files: Vec<PathBuf>,
    /// The next file to show.
    next: usize,
    sequence: u64,
    current: Option<Frame>,
    folder: PathBuf,
}

impl SyntheticSource {
    /// The folder's JPEG and PNG files, in name order.
    pub fn open(folder: &Path) -> Result<SyntheticSource, CameraError> {
        let read = std::fs::read_dir(folder).map_err(|e| CameraError::Folder {
            path: folder.to_path_buf(),
            detail: e.to_string(),
        })?;
        let mut files: Vec<PathBuf> = read
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && is_image_name(p))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(CameraError::EmptyFolder(folder.to_path_buf()));
        }
        Ok(SyntheticSource {
            files,
            next: 0,
            sequence: 0,
            current: None,
            folder: folder.to_path_buf(),
        })
    }

    /// Moves to the next image (the next student stepping in front of the camera).
    pub fn advance(&mut self) -> Result<&Frame, CameraError> {
        let path = &self.files[self.next % self.files.len()];
        let bytes = std::fs::read(path).map_err(|e| CameraError::Folder {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        self.next = (self.next + 1) % self.files.len();
        self.sequence += 1;
        Ok(self.current.insert(Frame {
            bytes,
            sequence: self.sequence,
            origin: path.display().to_string(),
        }))
    }
}

impl CaptureSource for SyntheticSource {
    fn name(&self) -> String {
        format!("演示相机（{}）", self.folder.display())
    }

    fn preview(&mut self) -> Result<Option<Frame>, CameraError> {
        if self.current.is_none() {
            return self.advance().map(|f| Some(f.clone()));
        }
        Ok(None)
    }

    fn capture(&mut self) -> Result<Frame, CameraError> {
        match &self.current {
            Some(frame) => Ok(frame.clone()),
            None => self.advance().cloned(),
        }
    }
}
