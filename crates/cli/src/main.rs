//! `photoroll`: the same operations as the window, headless, for automation, tests and benchmarks.
//!
//! Exit status: 0 done; 2 refused (bad input, unknown school, a file that is not a roster…);
//! 1 something failed on this machine.

mod bench;
mod bench_compare;
mod bench_compare_run;
mod bench_deliverables;
mod bench_photo;
mod bench_photo_import;
mod bench_preview;
mod bench_qr;
mod bench_review;
mod compare;
mod contract;
mod delivery;
mod photo;
mod print;
mod qr;
mod review;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use photoroll_core::{CollectionState, EducationCategory, JobControl};
use photoroll_store::{Store, StudentFilter};
use photoroll_workflows as workflows;
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
    /// Remove photos no record points at any more (the app does this at start-up).
    Gc {
        /// Keep unreferenced photos younger than this many minutes (a save in flight elsewhere).
        #[arg(long, default_value_t = 60)]
        grace_minutes: u64,
        #[arg(long)]
        json: bool,
    },
    /// Save a photo from a file for a student of a session, as a station does: identify,
    /// standardize and check, then save with the photographer's name.
    Capture {
        photo: PathBuf,
        /// The session's id or feature code.
        #[arg(long)]
        session: String,
        /// The student: a collection code, or the ID's last four within the session.
        #[arg(long)]
        student: String,
        /// Who took the photo (recorded on the capture and its state change).
        #[arg(long, env = "PHOTOROLL_PHOTOGRAPHER")]
        photographer: String,
        /// A failed check accepted with a reason: CODE=REASON (repeatable).
        #[arg(long = "override", value_name = "CODE=REASON")]
        overrides: Vec<String>,
        /// The student has a photo awaiting review: replace it.
        #[arg(long)]
        retake: bool,
        #[arg(long)]
        json: bool,
    },
    /// The standard photo: standardize a capture, check a finished photo.
    #[command(subcommand)]
    Photo(photo::PhotoCmd),
    /// Capture sessions (采集场次): the students a centralized session covers and its feature code.
    #[command(subcommand)]
    Session(SessionCmd),
    /// Station packs: a session's students out to a capture station, its captures back.
    #[command(subcommand)]
    Station(StationCmd),
    /// Review (审核): the queue, approve, reject, withdraw, final confirmation, reasons.
    #[command(subcommand)]
    Review(review::ReviewCmd),
    /// One student's record and history.
    #[command(subcommand)]
    Student(review::StudentCmd),
    /// Portrait comparison (人像比对): admission photos, comparison runs and results, two photos.
    #[command(subcommand)]
    Compare(compare::CompareCmd),
    /// 上网结果: the channel's results back into the students' states.
    #[command(subcommand)]
    Delivery(delivery::DeliveryCmd),
    /// 照片制作: the address book, print orders, extra sets, print sheets.
    #[command(subcommand)]
    Print(print::PrintCmd),
    /// 委托采集: contracts per school and category.
    #[command(subcommand)]
    Contract(contract::ContractCmd),
    /// 委托书: generate the PDF, upload the signed scan.
    #[command(subcommand)]
    Mandate(contract::MandateCmd),
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
    /// A school's settings: final confirmation (最终确认) and its deadline in days; portrait
    /// comparison's interception (开启拦截上网), thresholds and admission photo limit.
    Set {
        code: String,
        #[arg(long, value_parser = ["on", "off"])]
        final_confirmation: Option<String>,
        #[arg(long)]
        confirm_days: Option<i64>,
        /// different and possibly_same move a completed student to intercepted.
        #[arg(long, value_parser = ["on", "off"])]
        intercept: Option<String>,
        /// The similarity at or above which a comparison is same (同一人).
        #[arg(long)]
        same_threshold: Option<f32>,
        /// The similarity at or above which (below the same threshold) it is possibly_same.
        #[arg(long)]
        possibly_same_threshold: Option<f32>,
        /// The largest admission photo accepted, in KB (manual: 100).
        #[arg(long)]
        admission_max_kb: Option<u64>,
    },
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
    #[command(flatten)]
    Package(delivery::PackageCmd),
    /// Past exports, newest first (id, time, name, rows, file).
    History {
        #[arg(long)]
        json: bool,
    },
    /// Run a past export again: its filter over the students as they are now, to a new file.
    Again {
        /// The export's id, as `export history` shows it.
        id: String,
        #[arg(short, long)]
        output: PathBuf,
        /// The new export's name in the history (default: the file name).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Args, Debug, Clone, Default)]
pub(crate) struct FilterArgs {
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
                || e.downcast_ref::<workflows::WorkflowError>()
                    .is_some_and(|e| e.is_refusal())
                || e.downcast_ref::<photoroll_store::StoreError>()
                    .is_some_and(workflows::store_refusal);
            eprintln!("错误: {e:#}");
            ExitCode::from(if refused { 2 } else { 1 })
        }
    }
}

async fn open(dir: &Path) -> Result<Store> {
    workflows::maintenance::open_store(dir)
        .await
        .with_context(|| format!("打开数据目录 {}", dir.display()))
}

fn parse_category(c: &str) -> Result<EducationCategory> {
    Ok(workflows::roster::parse_category(c)?)
}

fn filter_from(args: &FilterArgs) -> Result<StudentFilter> {
    Ok(StudentFilter {
        school: args
            .school
            .as_deref()
            .map(workflows::maintenance::parse_school)
            .transpose()?
            .map(|s| s.to_string()),
        state: args
            .state
            .as_deref()
            .map(workflows::roster::parse_state)
            .transpose()?,
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
    let dir = workflows::maintenance::data_dir(cli.data_dir)?;
    match cli.command {
        Command::Demo => {
            let store = open(&dir).await?;
            match workflows::maintenance::load_demo(&store).await? {
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
            let store = open(&dir).await?;
            let school = workflows::maintenance::add_school(&store, &code, &name).await?;
            println!("已添加院校 {}（{}）", school.name, school.code);
            Ok(())
        }
        Command::School(SchoolCmd::List) => {
            let store = open(&dir).await?;
            for s in store.schools().await? {
                println!("{}\t{}", s.code, s.name);
            }
            Ok(())
        }
        Command::School(SchoolCmd::Set {
            code,
            final_confirmation,
            confirm_days,
            intercept,
            same_threshold,
            possibly_same_threshold,
            admission_max_kb,
        }) => {
            let store = open(&dir).await?;
            let settings = workflows::review::set_school(
                &store,
                &code,
                final_confirmation.map(|v| v == "on"),
                confirm_days,
            )
            .await?;
            let change = workflows::compare::SettingsChange {
                intercept: intercept.map(|v| v == "on"),
                same: same_threshold,
                possibly_same: possibly_same_threshold,
                admission_max_bytes: admission_max_kb.map(|kb| kb.saturating_mul(1024)),
            };
            let compare = if change == workflows::compare::SettingsChange::default() {
                workflows::compare::settings(&store, &code).await?
            } else {
                workflows::compare::set_settings(&store, &code, &change).await?
            };
            let on_off = |on: bool| if on { "开" } else { "关" };
            println!(
                "{code}：最终确认 {}，自动确认期限 {} 天；拦截上网 {}，同一人 ≥ {}，可能同一人 ≥ {}，录取照片上限 {} KB",
                on_off(settings.final_confirmation),
                settings.confirm_days,
                on_off(compare.intercept),
                compare.thresholds.same,
                compare.thresholds.possibly_same,
                compare.admission_max_bytes / 1024
            );
            Ok(())
        }
        Command::Review(cmd) => review::run(&dir, cmd).await,
        Command::Student(cmd) => review::student(&dir, cmd).await,
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
            let rec = workflows::roster::export_students(
                &store,
                &f,
                &output,
                name.as_deref(),
                &JobControl::new(),
            )
            .await?;
            println!("已导出 {} 人到 {}", rec.rows, rec.path);
            Ok(())
        }
        Command::Export(ExportCmd::Package(cmd)) => delivery::package(&dir, cmd).await,
        Command::Delivery(cmd) => delivery::run(&dir, cmd).await,
        Command::Print(cmd) => print::run(&dir, cmd).await,
        Command::Contract(cmd) => contract::contract(&dir, cmd).await,
        Command::Mandate(cmd) => contract::mandate(&dir, cmd).await,
        Command::Export(ExportCmd::History { json }) => {
            let store = open(&dir).await?;
            let exports = store.exports().await?;
            if json {
                return print_json(&exports);
            }
            for e in exports {
                println!(
                    "{}\t{}\t{}\t{} 人\t{}",
                    e.id, e.created_at, e.name, e.rows, e.path
                );
            }
            Ok(())
        }
        Command::Export(ExportCmd::Again { id, output, name }) => {
            let store = open(&dir).await?;
            let rec = workflows::roster::rerun_export(
                &store,
                &id,
                &output,
                name.as_deref(),
                &JobControl::new(),
            )
            .await?;
            println!("已按原筛选条件导出 {} 人到 {}", rec.rows, rec.path);
            Ok(())
        }
        Command::Backup { output } => {
            let store = open(&dir).await?;
            let n = workflows::maintenance::backup(&store, &output, &JobControl::new()).await?;
            println!("已备份数据库和 {n} 张照片到 {}", output.display());
            Ok(())
        }
        Command::Restore { file } => {
            let n = workflows::maintenance::restore(&file, &dir, &JobControl::new()).await?;
            println!("已恢复数据库和 {n} 张照片到 {}", dir.display());
            Ok(())
        }
        Command::Gc {
            grace_minutes,
            json,
        } => {
            let store = open(&dir).await?;
            let grace = std::time::Duration::from_secs(grace_minutes.saturating_mul(60));
            let report = workflows::maintenance::collect_garbage(&store, grace).await?;
            if json {
                return print_json(&report);
            }
            println!(
                "已删除 {} 张无记录引用的照片（{} 字节），保留 {} 张近期写入的",
                report.removed, report.bytes, report.too_young
            );
            Ok(())
        }
        Command::Capture {
            photo,
            session,
            student,
            photographer,
            overrides,
            retake,
            json,
        } => {
            let overrides = overrides
                .iter()
                .map(|o| match o.split_once('=') {
                    Some((code, reason)) => Ok(photoroll_core::CheckOverride {
                        code: code.trim().to_string(),
                        reason: reason.trim().to_string(),
                    }),
                    None => refuse(format!("--override 应为 检查代码=原因，收到 “{o}”")),
                })
                .collect::<Result<Vec<_>>>()?;
            let bytes =
                std::fs::read(&photo).with_context(|| format!("读取 {}", photo.display()))?;
            let store = open(&dir).await?;
            let desk = workflows::CaptureDesk::default();
            let agreement = workflows::Agreement {
                student_id: "",
                session_id: Some(&session),
                overrides,
                retake,
                photographer: &photographer,
            };
            let (view, saved) =
                workflows::capture::capture_file(&store, &desk, &student, bytes, agreement).await?;
            if json {
                return print_json(&serde_json::json!({ "capture": view, "saved": saved }));
            }
            println!(
                "已保存 {}（{}）的照片{}",
                saved.student.name_masked,
                saved.student.state.display_name(),
                if saved.became_photo {
                    ""
                } else {
                    "：已有更新的照片，本张仅存入历史"
                }
            );
            Ok(())
        }
        Command::Photo(cmd) => photo::run(&dir, cmd).await,
        Command::Qr(cmd) => qr::run(cmd),
        Command::Compare(cmd) => compare::run(&dir, cmd).await,
        Command::Session(cmd) => session(&dir, cmd).await,
        Command::Station(cmd) => station(&dir, cmd).await,
        Command::Bench(cmd) => bench::run(cmd).await,
    }
}

async fn station(dir: &Path, cmd: StationCmd) -> Result<()> {
    let store = open(dir).await?;
    match cmd {
        StationCmd::ExportPack { session, output } => {
            let n = workflows::station_files::export_pack(&store, &session, &output).await?;
            println!("已导出采集包：{n} 名学生 → {}", output.display());
        }
        StationCmd::ImportPack { file } => {
            let n = workflows::station_files::import_pack(&store, &file).await?;
            println!("已导入采集包：新增 {n} 名学生");
        }
        StationCmd::ExportCaptures { output } => {
            let n = workflows::station_files::export_captures(&store, &output, &JobControl::new())
                .await?;
            println!("已导出 {n} 次采集 → {}", output.display());
        }
        StationCmd::ImportCaptures { file } => {
            let result =
                workflows::station_files::import_captures(&store, &file, &JobControl::new())
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
            let session = workflows::sessions::create_session(
                &store,
                &workflows::SessionRequest {
                    school,
                    name,
                    category: category.as_deref().map(parse_category).transpose()?,
                    department,
                    class_name,
                },
            )
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
            workflows::roster::write_template(&output)?;
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
            workflows::maintenance::parse_school(&school)?;
            let category = category.as_deref().map(parse_category).transpose()?;
            let store = open(dir).await?;
            let report = workflows::roster::import_roster(
                &store,
                &file,
                &school,
                category,
                &JobControl::new(),
            )
            .await?;
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
            let n = workflows::roster::export_failures(&store, &import_id, &output).await?;
            println!("已导出 {n} 个失败行到 {}", output.display());
            Ok(())
        }
    }
}
