//! Shared helpers: locating the real recordings (failing loudly when they are
//! absent), loading the MNE fixtures, and building small synthetic EDF files.

#![allow(dead_code)]

use std::path::PathBuf;

/// Path of a file under `../shared/data` (relative to the project root).
///
/// # Panics
///
/// With an explanation when the data directory or the file is missing: these
/// tests must never pass by skipping.
pub fn data_file(rel: &str) -> PathBuf {
    data_file_in(
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
        rel,
    )
}

/// [`data_file`] under another root (for testing the check itself).
pub fn data_file_in(root: PathBuf, rel: &str) -> PathBuf {
    assert!(
        root.is_dir(),
        "the real EEG recordings are missing: expected the directory {} (../shared/data next to the project root); \
         these tests need it and do not skip",
        root.display()
    );
    let path = root.join(rel);
    assert!(
        path.is_file(),
        "recording {} is missing from {}",
        rel,
        root.display()
    );
    path
}

/// Raw bytes of a recording under `../shared/data`.
pub fn data_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(data_file(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// A fixture written by `tools/formats/make_reference.py`.
pub fn fixture(name: &str) -> serde_json::Value {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad fixture {}: {e}", path.display()))
}

/// One signal of a synthetic EDF/BDF file.
pub struct Sig<'a> {
    pub label: &'a str,
    pub spr: usize,
    pub pmin: f64,
    pub pmax: f64,
    pub dmin: i32,
    pub dmax: i32,
}

/// Builds an EDF (`width` 2) or BDF (`width` 3) file: header fields from the
/// arguments, then `records` raw data records (already encoded).
pub fn synth(
    width: usize,
    reserved: &str,
    n_records: i64,
    duration: &str,
    sigs: &[Sig<'_>],
    records: &[Vec<u8>],
) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, s: &str, len: usize) {
        let mut b = s.as_bytes().to_vec();
        b.resize(len, b' ');
        out.extend_from_slice(&b[..len]);
    }
    let ns = sigs.len();
    let mut h = Vec::new();
    if width == 3 {
        h.push(0xff);
        field(&mut h, "BIOSEMI", 7);
    } else {
        field(&mut h, "0", 8);
    }
    field(&mut h, "X X X X", 80);
    field(&mut h, "Startdate 01-JAN-2020 X X X", 80);
    field(&mut h, "01.01.20", 8);
    field(&mut h, "10.11.12", 8);
    field(&mut h, &(256 * (ns + 1)).to_string(), 8);
    field(&mut h, reserved, 44);
    field(&mut h, &n_records.to_string(), 8);
    field(&mut h, duration, 8);
    field(&mut h, &ns.to_string(), 4);
    for s in sigs {
        field(&mut h, s.label, 16);
    }
    for _ in sigs {
        field(&mut h, "AgAgCl", 80);
    }
    for _ in sigs {
        field(&mut h, "uV", 8);
    }
    for s in sigs {
        field(&mut h, &s.pmin.to_string(), 8);
    }
    for s in sigs {
        field(&mut h, &s.pmax.to_string(), 8);
    }
    for s in sigs {
        field(&mut h, &s.dmin.to_string(), 8);
    }
    for s in sigs {
        field(&mut h, &s.dmax.to_string(), 8);
    }
    for _ in sigs {
        field(&mut h, "HP:0.1Hz", 80);
    }
    for s in sigs {
        field(&mut h, &s.spr.to_string(), 8);
    }
    for _ in sigs {
        field(&mut h, "", 32);
    }
    for r in records {
        h.extend_from_slice(r);
    }
    h
}

/// Encodes digital values as little-endian samples of `width` bytes.
pub fn encode(width: usize, values: &[i32]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|v| v.to_le_bytes()[..width].to_vec())
        .collect()
}

/// Encodes annotation text into a signal of `spr` samples of `width` bytes.
pub fn annotation_signal(width: usize, spr: usize, text: &[u8]) -> Vec<u8> {
    let mut b = text.to_vec();
    assert!(b.len() <= spr * width, "annotation text too long");
    b.resize(spr * width, 0);
    b
}
