//! `photoroll print …`: 照片制作 / 冲印 / 加洗 through `photoroll_workflows::print`. JSON shapes
//! are contracts.

use crate::{open, print_json};
use anyhow::Result;
use clap::Subcommand;
use photoroll_core::{JobControl, PrintPackage};
use photoroll_workflows::print::{self, OrderRequest};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum PrintCmd {
    /// The address book (收件地址).
    #[command(subcommand)]
    Address(AddressCmd),
    /// Print orders.
    #[command(subcommand)]
    Order(OrderCmd),
    /// The print-ready sheets of an order (JPEG at the order's dpi, by package then class) in a
    /// zip with 订单.xlsx.
    Sheets {
        order_id: String,
        #[arg(short, long)]
        output: PathBuf,
        /// Print {"sheets","photos"}.
        #[arg(long)]
        json: bool,
    },
    /// Every order, newest first, with how many sets are queued, printed and shipped.
    Orders {
        #[arg(long)]
        json: bool,
    },
    /// Move an order's sets on: printed (已冲印) or shipped (已寄出).
    Mark {
        order_id: String,
        #[arg(value_parser = ["printed", "shipped"])]
        state: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AddressCmd {
    /// Add an address; prints its id.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        address: String,
    },
    List {
        #[arg(long)]
        json: bool,
    },
}

// Parsed once per run: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum OrderCmd {
    /// A new order: every completed or delivered student of the school and category (within
    /// the package given by --teaching-site/--department/--major/--class/--year) in no other
    /// order moves to 待冲印.
    Create {
        #[arg(long)]
        school: String,
        #[arg(long)]
        category: String,
        #[arg(long)]
        teaching_site: Option<String>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        major: Option<String>,
        #[arg(long = "class")]
        class_name: Option<String>,
        /// Enrolment year (入学年份).
        #[arg(long)]
        year: Option<i32>,
        /// 1 版式一 (1寸×8 + 2寸×4), 2 版式二 (2寸×8), 1inch, 2inch.
        #[arg(long, default_value = "1")]
        layout: String,
        /// 5 (5寸, 89×127 mm) or 6 (6寸, 102×152 mm).
        #[arg(long, default_value = "6")]
        paper: String,
        #[arg(long, default_value_t = 300)]
        dpi: u32,
        /// The address id (`print address add`).
        #[arg(long)]
        address: String,
        #[arg(long, env = "PHOTOROLL_USER", default_value = "管理员")]
        by: String,
        /// Print {"order_id","students"}.
        #[arg(long)]
        json: bool,
    },
    /// 加洗: one more set for each student named by collection code, as its own order line.
    Extra {
        #[arg(long)]
        order: String,
        #[arg(required = true)]
        codes: Vec<String>,
    },
    /// The sets of one order (package, class, student, line, state).
    Show {
        order_id: String,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(dir: &Path, cmd: PrintCmd) -> Result<()> {
    let store = open(dir).await?;
    match cmd {
        PrintCmd::Address(AddressCmd::Add {
            name,
            phone,
            address,
        }) => {
            println!(
                "{}",
                print::add_address(&store, &name, &phone, &address).await?
            );
            Ok(())
        }
        PrintCmd::Address(AddressCmd::List { json }) => {
            let list = print::addresses(&store).await?;
            if json {
                return print_json(&list);
            }
            for a in list {
                println!("{}\t{}\t{}\t{}", a.id, a.recipient, a.phone, a.address);
            }
            Ok(())
        }
        PrintCmd::Order(OrderCmd::Create {
            school,
            category,
            teaching_site,
            department,
            major,
            class_name,
            year,
            layout,
            paper,
            dpi,
            address,
            by,
            json,
        }) => {
            let package = PrintPackage {
                teaching_site,
                department,
                major,
                class_name,
                enrolment_year: year,
            };
            let created = print::create_order(
                &store,
                &OrderRequest {
                    school: &school,
                    category: &category,
                    packages: vec![package],
                    layout: &layout,
                    paper: &paper,
                    dpi,
                    address_id: &address,
                    actor: &by,
                },
            )
            .await?;
            if json {
                return print_json(&created);
            }
            println!(
                "已创建冲印订单 {}，{} 人待冲印",
                created.order_id, created.students
            );
            Ok(())
        }
        PrintCmd::Order(OrderCmd::Extra { order, codes }) => {
            let added = print::add_extra(&store, &order, &codes).await?;
            println!("已加洗 {} 人（第 {} 行）", added.students, added.line);
            Ok(())
        }
        PrintCmd::Order(OrderCmd::Show { order_id, json }) => {
            let lines = print::lines(&store, &order_id).await?;
            if json {
                return print_json(&lines);
            }
            for l in lines {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    l.package,
                    l.class_name.as_deref().unwrap_or("-"),
                    l.name,
                    l.collection_code.as_deref().unwrap_or("-"),
                    if l.line == 0 {
                        "本单".to_string()
                    } else {
                        format!("加洗{}", l.line)
                    },
                    photoroll_core::PrintState::parse(&l.state)
                        .map_or(l.state.as_str(), |s| s.display_name())
                );
            }
            Ok(())
        }
        PrintCmd::Sheets {
            order_id,
            output,
            json,
        } => {
            let w = print::write_sheets(&store, &order_id, &output, &JobControl::new()).await?;
            if json {
                return print_json(&serde_json::json!({
                    "sheets": w.sheets,
                    "photos": w.photos,
                    "labels": w.labels,
                    "sha256": w.sha256,
                }));
            }
            println!(
                "已生成 {} 张冲印版面（{} 套照片）到 {}{}",
                w.sheets,
                w.photos,
                output.display(),
                if w.labels {
                    ""
                } else {
                    "；未找到中文字体，版面没有姓名标签"
                }
            );
            Ok(())
        }
        PrintCmd::Orders { json } => {
            let orders = print::orders(&store).await?;
            if json {
                return print_json(&orders);
            }
            for o in orders {
                println!(
                    "{}\t{}\t{}\t{} 人\t加洗 {} 套\t待冲印 {}\t已冲印 {}\t已寄出 {}",
                    o.id,
                    o.created_at,
                    o.school_code,
                    o.students,
                    o.extra_sets,
                    o.queued,
                    o.printed,
                    o.shipped
                );
            }
            Ok(())
        }
        PrintCmd::Mark { order_id, state } => {
            let moved = print::mark(&store, &order_id, &state).await?;
            println!("已更新 {moved} 套");
            Ok(())
        }
    }
}
