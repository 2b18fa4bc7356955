//! Geometry of every (layout, paper, dpi): margins, gutters, sizes, counts, labels.

use photoroll_printsheet::{
    Dpi, Layout, ONE_INCH, Paper, PhotoSize, PlanError, SMALL_TWO_INCH, Sheet, TWO_INCH, plan,
    plan_groups,
};
use proptest::prelude::*;

const EPS: f64 = 1e-9;

/// Every invariant of a sheet: photos and label inside the paper with ≥ 2 mm margins, ≥ 2 mm
/// between any two photos, photo sizes within 0.5 mm of nominal, label ≥ 5 mm tall and clear
/// of the photos.
fn check_sheet(sheet: &Sheet, paper: Paper, dpi: Dpi, what: &str) {
    let (pw, ph) = paper.px(dpi);
    assert!(
        (sheet.width_px, sheet.height_px) == (pw, ph)
            || (sheet.width_px, sheet.height_px) == (ph, pw),
        "{what}: sheet {}×{} is not {paper}",
        sheet.width_px,
        sheet.height_px
    );
    let mm = |px: u32| dpi.mm(px);
    let inside = |x: u32, y: u32, w: u32, h: u32, kind: &str| {
        assert!(
            x + w <= sheet.width_px && y + h <= sheet.height_px,
            "{what}: {kind} off the paper"
        );
        for (side, gap) in [
            ("left", x),
            ("top", y),
            ("right", sheet.width_px - x - w),
            ("bottom", sheet.height_px - y - h),
        ] {
            assert!(
                mm(gap) >= 2.0 - EPS,
                "{what}: {kind} {side} margin {:.2} mm",
                mm(gap)
            );
        }
    };
    for p in &sheet.placements {
        inside(p.x, p.y, p.w, p.h, p.size.name);
        let (ew, eh) = if p.rotated {
            (p.size.height_mm, p.size.width_mm)
        } else {
            (p.size.width_mm, p.size.height_mm)
        };
        assert!(
            (mm(p.w) - ew).abs() <= 0.5,
            "{what}: width {:.2} mm for {ew}",
            mm(p.w)
        );
        assert!(
            (mm(p.h) - eh).abs() <= 0.5,
            "{what}: height {:.2} mm for {eh}",
            mm(p.h)
        );
    }
    let gap = |a: (u32, u32, u32, u32), b: (u32, u32, u32, u32)| -> i64 {
        let (ax, ay, aw, ah) = (
            i64::from(a.0),
            i64::from(a.1),
            i64::from(a.2),
            i64::from(a.3),
        );
        let (bx, by, bw, bh) = (
            i64::from(b.0),
            i64::from(b.1),
            i64::from(b.2),
            i64::from(b.3),
        );
        let gx = (bx - (ax + aw)).max(ax - (bx + bw));
        let gy = (by - (ay + ah)).max(ay - (by + bh));
        gx.max(gy)
    };
    let rects: Vec<_> = sheet
        .placements
        .iter()
        .map(|p| (p.x, p.y, p.w, p.h))
        .collect();
    for (i, &a) in rects.iter().enumerate() {
        for &b in &rects[i + 1..] {
            let g = gap(a, b);
            assert!(g > 0, "{what}: photos {a:?} and {b:?} overlap");
            assert!(
                mm(g as u32) >= 2.0 - EPS,
                "{what}: gutter {:.2} mm",
                mm(g as u32)
            );
        }
    }
    if let Some(l) = sheet.label {
        inside(l.x, l.y, l.w, l.h, "label");
        assert!(
            mm(l.h) >= 5.0 - EPS,
            "{what}: label strip {:.2} mm",
            mm(l.h)
        );
        for &r in &rects {
            assert!(
                gap(r, (l.x, l.y, l.w, l.h)) > 0,
                "{what}: label over a photo"
            );
        }
        // Under the set.
        assert!(
            rects.iter().all(|r| r.1 + r.3 <= l.y),
            "{what}: label not under the set"
        );
    }
}

#[test]
fn every_layout_paper_and_dpi() {
    for dpi in Dpi::ALL {
        for paper in Paper::ALL {
            for layout in Layout::ALL {
                let what = format!("{} {paper} {dpi}", layout.id());
                let plan = plan(layout, paper, dpi).unwrap();
                assert_eq!((plan.layout, plan.paper, plan.dpi), (layout, paper, dpi));
                for sheet in &plan.sheets {
                    check_sheet(sheet, paper, dpi, &what);
                    assert!(!sheet.placements.is_empty(), "{what}: empty sheet");
                }
                let ones = plan.count_of(&ONE_INCH);
                let twos = plan.count_of(&TWO_INCH);
                let total: usize = plan.sheets.iter().map(|s| s.placements.len()).sum();
                match layout {
                    Layout::One => assert_eq!((ones, twos, total), (8, 4, 12), "{what}"),
                    Layout::Two => assert_eq!((ones, twos, total), (0, 8, 8), "{what}"),
                    Layout::SingleOneInch => {
                        assert_eq!(plan.sheets.len(), 1);
                        assert_eq!(ones, total);
                        // At least the spec's plain grids: 9 on 5寸, 12 on 6寸.
                        assert!(
                            ones >= if paper == Paper::Five { 9 } else { 12 },
                            "{what}: {ones}"
                        );
                    }
                    Layout::SingleTwoInch => {
                        assert_eq!(plan.sheets.len(), 1);
                        assert_eq!(twos, total);
                        assert!(twos >= 4, "{what}: {twos}");
                    }
                }
                let labels = plan.sheets.iter().filter(|s| s.label.is_some()).count();
                let rotated = plan
                    .sheets
                    .iter()
                    .flat_map(|s| &s.placements)
                    .filter(|p| p.rotated)
                    .count();
                println!(
                    "{what}: {} sheet(s) per set, {total} photos ({rotated} turned), {labels} label(s)",
                    plan.sheets.len()
                );
            }
        }
    }
}

#[test]
fn sheets_per_set() {
    for dpi in Dpi::ALL {
        for paper in Paper::ALL {
            // Neither paper fits 版式一 on one sheet, nor eight 2寸.
            assert_eq!(plan(Layout::One, paper, dpi).unwrap().sheets.len(), 2);
            let two = plan(Layout::Two, paper, dpi).unwrap();
            assert_eq!(two.sheets.len(), 2);
            assert!(
                two.sheets.iter().all(|s| s.placements.len() == 4),
                "shared out evenly"
            );
            // Every fixed layout keeps each sheet to one size, upright, portrait, labelled.
            for layout in [Layout::One, Layout::Two] {
                for s in plan(layout, paper, dpi).unwrap().sheets {
                    assert!(!s.is_landscape() && s.label.is_some());
                    assert!(s.placements.iter().all(|p| !p.rotated));
                }
            }
        }
        assert_eq!(
            plan(Layout::SingleOneInch, Paper::Five, dpi)
                .unwrap()
                .sheets[0]
                .placements
                .len(),
            9
        );
        assert_eq!(
            plan(Layout::SingleTwoInch, Paper::Five, dpi)
                .unwrap()
                .sheets[0]
                .placements
                .len(),
            4
        );
        assert_eq!(
            plan(Layout::SingleOneInch, Paper::Six, dpi).unwrap().sheets[0]
                .placements
                .len(),
            13
        );
        assert_eq!(
            plan(Layout::SingleTwoInch, Paper::Six, dpi).unwrap().sheets[0]
                .placements
                .len(),
            6
        );
    }
}

#[test]
fn mixed_sizes_share_a_sheet_when_they_fit() {
    for dpi in Dpi::ALL {
        // 1寸×4 + 2寸×2 fit one 6寸 sheet.
        let sheets = plan_groups(&[(&ONE_INCH, 4), (&TWO_INCH, 2)], Paper::Six, dpi).unwrap();
        assert_eq!(sheets.len(), 1);
        check_sheet(&sheets[0], Paper::Six, dpi, "1寸×4 + 2寸×2");
        assert_eq!(sheets[0].placements.len(), 6);
        // Small 2寸 and 1寸 together on 5寸.
        let sheets =
            plan_groups(&[(&SMALL_TWO_INCH, 2), (&ONE_INCH, 3)], Paper::Five, dpi).unwrap();
        assert_eq!(sheets.len(), 1);
        check_sheet(&sheets[0], Paper::Five, dpi, "小二寸×2 + 1寸×3");
    }
}

/// Wider than the 5寸 paper: fits only turned.
static WIDE: PhotoSize = PhotoSize {
    name: "wide",
    width_mm: 95.0,
    height_mm: 40.0,
};
/// Larger than any paper.
static HUGE: PhotoSize = PhotoSize {
    name: "huge",
    width_mm: 120.0,
    height_mm: 160.0,
};

#[test]
fn rotation_and_landscape_when_that_is_what_fits() {
    let sheets = plan_groups(&[(&WIDE, 2)], Paper::Five, Dpi::D300).unwrap();
    assert_eq!(sheets.len(), 1);
    check_sheet(&sheets[0], Paper::Five, Dpi::D300, "wide");
    let s = &sheets[0];
    // Two fit upright on landscape paper but leave no room for a label; turned, side by side
    // on portrait paper, they do.
    assert!(!s.is_landscape() && s.placements.iter().all(|p| p.rotated) && s.label.is_some());
    // One: upright on landscape paper rather than turned.
    let sheets = plan_groups(&[(&WIDE, 1)], Paper::Five, Dpi::D300).unwrap();
    check_sheet(&sheets[0], Paper::Five, Dpi::D300, "wide");
    let s = &sheets[0];
    assert!(s.is_landscape() && !s.placements[0].rotated && s.label.is_some());
    assert_eq!(
        plan_groups(&[(&HUGE, 1)], Paper::Six, Dpi::D300),
        Err(PlanError::PhotoDoesNotFit {
            size: "huge",
            paper: "6寸"
        })
    );
    assert_eq!(
        plan_groups(&[], Paper::Six, Dpi::D300),
        Err(PlanError::Empty)
    );
}

#[test]
fn small_two_inch_packs() {
    for dpi in Dpi::ALL {
        for paper in Paper::ALL {
            let sheets = plan_groups(&[(&SMALL_TWO_INCH, 8)], paper, dpi).unwrap();
            for s in &sheets {
                check_sheet(s, paper, dpi, "小二寸×8");
            }
            let n: usize = sheets.iter().map(|s| s.placements.len()).sum();
            assert_eq!(n, 8);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any size and count: either an error or a plan that keeps every invariant.
    #[test]
    fn any_size_keeps_the_invariants(
        w in 10.0f64..110.0,
        h in 10.0f64..160.0,
        n in 1u32..14,
        m in 0u32..6,
        six in any::<bool>(),
        d300 in any::<bool>(),
    ) {
        let size: &'static PhotoSize = Box::leak(Box::new(PhotoSize { name: "any", width_mm: w, height_mm: h }));
        let paper = if six { Paper::Six } else { Paper::Five };
        let dpi = if d300 { Dpi::D300 } else { Dpi::D254 };
        match plan_groups(&[(size, n), (&ONE_INCH, m)], paper, dpi) {
            Ok(sheets) => {
                for s in &sheets {
                    check_sheet(s, paper, dpi, "any");
                }
                let count = |sz: &PhotoSize| sheets.iter().flat_map(|s| &s.placements).filter(|p| std::ptr::eq(p.size, sz)).count();
                prop_assert_eq!(count(size), n as usize);
                prop_assert_eq!(count(&ONE_INCH), m as usize);
            }
            Err(e) => prop_assert_eq!(e, PlanError::PhotoDoesNotFit { size: "any", paper: paper.name() }),
        }
    }
}
