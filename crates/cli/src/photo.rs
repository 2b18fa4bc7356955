//! `photoroll photo standardize|check|import`: the standard photo from the command line, and
//! photos from elsewhere (照片导入).

use anyhow::{Context, Result};
use clap::Subcommand;
use photoroll_core::JobControl;
use photoroll_imaging::spec::{PhotoSpec, parse_background};
use photoroll_imaging::{CheckReport, Report, Standardizer};
use photoroll_workflows as workflows;
use photoroll_workflows::photo_import::{NameBy, PhotoImportOptions};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum PhotoCmd {
    /// Turn a capture (JPEG or PNG) into the standard 480×640 photo and report the checks.
    /// Exit 0 when a photo was written (even with failed checks), 2 when none could be made.
    Standardize {
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        /// blue (default), white, grey, or #RRGGBB.
        #[arg(long, default_value = "blue")]
        background: String,
        /// Keep the capture's own wall (no background replacement).
        #[arg(long)]
        keep_background: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check an existing standard photo against the spec: size, dpi, format, file size, and the
    /// face's position (found again). Exit 0 when every check passes, 2 otherwise.
    Check {
        input: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// 照片导入: a folder or a zip of JPEG/PNG photos named `<采集码>.jpg` (or by ID number with
    /// `--name-by id`), each standardized, checked and saved like a station capture; the
    /// student moves to submitted. Exit 0 when the batch was processed (failed files are in the
    /// report), 2 when PATH or the school is refused (nothing stored).
    Import {
        path: PathBuf,
        #[arg(long)]
        school: String,
        /// What the files are named after: code (采集码, default) or id (证件号).
        #[arg(long, default_value = "code", value_parser = ["code", "id"])]
        name_by: String,
        /// Report files whose checks fail (checks_failed) instead of importing them.
        #[arg(long)]
        only_passing: bool,
        /// Print the report as JSON: {"total","imported","failed":[{"file","code","message"}]}.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(dir: &Path, cmd: PhotoCmd) -> Result<()> {
    match cmd {
        PhotoCmd::Import {
            path,
            school,
            name_by,
            only_passing,
            json,
        } => import(dir, &path, school, &name_by, only_passing, json).await,
        PhotoCmd::Standardize {
            input,
            output,
            background,
            keep_background,
            json,
        } => {
            let spec = PhotoSpec {
                background: parse_background(&background)
                    .or_else(|e| crate::refuse(e.to_string()))?,
                replace_background: !keep_background,
                ..PhotoSpec::default()
            };
            let standardizer = Standardizer::new(spec)?;
            let bytes = read_input(&input)?;
            let mut result = standardizer.standardize(&bytes);
            if let Some(jpeg) = &result.jpeg {
                write_atomically(&output, jpeg)?;
                result.report.output = Some(output.display().to_string());
            }
            print_standardize(&result.report, json)?;
            if result.jpeg.is_none() {
                return crate::refuse(
                    result
                        .report
                        .error
                        .clone()
                        .unwrap_or_else(|| "无法生成标准照".into()),
                );
            }
            Ok(())
        }
        PhotoCmd::Check { input, json } => {
            let standardizer = Standardizer::new(PhotoSpec::default())?;
            let bytes = read_input(&input)?;
            let report = standardizer.check_photo(&bytes);
            print_check(&report, json)?;
            if !report.passed() {
                return crate::refuse("照片不符合规格");
            }
            Ok(())
        }
    }
}

async fn import(
    dir: &Path,
    path: &Path,
    school: String,
    name_by: &str,
    only_passing: bool,
    json: bool,
) -> Result<()> {
    let options = PhotoImportOptions {
        school,
        name_by: NameBy::parse(name_by)?,
        only_passing,
    };
    workflows::maintenance::parse_school(&options.school)?;
    let store = crate::open(dir).await?;
    let desk = workflows::CaptureDesk::default();
    let show = !json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let job = JobControl::new().with_progress(move |done, total| {
        if show {
            eprint!("\r已处理 {done}/{total}");
        }
    });
    let report =
        workflows::photo_import::import_photos(&store, &desk, path, &options, &job).await?;
    if show {
        eprintln!();
    }
    if json {
        return crate::print_json(&report);
    }
    println!(
        "照片导入完成：{} 共 {} 个文件，导入 {} 张，失败 {} 个",
        path.display(),
        report.total,
        report.imported,
        report.failed.len()
    );
    for f in &report.failed {
        println!("  {}\t{}\t{}", f.file, f.code.id(), f.message);
    }
    Ok(())
}

fn read_input(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).with_context(|| format!("读取 {}", path.display()))?;
    // Refuse before reading a file that could not be a capture (the decoder refuses it too).
    if meta.len() > photoroll_imaging::decode::DecodeLimits::default().max_bytes as u64 {
        return crate::refuse(format!("{} 过大（{} 字节）", path.display(), meta.len()));
    }
    std::fs::read(path).with_context(|| format!("读取 {}", path.display()))
}

/// Temp file in the same folder, then rename: a crash never leaves half a photo.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).with_context(|| format!("写入 {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("写入 {}", path.display()))?;
    Ok(())
}

fn print_standardize(report: &Report, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    match (&report.output, &report.encoding) {
        (Some(out), Some(e)) => println!(
            "已生成 {out}（{}×{}，{} KB，质量 {}）",
            e.width,
            e.height,
            e.bytes / 1024,
            e.quality
        ),
        _ => println!("未生成照片"),
    }
    if let Some(err) = &report.error {
        println!("错误：{err}");
    }
    print_checks(&report.checks);
    println!("  用时 {} ms", report.timings_ms.total);
    Ok(())
}

fn print_check(report: &CheckReport, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    if let Some(err) = &report.error {
        println!("错误：{err}");
    }
    print_checks(&report.checks);
    println!(
        "{}",
        if report.passed() {
            "符合规格"
        } else {
            "不符合规格"
        }
    );
    Ok(())
}

fn print_checks(checks: &[photoroll_imaging::checks::Check]) {
    for c in checks {
        println!(
            "  {} {:<16} {:>8}  {}  {}",
            if c.passed { "✓" } else { "✗" },
            c.code.as_str(),
            c.score,
            c.limit,
            if c.passed { "" } else { &c.message }
        );
    }
}
