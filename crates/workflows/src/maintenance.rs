//! Opening the data folder, the demo school, schools, backup, restore and removing unused
//! photos.

use crate::error::{Result, refused};
use photoroll_core::{JobControl, School, SchoolCode};
use photoroll_store::{GcReport, Store};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How old an unreferenced photo must be before the start-up collection removes it: a save in
/// another process (the CLI beside the app) writes its photos a moment before its record.
pub const GC_GRACE: Duration = Duration::from_secs(60 * 60);

/// The data folder: the one given, or the OS's per-user default.
pub fn data_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    match given {
        Some(d) => Ok(d),
        None => Ok(photoroll_store::default_data_dir()?),
    }
}

pub async fn open_store(dir: &Path) -> Result<Store> {
    Ok(Store::open(dir).await?)
}

/// What the app does at start: open the folder, load the demo school into an empty one, and
/// remove photos no record uses any more (off the caller's path: errors are logged).
pub async fn open_for_app(dir: &Path) -> Result<Store> {
    let store = Store::open(dir).await?;
    if store.is_empty().await? {
        photoroll_demo::load_demo(&store, &JobControl::new()).await?;
    }
    let background = store.clone();
    tokio::spawn(async move {
        if let Err(e) = background.collect_garbage(GC_GRACE).await {
            tracing::warn!(error = %e, "start-up photo collection failed");
        }
    });
    Ok(store)
}

/// Loads the demo school unless it is there. `None` when it was.
pub async fn load_demo(store: &Store) -> Result<Option<photoroll_roster::ImportReport>> {
    Ok(photoroll_demo::load_demo(store, &JobControl::new()).await?)
}

pub async fn clear_demo(store: &Store) -> Result<()> {
    Ok(store.clear_demo().await?)
}

pub fn parse_school(code: &str) -> Result<SchoolCode> {
    SchoolCode::parse(code).or_else(|e| refused("school_code", e.to_string()))
}

/// Adds a school, or renames one.
pub async fn add_school(store: &Store, code: &str, name: &str) -> Result<School> {
    let code = parse_school(code)?;
    let name = photoroll_core::text::normalize_cell(name);
    if name.is_empty() {
        return refused("school_name", "院校名称不能为空");
    }
    let school = School { code, name };
    store.upsert_school(&school, false).await?;
    Ok(school)
}

pub async fn backup(store: &Store, out: &Path, job: &JobControl) -> Result<u64> {
    Ok(photoroll_store::backup_to(store, out, job).await?)
}

/// Restores into `dir` (which must be empty), then opens it once so its schema is current.
pub async fn restore(file: &Path, dir: &Path, job: &JobControl) -> Result<u64> {
    let (file, target, job) = (file.to_path_buf(), dir.to_path_buf(), job.clone());
    let n =
        tokio::task::spawn_blocking(move || photoroll_store::restore_from(&file, &target, &job))
            .await??;
    Store::open(dir).await?.close().await;
    Ok(n)
}

/// Removes photos no record points at; `grace` protects a save in flight elsewhere.
pub async fn collect_garbage(store: &Store, grace: Duration) -> Result<GcReport> {
    Ok(store.collect_garbage(grace).await?)
}
