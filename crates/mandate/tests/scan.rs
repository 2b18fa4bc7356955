//! The signed scan is accepted by what it is, not by what it is called.

use std::io::Cursor;
use std::path::Path;

use chrono::NaiveDate;
use photoroll_mandate::{
    CjkFont, MAX_SCAN_BYTES, MandateCategory, MandateDoc, ScanError, ScanKind, check_scan,
    check_scan_file,
};
use proptest::prelude::*;

fn rendered_pdf() -> Vec<u8> {
    let doc = MandateDoc {
        provider: "光影采集".into(),
        school_name: "河北大学".into(),
        school_code: "10075".into(),
        categories: vec![MandateCategory {
            name: "研究生".into(),
            price: "30.00".into(),
        }],
        years: 1,
        from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        until: NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"),
        handler: "刘晨阳".into(),
        mandate_no: "1".into(),
    };
    let font = CjkFont::find().unwrap_or_else(|e| panic!("{e}"));
    photoroll_mandate::render(&doc, &font).unwrap_or_else(|e| panic!("{e}"))
}

fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(16, 12, |x, y| image::Rgb([x as u8 * 16, y as u8 * 20, 90]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

fn file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn refused(result: Result<ScanKind, ScanError>) -> String {
    match result {
        Err(e @ ScanError::NotAScan { .. }) => e.to_string(),
        other => panic!("expected NotAScan, got {other:?}"),
    }
}

#[test]
fn real_pdf_jpeg_and_png_are_accepted_whatever_their_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (bytes, kind) in [
        (rendered_pdf(), ScanKind::Pdf),
        (encoded(image::ImageFormat::Jpeg), ScanKind::Jpeg),
        (encoded(image::ImageFormat::Png), ScanKind::Png),
    ] {
        assert_eq!(check_scan(&bytes).ok(), Some(kind));
        // Named wrongly on purpose: the content decides.
        let path = file(dir.path(), "scan.bin", &bytes);
        let (got, read) = check_scan_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got, kind);
        assert_eq!(read, bytes);
    }
}

#[test]
fn a_zip_html_or_empty_file_named_pdf_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00scan.pdf and more bytes of a zip archive";
    let message = refused(check_scan_file(&file(dir.path(), "委托书.pdf", zip)).map(|(k, _)| k));
    assert!(
        message.contains("PDF、JPEG 或 PNG") && message.contains("zip"),
        "{message}"
    );

    let html = b"<!DOCTYPE html><html><head><title>Login</title></head><body>%PDF</body></html>";
    let message = refused(check_scan(html));
    assert!(message.contains("HTML"), "{message}");

    let message = refused(check_scan_file(&file(dir.path(), "empty.pdf", b"")).map(|(k, _)| k));
    assert!(message.contains("空文件"), "{message}");
}

#[test]
fn a_truncated_pdf_or_image_is_refused() {
    let pdf = rendered_pdf();
    let cut = &pdf[..pdf.len() - 2000];
    let message = refused(check_scan(cut));
    assert!(message.contains("%%EOF"), "{message}");

    let jpeg = encoded(image::ImageFormat::Jpeg);
    refused(check_scan(&jpeg[..jpeg.len() - 10]));
    let png = encoded(image::ImageFormat::Png);
    refused(check_scan(&png[..20]));
}

#[test]
fn a_huge_file_is_refused_by_its_length_without_being_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.pdf");
    let f = std::fs::File::create(&path).expect("create");
    // Sparse: takes no disk, and reading it would take seconds and a gigabyte of memory.
    f.set_len(1024 * 1024 * 1024).expect("set_len");
    // Refused by the length its metadata states; a read would need a gigabyte of memory.
    match check_scan_file(&path) {
        Err(ScanError::TooLarge { bytes }) => assert_eq!(bytes, 1024 * 1024 * 1024),
        other => panic!(
            "expected TooLarge, got {:?}",
            other.map(|(k, b)| (k, b.len()))
        ),
    }

    let just_over = dir.path().join("over.pdf");
    std::fs::File::create(&just_over)
        .expect("create")
        .set_len(MAX_SCAN_BYTES + 1)
        .expect("set_len");
    let err = check_scan_file(&just_over)
        .map(|(k, _)| k)
        .expect_err("too large");
    assert!(err.to_string().contains("过大"), "{err}");
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = check_scan_file(Path::new("/nonexistent/委托书.pdf")).expect_err("missing");
    assert!(matches!(err, ScanError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("委托书.pdf"), "{err}");
}

proptest! {
    #[test]
    fn check_scan_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = check_scan(&bytes);
    }

    #[test]
    fn check_scan_never_panics_near_the_magic_numbers(
        prefix in prop_oneof![
            Just(b"%PDF-".to_vec()),
            Just(vec![0xFF, 0xD8, 0xFF]),
            Just(vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n']),
        ],
        rest in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = prefix;
        bytes.extend(rest);
        let _ = check_scan(&bytes);
    }
}
