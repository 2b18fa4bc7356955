//! Accounts: users by phone, argon2id password hashes, SMS codes, lockouts and sessions.
//! Used by the HTTP routes and by the admin CLI alike.

use crate::config::Argon2Config;
use crate::db::Db;
use crate::error::ApiError;
use crate::sms::{SmsSender, mask_phone};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use photoroll_core::{Principal, Role};
use rand::{Rng, RngExt};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Failed sign-ins before a lockout, and its length (admin manual's practice, the issue's figures).
pub const MAX_FAILED_SIGN_INS: i64 = 5;
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;
/// SMS codes are used once and allow 5 wrong tries (they live `sms_code_secs`, 5 minutes).
pub const SMS_CODE_TRIES: i64 = 5;

#[derive(Debug, Clone)]
pub struct Hasher {
    params: Params,
    /// One hash per core at a time: each takes 19 MiB and tens of milliseconds, and a flood of
    /// sign-ins must queue, not fill the blocking pool (512 threads × 19 MiB).
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    /// Verified against when a phone has no account, so a wrong phone takes as long as a wrong
    /// password.
    dummy_hash: String,
}

impl Hasher {
    pub fn new(cfg: Argon2Config) -> Result<Self, ApiError> {
        let params = Params::new(cfg.memory_kib, cfg.iterations, cfg.parallelism, None)
            .map_err(|e| ApiError::Internal(format!("argon2 params: {e}")))?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut hasher = Self {
            params,
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)),
            dummy_hash: String::new(),
        };
        hasher.dummy_hash = hasher.hash_blocking("not-a-password-1")?;
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_blocking(&self, password: &str) -> Result<String, ApiError> {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(format!("salt: {e}")))?;
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
    }

    /// Hashes off the async threads: argon2id is meant to be slow.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(format!("hash permits: {e}")))?;
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || hasher.hash_blocking(&password))
            .await
            .map_err(|e| ApiError::Internal(format!("hash task: {e}")))?
    }

    /// True when `password` matches `hash`; with no hash, spends the same time and says no.
    pub async fn verify(&self, hash: Option<String>, password: String) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || {
            let known = hash.is_some();
            let stored = hash.unwrap_or_else(|| hasher.dummy_hash.clone());
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return false;
            };
            // The hash's own parameters are used, so raising the cost later keeps old hashes valid.
            let ok = Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            ok && known
        })
        .await
        .unwrap_or(false)
    }
}

/// The manual's policy, from core; every broken rule in one message.
pub fn check_new_password(password: &str, confirm: &str) -> Result<(), ApiError> {
    if password != confirm {
        return Err(ApiError::invalid(
            "password_mismatch",
            "两次输入的密码不一致",
        ));
    }
    let broken = photoroll_core::password::check_password(password);
    if broken.is_empty() {
        Ok(())
    } else {
        let words: Vec<String> = broken.iter().map(ToString::to_string).collect();
        Err(ApiError::invalid("weak_password", words.join("；")))
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: String,
    /// Masked unless the caller is the CLI on the server itself.
    pub phone: String,
    pub role: String,
    pub school: Option<String>,
    pub has_password: bool,
    pub disabled: bool,
}

type UserRow = (String, String, String, Option<String>, Option<String>, i64);

fn user_from_row((id, phone, role, school, hash, disabled): UserRow) -> User {
    User {
        id,
        phone,
        role,
        school,
        has_password: hash.is_some(),
        disabled: disabled != 0,
    }
}

pub async fn add_user(
    db: &Db,
    hasher: &Hasher,
    phone: &str,
    role: Role,
    school: Option<&str>,
    password: Option<&str>,
) -> Result<User, ApiError> {
    let phone = crate::sms::parse_phone(phone)
        .ok_or_else(|| ApiError::invalid("bad_phone", "手机号应为11位数字"))?;
    if role == Role::Student {
        return Err(ApiError::invalid(
            "bad_role",
            "学生不需要账号：学生用采集码和证件号后四位登录",
        ));
    }
    match (role.needs_school(), school) {
        (true, None) => {
            return Err(ApiError::invalid(
                "school_required",
                format!("{}必须属于一所院校（--school）", role.display_name()),
            ));
        }
        (false, Some(_)) => {
            return Err(ApiError::invalid(
                "school_not_allowed",
                "平台运营账号不属于任何院校",
            ));
        }
        (true, Some(code)) => {
            let known: Option<(String,)> =
                sqlx::query_as("SELECT code FROM schools WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&db.pool)
                    .await?;
            if known.is_none() {
                return Err(ApiError::invalid(
                    "unknown_school",
                    format!("院校 {code} 不存在：先用 school add 添加"),
                ));
            }
        }
        (false, None) => {}
    }
    let hash = match password {
        Some(pw) => {
            check_new_password(pw, pw)?;
            Some(hasher.hash(pw.to_string()).await?)
        }
        None => None,
    };
    let id = uuid::Uuid::now_v7().to_string();
    let inserted = sqlx::query(
        "INSERT INTO users (id, phone, role, school_code, password_hash, disabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (phone) DO NOTHING",
    )
    .bind(&id)
    .bind(&phone)
    .bind(role.id())
    .bind(school)
    .bind(hash.as_deref())
    .bind(crate::now_ms())
    .execute(&db.pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(ApiError::conflict(
            "phone_taken",
            format!("手机号 {} 已有账号", mask_phone(&phone)),
        ));
    }
    Ok(User {
        id,
        phone,
        role: role.id().into(),
        school: school.map(str::to_string),
        has_password: hash.is_some(),
        disabled: false,
    })
}

pub async fn list_users(db: &Db, school: Option<&str>) -> Result<Vec<User>, ApiError> {
    let rows: Vec<UserRow> = match school {
        Some(school) => sqlx::query_as(
            "SELECT id, phone, role, school_code, password_hash, disabled FROM users WHERE school_code = $1 ORDER BY created_at",
        )
        .bind(school)
        .fetch_all(&db.pool)
        .await?,
        None => sqlx::query_as(
            "SELECT id, phone, role, school_code, password_hash, disabled FROM users ORDER BY created_at",
        )
        .fetch_all(&db.pool)
        .await?,
    };
    Ok(rows.into_iter().map(user_from_row).collect())
}

/// Disables (or enables) an account; disabling also ends its sessions.
pub async fn set_disabled(db: &Db, phone: &str, disabled: bool) -> Result<User, ApiError> {
    let phone = crate::sms::parse_phone(phone)
        .ok_or_else(|| ApiError::invalid("bad_phone", "手机号应为11位数字"))?;
    let mut tx = db.pool.begin().await?;
    let row: Option<UserRow> = sqlx::query_as(
        "UPDATE users SET disabled = $1 WHERE phone = $2 \
         RETURNING id, phone, role, school_code, password_hash, disabled",
    )
    .bind(i64::from(disabled))
    .bind(&phone)
    .fetch_optional(&mut *tx)
    .await?;
    let user = row
        .map(user_from_row)
        .ok_or_else(|| ApiError::NotFound("没有这个账号".into()))?;
    if disabled {
        sqlx::query("UPDATE sessions SET revoked = 1 WHERE user_id = $1")
            .bind(&user.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(user)
}

/// The account behind a phone: (id, role, school, password hash, disabled).
pub async fn find_by_phone(
    db: &Db,
    phone: &str,
) -> Result<Option<(String, Role, Option<String>, Option<String>, bool)>, ApiError> {
    type AccountRow = (String, String, Option<String>, Option<String>, i64);
    let row: Option<AccountRow> = sqlx::query_as(
        "SELECT id, role, school_code, password_hash, disabled FROM users WHERE phone = $1",
    )
    .bind(phone)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.and_then(|(id, role, school, hash, disabled)| {
        Role::parse(&role).map(|role| (id, role, school, hash, disabled != 0))
    }))
}

/// One sign-in attempt, taken before the secret is checked.
#[derive(Debug, Clone)]
pub struct Attempt {
    key: String,
    number: i64,
}

/// Takes an attempt for `login` (a phone, a collection code…): counted first and atomically, so
/// at most [`MAX_FAILED_SIGN_INS`] guesses are ever checked per lockout window however many
/// requests arrive at once. The key is stored hashed: what someone typed (a phone, maybe a full
/// ID number in the code field) is not kept.
pub async fn take_attempt(db: &Db, login: &str) -> Result<Attempt, ApiError> {
    let key = sha256_hex(format!("login:{login}").as_bytes());
    let now = crate::now_ms();
    let (number, locked_until): (i64, i64) = sqlx::query_as(
        "INSERT INTO login_guards (login, failed, locked_until, updated_at) VALUES ($1, 1, 0, $2) \
         ON CONFLICT (login) DO UPDATE SET \
           failed = CASE WHEN login_guards.locked_until > $2 THEN login_guards.failed \
                         WHEN login_guards.locked_until > 0 THEN 1 \
                         ELSE login_guards.failed + 1 END, \
           locked_until = CASE WHEN login_guards.locked_until > $2 THEN login_guards.locked_until ELSE 0 END, \
           updated_at = $2 \
         RETURNING failed, locked_until",
    )
    .bind(&key)
    .bind(now)
    .fetch_one(&db.pool)
    .await?;
    let minutes = |until: i64| ((until - now) / 60_000).max(1);
    if locked_until > now {
        return Err(ApiError::Locked {
            minutes: minutes(locked_until),
        });
    }
    if number > MAX_FAILED_SIGN_INS {
        let until = lock(db, &key, now).await?;
        return Err(ApiError::Locked {
            minutes: minutes(until),
        });
    }
    Ok(Attempt { key, number })
}

async fn lock(db: &Db, key: &str, now: i64) -> Result<i64, ApiError> {
    let until = now + LOCKOUT_MS;
    sqlx::query("UPDATE login_guards SET locked_until = $1, updated_at = $2 WHERE login = $3")
        .bind(until)
        .bind(now)
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(until)
}

/// A failed attempt: the fifth in a row locks the login for 15 minutes. True when it did.
pub async fn attempt_failed(db: &Db, attempt: &Attempt) -> Result<bool, ApiError> {
    if attempt.number >= MAX_FAILED_SIGN_INS {
        lock(db, &attempt.key, crate::now_ms()).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Clears `login`'s count and lockout.
pub async fn clear_login(db: &Db, login: &str) -> Result<(), ApiError> {
    let key = sha256_hex(format!("login:{login}").as_bytes());
    sqlx::query("DELETE FROM login_guards WHERE login = $1")
        .bind(&key)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// A successful attempt clears the count.
pub async fn attempt_succeeded(db: &Db, attempt: &Attempt) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM login_guards WHERE login = $1")
        .bind(&attempt.key)
        .execute(&db.pool)
        .await?;
    Ok(())
}

fn code_hash(phone: &str, code: &str) -> String {
    sha256_hex(format!("sms:{phone}:{code}").as_bytes())
}

/// Sends a code when the phone has an enabled account; does nothing otherwise. The caller
/// answers the same either way.
pub async fn issue_sms_code(
    db: &Db,
    sms: &dyn SmsSender,
    phone: &str,
    ttl_secs: u64,
) -> Result<bool, ApiError> {
    match find_by_phone(db, phone).await? {
        Some((_, _, _, _, false)) => {}
        _ => return Ok(false),
    }
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let now = crate::now_ms();
    // A new code replaces the earlier ones.
    sqlx::query("UPDATE sms_codes SET used = 1 WHERE phone = $1 AND used = 0")
        .bind(phone)
        .execute(&db.pool)
        .await?;
    sqlx::query(
        "INSERT INTO sms_codes (id, phone, code_hash, expires_at, used, attempts, created_at) \
         VALUES ($1, $2, $3, $4, 0, 0, $5)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(phone)
    .bind(code_hash(phone, &code))
    .bind(now + (ttl_secs as i64) * 1000)
    .bind(now)
    .execute(&db.pool)
    .await?;
    sms.send_code(phone, &code)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(true)
}

/// Checks `code` against the phone's live code (5 minutes, 5 tries) without spending it:
/// returns the code's id for [`spend_sms_code`]. A wrong code counts a try.
pub async fn check_sms_code(db: &Db, phone: &str, code: &str) -> Result<String, ApiError> {
    let now = crate::now_ms();
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT id, code_hash, attempts FROM sms_codes \
         WHERE phone = $1 AND used = 0 AND expires_at > $2 AND attempts < $3 \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(phone)
    .bind(now)
    .bind(SMS_CODE_TRIES)
    .fetch_optional(&db.pool)
    .await?;
    let Some((id, stored, attempts)) = row else {
        return Err(ApiError::BadCode);
    };
    let given = code_hash(phone, code.trim());
    if bool::from(given.as_bytes().ct_eq(stored.as_bytes())) {
        return Ok(id);
    }
    // Counted in the database: the SELECT above stops offering the code after the fifth miss,
    // however many guesses arrive together.
    let _ = attempts;
    sqlx::query("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = $1")
        .bind(&id)
        .execute(&db.pool)
        .await?;
    Err(ApiError::BadCode)
}

/// Spends a checked code: single use, so only the request that flips `used` wins, even when
/// two arrive together.
pub async fn spend_sms_code(db: &Db, id: &str) -> Result<(), ApiError> {
    let flipped = sqlx::query("UPDATE sms_codes SET used = 1 WHERE id = $1 AND used = 0")
        .bind(id)
        .execute(&db.pool)
        .await?;
    if flipped.rows_affected() == 1 {
        Ok(())
    } else {
        Err(ApiError::BadCode)
    }
}

pub async fn set_password_hash(db: &Db, user_id: &str, hash: &str) -> Result<(), ApiError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// A new session token (256 random bits, URL-safe base64); only its SHA-256 is stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewSession {
    pub token: String,
    pub expires_at: i64,
    pub role: String,
    pub school: Option<String>,
}

pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

pub async fn open_session(
    db: &Db,
    user_id: Option<&str>,
    who: &Principal,
    ttl_secs: u64,
) -> Result<NewSession, ApiError> {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let now = crate::now_ms();
    let expires_at = now + (ttl_secs as i64) * 1000;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, role, school_code, student_code, created_at, expires_at, revoked) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(who.role.id())
    .bind(who.school.as_deref())
    .bind(who.student.as_deref())
    .bind(now)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(NewSession {
        token,
        expires_at,
        role: who.role.id().into(),
        school: who.school.clone(),
    })
}

/// A signed-in caller, from a live session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub token_hash: String,
    pub user_id: Option<String>,
    pub principal: Principal,
}

impl SessionInfo {
    /// How the audit log names the caller: the account id, or the student's collection code.
    pub fn actor(&self) -> String {
        match (&self.user_id, &self.principal.student) {
            (Some(id), _) => format!("user:{id}"),
            (None, Some(code)) => format!("student:{code}"),
            (None, None) => "unknown".into(),
        }
    }
}

pub async fn find_session(db: &Db, token: &str) -> Result<Option<SessionInfo>, ApiError> {
    // Tokens are 43 characters; anything else is refused before the database sees it.
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    let hash = token_hash(token);
    type SessionRow = (
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        i64,
        i64,
        Option<i64>,
    );
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT s.user_id, s.role, s.school_code, s.student_code, s.expires_at, s.revoked, u.disabled \
         FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(&db.pool)
    .await?;
    let Some((user_id, role, school, student, expires_at, revoked, disabled)) = row else {
        return Ok(None);
    };
    if revoked != 0 || expires_at <= crate::now_ms() || disabled.unwrap_or(0) != 0 {
        return Ok(None);
    }
    let Some(role) = Role::parse(&role) else {
        return Ok(None);
    };
    Ok(Some(SessionInfo {
        token_hash: hash,
        user_id,
        principal: Principal {
            role,
            school,
            student,
        },
    }))
}

pub async fn revoke_session(db: &Db, token_hash: &str) -> Result<(), ApiError> {
    sqlx::query("UPDATE sessions SET revoked = 1 WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends every session of the account but `keep` (the one asking, when it stays signed in).
pub async fn revoke_all(db: &Db, user_id: &str, keep: Option<&str>) -> Result<u64, ApiError> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked = 1 WHERE user_id = $1 AND revoked = 0 AND token_hash <> $2",
    )
    .bind(user_id)
    .bind(keep.unwrap_or(""))
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected())
}
