//! `photoroll compare pair`: 人像比对 of two photos, through the same use-case the comparison
//! runs will call (`photoroll_workflows::compare`).

use anyhow::{Context, Result};
use clap::Subcommand;
use photoroll_core::compare::{
    CompareThresholds, DEFAULT_POSSIBLY_SAME_THRESHOLD, DEFAULT_SAME_THRESHOLD,
};
use photoroll_workflows::compare::{PairOutcome, compare_pair};
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
}

pub async fn run(cmd: CompareCmd) -> Result<()> {
    match cmd {
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
