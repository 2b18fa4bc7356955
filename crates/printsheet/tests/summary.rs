//! Prints what each layout gives on each paper (run with --nocapture); asserts nothing that
//! geometry.rs does not.
use photoroll_printsheet::{Dpi, Layout, Paper, plan};

#[test]
fn print_summary() {
    for dpi in Dpi::ALL {
        for paper in Paper::ALL {
            for layout in Layout::ALL {
                let plan = plan(layout, paper, dpi).unwrap();
                let sheets: Vec<String> = plan
                    .sheets
                    .iter()
                    .map(|s| {
                        let mut sizes: Vec<(&str, bool, usize)> = Vec::new();
                        for p in &s.placements {
                            match sizes
                                .iter_mut()
                                .find(|e| e.0 == p.size.name && e.1 == p.rotated)
                            {
                                Some(e) => e.2 += 1,
                                None => sizes.push((p.size.name, p.rotated, 1)),
                            }
                        }
                        let what: Vec<String> = sizes
                            .iter()
                            .map(|(n, r, c)| {
                                format!("{n}×{c}{}", if *r { " (turned)" } else { "" })
                            })
                            .collect();
                        format!(
                            "[{} {}×{}{}]",
                            what.join(" + "),
                            s.width_px,
                            s.height_px,
                            if s.label.is_some() { ", label" } else { "" }
                        )
                    })
                    .collect();
                println!(
                    "{dpi} {paper} {}: {} sheet(s) {}",
                    layout.id(),
                    plan.sheets.len(),
                    sheets.join(" ")
                );
            }
        }
    }
}
