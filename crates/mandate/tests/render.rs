//! The mandate PDF as a reader sees it: poppler extracts its text and renders its page.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use photoroll_mandate::{CjkFont, MandateCategory, MandateDoc, MandateError, ScanKind};

fn doc(school: &str) -> MandateDoc {
    MandateDoc {
        provider: "石家庄光影图像采集有限公司".into(),
        school_name: school.into(),
        school_code: "10075".into(),
        categories: vec![
            MandateCategory {
                name: "成人高等教育".into(),
                price: "25.00".into(),
            },
            MandateCategory {
                name: "研究生".into(),
                price: "30.00".into(),
            },
        ],
        years: 3,
        from: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        until: NaiveDate::from_ymd_opt(2029, 12, 1).expect("date"),
        handler: "刘晨阳".into(),
        mandate_no: "WT-20261201-0042".into(),
    }
}

fn font() -> CjkFont {
    CjkFont::find().unwrap_or_else(|e| panic!("{e}"))
}

/// A poppler tool's stdout. Missing poppler fails the test: CI installs poppler-utils, and a
/// skipped check would pass a PDF nobody looked at.
fn poppler(tool: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "{tool} is needed for this test (install poppler-utils: apt install poppler-utils): {e}"
        )
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn pdf_text(pdf: &Path) -> String {
    let text = String::from_utf8(poppler("pdftotext", &[&pdf.to_string_lossy(), "-"]))
        .expect("pdftotext writes UTF-8");
    // Line breaks fall wherever the layout wrapped: compare without them.
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn render_to(dir: &Path, name: &str, doc: &MandateDoc) -> std::path::PathBuf {
    let start = std::time::Instant::now();
    let font = font();
    let found = start.elapsed();
    let pdf = photoroll_mandate::render(doc, &font).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "render {name}: {} bytes; font found and read in {found:?}, rendered in {:?}",
        pdf.len(),
        start.elapsed() - found
    );
    let path = dir.join(name);
    std::fs::write(&path, &pdf).expect("write pdf");
    // To look at the pages by hand: PHOTOROLL_MANDATE_OUT=/tmp/out cargo test -p photoroll-mandate
    if let Some(out) = std::env::var_os("PHOTOROLL_MANDATE_OUT") {
        std::fs::create_dir_all(&out).expect("create the copy folder");
        std::fs::write(Path::new(&out).join(name), &pdf).expect("write the copy");
    }
    path
}

#[test]
fn the_mandate_reads_back_as_text_on_an_a4_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = render_to(dir.path(), "mandate.pdf", &doc("河北大学"));
    let bytes = std::fs::read(&path).expect("read pdf");

    let text = pdf_text(&path);
    for expected in [
        "委托书",
        "河北大学",
        "10075",
        "石家庄光影图像采集有限公司",
        "成人高等教育",
        "研究生",
        "25.00",
        "30.00",
        "元/人",
        "刘晨阳",
        "委托3年，即日起至2029年12月01日",
        "毕业生图像采集",
        "学历证书电子注册",
        "委托方（盖章）",
        "法定代表人或授权代表（签字）",
        "WT-20261201-0042",
    ] {
        assert!(
            text.contains(expected),
            "{expected} not in the PDF text:\n{text}"
        );
    }

    // A subset of the font is embedded, not the whole 20 MB collection.
    assert!(bytes.len() < 500 * 1024, "{} bytes", bytes.len());
    let raw = String::from_utf8_lossy(&bytes);
    assert!(raw.contains("/FontFile"), "no embedded font file");
    let subset_tag = raw.split("/BaseFont").skip(1).any(|rest| {
        let rest = rest.trim_start().trim_start_matches('/');
        let tag: Vec<u8> = rest.bytes().take(7).collect();
        tag.len() == 7 && tag[..6].iter().all(u8::is_ascii_uppercase) && tag[6] == b'+'
    });
    assert!(subset_tag, "no subset tag (ABCDEF+) on the embedded font");

    assert_eq!(
        photoroll_mandate::check_scan(&bytes).ok(),
        Some(ScanKind::Pdf)
    );

    let prefix = dir.path().join("page");
    poppler(
        "pdftoppm",
        &[
            "-r",
            "50",
            "-png",
            &path.to_string_lossy(),
            &prefix.to_string_lossy(),
        ],
    );
    let pages: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(pages.len(), 1, "one page: {pages:?}");
    let page = image::open(&pages[0])
        .expect("read the page PNG")
        .to_luma8();
    let ratio = page.width() as f32 / page.height() as f32;
    assert!(
        (ratio - 210.0 / 297.0).abs() < 0.01,
        "not A4: {}x{}",
        page.width(),
        page.height()
    );
    let dark = page.pixels().filter(|p| p.0[0] < 128).count();
    assert!(
        dark > 1000,
        "the page is (nearly) blank: {dark} dark pixels"
    );
}

#[test]
fn a_long_school_name_wraps_and_stays_whole() {
    let long = "中国人民解放军某某某某某某某某某某某某某某某某某某某某某某某某某某学院继续教育学院（成人高等教育与网络远程教育中心）";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = render_to(dir.path(), "long.pdf", &doc(long));
    let text = pdf_text(&path);
    assert!(text.contains(long), "{long} not in:\n{text}");
    // Wrapping in the signature boxes too keeps the signatures on the page with the terms.
    let info = String::from_utf8(poppler("pdfinfo", &[&path.to_string_lossy()])).expect("utf-8");
    assert!(
        info.lines()
            .any(|l| l.starts_with("Pages:") && l.ends_with(" 1")),
        "{info}"
    );
    // Wrapped, not run off the page: every line of the layout fits between the margins, so
    // pdftotext -layout never shows the name on one line.
    let layout = String::from_utf8(poppler(
        "pdftotext",
        &["-layout", &path.to_string_lossy(), "-"],
    ))
    .expect("utf-8");
    assert!(
        !layout.lines().any(|l| l.contains(long)),
        "the long name was not wrapped"
    );
    let bbox = String::from_utf8(poppler(
        "pdftotext",
        &["-bbox", &path.to_string_lossy(), "-"],
    ))
    .expect("utf-8");
    for word in bbox.lines().filter(|l| l.contains("<word")) {
        let x_max: f32 = word
            .split("xMax=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|v| v.parse().ok())
            .expect("xMax");
        assert!(
            x_max <= 595.28 - 72.0 + 13.0,
            "text past the right margin: {word}"
        );
    }
}

#[test]
fn a_missing_font_or_a_non_font_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let not_a_font = dir.path().join("notes.ttc");
    std::fs::write(&not_a_font, "这不是字体 this is not a font").expect("write");
    let err = CjkFont::from_path(&not_a_font, None).expect_err("not a font");
    assert!(matches!(err, MandateError::NotAFont { .. }), "{err:?}");
    assert!(err.to_string().contains("不是可用的字体文件"), "{err}");
    assert!(err.to_string().contains("notes.ttc"), "{err}");

    let err = CjkFont::from_path(&dir.path().join("nothing.ttf"), None).expect_err("missing");
    assert!(matches!(err, MandateError::FontRead { .. }), "{err:?}");

    let message = MandateError::NoCjkFont {
        searched: vec!["/usr/share/fonts".into()],
    }
    .to_string();
    assert!(message.contains("apt install fonts-noto-cjk"), "{message}");
    assert!(message.contains("找不到中文字体"), "{message}");
}

#[test]
fn the_simplified_chinese_face_of_a_collection_is_chosen_by_name() {
    let font = font();
    if font
        .path()
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ttc"))
        && font.family().contains("CJK")
    {
        assert!(font.family().ends_with(" SC"), "{font:?}");
    }
    let explicit = CjkFont::from_path(font.path(), Some(font.index())).expect("same face");
    assert_eq!(explicit.family(), font.family());
    let err = CjkFont::from_path(font.path(), Some(999)).expect_err("no such face");
    assert!(matches!(err, MandateError::NoSuchFace { .. }), "{err:?}");
}

#[test]
fn a_character_the_font_lacks_is_named_not_printed_as_a_box() {
    let mut d = doc("河北大学");
    // A Linear B syllable: no CJK font has it.
    d.handler = "刘\u{10000}".into();
    let err = photoroll_mandate::render(&d, &font()).expect_err("missing glyph");
    match err {
        MandateError::MissingGlyph { ch, .. } => assert_eq!(ch, '\u{10000}'),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_wrong_school_code_or_term_is_refused() {
    let mut d = doc("河北大学");
    d.school_code = "1007".into();
    assert!(matches!(
        photoroll_mandate::render(&d, &font()),
        Err(MandateError::InvalidDoc(_))
    ));
    let mut d = doc("河北大学");
    d.until = d.from;
    assert!(matches!(
        photoroll_mandate::render(&d, &font()),
        Err(MandateError::InvalidDoc(_))
    ));
}
