//! `photoroll photo standardize|check`: the standard photo from the command line.

use anyhow::{Context, Result};
use clap::Subcommand;
use photoroll_imaging::spec::{PhotoSpec, parse_background};
use photoroll_imaging::{CheckReport, Report, Standardizer};
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
}

pub fn run(cmd: PhotoCmd) -> Result<()> {
    match cmd {
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
