//! Zips written byte by byte, for the shapes a zip library refuses to write: duplicate names,
//! overlapping entries, lying sizes, hostile names, 100,000 entries.
#![allow(dead_code)]

use std::io::{Cursor, Read, Write};

#[derive(Debug, Clone)]
pub struct Raw {
    pub name: Vec<u8>,
    /// 0 stored, 8 deflate.
    pub method: u16,
    pub flags: u16,
    pub crc: u32,
    /// Declared sizes (what the headers say, whatever `data` is).
    pub size: u64,
    pub compressed_size: u64,
    pub data: Vec<u8>,
    /// Sizes go into a zip64 extra field.
    pub zip64: bool,
    /// Version made by (high byte: 3 = Unix) and external attributes (Unix mode << 16).
    pub made_by: u16,
    pub external: u32,
    /// Point this entry's central header at the local header of entry `n` instead of its own.
    pub same_as: Option<usize>,
}

impl Raw {
    /// A stored entry holding `data`, honestly declared.
    pub fn stored(name: &str, data: &[u8]) -> Raw {
        Raw {
            name: name.as_bytes().to_vec(),
            method: 0,
            flags: 0x0800,
            crc: crc32(data),
            size: data.len() as u64,
            compressed_size: data.len() as u64,
            data: data.to_vec(),
            zip64: false,
            made_by: 20,
            external: 0,
            same_as: None,
        }
    }

    /// A deflated entry holding `data`, honestly declared.
    pub fn deflated(name: &str, data: &[u8]) -> Raw {
        let (compressed, crc) = deflate(data);
        Raw {
            method: 8,
            crc,
            size: data.len() as u64,
            compressed_size: compressed.len() as u64,
            data: compressed,
            ..Raw::stored(name, b"")
        }
    }
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u64le(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The zip's bytes: local headers and data, central directory, (zip64) end records.
pub fn build(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::with_capacity(entries.len());
    for e in entries {
        if let Some(n) = e.same_as {
            offsets.push(offsets[n]);
            continue;
        }
        offsets.push(out.len() as u64);
        out.extend_from_slice(b"PK\x03\x04");
        u16le(&mut out, if e.zip64 { 45 } else { 20 });
        u16le(&mut out, e.flags);
        u16le(&mut out, e.method);
        u16le(&mut out, 0);
        u16le(&mut out, 0x21);
        u32le(&mut out, e.crc);
        let extra = if e.zip64 {
            let mut x = Vec::new();
            u16le(&mut x, 1);
            u16le(&mut x, 16);
            u64le(&mut x, e.size);
            u64le(&mut x, e.compressed_size);
            x
        } else {
            Vec::new()
        };
        if e.zip64 {
            u32le(&mut out, u32::MAX);
            u32le(&mut out, u32::MAX);
        } else {
            u32le(&mut out, e.compressed_size as u32);
            u32le(&mut out, e.size as u32);
        }
        u16le(&mut out, e.name.len() as u16);
        u16le(&mut out, extra.len() as u16);
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&extra);
        out.extend_from_slice(&e.data);
    }
    let cd_start = out.len() as u64;
    for (e, &offset) in entries.iter().zip(&offsets) {
        out.extend_from_slice(b"PK\x01\x02");
        u16le(&mut out, e.made_by);
        u16le(&mut out, if e.zip64 { 45 } else { 20 });
        u16le(&mut out, e.flags);
        u16le(&mut out, e.method);
        u16le(&mut out, 0);
        u16le(&mut out, 0x21);
        u32le(&mut out, e.crc);
        let extra = if e.zip64 {
            let mut x = Vec::new();
            u16le(&mut x, 1);
            u16le(&mut x, 16);
            u64le(&mut x, e.size);
            u64le(&mut x, e.compressed_size);
            x
        } else {
            Vec::new()
        };
        if e.zip64 {
            u32le(&mut out, u32::MAX);
            u32le(&mut out, u32::MAX);
        } else {
            u32le(&mut out, e.compressed_size as u32);
            u32le(&mut out, e.size as u32);
        }
        u16le(&mut out, e.name.len() as u16);
        u16le(&mut out, extra.len() as u16);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u32le(&mut out, e.external);
        u32le(&mut out, offset as u32);
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&extra);
    }
    let cd_size = out.len() as u64 - cd_start;
    let count = entries.len() as u64;
    let zip64 = count >= 0xFFFF;
    if zip64 {
        let eocd64 = out.len() as u64;
        out.extend_from_slice(b"PK\x06\x06");
        u64le(&mut out, 44);
        u16le(&mut out, 45);
        u16le(&mut out, 45);
        u32le(&mut out, 0);
        u32le(&mut out, 0);
        u64le(&mut out, count);
        u64le(&mut out, count);
        u64le(&mut out, cd_size);
        u64le(&mut out, cd_start);
        out.extend_from_slice(b"PK\x06\x07");
        u32le(&mut out, 0);
        u64le(&mut out, eocd64);
        u32le(&mut out, 1);
    }
    out.extend_from_slice(b"PK\x05\x06");
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    let short = if zip64 { 0xFFFF } else { count as u16 };
    u16le(&mut out, short);
    u16le(&mut out, short);
    u32le(&mut out, cd_size as u32);
    u32le(&mut out, cd_start as u32);
    u16le(&mut out, 0);
    out
}

/// Deflates `data` with the zip crate and returns the raw deflate stream and its CRC-32.
pub fn deflate(data: &[u8]) -> (Vec<u8>, u32) {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(data.len() > u32::MAX as usize / 2);
    w.start_file("x", options).unwrap();
    w.write_all(data).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let crc = zip.by_index_data(0).unwrap().crc32();
    let mut raw = Vec::new();
    zip.by_index_raw(0).unwrap().read_to_end(&mut raw).unwrap();
    (raw, crc)
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A well-formed zip written by the zip crate: (name, bytes, deflated?).
pub fn good_zip(files: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes, deflated) in files {
        let method = if *deflated {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        w.start_file(
            *name,
            zip::write::SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}
