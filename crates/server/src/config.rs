//! Configuration: flags over environment (`PHOTOROLL_SERVER_*`, nested keys with `__`) over an
//! optional TOML file over the defaults (figment merges them in that order).

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("配置有误: {0}")]
    Invalid(String),
    #[error("配置文件读取失败: {0}")]
    Figment(#[from] Box<figment::Error>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The embedded database, the blob folder (when no S3) and unfinished uploads live here.
    pub data_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// An S3-compatible object store for the photos; unset means `data_dir/blobs`.
    pub s3: Option<S3Config>,
    pub tls: Option<TlsConfig>,
    /// Allow plain HTTP on an address other than loopback (behind a TLS-terminating proxy).
    pub insecure_http: bool,
    /// Seconds a sign-in stays valid (12 hours by default; a student's page sign-in lasts at
    /// most 2 hours).
    pub session_secs: u64,
    /// Seconds an SMS code stays valid.
    pub sms_code_secs: u64,
    pub argon2: Argon2Config,
    /// Seconds a request may take in all (a blob PATCH of 20 MB on a slow line included).
    pub request_timeout_secs: u64,
    /// Seconds a client may take to send a request's headers.
    pub header_timeout_secs: u64,
    /// Largest blob, bytes.
    pub max_blob_bytes: u64,
    /// Largest JSON body, bytes.
    pub max_json_bytes: usize,
    /// Pool size for the database.
    pub max_connections: u32,
    /// Sign-in attempts per client address per minute (all sign-in routes together).
    pub sign_in_per_minute: u32,
    /// SMS codes one phone may ask for per hour.
    pub sms_per_hour: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client (behind a TLS-terminating
    /// proxy every connection comes from the proxy: rate limits and the audit log need the
    /// client's own address).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Mark the student page's cookie `Secure` even without `[tls]` (behind a TLS proxy).
    pub secure_cookies: bool,
    /// Unfinished uploads one school may have open at once.
    pub max_open_uploads: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    pub bucket: String,
    /// e.g. `http://127.0.0.1:9000` for a local endpoint; unset means AWS itself.
    pub endpoint: Option<String>,
    #[serde(default = "default_region")]
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Allow an `http://` endpoint (a local S3 on the same host).
    #[serde(default)]
    pub allow_http: bool,
}

fn default_region() -> String {
    "us-east-1".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// argon2id cost. The defaults are OWASP's second recommended set (19 MiB, 2 passes, 1 lane):
/// about 20–40 ms a hash on one core here, which bounds sign-ins per second (see the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Config {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8740)),
            data_dir: PathBuf::from("photoroll-server-data"),
            database_url: None,
            s3: None,
            tls: None,
            insecure_http: false,
            session_secs: 12 * 3600,
            sms_code_secs: 300,
            argon2: Argon2Config::default(),
            request_timeout_secs: 120,
            header_timeout_secs: 10,
            max_blob_bytes: 20 * 1024 * 1024,
            max_json_bytes: 1024 * 1024,
            max_connections: 16,
            sign_in_per_minute: 30,
            sms_per_hour: 5,
            trusted_proxies: Vec::new(),
            secure_cookies: false,
            max_open_uploads: 500,
        }
    }
}

/// The values given as flags: only those set override the layers below.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insecure_http: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
}

impl Config {
    /// Defaults, then the TOML file (when given), then the environment, then the flags.
    pub fn load(file: Option<&Path>, flags: &FlagOverrides) -> Result<Config, ConfigError> {
        // PHOTOROLL_SERVER_LOG is the log filter, read before the configuration.
        let env = Env::prefixed("PHOTOROLL_SERVER_")
            .split("__")
            .ignore(&["log"]);
        Self::load_from(file, flags, env)
    }

    fn load_from(
        file: Option<&Path>,
        flags: &FlagOverrides,
        env: Env,
    ) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError::Invalid(format!(
                    "找不到配置文件 {}",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        let config: Config = figment
            .merge(env)
            .merge(Serialized::defaults(flags))
            .extract()
            .map_err(Box::new)?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid(
                "database_url 只支持 postgres://（不设置则使用内置 SQLite）".into(),
            ));
        }
        if !self.listen.ip().is_loopback() && self.tls.is_none() && !self.insecure_http {
            return Err(ConfigError::Invalid(format!(
                "拒绝在非本机地址 {} 上使用明文 HTTP：请提供 TLS 证书和私钥（--tls-cert/--tls-key），或在 TLS 反向代理之后使用 --insecure-http",
                self.listen
            )));
        }
        if self.session_secs == 0 || self.session_secs > 30 * 24 * 3600 {
            return Err(ConfigError::Invalid(
                "session_secs 应在 1 秒到 30 天之间".into(),
            ));
        }
        if self.sms_code_secs == 0 || self.sms_code_secs > 3600 {
            return Err(ConfigError::Invalid(
                "sms_code_secs 应在 1–3600 之间".into(),
            ));
        }
        if self.argon2.memory_kib < 8 * 1024
            || self.argon2.iterations == 0
            || self.argon2.parallelism == 0
        {
            return Err(ConfigError::Invalid(
                "argon2 参数过弱：memory_kib ≥ 8192，iterations ≥ 1，parallelism ≥ 1".into(),
            ));
        }
        if self.max_blob_bytes == 0
            || self.max_json_bytes == 0
            || self.max_connections == 0
            || self.sign_in_per_minute == 0
            || self.sms_per_hour == 0
        {
            return Err(ConfigError::Invalid("上限必须大于 0".into()));
        }
        Ok(())
    }

    pub fn is_deployment(&self) -> bool {
        self.database_url.is_some()
    }

    /// The configuration as TOML with every secret replaced, for `config print`.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        if let Some(url) = &mut shown.database_url {
            *url = redact_url_password(url);
        }
        if let Some(s3) = &mut shown.s3 {
            s3.secret_access_key = "***".into();
        }
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot show: {e}"))
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "***".into(),
    }
}

#[cfg(test)]
// figment's Jail returns its own large error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_environment_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("server.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9001\"\nsession_secs = 3\ndata_dir = \"/from/file\"\n[argon2]\nmemory_kib = 9000\n",
        )
        .unwrap();
        // figment's Jail gives each test its own environment.
        figment::Jail::expect_with(|jail| {
            jail.set_env("PHOTOROLL_SERVER_SESSION_SECS", "5");
            jail.set_env("PHOTOROLL_SERVER_DATA_DIR", "/from/env");
            let flags = FlagOverrides {
                data_dir: Some("/from/flag".into()),
                ..Default::default()
            };
            let c = Config::load(Some(&file), &flags).unwrap();
            assert_eq!(c.listen.port(), 9001, "file");
            assert_eq!(c.session_secs, 5, "env over file");
            assert_eq!(c.data_dir, PathBuf::from("/from/flag"), "flag over env");
            assert_eq!(c.argon2.memory_kib, 9000);
            assert_eq!(c.argon2.iterations, 2, "default");
            Ok(())
        });
    }

    #[test]
    fn nested_s3_settings_from_the_environment_and_secrets_hidden() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "PHOTOROLL_SERVER_DATABASE_URL",
                "postgres://pr:hunter2@db.example/photoroll",
            );
            jail.set_env("PHOTOROLL_SERVER_S3__BUCKET", "photos");
            jail.set_env("PHOTOROLL_SERVER_S3__ACCESS_KEY_ID", "AKIA1");
            jail.set_env("PHOTOROLL_SERVER_S3__SECRET_ACCESS_KEY", "very-secret");
            let c = Config::load(None, &FlagOverrides::default()).unwrap();
            assert!(c.is_deployment());
            assert_eq!(c.s3.as_ref().unwrap().bucket, "photos");
            let shown = c.redacted_toml();
            assert!(
                !shown.contains("hunter2") && !shown.contains("very-secret"),
                "{shown}"
            );
            assert!(
                shown.contains("postgres://pr:***@db.example/photoroll"),
                "{shown}"
            );
            Ok(())
        });
    }

    #[test]
    fn plain_http_off_loopback_is_refused_unless_asked() {
        let flags = FlagOverrides {
            listen: Some("0.0.0.0:8740".parse().unwrap()),
            ..Default::default()
        };
        let err =
            Config::load_from(None, &flags, Env::prefixed("PHOTOROLL_TEST_NOTHING_")).unwrap_err();
        assert!(err.to_string().contains("明文 HTTP"), "{err}");
        let flags = FlagOverrides {
            insecure_http: Some(true),
            ..flags
        };
        assert!(Config::load_from(None, &flags, Env::prefixed("PHOTOROLL_TEST_NOTHING_")).is_ok());
    }

    #[test]
    fn the_example_deployment_config_loads() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/server.example.toml");
        let c = Config::load_from(
            Some(&file),
            &FlagOverrides::default(),
            Env::prefixed("PHOTOROLL_TEST_NOTHING_"),
        )
        .unwrap();
        assert!(c.is_deployment() && c.tls.is_some() && c.s3.is_some());
        assert!(!c.redacted_toml().contains("change-me"));
    }

    #[test]
    fn unknown_keys_and_a_missing_file_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("server.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:1\"\n").unwrap();
        let none = Env::prefixed("PHOTOROLL_TEST_NOTHING_");
        let err =
            Config::load_from(Some(&file), &FlagOverrides::default(), none.clone()).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
        let err = Config::load_from(
            Some(&dir.path().join("nope.toml")),
            &FlagOverrides::default(),
            none,
        )
        .unwrap_err();
        assert!(err.to_string().contains("找不到配置文件"), "{err}");
    }
}
