//! The local store: one data folder holding a SQLite database (WAL) and a content-addressed blob
//! folder. Every change the sync must carry writes its outbox row in the same transaction.

mod backup;
mod blobs;
mod captures;
mod compare;
mod contracts;
mod delivery;
mod error;
mod gc;
mod identify;
mod outbox;
mod print;
mod progress;
mod review;
mod roster;
mod sessions;
mod station;
mod students;

pub use backup::{backup_to, restore_from};
pub use blobs::{BlobStore, is_blob_name};
pub use captures::{CaptureSource, NewCapture, SavedCapture};
pub use compare::{
    AdmissionPhoto, AdmissionSet, COMPARISON_ACTOR, CompareCandidate, ComparisonFilter,
    ComparisonRow, NewComparison,
};
pub use contracts::{ContractRecord, MandateCoverage, MandateScan};
pub use delivery::{BatchEntry, BatchRecord, DeliveryResult, PackageCandidate};
pub use error::StoreError;
pub use gc::GcReport;
pub use identify::{SessionTally, StationStudent, StudentKey};
pub use outbox::OutboxOp;
pub use print::{AddressRecord, NewPrintOrder, PrintCandidate, PrintLine, PrintOrderRecord};
pub use progress::{ExportRecord, ProgressCounts, StudentFilter, StudentRow};
pub use review::{
    BulkOutcome, CaptureInfo, CheckResult, ChecksFilter, Decided, Decision, QueueEntry,
    ReviewDetail, ReviewFilter, SchoolSettings, Skipped, refusal_code,
};
pub use roster::{ImportSummary, ImportWriter, NewImport, StoredFailure};
pub use sessions::{CaptureSession, NewSession};
pub use station::{
    CapturesImport, PackStudent, PackedCapture, PackedWalkIn, SkippedCapture, StationPack,
};
pub use students::TransitionRecord;

use photoroll_core::{School, SchoolCode};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DATABASE_FILE: &str = "photoroll.db";
pub const BLOB_DIR: &str = "blobs";

/// The app's one identifier: Tauri's `identifier` in `tauri.conf.json` (which names the window's
/// own app-data, log and window-state folders) and the name of the store's default folder. A test
/// checks the two are equal.
pub const APP_IDENTIFIER: &str = "cn.photoroll.desktop";

/// The OS's per-user local (never roaming) data folder for Photoroll, named [`APP_IDENTIFIER`]:
/// `~/.local/share/cn.photoroll.desktop` (or under `$XDG_DATA_HOME`),
/// `%LOCALAPPDATA%\cn.photoroll.desktop`, `~/Library/Application Support/cn.photoroll.desktop`;
/// the folder Tauri calls `app_local_data_dir`. Photos and the database stay off a roaming
/// Windows profile.
pub fn default_data_dir() -> Result<PathBuf, StoreError> {
    directories::BaseDirs::new()
        .map(|d| d.data_local_dir().join(APP_IDENTIFIER))
        .ok_or(StoreError::NoHomeDir)
}

#[cfg(test)]
mod app_identifier_tests {
    #[test]
    fn app_identifier_is_the_tauri_identifier() {
        // The running checkout's manifest folder (a shared target dir may hold a test binary
        // compiled in another clone).
        let manifest = std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
        let path = std::path::Path::new(&manifest).join("../../tauri.conf.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let config: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(config["identifier"].as_str(), Some(super::APP_IDENTIFIER));
    }

    #[test]
    fn default_data_dir_is_named_by_the_identifier_in_the_local_data_dir() {
        let dir = super::default_data_dir().unwrap();
        let base = directories::BaseDirs::new().unwrap();
        assert_eq!(dir, base.data_local_dir().join(super::APP_IDENTIFIER));
        if cfg!(windows) {
            // %LOCALAPPDATA%, not the roaming %APPDATA%.
            assert!(!dir.starts_with(base.data_dir()));
        }
    }
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A state as stored; anything else means the database was changed behind our back.
pub(crate) fn stored_state(raw: &str) -> Result<photoroll_core::CollectionState, StoreError> {
    photoroll_core::CollectionState::parse(raw)
        .ok_or_else(|| StoreError::Corrupt(format!("未知的采集状态 “{raw}”")))
}

/// A school as stored. A code that no longer parses means the database was changed behind our
/// back: said, never skipped (a school silently missing from a list hides its students).
fn stored_school(code: String, name: String) -> Result<School, StoreError> {
    match SchoolCode::parse(&code) {
        Ok(code) => Ok(School { code, name }),
        Err(e) => Err(StoreError::Corrupt(format!("院校代码 “{code}”：{e}"))),
    }
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    blobs: BlobStore,
    dir: PathBuf,
    /// Held shared while a save writes blobs and commits the rows naming them; exclusively by
    /// garbage collection.
    blob_writes: std::sync::Arc<tokio::sync::RwLock<()>>,
}

impl Store {
    /// Opens (creating if needed) the data folder and migrates its database.
    pub async fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let blobs = BlobStore::open(&dir.join(BLOB_DIR))?;
        let options = SqliteConnectOptions::new()
            .filename(dir.join(DATABASE_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode is durable against application crashes; a power cut can lose
            // the last transactions but never corrupts the file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 2 MB of page cache per connection: the lists' full scans read from the OS's page
            // cache just as fast, and four connections' caches are the app's largest idle
            // allocation. An import raises its own connection's cache while it runs (see
            // `begin_import`).
            .pragma("cache_size", "-2000");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // Connections left over from a burst of work close, and give back their caches.
            .idle_timeout(Duration::from_secs(60))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let store = Store {
            pool,
            blobs,
            dir: dir.to_path_buf(),
            blob_writes: Default::default(),
        };
        store.seed_reject_reasons().await?;
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    pub(crate) fn blob_writes(&self) -> &tokio::sync::RwLock<()> {
        &self.blob_writes
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Adds a school, or renames an existing one.
    pub async fn upsert_school(&self, school: &School, is_demo: bool) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO schools (code, name, is_demo, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(code) DO UPDATE SET name = excluded.name",
        )
        .bind(school.code.as_str())
        .bind(&school.name)
        .bind(is_demo)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        outbox::append(
            &mut tx,
            photoroll_core::Operation::SchoolUpserted {
                school: school.clone(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn school(&self, code: &SchoolCode) -> Result<Option<School>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT code, name FROM schools WHERE code = ?")
                .bind(code.as_str())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(code, name)| stored_school(code, name))
            .transpose()
    }

    pub async fn schools(&self) -> Result<Vec<School>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT code, name FROM schools ORDER BY code")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(code, name)| stored_school(code, name))
            .collect()
    }

    /// Whether the store holds only demo data (or nothing): the window offers to clear it.
    pub async fn has_demo_data(&self) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schools WHERE is_demo = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schools")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
    }

    pub async fn set_final_confirmation(
        &self,
        code: &SchoolCode,
        on: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("UPDATE schools SET final_confirmation = ? WHERE code = ?")
            .bind(on)
            .bind(code.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::UnknownSchool(code.to_string()));
        }
        outbox::append(
            &mut tx,
            photoroll_core::Operation::FinalConfirmationSet {
                school_code: code.to_string(),
                on,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
