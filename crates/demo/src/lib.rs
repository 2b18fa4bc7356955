//! The demo school: a generated roster workbook imported through the real import (so the demo
//! also shows failed rows), then students moved through the real state machine with generated
//! placeholder portraits. Deterministic: the same seed gives the same school.

use image::{ImageBuffer, Rgb};
use photoroll_core::id_document::check_character;
use photoroll_core::{Action, EducationCategory, JobControl, School, SchoolCode};
use photoroll_roster::{ImportError, ImportOptions, ImportReport, Limits, import_workbook};
use photoroll_store::{Store, StoreError};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

pub const DEMO_SCHOOL_CODE: &str = "99001";
pub const DEMO_SCHOOL_NAME: &str = "演示大学（示例数据）";
pub const DEMO_STUDENTS: usize = 360;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("生成演示名单失败: {0}")]
    Workbook(#[from] XlsxError),
    #[error("生成演示照片失败: {0}")]
    Image(#[from] image::ImageError),
    #[error("临时文件: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Cancelled(#[from] photoroll_core::Cancelled),
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "子涵", "浩然", "欣怡", "雨桐", "梓萱", "思远",
];
const DEPARTMENTS: &[(&str, &[&str])] = &[
    ("计算机学院", &["计算机科学与技术", "软件工程"]),
    ("经济管理学院", &["会计学", "工商管理"]),
    ("文学院", &["汉语言文学"]),
    ("护理学院", &["护理学"]),
];

/// Generates the demo roster workbook: good rows plus a handful of typical mistakes.
pub fn write_demo_workbook(
    path: &std::path::Path,
    students: usize,
    seed: u64,
) -> Result<(), XlsxError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("名单")?;
    let text = Format::new().set_num_format("@");
    let headers = [
        "姓名",
        "证件号",
        "采集码",
        "院校代码",
        "学历类别",
        "学历层次",
        "学号",
        "院系",
        "专业",
        "班级",
        "入学年份",
    ];
    for (i, h) in headers.iter().enumerate() {
        sheet.write_string(0, i as u16, *h)?;
    }
    for i in 0..students {
        let r = i as u32 + 1;
        let name = format!(
            "{}{}",
            SURNAMES[rng.random_range(0..SURNAMES.len())],
            GIVEN[rng.random_range(0..GIVEN.len())]
        );
        // Birth date and sequence derive from the row index so every ID is distinct.
        let block = i / 1000;
        let first17 = format!(
            "{:06}{:04}{:02}{:02}{:03}",
            // The seed shifts the area code so rosters of different seeds never share an ID.
            [130121, 110105, 440304, 320102, 510107][i % 5] + (seed % 50) as usize,
            1998 + block % 6,
            1 + (block / 6) % 12,
            1 + (block / 72) % 28,
            i % 1000
        );
        let id = format!("{first17}{}", check_character(first17.as_bytes()));
        let code = format!("2026{:09}", (seed % 900) as usize * 1_000_000 + 100_000 + i);
        let (dep, majors) = DEPARTMENTS[i % DEPARTMENTS.len()];
        let major = majors[rng.random_range(0..majors.len())];
        let year = 2022 + (i % 3) as i32;
        let class = format!(
            "{}{}班",
            &major[..major.char_indices().nth(2).map_or(major.len(), |(b, _)| b)],
            1 + i % 4
        );
        let category = if i % 6 == 0 {
            "成教"
        } else {
            "普通高等教育"
        };
        let level = if i % 6 == 0 { "专升本" } else { "本科" };
        let mut cells = [
            name.as_str(),
            &id,
            &code,
            DEMO_SCHOOL_CODE,
            category,
            level,
            "",
            dep,
            major,
            &class,
            "",
        ];
        let student_number = format!("{year}{:06}", i + 1);
        cells[6] = &student_number;
        let year_s = year.to_string();
        cells[10] = &year_s;
        // Typical mistakes, as real rosters have them.
        let broken_id;
        match i {
            7 => cells[0] = "",
            19 => {
                broken_id = format!("{}{}", &id[..17], if id.ends_with('1') { '2' } else { '1' });
                cells[1] = &broken_id;
            }
            31 => cells[4] = "夜大学",
            43 => cells[2] = "2026-0000",
            _ => {}
        }
        for (c, v) in cells.iter().enumerate() {
            sheet.write_string_with_format(r, c as u16, *v, &text)?;
        }
    }
    book.save(path)
}

/// A 480×640 placeholder portrait: a coloured silhouette on the standard blue. Clearly a
/// drawing, so nobody mistakes demo data for a real student. Written as a standard photo is
/// (300 dpi, 20–40 KB), so the demo's completed students can be packaged and printed; a light
/// grain brings the flat drawing up to a real photo's file size.
pub fn demo_portrait(seed: u64) -> Result<Vec<u8>, image::ImageError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let skin = Rgb([
        rng.random_range(200..240),
        rng.random_range(160..200),
        rng.random_range(130..170),
    ]);
    let shirt = Rgb([
        rng.random_range(20..200),
        rng.random_range(20..120),
        rng.random_range(20..80),
    ]);
    let hair = Rgb([
        rng.random_range(10..60),
        rng.random_range(10..40),
        rng.random_range(5..30),
    ]);
    let bg = Rgb([100u8, 197, 255]);
    let mut grain = StdRng::seed_from_u64(seed ^ 0x9E37_79B9);
    let mut img = ImageBuffer::from_fn(480, 640, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let head = ((fx - 240.0) / 105.0).powi(2) + ((fy - 270.0) / 135.0).powi(2);
        let hair_cap = ((fx - 240.0) / 115.0).powi(2) + ((fy - 230.0) / 130.0).powi(2);
        let shoulders = ((fx - 240.0) / 230.0).powi(2) + ((fy - 700.0) / 230.0).powi(2);
        if head <= 1.0 && fy > 190.0 {
            skin
        } else if hair_cap <= 1.0 && fy < 300.0 {
            hair
        } else if shoulders <= 1.0 || (fy > 390.0 && (fx - 240.0).abs() < 45.0) {
            if fy > 390.0 && fy < 470.0 && (fx - 240.0).abs() < 45.0 {
                skin
            } else {
                shirt
            }
        } else {
            bg
        }
    });
    for p in img.pixels_mut() {
        let n: i16 = grain.random_range(-7..=7);
        for c in p.0.iter_mut() {
            *c = (*c as i16 + n).clamp(0, 255) as u8;
        }
    }
    // The highest quality under 40 KB, as the standard photo's encoder chooses.
    let mut out = Vec::new();
    for quality in (60..=95).rev().step_by(5) {
        out.clear();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        encoder.set_pixel_density(image::codecs::jpeg::PixelDensity::dpi(300));
        encoder.encode_image(&img)?;
        if out.len() <= 40 * 1024 {
            break;
        }
    }
    Ok(out)
}

/// Loads the demo school if it is not there yet. Returns the import report of the demo roster,
/// or `None` when the demo school already existed.
pub async fn load_demo(store: &Store, job: &JobControl) -> Result<Option<ImportReport>, DemoError> {
    let code = SchoolCode::parse(DEMO_SCHOOL_CODE).expect("demo code is valid");
    if store.school(&code).await?.is_some() {
        return Ok(None);
    }
    store
        .upsert_school(
            &School {
                code: code.clone(),
                name: DEMO_SCHOOL_NAME.into(),
            },
            true,
        )
        .await?;
    // The demo lets a station take students the roster lacks, so the flow can be shown.
    store.set_allow_walk_ins(DEMO_SCHOOL_CODE, true).await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("演示名单（示例数据）.xlsx");
    write_demo_workbook(&path, DEMO_STUDENTS + 4, 2026)?;
    let opts = ImportOptions {
        school: code.clone(),
        category: Some(EducationCategory::Regular),
        limits: Limits::default(),
        rules: photoroll_roster::rules_for_today(),
    };
    let report = import_workbook(store, &path, &opts, &JobControl::new()).await?;

    let students = store.import_students(&report.import_id).await?;
    let total = students.len() as u64;
    let actor = "演示数据";
    // A dozen placeholder portraits, shared: blobs are content-addressed, so each is stored once.
    let portraits: Vec<Vec<u8>> = (0..12).map(demo_portrait).collect::<Result<_, _>>()?;
    for (i, s) in students.iter().enumerate() {
        // Roughly: 40% pending, then submitted, rejected, awaiting confirmation, completed,
        // intercepted and delivered, in proportions a school sees mid-season.
        let plan: &[Action] = match i % 20 {
            0..=7 => &[],
            8..=10 => &[Action::Submit],
            11 => &[Action::Submit, Action::Reject],
            12 => &[Action::Submit, Action::Approve],
            13..=16 => &[Action::Submit, Action::Approve],
            17 => &[Action::Submit, Action::Approve, Action::Intercept],
            _ => &[Action::Submit, Action::Approve, Action::Deliver],
        };
        if plan.is_empty() {
            continue;
        }
        let hash = store
            .add_photo(&s.id, "standard", &portraits[i % portraits.len()])
            .await?;
        let awaiting = i % 20 == 12;
        if awaiting {
            store.set_final_confirmation(&code, true).await?;
        }
        for action in plan {
            let reason = (*action == Action::Reject).then_some("背景不均匀（演示）");
            store
                .apply_action(&s.id, *action, actor, Some(&hash), reason)
                .await?;
        }
        if awaiting {
            store.set_final_confirmation(&code, false).await?;
        }
        job.step(i as u64 + 1, total)?;
    }
    Ok(Some(report))
}
