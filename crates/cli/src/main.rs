//! `photoroll`: the same operations as the window, headless, for automation, tests and benchmarks.
//!
//! Exit status: 0 done; 2 refused (bad input, unknown school, a file that is not a roster…);
//! 1 something failed on this machine.

mod bench;
mod bench_photo;
mod bench_preview;
mod bench_qr;
mod photo;
mod qr;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use photoroll_core::{CollectionState, EducationCategory, JobControl, School, SchoolCode};
use photoroll_roster::{ImportOptions, Limits};
use photoroll_store::{Store, StudentFilter};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "photoroll",
    version,
    about = "Photoroll 毕业生图像采集 — command line"
)]
struct Cli {
    /// Data folder (database + photos). Default: the OS's per-user data folder.
    #[arg(long, global = true, env = "PHOTOROLL_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load the demo school and roster (if not loaded yet) and print the progress summary.
    Demo,
    /// Schools.
    #[command(subcommand)]
    School(SchoolCmd),
    /// Roster template, import, history, failed rows.
    #[command(subcommand)]
    Roster(RosterCmd),
    /// Counts per state (--json), or the students matching the filters.
    Progress {
        #[command(flatten)]
        filter: FilterArgs,
        /// Print the counts as one JSON object.
        #[arg(long)]
        json: bool,
        /// At most this many students in the list.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Export students to a workbook.
    #[command(subcommand)]
    Export(ExportCmd),
    /// Write a consistent copy of the data folder (database + photos) to FILE, safe while the app runs.
    Backup {
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Restore a backup into the data folder, which must be empty.
    Restore { file: PathBuf },
    /// The standard photo: standardize a capture, check a finished photo.
    #[command(subcommand)]
    Photo(photo::PhotoCmd),
    /// Capture sessions (采集场次): the students a centralized session covers and its feature code.
    #[command(subcommand)]
    Session(SessionCmd),
    /// Station packs: a session's students out to a capture station, its captures back.
    #[command(subcommand)]
    Station(StationCmd),
    /// Collection-code QR codes: read them from a still image.
    #[command(subcommand)]
    Qr(qr::QrCmd),
    /// Benchmarks (run on a release build).
    #[command(subcommand)]
    Bench(bench::BenchCmd),
}

#[derive(Subcommand, Debug)]
enum SchoolCmd {
    /// Add a school (or rename one).
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// List schools.
    List,
}

#[derive(Subcommand, Debug)]
enum RosterCmd {
    /// Write the roster template workbook.
    Template {
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Import a roster workbook (.xlsx or .xls) for a school.
    Import {
        file: PathBuf,
        #[arg(long)]
        school: String,
        /// Category for rows without one: a canonical name, a synonym or an identifier.
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write a sample roster to try the import with: generated students for the demo school
    /// (99001), including four rows with typical mistakes.
    Sample {
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long, default_value_t = 200)]
        rows: usize,
        /// Seed for the generated names.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Import history.
    Imports {
        #[arg(long)]
        json: bool,
    },
    /// The students of one import.
    Show {
        import_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete an import and its students (refused when any has a photo).
    Delete { import_id: String },
    /// Write an import's failed rows, as uploaded plus the reason, to a workbook.
    Failures {
        import_id: String,
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum StationCmd {
    /// Write what a station needs for a session, and no more: collection code, masked name and
    /// ID last four per student, the session and its feature code.
    ExportPack {
        /// The session's id or its feature code.
        #[arg(long)]
        session: String,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// At the station: take a pack in (importing it twice changes nothing).
    ImportPack { file: PathBuf },
    /// At the station: write every capture with its photos, for the admin to import.
    ExportCaptures {
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Take a station's captures in: hashes checked first, each capture once.
    ImportCaptures { file: PathBuf },
}

#[derive(Subcommand, Debug)]
enum SessionCmd {
    /// Create a session over a school's students (all, or a category, department or class);
    /// prints its four-digit feature code (特征码).
    Create {
        #[arg(long)]
        name: String,
        /// The school's code; may be left out when the data folder holds one school.
        #[arg(long)]
        school: Option<String>,
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long = "class")]
        class_name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Every session, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum ExportCmd {
    /// The students matching the filters, IDs masked.
    Xlsx {
        #[arg(short, long)]
        output: PathBuf,
        /// The export's name in the export history (default: the file name).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Past exports, newest first.
    History {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug, Clone, Default)]
struct FilterArgs {
    /// A state identifier (pending, submitted, …) or its Chinese name.
    #[arg(long)]
    state: Option<String>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    school: Option<String>,
    #[arg(long)]
    department: Option<String>,
    #[arg(long = "class")]
    class_name: Option<String>,
    /// A name fragment, a collection code or an ID's last four characters.
    #[arg(long)]
    search: Option<String>,
}

/// An error that means "your input was refused" (exit 2), as opposed to a failure (exit 1).
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

fn refuse<T>(msg: impl Into<String>) -> Result<T> {
    Err(Refused(msg.into()).into())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PHOTOROLL_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("错误: 无法启动运行时: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(cli));
    bench::report_peak_memory();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let refused = e.downcast_ref::<Refused>().is_some()
                || e.downcast_ref::<photoroll_roster::ImportError>()
                    .is_some_and(|e| e.is_refusal())
                || matches!(
                    e.downcast_ref::<photoroll_store::StoreError>(),
                    Some(
                        photoroll_store::StoreError::UnknownImport(_)
                            | photoroll_store::StoreError::UnknownSchool(_)
                            | photoroll_store::StoreError::ImportHasPhotos(_)
                            | photoroll_store::StoreError::BadBackup(_)
                            | photoroll_store::StoreError::BadSession(_)
                            | photoroll_store::StoreError::BadStationFile(_)
                            | photoroll_store::StoreError::RestoreTargetNotEmpty(_)
                    )
                );
            eprintln!("错误: {e:#}");
            ExitCode::from(if refused { 2 } else { 1 })
        }
    }
}

fn data_dir(cli: &Option<PathBuf>) -> Result<PathBuf> {
    match cli {
        Some(d) => Ok(d.clone()),
        None => Ok(photoroll_store::default_data_dir()?),
    }
}

async fn open(dir: &Path) -> Result<Store> {
    Store::open(dir)
        .await
        .with_context(|| format!("打开数据目录 {}", dir.display()))
}

fn parse_school(code: &str) -> Result<SchoolCode> {
    SchoolCode::parse(code).or_else(|e| refuse(e.to_string()))
}

fn parse_category(c: &str) -> Result<EducationCategory> {
    EducationCategory::parse(c).map_or_else(|| refuse(format!("未知的学历类别 “{c}”")), Ok)
}

fn filter_from(args: &FilterArgs) -> Result<StudentFilter> {
    Ok(StudentFilter {
        school: args
            .school
            .as_deref()
            .map(parse_school)
            .transpose()?
            .map(|s| s.to_string()),
        state: match &args.state {
            Some(s) => Some(
                CollectionState::parse(s)
                    .map_or_else(|| refuse(format!("未知的采集状态 “{s}”")), Ok)?,
            ),
            None => None,
        },
        category: args.category.as_deref().map(parse_category).transpose()?,
        department: args.department.clone(),
        class_name: args.class_name.clone(),
        search: args.search.clone(),
    })
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}

async fn print_progress_summary(store: &Store) -> Result<()> {
    let counts = store.progress(&StudentFilter::default()).await?;
    println!("采集进度 (全部 {} 人)", counts.total);
    for s in CollectionState::ALL {
        println!(
            "  {:<22} {:>6}",
            format!("{} {}", s.display_name(), s.id()),
            counts.get(s)
        );
    }
    Ok(())
}

async fn run(cli: Cli) -> Result<()> {
    let dir = data_dir(&cli.data_dir)?;
    match cli.command {
        Command::Demo => {
            let store = open(&dir).await?;
            match photoroll_demo::load_demo(&store, &JobControl::new()).await? {
                Some(r) => println!(
                    "已载入演示数据：{}（{}），名单 {} 行，成功 {}，失败 {}。数据目录：{}",
                    photoroll_demo::DEMO_SCHOOL_NAME,
                    photoroll_demo::DEMO_SCHOOL_CODE,
                    r.total,
                    r.imported,
                    r.failed,
                    dir.display()
                ),
                None => println!("演示数据已存在。数据目录：{}", dir.display()),
            }
            print_progress_summary(&store).await
        }
        Command::School(SchoolCmd::Add { code, name }) => {
            let code = parse_school(&code)?;
            let name = photoroll_core::text::normalize_cell(&name);
            if name.is_empty() {
                return refuse("院校名称不能为空");
            }
            let store = open(&dir).await?;
            store
                .upsert_school(
                    &School {
                        code: code.clone(),
                        name: name.clone(),
                    },
                    false,
                )
                .await?;
            println!("已添加院校 {name}（{code}）");
            Ok(())
        }
        Command::School(SchoolCmd::List) => {
            let store = open(&dir).await?;
            for s in store.schools().await? {
                println!("{}\t{}", s.code, s.name);
            }
            Ok(())
        }
        Command::Roster(cmd) => roster(&dir, cmd).await,
        Command::Progress {
            filter,
            json,
            limit,
        } => {
            let store = open(&dir).await?;
            let f = filter_from(&filter)?;
            if json && f.state.is_none() && filter.search.is_none() {
                return print_json(&store.progress(&f).await?);
            }
            let rows = store.students(&f, limit, 0).await?;
            let total = store.count_students(&f).await?;
            if json {
                return print_json(&serde_json::json!({ "total": total, "students": rows }));
            }
            for s in &rows {
                let state = CollectionState::parse(&s.state)
                    .map_or(s.state.as_str(), |st| st.display_name());
                let category = EducationCategory::parse(&s.category)
                    .map_or(s.category.as_str(), |c| c.display_name());
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    s.name,
                    s.id_masked.as_deref().unwrap_or("-"),
                    s.collection_code.as_deref().unwrap_or("-"),
                    s.class_name.as_deref().unwrap_or("-"),
                    state,
                    category
                );
            }
            println!(
                "共 {total} 人{}",
                if total > rows.len() as i64 {
                    format!("，显示前 {} 人", rows.len())
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        Command::Export(ExportCmd::Xlsx {
            output,
            name,
            filter,
        }) => {
            let store = open(&dir).await?;
            let f = filter_from(&filter)?;
            let name = name.unwrap_or_else(|| {
                output
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            let rec =
                photoroll_roster::export_students(&store, &f, &output, &name, &JobControl::new())
                    .await?;
            println!("已导出 {} 人到 {}", rec.rows, rec.path);
            Ok(())
        }
        Command::Export(ExportCmd::History { json }) => {
            let store = open(&dir).await?;
            let exports = store.exports().await?;
            if json {
                return print_json(&exports);
            }
            for e in exports {
                println!("{}\t{}\t{} 人\t{}", e.created_at, e.name, e.rows, e.path);
            }
            Ok(())
        }
        Command::Backup { output } => {
            let store = open(&dir).await?;
            let n = photoroll_store::backup_to(&store, &output, &JobControl::new()).await?;
            println!("已备份数据库和 {n} 张照片到 {}", output.display());
            Ok(())
        }
        Command::Restore { file } => {
            let n = photoroll_store::restore_from(&file, &dir, &JobControl::new())?;
            // Opening checks the restored database and brings its schema up to date.
            open(&dir).await?.close().await;
            println!("已恢复数据库和 {n} 张照片到 {}", dir.display());
            Ok(())
        }
        Command::Photo(cmd) => photo::run(cmd),
        Command::Qr(cmd) => qr::run(cmd),
        Command::Session(cmd) => session(&dir, cmd).await,
        Command::Station(cmd) => station(&dir, cmd).await,
        Command::Bench(cmd) => bench::run(cmd).await,
    }
}

async fn station(dir: &Path, cmd: StationCmd) -> Result<()> {
    let store = open(dir).await?;
    match cmd {
        StationCmd::ExportPack { session, output } => {
            let sessions = store.sessions().await?;
            let matching: Vec<_> = sessions
                .iter()
                .filter(|s| s.id == session || s.feature_code == session)
                .collect();
            let id = match matching.as_slice() {
                [one] => one.id.clone(),
                [] => return refuse(format!("找不到采集场次 {session}")),
                _ => return refuse(format!("特征码 {session} 对应多个场次：请用场次 id")),
            };
            let n = store.export_pack(&id, &output).await?;
            println!("已导出采集包：{n} 名学生 → {}", output.display());
        }
        StationCmd::ImportPack { file } => {
            let n = store.import_pack(&file).await?;
            println!("已导入采集包：新增 {n} 名学生");
        }
        StationCmd::ExportCaptures { output } => {
            let n = store
                .export_captures(&output, &photoroll_core::JobControl::new())
                .await?;
            println!("已导出 {n} 次采集 → {}", output.display());
        }
        StationCmd::ImportCaptures { file } => {
            let result = store
                .import_captures(&file, &photoroll_core::JobControl::new())
                .await?;
            println!("已导入 {} 次新的采集", result.added);
            for s in &result.skipped {
                println!(
                    "未导入采集 {}（学生 {}）：{}",
                    s.capture_id, s.student_id, s.reason
                );
            }
        }
    }
    Ok(())
}

async fn session(dir: &Path, cmd: SessionCmd) -> Result<()> {
    let store = open(dir).await?;
    match cmd {
        SessionCmd::Create {
            name,
            school,
            category,
            department,
            class_name,
            json,
        } => {
            let school_code = match school {
                Some(s) => parse_school(&s)?.as_str().to_string(),
                None => {
                    let schools = store.schools().await?;
                    match schools.as_slice() {
                        [one] => one.code.as_str().to_string(),
                        [] => return refuse("还没有院校：请先导入名单或用 `photoroll school add`"),
                        _ => return refuse("数据目录中有多所院校：请用 --school 指定"),
                    }
                }
            };
            let session = store
                .create_session(&photoroll_store::NewSession {
                    school_code,
                    name,
                    category: category.as_deref().map(parse_category).transpose()?,
                    department,
                    class_name,
                })
                .await?;
            if json {
                return print_json(&session);
            }
            println!(
                "已创建采集场次「{}」：特征码 {}，{} 名学生",
                session.name, session.feature_code, session.students
            );
            Ok(())
        }
        SessionCmd::List { json } => {
            let sessions = store.sessions().await?;
            if json {
                return print_json(&sessions);
            }
            for s in sessions {
                println!(
                    "{}  特征码 {}  {} 名学生  {}",
                    s.name, s.feature_code, s.students, s.created_at
                );
            }
            Ok(())
        }
    }
}

async fn roster(dir: &Path, cmd: RosterCmd) -> Result<()> {
    match cmd {
        RosterCmd::Template { output } => {
            photoroll_roster::write_template(&output)
                .with_context(|| format!("写入 {}", output.display()))?;
            println!("已生成名单模板 {}", output.display());
            Ok(())
        }
        RosterCmd::Sample { output, rows, seed } => {
            photoroll_demo::write_demo_workbook(&output, rows, seed)
                .with_context(|| format!("写入 {}", output.display()))?;
            println!("已生成示例名单 {}（{rows} 行）", output.display());
            Ok(())
        }
        RosterCmd::Import {
            file,
            school,
            category,
            json,
        } => {
            let school = parse_school(&school)?;
            let category = category.as_deref().map(parse_category).transpose()?;
            let store = open(dir).await?;
            let opts = ImportOptions {
                school,
                category,
                limits: Limits::default(),
                rules: photoroll_roster::rules_for_today(),
            };
            let report =
                photoroll_roster::import_workbook(&store, &file, &opts, &JobControl::new()).await?;
            if json {
                return print_json(&serde_json::json!({
                    "import_id": report.import_id,
                    "total": report.total,
                    "imported": report.imported,
                    "failed": report.failed,
                    "failures": report.failures.iter().map(|f| serde_json::json!({
                        "row": f.row, "code": f.code.id(), "message": f.message
                    })).collect::<Vec<_>>(),
                }));
            }
            println!(
                "导入完成：{}（工作表“{}”）总上传 {} 条，成功 {} 条，失败 {} 条。导入编号 {}",
                report.file_name,
                report.sheet_name,
                report.total,
                report.imported,
                report.failed,
                report.import_id
            );
            for f in &report.failures {
                println!("  第{}行\t{}\t{}", f.row, f.code.id(), f.message);
            }
            Ok(())
        }
        RosterCmd::Imports { json } => {
            let store = open(dir).await?;
            let imports = store.imports().await?;
            if json {
                return print_json(&imports);
            }
            for i in imports {
                let category = i
                    .category
                    .as_deref()
                    .and_then(EducationCategory::parse)
                    .map_or("-", |c| c.display_name());
                println!(
                    "{}\t{}\t{}\t{}\t{}\t总上传 {} 成功 {} 失败 {}",
                    i.id,
                    i.imported_at,
                    i.school_code,
                    i.file_name,
                    category,
                    i.total,
                    i.imported,
                    i.failed
                );
            }
            Ok(())
        }
        RosterCmd::Show { import_id, json } => {
            let store = open(dir).await?;
            let rows = store.import_students(&import_id).await?;
            if json {
                return print_json(&rows);
            }
            for s in rows {
                println!(
                    "{}\t{}\t{}\t{}",
                    s.name,
                    s.id_masked.as_deref().unwrap_or("-"),
                    s.collection_code.as_deref().unwrap_or("-"),
                    s.state
                );
            }
            Ok(())
        }
        RosterCmd::Delete { import_id } => {
            let store = open(dir).await?;
            let n = store.delete_import(&import_id).await?;
            println!("已删除名单 {import_id}（{n} 名学生）");
            Ok(())
        }
        RosterCmd::Failures { import_id, output } => {
            let store = open(dir).await?;
            let (headers, failures) = store.import_failures(&import_id).await?;
            photoroll_roster::write_failures(&output, &headers, &failures)?;
            println!("已导出 {} 个失败行到 {}", failures.len(), output.display());
            Ok(())
        }
    }
}
