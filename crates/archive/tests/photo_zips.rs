//! Photo zips (`Limits::PHOTOS`): names from Chinese Windows tools read as GBK, and unsafe
//! entries listed for the import to report instead of refusing the whole archive.

mod common;

use common::{Raw, build};
use photoroll_archive::{ArchiveError, ArchiveReader, LegacyNames, Limits, UnsafeEntries};
use std::io::Cursor;

fn open(bytes: Vec<u8>, limits: Limits) -> Result<ArchiveReader<Cursor<Vec<u8>>>, ArchiveError> {
    ArchiveReader::new(Cursor::new(bytes), limits)
}

/// An entry whose name is `raw` bytes with the UTF-8 flag off, as Windows' zip tool writes.
fn legacy(raw: &[u8], data: &[u8]) -> Raw {
    Raw {
        name: raw.to_vec(),
        flags: 0,
        ..Raw::stored("", data)
    }
}

#[test]
fn names_that_are_not_utf8_are_gbk_in_a_photo_zip() {
    // "照片/张三.jpg" in GBK.
    let (gbk, _, _) = encoding_rs::GBK.encode("照片/张三.jpg");
    let bytes = build(&[
        legacy(&gbk, b"photo"),
        // UTF-8 without the flag (macOS, Linux) stays UTF-8.
        legacy("李四.jpg".as_bytes(), b"other"),
    ]);
    let mut zip = open(bytes.clone(), Limits::PHOTOS).unwrap();
    assert_eq!(zip.entries()[0].name, "照片/张三.jpg");
    assert_eq!(zip.entries()[1].name, "李四.jpg");
    assert_eq!(zip.read("照片/张三.jpg").unwrap().0, b"photo");
    // Other archives keep the specification's CP437.
    let zip = open(bytes, Limits::DEFAULT).unwrap();
    assert_ne!(zip.entries()[0].name, "照片/张三.jpg");
    assert_eq!(Limits::DEFAULT.legacy_names, LegacyNames::Cp437);
    // Bytes that are neither UTF-8 nor GBK fall back to CP437 instead of failing.
    let zip = open(build(&[legacy(&[0x81, 0x20, 0xFF], b"x")]), Limits::PHOTOS).unwrap();
    assert_eq!(zip.entries()[0].name.chars().count(), 3);
}

#[test]
fn unsafe_entries_are_listed_never_read_and_the_rest_is_usable() {
    let link = Raw {
        made_by: 3 << 8 | 20,
        external: 0o120_777 << 16,
        ..Raw::stored("link.jpg", b"/etc/passwd")
    };
    let bytes = build(&[
        Raw::stored("ok.jpg", b"good"),
        Raw::stored("../x.jpg", b"up"),
        Raw::stored("/etc/x.jpg", b"root"),
        Raw::stored("a\\..\\b.jpg", b"back"),
        link,
    ]);
    assert!(matches!(
        open(bytes.clone(), Limits::DEFAULT),
        Err(ArchiveError::BadName { .. })
    ));
    assert_eq!(Limits::PHOTOS.unsafe_entries, UnsafeEntries::List);
    let mut zip = open(bytes, Limits::PHOTOS).unwrap();
    assert_eq!(zip.len(), 5);
    assert_eq!(zip.entries()[0].unsafe_reason, None);
    assert_eq!(zip.read("ok.jpg").unwrap().0, b"good");
    for i in 1..5 {
        let reason = zip.entries()[i].unsafe_reason.clone().unwrap();
        assert!(!reason.is_empty());
        let mut out = Vec::new();
        let err = zip.copy_index_to(i, &mut out).unwrap_err();
        assert!(
            matches!(err, ArchiveError::BadName { .. } | ArchiveError::Symlink(_)),
            "{err:?}"
        );
        assert!(out.is_empty(), "no byte of an unsafe entry is read");
        assert!(zip.verify_index(i).is_err());
    }
    assert!(
        zip.entries()[4]
            .unsafe_reason
            .as_deref()
            .unwrap()
            .contains("符号链接")
    );
}

#[test]
fn verify_inflates_without_keeping_and_catches_a_lying_size() {
    let lying = Raw {
        size: 10,
        ..Raw::deflated("b.jpg", &[7u8; 5000])
    };
    let bytes = build(&[Raw::deflated("a.jpg", &[1u8; 5000]), lying]);
    let mut zip = open(bytes, Limits::PHOTOS).unwrap();
    assert_eq!(zip.verify_index(0).unwrap(), 5000);
    let err = zip.verify_index(1);
    assert!(
        matches!(
            err,
            Err(ArchiveError::SizeMismatch { .. } | ArchiveError::Corrupt { .. })
        ),
        "{err:?}"
    );
    // Verified entries are counted once toward the total when read again.
    assert_eq!(
        zip.copy_index_to(0, &mut std::io::sink()).unwrap().bytes,
        5000
    );
}

#[test]
fn zip64_markers_in_the_end_record_are_not_sizes() {
    // The zip crate writes 0xFFFFFFFF for the directory's size and offset in the classic end
    // record whenever an archive needs zip64 (a 6 GB photo zip, a big backup): the real values
    // are in the zip64 record, and those are what the limits are held to.
    let entries: Vec<Raw> = (0..70_000)
        .map(|i| Raw::stored(&format!("{i}.jpg"), b""))
        .collect();
    let mut bytes = build(&entries);
    let eocd = bytes.len() - 22;
    assert_eq!(&bytes[eocd..eocd + 4], b"PK\x05\x06");
    bytes[eocd + 12..eocd + 20].fill(0xFF);
    let zip = open(bytes.clone(), Limits::PHOTOS).unwrap();
    assert_eq!(zip.len(), 70_000);
    // The limit still holds, on the zip64 record's count.
    let small = Limits {
        max_entries: 60_000,
        ..Limits::PHOTOS
    };
    assert!(matches!(
        open(bytes, small),
        Err(ArchiveError::TooManyEntries { count: 70_000, .. })
    ));
}
