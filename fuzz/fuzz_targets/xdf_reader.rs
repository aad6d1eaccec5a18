//! Arbitrary bytes as an XDF file: the reader must give a file (perhaps
//! truncated, with damaged chunks listed) or a `FormatError`, never panic,
//! hang or allocate what the bytes announce without having it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neuroloop_formats::xdf::{XdfOptions, parse_xdf};

fuzz_target!(|data: &[u8]| {
    let _ = parse_xdf(data, &XdfOptions::default());
});
