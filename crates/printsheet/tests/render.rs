//! Rendering measured on the pixels of the decoded sheets.

mod common;

use common::*;
use photoroll_printsheet::{
    Dpi, GUIDE_RGB, LabelFont, Layout, Paper, Placement, RenderError, Sheet, plan, render_sheets,
};
use proptest::prelude::*;

const LABEL: &str = "王小明  计算机2101班";

/// Photo rectangles found on the pixels: non-white regions (each photo and its guide), less
/// the 1 px guide, outside the label strip.
fn measured_photos(img: &image::RgbImage, sheet: &Sheet) -> Vec<(u32, u32, u32, u32)> {
    let mut found: Vec<_> = regions(img, 20)
        .into_iter()
        .filter(|&(_, y, _, _)| sheet.label.is_none_or(|l| y < l.y))
        .map(|(x, y, w, h)| (x + 1, y + 1, w - 2, h - 2))
        .collect();
    found.sort();
    found
}

fn near(a: u32, b: u32) -> bool {
    a.abs_diff(b) <= 1
}

/// The guide's pixels (sides, corners left out) are grey, and the paper just outside is white.
fn check_guide(img: &image::RgbImage, p: &Placement, what: &str) {
    let (x0, y0, x1, y1) = (p.x - 1, p.y - 1, p.x + p.w, p.y + p.h);
    let mut line = Vec::new();
    for x in x0 + 2..x1 - 1 {
        line.push((x, y0));
        line.push((x, y1));
    }
    for y in y0 + 2..y1 - 1 {
        line.push((x0, y));
        line.push((x1, y));
    }
    let grey = line
        .iter()
        .filter(|&&(x, y)| {
            let px = img.get_pixel(x, y).0;
            px.iter().zip(GUIDE_RGB).all(|(&c, g)| c.abs_diff(g) <= 40)
        })
        .count();
    assert!(
        grey * 100 >= line.len() * 95,
        "{what}: {grey} of {} guide pixels grey",
        line.len()
    );
    // Three pixels outside the guide: white paper.
    for x in (x0..=x1).step_by(7) {
        for y in [y0 - 3, y1 + 3] {
            assert!(
                is_white(img.get_pixel(x, y)),
                "{what}: not white at {x},{y}"
            );
        }
    }
}

/// The disc of the synthetic photo is round on the print: the face is not stretched.
fn check_disc(img: &image::RgbImage, p: &Placement, what: &str) {
    let dark = |x: u32, y: u32| img.get_pixel(x, y).0.iter().all(|&c| c < 110);
    let (cx, cy) = (p.x + p.w / 2, p.y + p.h / 2);
    // The disc's centre on the print: the photo is cover-cropped symmetrically in width, so
    // it stays centred across; vertically it is at 300/640 of the photo.
    let along = if p.rotated { p.w } else { p.h };
    let off = (along as f64 * (DISC_CENTRE.1 / 640.0)) as u32;
    let (dx, dy) = if p.rotated {
        (p.x + p.w - off, cy)
    } else {
        (cx, p.y + off)
    };
    let horizontal = (p.x..p.x + p.w).filter(|&x| dark(x, dy)).count() as f64;
    let vertical = (p.y..p.y + p.h).filter(|&y| dark(dx, y)).count() as f64;
    let expected = 2.0 * DISC_RADIUS * along as f64 / 640.0;
    for d in [horizontal, vertical] {
        assert!(
            (d - expected).abs() <= 3.0,
            "{what}: disc {horizontal}×{vertical}, expected {expected:.1}"
        );
    }
}

#[test]
fn sheets_match_the_plan_on_the_pixels() {
    let photo = synthetic_photo();
    for dpi in Dpi::ALL {
        for paper in Paper::ALL {
            for layout in Layout::ALL {
                let plan = plan(layout, paper, dpi).unwrap();
                let jpegs = render_sheets(&plan, &photo, LABEL, None).unwrap();
                assert_eq!(jpegs.len(), plan.sheets.len());
                for (i, (jpeg, sheet)) in jpegs.iter().zip(&plan.sheets).enumerate() {
                    let what = format!("{} {paper} {dpi} sheet {i}", layout.id());
                    assert_eq!(
                        jfif_density(jpeg),
                        Some((1, dpi.value() as u16, dpi.value() as u16)),
                        "{what}"
                    );
                    assert_eq!(sof_marker(jpeg), Some(0xC0), "{what}: not baseline");
                    let img = decode(jpeg);
                    assert_eq!(
                        img.dimensions(),
                        (sheet.width_px, sheet.height_px),
                        "{what}"
                    );
                    let found = measured_photos(&img, sheet);
                    let mut planned: Vec<_> = sheet
                        .placements
                        .iter()
                        .map(|p| (p.x, p.y, p.w, p.h))
                        .collect();
                    planned.sort();
                    assert_eq!(found.len(), planned.len(), "{what}: found {found:?}");
                    for (f, p) in found.iter().zip(&planned) {
                        assert!(
                            near(f.0, p.0) && near(f.1, p.1) && near(f.2, p.2) && near(f.3, p.3),
                            "{what}: measured {f:?}, planned {p:?}"
                        );
                    }
                    for p in &sheet.placements {
                        check_guide(&img, p, &what);
                        check_disc(&img, p, &what);
                    }
                }
            }
        }
    }
}

#[test]
fn label_is_drawn_with_a_font_and_omitted_without() {
    let photo = synthetic_photo();
    let plan = plan(Layout::One, Paper::Six, Dpi::D300).unwrap();
    let strip = plan.sheets[0].label.expect("a label strip");
    let ink = |jpeg: &[u8]| {
        let img = decode(jpeg);
        let mut n = 0;
        for y in strip.y..strip.y + strip.h {
            for x in strip.x..strip.x + strip.w {
                if img.get_pixel(x, y).0.iter().all(|&c| c < 128) {
                    n += 1;
                }
            }
        }
        n
    };
    let without = render_sheets(&plan, &photo, LABEL, None).unwrap();
    assert_eq!(ink(&without[0]), 0, "no font, no label");
    match LabelFont::system() {
        Ok(font) => {
            println!("label font: {}", font.name());
            let with = render_sheets(&plan, &photo, LABEL, Some(&font)).unwrap();
            assert!(ink(&with[0]) > 500, "label ink {}", ink(&with[0]));
            assert!(ink(&with[1]) > 500);
            // A label far too long is shrunk and cut, never drawn outside the strip.
            let long = LABEL.repeat(20);
            let sheets = render_sheets(&plan, &photo, &long, Some(&font)).unwrap();
            let img = decode(&sheets[0]);
            let edge = strip.w / 100;
            for y in strip.y..strip.y + strip.h {
                for x in
                    (strip.x..strip.x + edge).chain(strip.x + strip.w - edge..strip.x + strip.w)
                {
                    assert!(
                        is_white(img.get_pixel(x, y)),
                        "ink at the strip's edge {x},{y}"
                    );
                }
            }
            // An empty label draws nothing.
            let blank = render_sheets(&plan, &photo, "  ", Some(&font)).unwrap();
            assert_eq!(ink(&blank[0]), 0);
        }
        Err(e) => println!("skipped the drawn label: {e}"),
    }
}

#[test]
fn photos_of_other_shapes_are_cover_cropped() {
    let plan = plan(Layout::SingleTwoInch, Paper::Five, Dpi::D254).unwrap();
    for (w, h) in [(800, 400), (300, 900), (1, 1), (17, 3)] {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 120, 200]));
        let sheets = render_sheets(&plan, &encode(&img), "", None).unwrap();
        let out = decode(&sheets[0]);
        let p = &plan.sheets[0].placements[0];
        let c = out.get_pixel(p.x + p.w / 2, p.y + p.h / 2).0;
        assert!(c[2] > 150 && c[0] < 60, "{w}×{h}: {c:?}");
    }
}

#[test]
fn bad_photos_are_errors() {
    let plan = plan(Layout::Two, Paper::Six, Dpi::D300).unwrap();
    let err = render_sheets(&plan, b"definitely not a jpeg", LABEL, None).unwrap_err();
    assert!(matches!(err, RenderError::Decode(_)));
    assert!(
        err.to_string()
            .starts_with("照片无法读取 (the photo cannot be decoded)"),
        "{err}"
    );
    // A truncated JPEG.
    let photo = synthetic_photo();
    assert!(render_sheets(&plan, &photo[..40], LABEL, None).is_err());
    assert!(render_sheets(&plan, &[], LABEL, None).is_err());
    // A PNG is not accepted as the photo.
    let mut png = Vec::new();
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    assert!(render_sheets(&plan, &png, LABEL, None).is_err());
}

#[test]
fn a_plan_edited_out_of_bounds_is_an_error() {
    let photo = synthetic_photo();
    let mut bad = plan(Layout::Two, Paper::Six, Dpi::D300).unwrap();
    bad.sheets[0].placements[0].x = bad.sheets[0].width_px - 10;
    assert!(matches!(
        render_sheets(&bad, &photo, "", None),
        Err(RenderError::InvalidPlan(_))
    ));
    let mut bad = plan(Layout::Two, Paper::Six, Dpi::D300).unwrap();
    bad.sheets[1].placements[0].x = 0;
    assert!(matches!(
        render_sheets(&bad, &photo, "", None),
        Err(RenderError::InvalidPlan(_))
    ));
    let mut bad = plan(Layout::Two, Paper::Six, Dpi::D300).unwrap();
    bad.sheets[0].width_px = 0;
    assert!(render_sheets(&bad, &photo, "", None).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096), soi in any::<bool>()) {
        let plan = plan(Layout::SingleOneInch, Paper::Five, Dpi::D254).unwrap();
        let mut data = if soi { vec![0xFF, 0xD8, 0xFF] } else { Vec::new() };
        data.extend(bytes);
        prop_assert!(render_sheets(&plan, &data, "x", None).is_err());
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// A real photo with bytes flipped: an error or sheets, never a panic.
    #[test]
    fn corrupted_photos_never_panic(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut photo = synthetic_photo();
        for (i, b) in flips {
            let i = i.index(photo.len());
            photo[i] = b;
        }
        let plan = plan(Layout::SingleTwoInch, Paper::Five, Dpi::D254).unwrap();
        let _ = render_sheets(&plan, &photo, "x", None);
    }
}
