//! Random and mutated bytes never panic the reader: every archive opens and reads, or is
//! refused with a clean error.

mod common;

use common::{Raw, build, good_zip};
use photoroll_archive::{ArchiveReader, Limits};
use proptest::prelude::*;
use std::io::Cursor;

fn exercise(bytes: Vec<u8>) {
    let limits = Limits {
        max_entry_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        ..Limits::DEFAULT
    };
    let Ok(mut zip) = ArchiveReader::new(Cursor::new(bytes), limits) else {
        return;
    };
    for i in 0..zip.len() {
        let mut out = Vec::new();
        if let Ok(copied) = zip.copy_index_to(i, &mut out) {
            assert_eq!(copied.bytes, out.len() as u64);
            assert!(out.len() as u64 <= zip.entries()[i].size);
        }
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let text = b"{\"format\":\"photoroll\",\"entries\":{}}".repeat(20);
    vec![
        good_zip(&[
            ("manifest.json", &text, true),
            ("photos/a", b"0123456789", false),
        ]),
        build(&[
            Raw::deflated("a", &[0u8; 4000]),
            Raw::stored("b/c", b"hello"),
            Raw {
                zip64: true,
                ..Raw::stored("z", b"zip64 sizes")
            },
        ]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        exercise(bytes);
    }

    #[test]
    fn mutated_zips_never_panic(
        seed in 0usize..2,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = seeds().swap_remove(seed);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            let n = cut.index(bytes.len());
            bytes.truncate(n);
        }
        exercise(bytes);
    }

    /// The end records are where sizes, counts and offsets live: mutate those harder.
    #[test]
    fn mutated_directories_never_panic(
        seed in 0usize..2,
        flips in proptest::collection::vec((0usize..160, any::<u8>()), 1..8),
    ) {
        let mut bytes = seeds().swap_remove(seed);
        let len = bytes.len();
        for (back, value) in flips {
            let i = len - 1 - back.min(len - 1);
            bytes[i] = value;
        }
        exercise(bytes);
    }
}
