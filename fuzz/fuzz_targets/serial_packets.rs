//! Arbitrary bytes through the serial packet framer and both sample
//! assemblers, in chunks whose size the input picks: no panic, the buffer
//! stays within its capacity, and every byte is accounted for (framed,
//! skipped as junk, or still held).
#![no_main]

use libfuzzer_sys::fuzz_target;
use neuroloop_sources::serial::framer::{FRAMER_CAPACITY, Framer};
use neuroloop_sources::serial::packet::PACKET_LEN;
use neuroloop_sources::serial::samples::{Board, SampleAssembler};

fuzz_target!(|data: &[u8]| {
    let chunk = 1 + usize::from(data.first().copied().unwrap_or(0));
    let mut framer = Framer::new();
    let mut cyton = SampleAssembler::new(Board::Cyton, 0.022);
    let mut daisy = SampleAssembler::new(Board::CytonDaisy, 0.022);
    let mut out = [0f32; 16];
    for piece in data.chunks(chunk) {
        let mut rest = piece;
        while !rest.is_empty() {
            let n = framer.push(rest);
            rest = &rest[n..];
            while let Some(framed) = framer.next_packet() {
                let _ = cyton.take(&framed, &mut out);
                let _ = daisy.take(&framed, &mut out);
            }
            assert!(framer.buffered() <= FRAMER_CAPACITY);
        }
    }
    let c = framer.counts();
    let seen = c.junk_bytes + c.packets * PACKET_LEN as u64 + framer.buffered() as u64;
    assert_eq!(seen, data.len() as u64);
});
