//! Arbitrary bytes as a EDF file: the reader must give a recording or a
//! `FormatError`, never panic, hang or allocate what the bytes announce
//! without having it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neuroloop_formats::edf::EdfReader;

fuzz_target!(|data: &[u8]| {
    if let Ok(reader) = EdfReader::new(std::io::Cursor::new(data)) {
        let _ = reader.read_all();
    }
});
