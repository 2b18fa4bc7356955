//! Crafted hostile zips: each is refused with a clean error, without inflating its payload, in
//! bounded memory (measured by a counting allocator, per thread).
#![allow(unsafe_code)] // the counting allocator

mod common;

use common::{Raw, build, good_zip};
use photoroll_archive::{ArchiveError, ArchiveReader, Limits};
use sha2::{Digest, Sha256};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Cursor, Write};

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counts are kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        account(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            account(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most memory it held at once on this thread.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    let peak = PEAK.with(Cell::get) - start;
    (out, peak.max(0) as usize)
}

const MIB: usize = 1024 * 1024;
/// What refusing any bomb below may cost: the parsed directory of a few entries, one 64 KiB
/// buffer, the inflater's window.
const BOUNDED: usize = 4 * MIB;

fn open(bytes: Vec<u8>, limits: Limits) -> Result<ArchiveReader<Cursor<Vec<u8>>>, ArchiveError> {
    ArchiveReader::new(Cursor::new(bytes), limits)
}

/// Opens and reads every entry into a sink, as an import would.
fn read_all(bytes: Vec<u8>, limits: Limits) -> Result<u64, ArchiveError> {
    let mut zip = open(bytes, limits)?;
    let mut total = 0;
    for i in 0..zip.len() {
        if !zip.entries()[i].is_dir {
            total += zip.copy_index_to(i, &mut std::io::sink())?.bytes;
        }
    }
    Ok(total)
}

/// A writer that counts what reaches it.
#[derive(Default)]
struct Counter(u64);
impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_good_archive_streams_every_entry_with_its_hash() {
    let photo: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let json = br#"{"students": []}"#.repeat(100);
    let bytes = good_zip(&[
        ("manifest.json", b"{}", true),
        ("pack.json", &json, true),
        ("photos/a.jpg", &photo, false),
    ]);
    let mut zip = open(bytes, Limits::DEFAULT).unwrap();
    assert_eq!(zip.len(), 3);
    assert_eq!(zip.entries()[2].name, "photos/a.jpg");
    assert_eq!(zip.entries()[2].size, photo.len() as u64);
    let mut out = Vec::new();
    let copied = zip.copy_to("photos/a.jpg", &mut out).unwrap();
    assert_eq!(out, photo);
    assert_eq!(copied.bytes, photo.len() as u64);
    assert_eq!(copied.sha256_hex(), hex::encode(Sha256::digest(&photo)));
    let (read, copied) = zip.read("pack.json").unwrap();
    assert_eq!(read, json);
    assert_eq!(copied.sha256, <[u8; 32]>::from(Sha256::digest(&json)));
    // Reading twice is fine and does not count twice toward the total.
    assert_eq!(zip.hash("pack.json").unwrap(), copied);
    assert!(matches!(zip.read("nope"), Err(ArchiveError::Missing(n)) if n == "nope"));
    assert!(zip.contains("manifest.json"));
}

#[test]
fn a_stray_end_record_signature_inside_a_photo_is_not_an_end_record() {
    // A photo whose last bytes look like an end record declaring 65,534 entries.
    let mut photo = vec![9u8; 1000];
    photo.extend_from_slice(b"PK\x05\x06\0\0\xfe\xff\xfe\xff\x10\0\0\0\x20\0\0\0\0\0");
    photo.extend_from_slice(&[7u8; 100]);
    let bytes = good_zip(&[("manifest.json", b"{}", true), ("photos/p", &photo, false)]);
    let mut zip = open(bytes, Limits::STATION_PACK).unwrap();
    assert_eq!(zip.read("photos/p").unwrap().0, photo);
}

#[test]
fn a_big_entry_streams_in_bounded_memory() {
    // 40 MB of photo-like bytes, stored: hashed to a sink without ever being held.
    let big: Vec<u8> = (0..40 * MIB as u32).map(|i| (i ^ (i >> 9)) as u8).collect();
    let bytes = good_zip(&[("photo.jpg", &big, false)]);
    let want = hex::encode(Sha256::digest(&big));
    drop(big);
    let (copied, peak) = peak_during(|| {
        let mut zip = open(bytes, Limits::DEFAULT).unwrap();
        zip.hash("photo.jpg").unwrap()
    });
    assert_eq!(copied.sha256_hex(), want);
    assert!(peak < BOUNDED, "peak {peak}");
}

#[test]
fn overlapping_entries_are_refused() {
    // 500 central-directory entries share one local entry of 1 MiB of zeros: each is under
    // every size and ratio limit, together they would inflate 500 MiB from 1 KiB.
    let zeros = vec![0u8; MIB];
    let first = Raw::deflated("0", &zeros);
    let mut entries = vec![first.clone()];
    for i in 1..500 {
        entries.push(Raw {
            name: i.to_string().into_bytes(),
            same_as: Some(0),
            ..first.clone()
        });
    }
    let bytes = build(&entries);
    assert!(bytes.len() < 64 * 1024);
    let (result, peak) = peak_during(|| read_all(bytes, Limits::DEFAULT));
    assert!(
        matches!(result, Err(ArchiveError::Overlapping)),
        "{result:?}"
    );
    assert!(peak < BOUNDED, "peak {peak}");

    // A second local header inside the first's data: overlapping too.
    let a = Raw::stored("a", &[7u8; 200]);
    let mut bytes = build(&[a.clone(), Raw::stored("b", b"b")]);
    // Point b's central header into a's data (offset 40).
    let cd = bytes.len() - 22 - (46 + 1) * 2;
    let b_cd = cd + 46 + 1;
    bytes[b_cd + 42..b_cd + 46].copy_from_slice(&40u32.to_le_bytes());
    let result = read_all(bytes, Limits::DEFAULT);
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn a_hundred_thousand_entries_are_refused_before_the_directory_is_read() {
    let entries: Vec<Raw> = (0..100_000)
        .map(|i| Raw::stored(&format!("{i:06}"), b"x"))
        .collect();
    let bytes = build(&entries);
    drop(entries);
    let copy = bytes.clone();
    let (result, peak) = peak_during(|| read_all(copy, Limits::DEFAULT));
    assert!(
        matches!(
            result,
            Err(ArchiveError::TooManyEntries {
                count: 100_000,
                limit: 10_000
            })
        ),
        "{result:?}"
    );
    // Refused from the end record: the 10 MB directory is never parsed.
    assert!(peak < MIB, "peak {peak}");
    let msg = result.unwrap_err().to_string();
    assert!(
        msg.contains("条目过多") && msg.contains("too many entries"),
        "{msg}"
    );

    // The same file is a valid zip: allowed 100,000 entries, it reads.
    let limits = Limits {
        max_entries: 100_000,
        ..Limits::DEFAULT
    };
    assert_eq!(read_all(bytes, limits).unwrap(), 100_000);
}

#[test]
fn a_thousand_to_one_entry_is_refused_before_it_is_inflated() {
    let zeros = vec![0u8; 16 * MIB];
    let bytes = good_zip(&[("pack.json", &zeros, true)]);
    drop(zeros);
    assert!(bytes.len() < 64 * 1024, "{}", bytes.len());
    for limits in [
        Limits::DEFAULT,
        Limits::STATION_PACK,
        Limits::STATION_CAPTURES,
        Limits::BACKUP,
        Limits::PHOTOS,
    ] {
        let copy = bytes.clone();
        let (result, peak) = peak_during(|| read_all(copy, limits));
        match result {
            Err(ArchiveError::RatioTooHigh {
                entry,
                size,
                compressed,
                ..
            }) => {
                assert_eq!(entry, "pack.json");
                assert!(size / compressed >= 1000, "{size}/{compressed}");
            }
            other => panic!("{other:?}"),
        }
        assert!(peak < BOUNDED, "peak {peak}");
    }
}

#[test]
fn an_entry_declaring_5_gb_is_refused() {
    let (data, crc) = common::deflate(b"small");
    let five_gb = Raw {
        method: 8,
        crc,
        size: 5_000_000_000,
        compressed_size: data.len() as u64,
        data,
        zip64: true,
        ..Raw::stored("photoroll.db", b"")
    };
    let bytes = build(&[five_gb]);
    let copy = bytes.clone();
    let (result, peak) = peak_during(|| read_all(copy, Limits::BACKUP));
    assert!(
        matches!(
            result,
            Err(ArchiveError::EntryTooLarge {
                size: 5_000_000_000,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(peak < BOUNDED, "peak {peak}");
    let msg = result.unwrap_err().to_string();
    assert!(
        msg.contains("photoroll.db") && msg.contains("过大"),
        "{msg}"
    );

    // Allowed 16 GiB by name, the ratio still refuses it; allowed the ratio too, the total.
    let large = Limits {
        large_entries: &[("photoroll.db", 16 << 30)],
        ..Limits::BACKUP
    };
    let result = read_all(bytes.clone(), large);
    assert!(
        matches!(result, Err(ArchiveError::RatioTooHigh { .. })),
        "{result:?}"
    );
    let no_ratio = Limits {
        max_ratio: u64::MAX,
        max_total_bytes: 1 << 30,
        ..large
    };
    let result = read_all(bytes.clone(), no_ratio);
    assert!(
        matches!(result, Err(ArchiveError::TotalTooLarge { .. })),
        "{result:?}"
    );
    // Allowed everything, reading finds the lie after the five real bytes.
    let anything = Limits {
        max_total_bytes: u64::MAX,
        ..no_ratio
    };
    let result = read_all(bytes, anything);
    assert!(
        matches!(
            result,
            Err(ArchiveError::SizeMismatch {
                declared: 5_000_000_000,
                actual: 5,
                at_least: false,
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn a_lying_declared_size_stops_at_the_declared_size() {
    // Declares 1,000 bytes; its deflate stream holds 32 MiB of zeros.
    let (data, crc) = common::deflate(&vec![0u8; 32 * MIB]);
    let liar = Raw {
        method: 8,
        crc,
        size: 1000,
        compressed_size: data.len() as u64,
        data,
        ..Raw::stored("captures.json", b"")
    };
    let bytes = build(&[liar]);
    let (outcome, peak) = peak_during(|| {
        let mut zip = open(bytes, Limits::DEFAULT).unwrap();
        let mut out = Counter::default();
        let result = zip.copy_to("captures.json", &mut out);
        (result, out.0)
    });
    let (result, written) = outcome;
    assert!(result.is_err(), "{result:?}");
    assert!(result.unwrap_err().is_bad_archive());
    assert!(written <= 1000, "{written}");
    assert!(peak < BOUNDED, "peak {peak}");
}

#[test]
fn a_short_entry_and_a_damaged_entry_are_refused() {
    // Declares more than it holds.
    let mut short = Raw::deflated("a", &[1u8; 5000]);
    short.size = 6000;
    let result = read_all(build(&[short]), Limits::DEFAULT);
    assert!(result.is_err(), "{result:?}");
    // Stored bytes changed after the CRC was taken.
    let mut bad = Raw::stored("a", b"hello");
    bad.data = b"jello".to_vec();
    let result = read_all(build(&[bad]), Limits::DEFAULT);
    assert!(
        matches!(result, Err(ArchiveError::Corrupt { ref entry, .. }) if entry == "a"),
        "{result:?}"
    );
    // Stored, but declaring another size than it stores.
    let mut stored = Raw::stored("a", b"hello");
    stored.size = 500;
    let result = read_all(build(&[stored]), Limits::DEFAULT);
    assert!(
        matches!(result, Err(ArchiveError::SizeMismatch { .. })),
        "{result:?}"
    );
}

#[test]
fn the_total_is_bounded() {
    let entries: Vec<Raw> = (0..10)
        .map(|i| Raw::stored(&format!("photos/{i}"), &[i as u8; 200]))
        .collect();
    let limits = Limits {
        max_total_bytes: 1000,
        ..Limits::DEFAULT
    };
    let result = read_all(build(&entries), limits);
    assert!(
        matches!(
            result,
            Err(ArchiveError::TotalTooLarge {
                total: 1000..,
                limit: 1000
            })
        ),
        "{result:?}"
    );
    let result = read_all(
        build(&entries),
        Limits {
            max_entries: 9,
            ..Limits::DEFAULT
        },
    );
    assert!(
        matches!(result, Err(ArchiveError::TooManyEntries { count: 10, .. })),
        "{result:?}"
    );
}

#[test]
fn traversal_and_odd_names_are_refused() {
    for name in [
        "../evil",
        "photos/../../evil",
        "/etc/passwd",
        "C:/Windows/evil",
        "C:evil",
        "photos\\..\\evil",
        "a\0b",
        "a\nb",
        "a\x7fb",
        "a//b",
        "./a",
        "a/.",
        "",
        "\u{202E}gpj.exe",
    ] {
        let bytes = build(&[Raw::stored("ok", b"1"), Raw::stored(name, b"x")]);
        let result = read_all(bytes, Limits::DEFAULT);
        match result {
            Err(ArchiveError::BadName { entry, .. }) => assert_eq!(entry, name),
            other => panic!("{name:?}: {other:?}"),
        }
    }
    let long = "a".repeat(513);
    let result = read_all(build(&[Raw::stored(&long, b"x")]), Limits::DEFAULT);
    assert!(
        matches!(result, Err(ArchiveError::BadName { .. })),
        "{result:?}"
    );
    // Ordinary names pass, Chinese included; a directory entry is listed, not readable.
    let bytes = build(&[
        Raw::stored("照片/", b""),
        Raw::stored("照片/张三 2024.jpg", b"x"),
        Raw::stored("a..b/.hidden", b"y"),
    ]);
    let mut zip = open(bytes, Limits::DEFAULT).unwrap();
    assert!(zip.entries()[0].is_dir);
    assert!(matches!(
        zip.copy_index_to(0, &mut std::io::sink()),
        Err(ArchiveError::NotAFile(_))
    ));
    assert_eq!(zip.read("照片/张三 2024.jpg").unwrap().0, b"x");
}

#[test]
fn duplicate_names_are_refused() {
    let bytes = build(&[
        Raw::stored("photos/a", b"first"),
        Raw::stored("photos/b", b"other"),
        Raw::stored("photos/a", b"second"),
    ]);
    let result = read_all(bytes, Limits::DEFAULT);
    assert!(
        matches!(result, Err(ArchiveError::DuplicateNames)),
        "{result:?}"
    );
    // Names that differ as bytes but decode the same: "é" in UTF-8 and in CP437 (0x82).
    let bytes = build(&[
        Raw::stored("é", b"first"),
        Raw {
            name: vec![0x82],
            flags: 0,
            ..Raw::stored("", b"second")
        },
    ]);
    let result = read_all(bytes, Limits::DEFAULT);
    assert!(
        matches!(result, Err(ArchiveError::DuplicateName(ref n)) if n == "é"),
        "{result:?}"
    );
}

#[test]
fn symlinks_encryption_and_other_methods_are_refused() {
    let link = Raw {
        made_by: 3 << 8 | 20,
        external: 0o120_777 << 16,
        ..Raw::stored("photo.jpg", b"/etc/passwd")
    };
    let result = read_all(build(&[link]), Limits::DEFAULT);
    assert!(
        matches!(result, Err(ArchiveError::Symlink(_))),
        "{result:?}"
    );

    let encrypted = Raw {
        flags: 0x0801,
        ..Raw::stored("a", b"x")
    };
    let result = read_all(build(&[encrypted]), Limits::DEFAULT);
    assert!(
        matches!(result, Err(ArchiveError::Encrypted(_))),
        "{result:?}"
    );

    let lzma = Raw {
        method: 14,
        ..Raw::stored("a", b"x")
    };
    let result = read_all(build(&[lzma]), Limits::DEFAULT);
    assert!(
        matches!(result, Err(ArchiveError::UnsupportedMethod { .. })),
        "{result:?}"
    );
}

#[test]
fn not_a_zip_is_a_clean_error() {
    for bytes in [Vec::new(), b"not a zip".to_vec(), vec![0u8; 100_000]] {
        let result = open(bytes, Limits::DEFAULT);
        assert!(matches!(result, Err(ArchiveError::NotZip(_))), "{result:?}");
    }
    // A truncated good zip.
    let good = good_zip(&[("a", &[5u8; 10_000], true)]);
    let result = read_all(good[..good.len() - 10].to_vec(), Limits::DEFAULT);
    assert!(result.is_err());
}

#[test]
fn messages_name_the_entry_and_the_limit_in_both_languages() {
    let err = ArchiveError::EntryTooLarge {
        entry: "photos/x".into(),
        size: 70_000_000,
        limit: 67_108_864,
    };
    let msg = err.to_string();
    for part in ["photos/x", "70000000", "67108864", "过大", "too large"] {
        assert!(msg.contains(part), "{msg}");
    }
    let err = ArchiveError::SizeMismatch {
        entry: "a".into(),
        declared: 10,
        actual: 11,
        at_least: true,
    };
    assert!(err.to_string().contains("or more"), "{err}");
}
