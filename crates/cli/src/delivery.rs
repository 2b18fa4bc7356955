//! `photoroll export package|batches|batch` and `photoroll delivery import-results`: the package
//! for CHSI's channel, its download history, and the channel's results. JSON shapes are
//! contracts.

use crate::{FilterArgs, filter_from, open, print_json};
use anyhow::Result;
use clap::Subcommand;
use photoroll_core::{JobControl, NameBy};
use photoroll_workflows::delivery::{self, PackageRequest};
use std::path::{Path, PathBuf};

/// The package commands, under `photoroll export`.
#[derive(Subcommand, Debug)]
pub enum PackageCmd {
    /// 下载采集信息: the completed and delivered students under the filters that are in no
    /// batch yet, as one zip (a photo per student plus 采集信息.xlsx), recorded as a batch.
    /// Photos failing the re-check (480×640, 300 dpi, JPEG, file size) are listed, not shipped.
    Package {
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        filter: FilterArgs,
        /// What photos are named after.
        #[arg(long, default_value = "collection_code", value_parser = ["collection_code", "id", "examinee", "student_number"])]
        name_by: String,
        /// Full ID numbers in the info workbook (recorded in the batch); masked by default.
        #[arg(long)]
        full_ids: bool,
        /// Who downloads (kept in the download history).
        #[arg(long, env = "PHOTOROLL_USER", default_value = "管理员")]
        by: String,
        /// Print {"batch_id","photos","skipped":[{"code","reason"}],"sha256"}.
        #[arg(long)]
        json: bool,
    },
    /// 下载记录: every batch, newest first.
    Batches {
        #[arg(long)]
        json: bool,
    },
    /// A past batch again, the same bytes as the first time.
    Batch {
        batch_id: String,
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum DeliveryCmd {
    /// 上网结果: the channel's result workbook (图像采集码, 上网结果 成功/失败, 失败原因). Success
    /// delivers the student; failure sends them back to retake with the reason. Unknown codes
    /// and refused transitions are reported by row.
    ImportResults {
        file: PathBuf,
        /// Print {"delivered","failed","skipped":[{"row","code","message"}]}.
        #[arg(long)]
        json: bool,
    },
}

pub async fn package(dir: &Path, cmd: PackageCmd) -> Result<()> {
    let store = open(dir).await?;
    match cmd {
        PackageCmd::Package {
            output,
            filter,
            name_by,
            full_ids,
            by,
            json,
        } => {
            let request = PackageRequest {
                filter: filter_from(&filter)?,
                name_by: NameBy::parse(&name_by).unwrap_or_default(),
                full_ids,
                actor: by,
            };
            let report =
                delivery::write_package(&store, &request, &output, &JobControl::new()).await?;
            if json {
                return print_json(&serde_json::json!({
                    "batch_id": report.batch_id,
                    "photos": report.photos,
                    "skipped": report.skipped.iter().map(|s| serde_json::json!({"code": s.code, "reason": s.reason, "message": s.message})).collect::<Vec<_>>(),
                    "sha256": report.sha256,
                }));
            }
            match &report.batch_id {
                Some(id) => println!(
                    "已打包 {} 张照片到 {}（批次 {id}，SHA-256 {}）",
                    report.photos,
                    output.display(),
                    report.sha256.as_deref().unwrap_or("")
                ),
                None => println!("没有照片通过检查，未生成压缩包"),
            }
            for s in &report.skipped {
                println!("未打包\t{}\t{}", s.code, s.message);
            }
            Ok(())
        }
        PackageCmd::Batches { json } => {
            let batches = delivery::batches(&store).await?;
            if json {
                return print_json(
                    &batches
                        .iter()
                        .map(|b| {
                            serde_json::json!({
                                "batch_id": b.id,
                                "created_at": b.created_at,
                                "photos": b.photos,
                                "sha256": b.sha256,
                                "actor": b.actor,
                                "full_ids": b.full_ids,
                                "name_by": b.name_by,
                            })
                        })
                        .collect::<Vec<_>>(),
                );
            }
            for b in batches {
                println!(
                    "{}\t{}\t{}\t{} 张\t{}",
                    b.id, b.created_at, b.actor, b.photos, b.sha256
                );
            }
            Ok(())
        }
        PackageCmd::Batch { batch_id, output } => {
            let b =
                delivery::write_batch_again(&store, &batch_id, &output, &JobControl::new()).await?;
            println!(
                "已重新生成批次 {}（{} 张照片）到 {}，SHA-256 {}",
                b.id,
                b.photos,
                output.display(),
                b.sha256
            );
            Ok(())
        }
    }
}

pub async fn run(dir: &Path, cmd: DeliveryCmd) -> Result<()> {
    let store = open(dir).await?;
    match cmd {
        DeliveryCmd::ImportResults { file, json } => {
            let report = delivery::import_results(&store, &file, &JobControl::new()).await?;
            if json {
                return print_json(&report);
            }
            println!(
                "上网成功 {} 人，上网失败 {} 人，未处理 {} 行",
                report.delivered,
                report.failed,
                report.skipped.len()
            );
            for s in &report.skipped {
                println!("第 {} 行\t{}\t{}", s.row, s.code, s.message);
            }
            Ok(())
        }
    }
}
