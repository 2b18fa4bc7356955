//! `photoroll-server`: run the central server, and the operator's admin commands on the same
//! configuration (users, schools, contracts, rosters, the audit log).

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use photoroll_core::Role;
use photoroll_server::config::{Config, FlagOverrides, TlsConfig};
use photoroll_server::{AppState, accounts, audit, sms};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Each argon2id hash takes a 19 MiB block. glibc's malloc raises its mmap threshold to the
/// size of the first such block it frees, so every later one came from the heap and stayed
/// resident: an idle server sat at 32 MB after one sign-in and at 380 MB after a burst. A fixed
/// threshold keeps large blocks in their own mappings, returned to the system when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn return_large_blocks_to_the_system() {
    // SAFETY: mallopt only sets an allocator parameter; it is called once, first thing in main,
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}

#[derive(Debug, Parser)]
#[command(
    name = "photoroll-server",
    version,
    about = "Photoroll 中心服务器 (central server)"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Common {
    /// TOML configuration file (flags and PHOTOROLL_SERVER_* variables override it).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data folder: the embedded SQLite database, the photo folder and unfinished uploads.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// postgres://… for a deployment; unset means the embedded SQLite.
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8740].
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// PEM certificate chain for TLS.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key for TLS.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy).
        #[arg(long)]
        insecure_http: bool,
    },
    /// Configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Schools.
    School {
        #[command(subcommand)]
        command: SchoolCommand,
    },
    /// Contracts (委托采集).
    Contract {
        #[command(subcommand)]
        command: ContractCommand,
    },
    /// Load a roster workbook (.xlsx/.xls) for a school.
    Roster {
        #[command(subcommand)]
        command: RosterCommand,
    },
    /// Remove expired sessions, spent SMS codes, old lockout counts and uploads abandoned for a
    /// day (the server does this every ten minutes too).
    Sweep,
    /// Read the audit log.
    Audit {
        #[arg(long)]
        school: Option<String>,
        /// YYYY-MM-DD or an RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// The configuration in effect, secrets hidden.
    Print,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    Add {
        #[arg(long)]
        phone: String,
        /// operator, school_admin, reviewer or photographer.
        #[arg(long)]
        role: String,
        #[arg(long)]
        school: Option<String>,
        /// Without it, the user signs in first by SMS code and sets one.
        #[arg(long)]
        password: Option<String>,
    },
    List {
        #[arg(long)]
        school: Option<String>,
        #[arg(long)]
        json: bool,
    },
    Disable {
        #[arg(long)]
        phone: String,
    },
    Enable {
        #[arg(long)]
        phone: String,
    },
}

#[derive(Debug, Subcommand)]
enum SchoolCommand {
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// 最终确认: approved photos wait for the student's confirmation.
    Set {
        #[arg(long)]
        code: String,
        #[arg(long, value_parser = ["on", "off"])]
        final_confirmation: String,
    },
}

#[derive(Debug, Subcommand)]
enum ContractCommand {
    /// 账户开通: activate a contract whose mandate is uploaded.
    Activate {
        #[arg(long)]
        school: String,
        #[arg(long)]
        category: String,
    },
    List {
        #[arg(long)]
        school: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum RosterCommand {
    Import {
        #[arg(long)]
        school: String,
        file: PathBuf,
    },
}

fn main() -> Result<()> {
    return_large_blocks_to_the_system();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PHOTOROLL_SERVER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // One TLS provider for the process (ring: no cmake, quick to build); the S3 client and the
    // TLS listener both use it.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(cli))
}

fn overrides(common: &Common) -> FlagOverrides {
    FlagOverrides {
        data_dir: common.data_dir.clone(),
        database_url: common.database_url.clone(),
        ..Default::default()
    }
}

async fn open(config: Config) -> Result<AppState> {
    AppState::open(config, Box::new(sms::LogSmsSender)).await
}

/// The admin CLI's changes go to the audit log like the API's: actor `cli` on this host.
async fn cli_audit(
    state: &AppState,
    school: Option<&str>,
    action: &str,
    record: &str,
    outcome: &str,
) -> Result<()> {
    audit::record(
        &state.db,
        audit::AuditEntry {
            actor: "cli",
            role: "operator",
            school,
            client_addr: "local",
            action,
            record,
            outcome,
        },
    )
    .await?;
    Ok(())
}

async fn run(cli: Cli) -> Result<()> {
    let common = &cli.common;
    match cli.command {
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
            insecure_http,
        } => {
            let mut flags = overrides(common);
            flags.listen = listen;
            flags.insecure_http = insecure_http.then_some(true);
            flags.tls = tls_cert
                .zip(tls_key)
                .map(|(cert, key)| TlsConfig { cert, key });
            let config = Config::load(common.config.as_deref(), &flags)?;
            let state = open(config).await?;
            photoroll_server::serve::run(state).await
        }
        Command::Config {
            command: ConfigCommand::Print,
        } => {
            let config = Config::load(common.config.as_deref(), &overrides(common))?;
            print!("{}", config.redacted_toml());
            Ok(())
        }
        Command::User { command } => {
            let state = open(Config::load(common.config.as_deref(), &overrides(common))?).await?;
            match command {
                UserCommand::Add {
                    phone,
                    role,
                    school,
                    password,
                } => {
                    let role = Role::parse(&role).with_context(|| {
                        format!(
                            "unknown role {role}: operator, school_admin, reviewer or photographer"
                        )
                    })?;
                    let user = accounts::add_user(
                        &state.db,
                        &state.hasher,
                        &phone,
                        role,
                        school.as_deref(),
                        password.as_deref(),
                    )
                    .await?;
                    cli_audit(
                        &state,
                        user.school.as_deref(),
                        "add_user",
                        &format!("user:{}", user.id),
                        &format!("ok:{}", user.role),
                    )
                    .await?;
                    println!(
                        "added {} {} {}{}",
                        user.id,
                        sms::mask_phone(&user.phone),
                        user.role,
                        user.school
                            .map(|s| format!(" school {s}"))
                            .unwrap_or_default()
                    );
                    if !user.has_password {
                        println!(
                            "no password yet: the user signs in by SMS code first and sets one"
                        );
                    }
                }
                UserCommand::List { school, json } => {
                    let users = accounts::list_users(&state.db, school.as_deref()).await?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&users)?);
                    } else {
                        for u in users {
                            println!(
                                "{}  {}  {:<12}  {:<6}  {}{}",
                                u.id,
                                sms::mask_phone(&u.phone),
                                u.role,
                                u.school.as_deref().unwrap_or("-"),
                                if u.has_password {
                                    "password set"
                                } else {
                                    "no password"
                                },
                                if u.disabled { "  DISABLED" } else { "" }
                            );
                        }
                    }
                }
                UserCommand::Disable { phone } => {
                    let u = accounts::set_disabled(&state.db, &phone, true).await?;
                    cli_audit(
                        &state,
                        u.school.as_deref(),
                        "disable_user",
                        &format!("user:{}", u.id),
                        "ok",
                    )
                    .await?;
                    println!("disabled {} (sessions ended)", sms::mask_phone(&u.phone));
                }
                UserCommand::Enable { phone } => {
                    let u = accounts::set_disabled(&state.db, &phone, false).await?;
                    cli_audit(
                        &state,
                        u.school.as_deref(),
                        "enable_user",
                        &format!("user:{}", u.id),
                        "ok",
                    )
                    .await?;
                    println!("enabled {}", sms::mask_phone(&u.phone));
                }
            }
            Ok(())
        }
        Command::School { command } => {
            let state = open(Config::load(common.config.as_deref(), &overrides(common))?).await?;
            match command {
                SchoolCommand::Add { code, name } => {
                    let code = photoroll_core::SchoolCode::parse(&code)
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    let name = name.trim();
                    if name.is_empty() {
                        bail!("院校名称不能为空");
                    }
                    let done = sqlx::query("INSERT INTO schools (code, name, final_confirmation, created_at) VALUES ($1, $2, 0, $3) ON CONFLICT (code) DO NOTHING")
                        .bind(code.as_str())
                        .bind(name)
                        .bind(photoroll_server::now_ms())
                        .execute(&state.db.pool)
                        .await?;
                    if done.rows_affected() == 0 {
                        bail!("院校 {} 已存在", code.as_str());
                    }
                    cli_audit(
                        &state,
                        Some(code.as_str()),
                        "add_school",
                        &format!("school:{}", code.as_str()),
                        "ok",
                    )
                    .await?;
                    println!("added school {} {name}", code.as_str());
                }
                SchoolCommand::Set {
                    code,
                    final_confirmation,
                } => {
                    let done =
                        sqlx::query("UPDATE schools SET final_confirmation = $1 WHERE code = $2")
                            .bind(i64::from(final_confirmation == "on"))
                            .bind(&code)
                            .execute(&state.db.pool)
                            .await?;
                    if done.rows_affected() == 0 {
                        bail!("院校 {code} 不存在");
                    }
                    cli_audit(
                        &state,
                        Some(&code),
                        "change_settings",
                        &format!("school:{code}"),
                        &format!("ok:final_confirmation={}", final_confirmation == "on"),
                    )
                    .await?;
                    println!("school {code}: final confirmation {final_confirmation}");
                }
            }
            Ok(())
        }
        Command::Contract { command } => {
            let state = open(Config::load(common.config.as_deref(), &overrides(common))?).await?;
            match command {
                ContractCommand::Activate { school, category } => {
                    let c = photoroll_server::routes::contracts::activate(
                        &state.db, &school, &category,
                    )
                    .await?;
                    cli_audit(
                        &state,
                        Some(&school),
                        "activate_contract",
                        &format!("school:{school}/contract:{}", c.category),
                        "ok:active",
                    )
                    .await?;
                    println!("contract {} {}: {}", c.school, c.category, c.state_name);
                }
                ContractCommand::List { school } => {
                    for c in photoroll_server::routes::contracts::contracts_of(
                        &state.db,
                        school.as_deref(),
                    )
                    .await?
                    {
                        println!(
                            "{}  {:<12}  {:>8}  {}  until {}  {}",
                            c.school, c.category, c.price, c.handler, c.valid_until, c.state_name
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Roster {
            command: RosterCommand::Import { school, file },
        } => {
            let state = open(Config::load(common.config.as_deref(), &overrides(common))?).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let load = photoroll_server::roster::import(&state.db, &school, &bytes).await?;
            cli_audit(
                &state,
                Some(&school),
                "import_roster",
                &format!("school:{school}"),
                &format!(
                    "ok:imported={},updated={},failed={}",
                    load.imported,
                    load.updated,
                    load.failed.len()
                ),
            )
            .await?;
            println!("{}", serde_json::to_string(&load)?);
            Ok(())
        }
        Command::Sweep => {
            let state = open(Config::load(common.config.as_deref(), &overrides(common))?).await?;
            let swept = photoroll_server::maintenance::sweep(&state).await?;
            println!("{}", serde_json::to_string(&swept)?);
            Ok(())
        }
        Command::Audit {
            school,
            since,
            limit,
            json,
        } => {
            let state = open(Config::load(common.config.as_deref(), &overrides(common))?).await?;
            let since_ms = match since.as_deref() {
                None => 0,
                Some(raw) => parse_since(raw)?,
            };
            let rows = audit::read(&state.db, school.as_deref(), since_ms, limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in rows {
                    let at = chrono::DateTime::from_timestamp_millis(r.at)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default();
                    println!(
                        "{at}  {:<45}  {:<12}  {:<6}  {:<15}  {:<22}  {}  {}",
                        r.actor,
                        r.role,
                        r.school.as_deref().unwrap_or("-"),
                        r.client_addr,
                        r.action,
                        r.record,
                        r.outcome
                    );
                }
            }
            Ok(())
        }
    }
}

fn parse_since(raw: &str) -> Result<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(t.timestamp_millis());
    }
    let day = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .with_context(|| format!("--since {raw}: use YYYY-MM-DD or an RFC 3339 time"))?;
    Ok(day
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or(0))
}
