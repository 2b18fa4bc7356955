//! Photoroll's central server: accounts and sign-in, schools and roles, the tenancy check on
//! every request, photo blobs, the audit log and the student page. The laptops stay the source of
//! truth for their own work; this server is where they meet (the sync engine talks to it).
//!
//! Storage is chosen by configuration: the embedded default (SQLite in WAL mode + a blob folder)
//! or a deployment (PostgreSQL + an S3-compatible object store). The records go through one
//! sqlx `Any` pool with migrations per backend; the blobs through `object_store`'s one trait.

pub mod accounts;
pub mod app;
pub mod audit;
pub mod blobs;
pub mod config;
pub mod db;
pub mod error;
pub mod limits;
pub mod maintenance;
pub mod roster;
pub mod routes;
pub mod serve;
pub mod sms;
pub mod students;

pub use app::AppState;
pub use config::Config;
pub use error::ApiError;

/// The server's version, reported by `/version` and checked by clients.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The HTTP API's version: the `/v1` prefix.
pub const API_VERSION: u32 = 1;

/// Milliseconds since the Unix epoch: every time the server stores.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
