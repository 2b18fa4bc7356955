//! Content-addressed blobs: each file is named by the SHA-256 of its bytes, written to a temp
//! file in the same folder, fsynced, then renamed, so a reader never sees a partial file.

use crate::StoreError;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// A blob name is 64 lowercase hex characters.
pub fn is_blob_name(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl BlobStore {
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(root.join("tmp")).map_err(|e| StoreError::io(root, e))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `blobs/ab/abcdef…`: two-character fan-out keeps folders small with 100,000 photos.
    pub fn path_of(&self, hash: &str) -> PathBuf {
        self.root.join(&hash[..2]).join(hash)
    }

    pub fn hash_of(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Stores bytes and returns their hash. Storing the same bytes twice is a no-op.
    pub fn put(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let hash = Self::hash_of(bytes);
        let path = self.path_of(&hash);
        if path.exists() {
            // A new reference to an old blob: its age restarts, so a garbage collection in
            // another process does not take it before the reference commits.
            if let Ok(f) = std::fs::File::options().append(true).open(&path) {
                let _ = f.set_modified(std::time::SystemTime::now());
            }
            return Ok(hash);
        }
        let mut tmp = self.temp_file()?;
        tmp.write_all(bytes)
            .map_err(|e| StoreError::io(tmp.path(), e))?;
        self.persist_temp(tmp, &hash)?;
        Ok(hash)
    }

    /// Reads a blob and checks that its bytes still match its name.
    pub fn get(&self, hash: &str) -> Result<Vec<u8>, StoreError> {
        if !is_blob_name(hash) {
            return Err(StoreError::BlobMissing(hash.to_string()));
        }
        let bytes = std::fs::read(self.path_of(hash))
            .map_err(|_| StoreError::BlobMissing(hash.to_string()))?;
        if Self::hash_of(&bytes) != hash {
            return Err(StoreError::BlobMissing(hash.to_string()));
        }
        Ok(bytes)
    }

    pub fn contains(&self, hash: &str) -> bool {
        is_blob_name(hash) && self.path_of(hash).is_file()
    }

    /// Every stored blob's hash. A folder or entry that cannot be read is an error, never
    /// skipped: a backup made from this list must not silently miss a photo.
    pub fn list(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(&self.root).map_err(|e| StoreError::io(&self.root, e))?;
        for fan in entries {
            let fan = fan.map_err(|e| StoreError::io(&self.root, e))?;
            let path = fan.path();
            if fan.file_name().len() != 2 {
                continue;
            }
            // Follows a symlinked fan-out folder, as reading a blob would.
            let meta = std::fs::metadata(&path).map_err(|e| StoreError::io(&path, e))?;
            if !meta.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(&path).map_err(|e| StoreError::io(&path, e))? {
                let f = f.map_err(|e| StoreError::io(&path, e))?;
                if let Some(n) = f.file_name().to_str().filter(|n| is_blob_name(n)) {
                    out.push(n.to_string());
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// A temp file beside the blobs, for a blob written as it streams in (see [`Self::persist_temp`]).
    pub(crate) fn temp_file(&self) -> Result<tempfile::NamedTempFile, StoreError> {
        let tmp_dir = self.root.join("tmp");
        tempfile::NamedTempFile::new_in(&tmp_dir).map_err(|e| StoreError::io(&tmp_dir, e))
    }

    /// Moves a temp file whose bytes the caller has hashed to `hash` into place, durably.
    pub(crate) fn persist_temp(
        &self,
        tmp: tempfile::NamedTempFile,
        hash: &str,
    ) -> Result<(), StoreError> {
        if !is_blob_name(hash) {
            return Err(StoreError::BlobMissing(hash.to_string()));
        }
        let path = self.path_of(hash);
        if path.exists() {
            return Ok(());
        }
        let dir = path.parent().expect("blob paths have a parent");
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| StoreError::io(tmp.path(), e))?;
        tmp.persist(&path)
            .map_err(|e| StoreError::io(&path, e.error))?;
        sync_dir(dir);
        Ok(())
    }
}

/// Makes a rename durable. Directories cannot be opened for syncing on Windows, where NTFS
/// journals the rename itself, so this is Unix-only.
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::open(dir.path()).unwrap();
        let h = s.put(b"photo bytes").unwrap();
        assert_eq!(h, BlobStore::hash_of(b"photo bytes"));
        assert_eq!(s.put(b"photo bytes").unwrap(), h);
        assert_eq!(s.get(&h).unwrap(), b"photo bytes");
        assert_eq!(s.list().unwrap(), vec![h.clone()]);
        // Nothing left behind in tmp.
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
        // A corrupted blob is refused, not served.
        std::fs::write(s.path_of(&h), b"tampered").unwrap();
        assert!(matches!(s.get(&h), Err(StoreError::BlobMissing(_))));
        assert!(s.get("../../etc/passwd").is_err());
    }

    /// A fan-out folder that cannot be read fails the listing: before, it was skipped, and a
    /// backup made from the list silently left its photos out.
    #[cfg(unix)]
    #[test]
    fn list_reports_a_folder_it_cannot_read() {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::open(dir.path()).unwrap();
        let h = s.put(b"photo bytes").unwrap();
        assert_eq!(s.list().unwrap(), vec![h.clone()]);
        // A fan-out entry that cannot be opened (here a link to itself: ELOOP).
        let fan = if h.starts_with("ff") { "fe" } else { "ff" };
        std::os::unix::fs::symlink(dir.path().join(fan), dir.path().join(fan)).unwrap();
        match s.list() {
            Err(StoreError::Io { path, .. }) => assert_eq!(path, dir.path().join(fan)),
            other => panic!("{other:?}"),
        }
    }
}
