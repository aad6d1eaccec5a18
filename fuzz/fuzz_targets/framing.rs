//! Arbitrary bytes through both framers (server side: push-based splitter;
//! client side: blocking line reader parsing server messages): no panic,
//! and the splitter never holds more than its limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neuroloop_protocol::{LineReader, LineSplitter, ProtocolError};

fuzz_target!(|data: &[u8]| {
    let limit = 1 + usize::from(data.first().copied().unwrap_or(0));
    let mut splitter = LineSplitter::new(limit);
    for chunk in data.chunks(7) {
        splitter.push(chunk);
        assert!(splitter.buffered() <= limit);
        while splitter.pop().is_some() {}
    }
    let mut reader = LineReader::with_limit(data, limit);
    for _ in 0..=data.len() {
        if let Err(ProtocolError::Closed) = reader.next_message() {
            break;
        }
    }
});
