//! Station packs and captures files: the offline path between the admin's laptop and a
//! capture station.

use crate::error::Result;
use photoroll_core::JobControl;
use photoroll_store::{CapturesImport, Store};
use std::path::Path;

/// Writes a session's pack (by id or feature code). Returns how many students it holds.
pub async fn export_pack(store: &Store, session: &str, out: &Path) -> Result<u32> {
    let session = crate::sessions::find_session(store, session).await?;
    Ok(store.export_pack(&session.id, out).await? as u32)
}

/// At the station: takes a pack in. Returns how many students were new.
pub async fn import_pack(store: &Store, file: &Path) -> Result<u32> {
    Ok(store.import_pack(file).await? as u32)
}

pub async fn export_captures(store: &Store, out: &Path, job: &JobControl) -> Result<u32> {
    Ok(store.export_captures(out, job).await? as u32)
}

pub async fn import_captures(
    store: &Store,
    file: &Path,
    job: &JobControl,
) -> Result<CapturesImport> {
    Ok(store.import_captures(file, job).await?)
}
