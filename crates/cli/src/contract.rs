//! `photoroll contract …` and `photoroll mandate …`: 委托采集 through
//! `photoroll_workflows::contracts`. JSON shapes are contracts.

use crate::{open, parse_category, print_json};
use anyhow::Result;
use clap::Subcommand;
use photoroll_workflows::contracts::{self, ContractInput, MandateRequest};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum ContractCmd {
    /// Add a school's contract for a category (or change its price, handler, date).
    Add {
        #[arg(long)]
        school: String,
        #[arg(long)]
        category: String,
        /// 采集价格, CNY per student, e.g. 25.00.
        #[arg(long)]
        price: String,
        /// 经办人.
        #[arg(long)]
        handler: String,
        /// 签约有效期至, YYYY-MM-DD.
        #[arg(long)]
        valid_until: String,
    },
    /// Every contract: [{"id","school","category","price","state",…}].
    List {
        #[arg(long)]
        school: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum MandateCmd {
    /// The mandate (委托书) for one or several of the school's signed categories, as an A4 PDF
    /// in Chinese (a subset of a system CJK font embedded).
    Pdf {
        #[arg(long)]
        school: String,
        #[arg(long = "category", required = true)]
        categories: Vec<String>,
        /// 委托N年 (1–10), from today.
        #[arg(long)]
        years: u32,
        /// 受托方: the collection unit's name.
        #[arg(long, env = "PHOTOROLL_PROVIDER", default_value = "")]
        provider: String,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// The signed, stamped scan (PDF, JPEG or PNG, ≤ 20 MB) for the categories it covers.
    Upload {
        file: PathBuf,
        #[arg(long)]
        school: String,
        #[arg(long = "category", required = true)]
        categories: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn contract(dir: &Path, cmd: ContractCmd) -> Result<()> {
    let store = open(dir).await?;
    match cmd {
        ContractCmd::Add {
            school,
            category,
            price,
            handler,
            valid_until,
        } => {
            let c = contracts::save_contract(
                &store,
                &ContractInput {
                    school: &school,
                    category: &category,
                    price: &price,
                    handler: &handler,
                    valid_until: &valid_until,
                },
            )
            .await?;
            println!(
                "{}\t{}（{}）\t{}\t{} 元/人\t{}",
                c.id,
                c.school_name,
                c.school,
                c.category.display_name(),
                c.price,
                c.state_name
            );
            Ok(())
        }
        ContractCmd::List { school, json } => {
            let list = contracts::contracts(&store, school.as_deref()).await?;
            if json {
                return print_json(&list);
            }
            for c in list {
                println!(
                    "{}\t{}（{}）\t{}\t{} 元/人\t{}\t至 {}\t{}",
                    c.id,
                    c.school_name,
                    c.school,
                    c.category.display_name(),
                    c.price,
                    c.handler,
                    c.valid_until,
                    c.state_name
                );
            }
            Ok(())
        }
    }
}

pub async fn mandate(dir: &Path, cmd: MandateCmd) -> Result<()> {
    let store = open(dir).await?;
    match cmd {
        MandateCmd::Pdf {
            school,
            categories,
            years,
            provider,
            output,
        } => {
            let categories = categories
                .iter()
                .map(|c| parse_category(c))
                .collect::<Result<Vec<_>>>()?;
            let provider = if provider.trim().is_empty() {
                "＿＿＿＿＿＿＿＿＿＿＿＿".to_string()
            } else {
                provider
            };
            let w = contracts::write_mandate(
                &store,
                &MandateRequest {
                    school: &school,
                    categories,
                    years,
                    provider: &provider,
                    today: contracts::today(),
                },
                &output,
            )
            .await?;
            println!("已生成委托书 {}（{}）", w.path, w.term);
            Ok(())
        }
        MandateCmd::Upload {
            file,
            school,
            categories,
            json,
        } => {
            let categories = categories
                .iter()
                .map(|c| parse_category(c))
                .collect::<Result<Vec<_>>>()?;
            let coverage = contracts::upload_mandate(&store, &file, &school, &categories).await?;
            if json {
                return print_json(&coverage);
            }
            let names = |v: &[photoroll_core::EducationCategory]| {
                v.iter()
                    .map(|c| c.display_name())
                    .collect::<Vec<_>>()
                    .join("、")
            };
            if coverage.moved {
                println!(
                    "委托书已覆盖全部签约类别（{}），合同状态：已上传委托书，等待开通账户",
                    names(&coverage.covered)
                );
            } else {
                println!(
                    "已保存委托书扫描件；尚未覆盖的签约类别：{}",
                    names(&coverage.missing)
                );
            }
            Ok(())
        }
    }
}
