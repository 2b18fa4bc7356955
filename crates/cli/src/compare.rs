//! `photoroll compare …`: 人像比对. Admission photos in, comparison runs, their results, and the
//! comparison of two photos, each through `photoroll_workflows::{admission, compare}`. The JSON
//! shapes printed here are contracts.

use crate::{FilterArgs, filter_from, open, print_json};
use anyhow::{Context, Result};
use clap::Subcommand;
use photoroll_core::JobControl;
use photoroll_core::compare::Outcome;
use photoroll_core::compare::{
    CompareThresholds, DEFAULT_POSSIBLY_SAME_THRESHOLD, DEFAULT_SAME_THRESHOLD,
};
use photoroll_store::ComparisonFilter;
use photoroll_workflows as workflows;
use photoroll_workflows::admission::AdmissionImportOptions;
use photoroll_workflows::compare::{PairOutcome, compare_pair};
use photoroll_workflows::photo_import::NameBy;
use std::path::Path;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum CompareCmd {
    /// Compare the faces of two photos (JPEG or PNG): the cosine similarity of their SFace
    /// embeddings and the verdict, same (同一人), possibly_same (可能同一人) or different
    /// (非同一人). Exit 2 when either photo has no face or cannot be read (the message says
    /// which).
    Pair {
        first: PathBuf,
        second: PathBuf,
        /// Print `{"score", "verdict"}`.
        #[arg(long)]
        json: bool,
        /// A score at or above this is same.
        #[arg(long, default_value_t = DEFAULT_SAME_THRESHOLD)]
        same: f32,
        /// A score at or above this (below --same) is possibly_same.
        #[arg(long, default_value_t = DEFAULT_POSSIBLY_SAME_THRESHOLD)]
        possibly_same: f32,
    },
    /// 录取照片: a zip or a folder of JPEGs named by ID number (`<证件号>.jpg`, the manual's
    /// way) or by collection code (`--name-by code`), each under the school's limit (100 KB
    /// unless `school set --admission-max-kb`). A newer photo replaces the older (kept in the
    /// history). Exit 0 when the batch was processed (failed entries are in the report), 2 when
    /// PATH or the school is refused (nothing stored).
    ImportAdmission {
        path: PathBuf,
        #[arg(long)]
        school: String,
        #[arg(long, default_value = "id", value_parser = ["id", "code"])]
        name_by: String,
        /// Print {"total","imported","failed":[{"entry","code","message"}]}.
        #[arg(long)]
        json: bool,
    },
    /// One admission photo for the student holding a collection code.
    Admission { code: String, file: PathBuf },
    /// Compare the completed students under the filters that have an admission photo (人证比对
    /// first when PHOTOROLL_ID_CHECK_URL is set). With the school's interception on,
    /// different and possibly_same move the student to intercepted.
    Run {
        #[command(flatten)]
        filter: FilterArgs,
        /// Only students whose current photos were not compared yet.
        #[arg(long)]
        only_new: bool,
        /// Print {"compared","same","possibly_same","different","no_admission_photo","no_face","intercepted"}.
        #[arg(long)]
        json: bool,
    },
    /// Each student's latest result, doubtful ones first.
    Results {
        #[command(flatten)]
        filter: FilterArgs,
        /// same, possibly_same, different, no_face, id_mismatch or id_not_found.
        #[arg(long)]
        outcome: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn progress_job(json: bool, what: &'static str) -> (JobControl, bool) {
    let show = !json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let job = JobControl::new().with_progress(move |done, total| {
        if show {
            eprint!("\r{what} {done}/{total}");
        }
    });
    (job, show)
}

async fn import_admission(
    dir: &Path,
    path: &Path,
    school: String,
    name_by: &str,
    json: bool,
) -> Result<()> {
    let options = AdmissionImportOptions {
        school,
        name_by: NameBy::parse(name_by)?,
    };
    workflows::maintenance::parse_school(&options.school)?;
    let store = open(dir).await?;
    let (job, show) = progress_job(json, "已处理");
    let report =
        workflows::admission::import_admission_photos(&store, path, &options, &job).await?;
    if show {
        eprintln!();
    }
    if json {
        return print_json(&report);
    }
    println!(
        "录取照片导入完成：共 {} 个文件，导入 {} 张，失败 {} 个",
        report.total,
        report.imported,
        report.failed.len()
    );
    for f in &report.failed {
        let code = serde_json::to_value(f.code)?;
        println!(
            "  {}\t{}\t{}",
            f.entry,
            code.as_str().unwrap_or(""),
            f.message
        );
    }
    Ok(())
}

pub async fn run(dir: &Path, cmd: CompareCmd) -> Result<()> {
    match cmd {
        CompareCmd::ImportAdmission {
            path,
            school,
            name_by,
            json,
        } => import_admission(dir, &path, school, &name_by, json).await,
        CompareCmd::Admission { code, file } => {
            let meta =
                std::fs::metadata(&file).with_context(|| format!("读取 {}", file.display()))?;
            if meta.len() > *photoroll_core::compare::ADMISSION_MAX_BYTES_RANGE.end() {
                return crate::refuse(format!("{} 过大（{} 字节）", file.display(), meta.len()));
            }
            let bytes = std::fs::read(&file).with_context(|| format!("读取 {}", file.display()))?;
            let store = open(dir).await?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let set =
                workflows::admission::set_admission_photo(&store, &code, &name, &bytes).await?;
            println!(
                "{code}：录取照片{}",
                match set {
                    photoroll_store::AdmissionSet::Added => "已导入",
                    photoroll_store::AdmissionSet::Replaced => "已替换（旧照片保留在历史中）",
                    photoroll_store::AdmissionSet::Unchanged => "与现有的相同，未改动",
                }
            );
            Ok(())
        }
        CompareCmd::Run {
            filter,
            only_new,
            json,
        } => {
            let options = workflows::compare::RunOptions {
                students: filter_from(&filter)?,
                only_new,
            };
            let verifier =
                photoroll_idcheck::from_env_verifier().or_else(|e| crate::refuse(e.to_string()))?;
            let store = open(dir).await?;
            let (job, show) = progress_job(json, "比对");
            let report =
                workflows::compare::run(&store, &options, verifier.as_deref(), &job).await?;
            if show {
                eprintln!();
            }
            if json {
                return print_json(&report);
            }
            println!(
                "比对 {} 人：同一人 {}，可能同一人 {}，非同一人 {}，未检测到人脸 {}；无录取照片 {} 人；拦截 {} 人",
                report.compared,
                report.same,
                report.possibly_same,
                report.different,
                report.no_face,
                report.no_admission_photo,
                report.intercepted
            );
            if let Some(c) = &report.id_check {
                println!(
                    "人证比对：一致 {}，不一致 {}，库中无此证件号 {}，未能查询 {}{}",
                    c.matched,
                    c.mismatched,
                    c.not_found,
                    c.errors,
                    c.first_error
                        .as_deref()
                        .map(|e| format!("（{e}）"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        CompareCmd::Results {
            filter,
            outcome,
            json,
        } => {
            let outcome = match outcome.as_deref() {
                None => None,
                Some(raw) => match Outcome::parse(raw.trim()) {
                    Some(o) => Some(o),
                    None => {
                        return crate::refuse(format!(
                            "--outcome 只能是 same、possibly_same、different、no_face、id_mismatch 或 id_not_found，收到 “{raw}”"
                        ));
                    }
                },
            };
            let store = open(dir).await?;
            let rows = workflows::compare::results(
                &store,
                &ComparisonFilter {
                    students: filter_from(&filter)?,
                    outcome,
                },
            )
            .await?;
            if json {
                return print_json(&rows);
            }
            println!("比对结果：{} 人", rows.len());
            for r in &rows {
                println!(
                    "  {}\t{}\t{}\t{}\t{}{}",
                    r.collection_code.as_deref().unwrap_or("-"),
                    r.name_masked,
                    r.outcome.display_name(),
                    r.score
                        .map(|s| format!("{s:.3}"))
                        .unwrap_or_else(|| "-".into()),
                    r.state.display_name(),
                    if r.stale {
                        "（照片已更新，需重新比对）"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        CompareCmd::Pair {
            first,
            second,
            json,
            same,
            possibly_same,
        } => {
            let thresholds = match CompareThresholds::new(same, possibly_same) {
                Ok(t) => t,
                Err(e) => return crate::refuse(e.to_string()),
            };
            let read =
                |p: &PathBuf| std::fs::read(p).with_context(|| format!("读取 {}", p.display()));
            let (a, b) = (read(&first)?, read(&second)?);
            let (la, lb) = (first.display().to_string(), second.display().to_string());
            match compare_pair(la.clone(), a, lb.clone(), b, thresholds).await? {
                PairOutcome::Compared { score, verdict, .. } => {
                    if json {
                        // A struct rather than json!: the f32 prints as itself (0.7756608),
                        // not widened to f64 digits.
                        #[derive(serde::Serialize)]
                        struct Pair {
                            score: f32,
                            verdict: photoroll_core::compare::Verdict,
                        }
                        return crate::print_json(&Pair { score, verdict });
                    }
                    println!("{}（相似度 {score:.3}）", verdict.display_name());
                    Ok(())
                }
                PairOutcome::NoFace { first, second } => {
                    let which = match (first, second) {
                        (true, true) => format!("{la} 和 {lb}"),
                        (true, false) => la,
                        _ => lb,
                    };
                    crate::refuse(format!("{which} 中未找到人脸，无法比对"))
                }
            }
        }
    }
}
