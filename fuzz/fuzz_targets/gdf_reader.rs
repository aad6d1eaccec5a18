//! Arbitrary bytes as a GDF file: the reader must give a recording or a
//! `FormatError`, never panic, hang or allocate what the bytes announce
//! without having it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neuroloop_formats::gdf::GdfReader;

fuzz_target!(|data: &[u8]| {
    if let Ok(reader) = GdfReader::new(std::io::Cursor::new(data)) {
        let _ = reader.read_all();
    }
});
