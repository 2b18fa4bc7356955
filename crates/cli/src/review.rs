//! `photoroll review …` and `photoroll student show`: review from the command line. The JSON
//! shapes printed here are contracts (automation and our tests read them).

use crate::{FilterArgs, filter_from, open, print_json, refuse};
use anyhow::Result;
use clap::{Args, Subcommand};
use photoroll_store::ReviewFilter;
use photoroll_workflows as workflows;
use photoroll_workflows::review::Verdict;
use serde::Serialize;
use std::path::Path;

#[derive(Args, Debug, Clone)]
pub struct ReviewerArg {
    /// Who decides (recorded on every decision).
    #[arg(long, env = "PHOTOROLL_REVIEWER")]
    reviewer: String,
}

#[derive(Args, Debug, Clone, Default)]
pub struct QueueArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Only the students of this capture session (its id).
    #[arg(long)]
    session: Option<String>,
    /// Only photos that failed this check (a check code, or `any`).
    #[arg(long, conflicts_with = "all_passed")]
    failed_check: Option<String>,
    /// Only photos whose checks all passed.
    #[arg(long)]
    all_passed: bool,
}

#[derive(Subcommand, Debug)]
pub enum ReviewCmd {
    /// The photos awaiting review (default: submitted, oldest first).
    Queue {
        #[command(flatten)]
        queue: QueueArgs,
        #[arg(long)]
        json: bool,
    },
    /// Approve students by collection code, or every photo the filters select.
    Approve {
        codes: Vec<String>,
        #[command(flatten)]
        queue: QueueArgs,
        #[command(flatten)]
        reviewer: ReviewerArg,
        #[arg(long)]
        json: bool,
    },
    /// Reject students with a catalogue reason (see `review reasons`).
    Reject {
        #[arg(required = true)]
        codes: Vec<String>,
        #[arg(long)]
        reason: String,
        /// A written note added to the reason's message.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        reviewer: ReviewerArg,
        #[arg(long)]
        json: bool,
    },
    /// Send a submitted photo back to pending.
    Withdraw {
        code: String,
        #[command(flatten)]
        reviewer: ReviewerArg,
    },
    /// Record the student's confirmation given in person (最终确认).
    Confirm {
        code: String,
        #[command(flatten)]
        reviewer: ReviewerArg,
    },
    /// Record the student's request for a new photo.
    StudentRetake {
        code: String,
        #[command(flatten)]
        reviewer: ReviewerArg,
    },
    /// 仍然报送: clear intercepted students for delivery, with your reason (recorded with your
    /// name).
    SendAnyway {
        #[arg(required = true)]
        codes: Vec<String>,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        reviewer: ReviewerArg,
        #[arg(long)]
        json: bool,
    },
    /// 驳回重拍: send intercepted students back to retake (reason: the comparison), by
    /// collection code or every intercepted student the filters select (筛选批量驳回重拍).
    RejectRetake {
        codes: Vec<String>,
        #[command(flatten)]
        filter: crate::FilterArgs,
        #[command(flatten)]
        reviewer: ReviewerArg,
        #[arg(long)]
        json: bool,
    },
    /// The reject-reason catalogue.
    Reasons {
        #[arg(long)]
        json: bool,
    },
    /// Confirm every student whose confirmation deadline has passed.
    AutoConfirm {
        /// The time to judge deadlines at (RFC 3339); default now.
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum StudentCmd {
    /// A student's record and history, by collection code.
    Show {
        code: String,
        #[arg(long)]
        json: bool,
    },
}

fn review_filter(args: &QueueArgs) -> Result<ReviewFilter> {
    Ok(ReviewFilter {
        students: filter_from(&args.filter)?,
        session: args.session.clone(),
        checks: workflows::review::parse_checks_filter(
            args.failed_check.as_deref(),
            args.all_passed,
        ),
    })
}

fn has_filter(args: &QueueArgs) -> bool {
    let f = &args.filter;
    args.all_passed
        || args.failed_check.is_some()
        || args.session.is_some()
        || f.state.is_some()
        || f.category.is_some()
        || f.school.is_some()
        || f.department.is_some()
        || f.class_name.is_some()
        || f.search.is_some()
}

#[derive(Serialize)]
struct QueueLine<'a> {
    collection_code: &'a Option<String>,
    name: &'a str,
    state: &'a str,
    photo_sha256: &'a str,
    failed_checks: &'a [String],
}

#[derive(Serialize)]
struct SkippedLine {
    code: String,
    reason: String,
}

fn print_bulk(
    verb: &str,
    key: &str,
    outcome: workflows::review::CodesOutcome,
    json: bool,
) -> Result<()> {
    if json {
        let mut v = serde_json::Map::new();
        v.insert(key.into(), outcome.decided.into());
        let skipped: Vec<SkippedLine> = outcome
            .skipped
            .into_iter()
            .map(|s| SkippedLine {
                code: s.code,
                reason: s.reason,
            })
            .collect();
        v.insert("skipped".into(), serde_json::to_value(skipped)?);
        return print_json(&v);
    }
    println!(
        "{verb} {} 人，跳过 {} 人",
        outcome.decided,
        outcome.skipped.len()
    );
    for s in &outcome.skipped {
        println!("  {}\t{}", s.code, s.reason);
    }
    Ok(())
}

pub async fn run(dir: &Path, cmd: ReviewCmd) -> Result<()> {
    let store = open(dir).await?;
    match cmd {
        ReviewCmd::Queue { queue, json } => {
            let entries = workflows::review::queue(&store, review_filter(&queue)?).await?;
            if json {
                let lines: Vec<QueueLine> = entries
                    .iter()
                    .map(|e| QueueLine {
                        collection_code: &e.collection_code,
                        name: &e.name_masked,
                        state: e.state.id(),
                        photo_sha256: &e.photo_sha256,
                        failed_checks: &e.failed_checks,
                    })
                    .collect();
                return print_json(&lines);
            }
            println!("待审核队列：{} 张", entries.len());
            for e in &entries {
                println!(
                    "  {}\t{}\t{}\t{}",
                    e.collection_code.as_deref().unwrap_or("-"),
                    e.name_masked,
                    e.state.display_name(),
                    if e.failed_checks.is_empty() {
                        "检查通过".to_string()
                    } else {
                        format!("未通过：{}", e.failed_checks.join("、"))
                    }
                );
            }
            Ok(())
        }
        ReviewCmd::Approve {
            codes,
            queue,
            reviewer,
            json,
        } => {
            let outcome = match (codes.is_empty(), has_filter(&queue)) {
                (false, false) => {
                    workflows::review::decide_codes(
                        &store,
                        &reviewer.reviewer,
                        &codes,
                        &Verdict::Approve,
                    )
                    .await?
                }
                (true, true) => {
                    let listed = workflows::review::queue(&store, review_filter(&queue)?).await?;
                    decide_listed_by_code(&store, &reviewer.reviewer, &listed, &Verdict::Approve)
                        .await?
                }
                (false, true) => return refuse("请给出采集码，或给出筛选条件，不能同时给出"),
                (true, false) => {
                    return refuse("请给出采集码，或用 --all-passed 等筛选条件选出要通过的照片");
                }
            };
            print_bulk("审核通过", "approved", outcome, json)
        }
        ReviewCmd::Reject {
            codes,
            reason,
            note,
            reviewer,
            json,
        } => {
            let verdict = Verdict::Reject {
                reason_key: reason,
                note,
            };
            let outcome =
                workflows::review::decide_codes(&store, &reviewer.reviewer, &codes, &verdict)
                    .await?;
            print_bulk("审核未通过", "rejected", outcome, json)
        }
        ReviewCmd::Withdraw { code, reviewer } => {
            single(&store, &reviewer.reviewer, &code, Verdict::Withdraw).await
        }
        ReviewCmd::Confirm { code, reviewer } => {
            single(&store, &reviewer.reviewer, &code, Verdict::Confirm).await
        }
        ReviewCmd::StudentRetake { code, reviewer } => {
            single(&store, &reviewer.reviewer, &code, Verdict::StudentRetake).await
        }
        ReviewCmd::SendAnyway {
            codes,
            reason,
            reviewer,
            json,
        } => {
            let outcome = workflows::review::decide_codes(
                &store,
                &reviewer.reviewer,
                &codes,
                &Verdict::SendAnyway { reason },
            )
            .await?;
            print_bulk("仍然报送", "sent", outcome, json)
        }
        ReviewCmd::RejectRetake {
            codes,
            filter,
            reviewer,
            json,
        } => {
            let filtered = QueueArgs {
                filter,
                ..QueueArgs::default()
            };
            let outcome = match (codes.is_empty(), has_filter(&filtered)) {
                (false, false) => {
                    workflows::review::decide_codes(
                        &store,
                        &reviewer.reviewer,
                        &codes,
                        &Verdict::RejectRetake,
                    )
                    .await?
                }
                (true, true) => {
                    let mut students = filter_from(&filtered.filter)?;
                    students.state = Some(photoroll_core::CollectionState::Intercepted);
                    let listed = workflows::review::queue(
                        &store,
                        ReviewFilter {
                            students,
                            ..ReviewFilter::default()
                        },
                    )
                    .await?;
                    decide_listed_by_code(
                        &store,
                        &reviewer.reviewer,
                        &listed,
                        &Verdict::RejectRetake,
                    )
                    .await?
                }
                (false, true) => return refuse("请给出采集码，或给出筛选条件，不能同时给出"),
                (true, false) => {
                    return refuse("请给出采集码，或用 --school 等筛选条件选出要驳回重拍的学生");
                }
            };
            print_bulk("驳回重拍", "rejected", outcome, json)
        }
        ReviewCmd::Reasons { json } => {
            let reasons = workflows::review::reasons(&store).await?;
            if json {
                return print_json(&reasons);
            }
            for (i, r) in reasons.iter().enumerate() {
                println!("{:>2}  {:<24} {}：{}", i + 1, r.key, r.label, r.message);
            }
            Ok(())
        }
        ReviewCmd::AutoConfirm { now } => {
            let confirmed = workflows::review::auto_confirm(&store, now.as_deref()).await?;
            print_json(&serde_json::json!({ "confirmed": confirmed }))
        }
    }
}

/// A bulk decision on a listed queue, reported by collection code.
async fn decide_listed_by_code(
    store: &photoroll_store::Store,
    reviewer: &str,
    listed: &[photoroll_store::QueueEntry],
    verdict: &Verdict,
) -> Result<workflows::review::CodesOutcome> {
    let code_of: std::collections::HashMap<&str, &str> = listed
        .iter()
        .map(|e| {
            (
                e.student_id.as_str(),
                e.collection_code
                    .as_deref()
                    .unwrap_or(e.student_id.as_str()),
            )
        })
        .collect();
    let outcome = workflows::review::decide_listed(
        store,
        reviewer,
        listed,
        verdict,
        &photoroll_core::JobControl::new(),
    )
    .await?;
    Ok(workflows::review::CodesOutcome {
        decided: outcome.decided.len(),
        skipped: outcome
            .skipped
            .into_iter()
            .map(|s| workflows::review::SkippedCode {
                code: code_of
                    .get(s.student_id.as_str())
                    .map(|c| c.to_string())
                    .unwrap_or(s.student_id),
                reason: s.reason,
            })
            .collect(),
    })
}

async fn single(
    store: &photoroll_store::Store,
    reviewer: &str,
    code: &str,
    verdict: Verdict,
) -> Result<()> {
    let decided = workflows::review::decide_code(store, reviewer, code, &verdict).await?;
    println!(
        "{code}：{} → {}",
        decided.from.display_name(),
        decided.to.display_name()
    );
    Ok(())
}

pub async fn student(dir: &Path, cmd: StudentCmd) -> Result<()> {
    let store = open(dir).await?;
    match cmd {
        StudentCmd::Show { code, json } => {
            let s = workflows::review::student_history(&store, &code).await?;
            if json {
                return print_json(&s);
            }
            println!(
                "{}  {}{}",
                s.collection_code.as_deref().unwrap_or("-"),
                s.state,
                s.state_reason
                    .as_deref()
                    .map(|r| format!("（{r}）"))
                    .unwrap_or_default()
            );
            for h in &s.history {
                println!(
                    "  {}  {} → {}  {}  {}",
                    h.at,
                    h.from,
                    h.to,
                    h.actor,
                    h.reason.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
    }
}
