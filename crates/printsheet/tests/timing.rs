//! How long one student's set takes (printed, never asserted). For a real figure:
//! `cargo test --release -p photoroll-printsheet --test timing -- --nocapture`.

mod common;

use photoroll_printsheet::{Dpi, LabelFont, Layout, Paper, plan, render_sheets};
use std::time::Instant;

#[test]
fn time_one_set() {
    let photo = common::synthetic_photo();
    let font = LabelFont::system().ok();
    let runs = if cfg!(debug_assertions) { 2 } else { 20 };
    for (layout, paper, dpi) in [
        (Layout::One, Paper::Six, Dpi::D300),
        (Layout::Two, Paper::Five, Dpi::D300),
        (Layout::One, Paper::Six, Dpi::D254),
    ] {
        let plan = plan(layout, paper, dpi).unwrap();
        // Warm-up: first-call costs (CPU feature detection, page faults).
        render_sheets(&plan, &photo, "王小明  计算机2101班", font.as_ref()).unwrap();
        let start = Instant::now();
        let mut bytes = 0;
        for _ in 0..runs {
            let sheets =
                render_sheets(&plan, &photo, "王小明  计算机2101班", font.as_ref()).unwrap();
            bytes += sheets.iter().map(Vec::len).sum::<usize>();
        }
        let per_set = start.elapsed() / runs;
        println!(
            "{} {paper} {dpi}: {} sheet(s), {per_set:?} per set, {} KiB per set (label: {})",
            layout.id(),
            plan.sheets.len(),
            bytes / runs as usize / 1024,
            font.is_some()
        );
    }
}
