//! Any bytes: the reader opens and reads them, or refuses them with an error; it never panics,
//! and never inflates more than the limits allow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use photoroll_archive::{ArchiveReader, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_entry_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        ..Limits::DEFAULT
    };
    if let Ok(mut zip) = ArchiveReader::new(std::io::Cursor::new(data), limits) {
        for i in 0..zip.len() {
            if let Ok(copied) = zip.copy_index_to(i, &mut std::io::sink()) {
                assert!(copied.bytes <= zip.entries()[i].size);
            }
        }
    }
});
