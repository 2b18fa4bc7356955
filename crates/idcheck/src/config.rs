use crate::{HttpIdentityVerifier, IdCheckError, IdentityVerifier};
use std::fmt;
use std::sync::Arc;

/// The provider's URL; unset or empty means ID verification is off.
pub const ENV_URL: &str = "PHOTOROLL_ID_CHECK_URL";
/// The provider's key, sent as `Authorization: Bearer {key}`.
pub const ENV_KEY: &str = "PHOTOROLL_ID_CHECK_KEY";

/// Where the provider is and how to prove we may use it.
#[derive(Clone, PartialEq, Eq)]
pub struct IdCheckConfig {
    pub url: String,
    pub key: String,
}

// By hand: the key must not reach a log through `{:?}`.
impl fmt::Debug for IdCheckConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdCheckConfig")
            .field("url", &self.url)
            .field("key", &"<hidden>")
            .finish()
    }
}

impl IdCheckConfig {
    /// Reads [`ENV_URL`] and [`ENV_KEY`]. `Ok(None)` when the URL is unset or empty (the
    /// feature is off); an error when the URL is set but the key is not, since a half-done
    /// setup should be noticed rather than look like "off".
    pub fn from_env() -> Result<Option<Self>, IdCheckError> {
        Self::from_lookup(|name| match std::env::var(name) {
            Ok(value) => Ok(Some(value)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(()),
        })
    }

    /// [`from_env`](Self::from_env) over any source of variables (`Err(())`: present but not
    /// UTF-8), so it can be tested without touching the process environment.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Result<Option<String>, ()>,
    ) -> Result<Option<Self>, IdCheckError> {
        let read = |name: &str| {
            lookup(name)
                .map_err(|()| IdCheckError::Config(format!("{name} 不是有效的 UTF-8 文本")))
                .map(|value| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()))
        };
        let Some(url) = read(ENV_URL)? else {
            return Ok(None);
        };
        let Some(key) = read(ENV_KEY)? else {
            return Err(IdCheckError::Config(format!(
                "已设置 {ENV_URL}，但缺少 {ENV_KEY}"
            )));
        };
        Ok(Some(Self { url, key }))
    }
}

/// The configured provider, ready to share, or `None` when ID verification is off.
pub fn from_env_verifier() -> Result<Option<Arc<dyn IdentityVerifier>>, IdCheckError> {
    let Some(config) = IdCheckConfig::from_env()? else {
        return Ok(None);
    };
    let verifier: Arc<dyn IdentityVerifier> = Arc::new(HttpIdentityVerifier::new(config)?);
    Ok(Some(verifier))
}
