//! The records: one sqlx `Any` pool over SQLite or PostgreSQL. Queries are written once in the
//! SQL both understand (`$n` parameters, `ON CONFLICT`, `RETURNING`, integers for times and
//! flags); the schema and its migrations are per backend.

use crate::config::Config;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("无法打开数据库 {target}: {source}")]
    Connect { target: String, source: sqlx::Error },
    #[error("数据库迁移失败: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("无法创建数据目录 {0}: {1}")]
    DataDir(String, std::io::Error),
}

#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

impl Db {
    /// Opens the configured database and brings its schema up to date.
    pub async fn open(config: &Config) -> Result<Db, DbError> {
        install_default_drivers();
        let (url, backend, shown) = match &config.database_url {
            Some(url) => (
                url.clone(),
                Backend::Postgres,
                crate::config::redact_url_password(url),
            ),
            None => {
                std::fs::create_dir_all(&config.data_dir)
                    .map_err(|e| DbError::DataDir(config.data_dir.display().to_string(), e))?;
                let path = config.data_dir.join("server.sqlite");
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Backend::Sqlite,
                    path.display().to_string(),
                )
            }
        };
        let pool = AnyPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers never wait for the writer; NORMAL sync is durable across a
                        // process kill (the WAL is fsynced at checkpoints and commits survive a
                        // crash of the process, which is what kill -9 tests).
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|source| DbError::Connect {
                target: shown,
                source,
            })?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Db { pool, backend })
    }
}
