//! The serial source's per-packet work (framing, assembling, stamping,
//! accelerometer readings to their ring) allocates nothing and counts
//! every packet it could not take: 20 000
//! packets with junk, fake packets and lost
//! packets between them, through the framer, the Cyton and the Daisy
//! assemblers and the timestamp fit, under a counting allocator.

#[path = "../../neuroloop-runtime/tests/counting/mod.rs"]
mod counting;
mod serial_emulator;

use neuroloop_core::SampleBlock;
use neuroloop_core::ring::sample_ring;
use neuroloop_sources::serial::accelerometer::to_g;
use neuroloop_sources::serial::dejitter::Dejitter;
use neuroloop_sources::serial::{Board, Framer, SampleAssembler};
use serial_emulator::packet;

#[test]
fn framing_assembling_and_stamping_allocate_nothing_per_packet() {
    let mut bytes = Vec::new();
    for k in 0..20_000u64 {
        if k % 97 == 5 {
            continue; // lost on the link
        }
        bytes.extend_from_slice(&packet(k));
        if k % 11 == 0 {
            bytes.extend_from_slice(&[0xA0, 0x13, 0xC0, 0x00, 0xA0]);
            let mut fake = packet(k + 9);
            fake[1] = fake[1].wrapping_add(9);
            bytes.extend_from_slice(&fake);
        }
    }
    // Everything the running source allocates up front.
    let mut framer = Framer::new();
    let mut cyton = SampleAssembler::new(Board::Cyton, 0.022);
    let mut daisy = SampleAssembler::new(Board::CytonDaisy, 0.022);
    let mut fit = Dejitter::new(250.0, 1000);
    let mut out = [0f32; 16];
    let (mut readings, mut reader) = sample_ring(3, 256);
    let mut popped = SampleBlock::with_capacity(3, 64);
    let ((samples, missing, taken), allocations) = counting::count(|| {
        let (mut samples, mut missing, mut index, mut taken) = (0u64, 0u64, 0u64, 0u64);
        for read in bytes.chunks(1024) {
            let mut rest = read;
            while !rest.is_empty() {
                let n = framer.push(rest);
                rest = &rest[n..];
                while let Some(f) = framer.next_packet() {
                    let _ = daisy.take(&f, &mut out);
                    if let Some(a) = cyton.take(&f, &mut out[..8]) {
                        index += a.missing;
                        missing += a.missing;
                        let stamp = fit.stamp(index, index as f64 * 0.004);
                        if let Some(axes) = a.accelerometer {
                            readings.push(&to_g(axes), &[stamp], stamp);
                        }
                        index += 1;
                        samples += 1;
                    }
                }
            }
            taken += reader.pop_into(&mut popped).samples as u64;
        }
        (samples, missing, taken)
    });
    assert_eq!(allocations, 0, "allocations while framing");
    // A reading on every tenth packet but the lost ones.
    let carried = (0..20_000u64)
        .filter(|k| k % 10 == 8 && k % 97 != 5 && !(k % 97 == 6 && k % 11 == 0))
        .count() as u64;
    assert_eq!(taken, carried, "every reading through its ring");
    // After a lost packet the next one is confirmed by the packet right
    // behind it; when junk follows it instead it cannot be, and counts as
    // lost too (never as a wrong sample).
    let lost = (0..20_000u64)
        .filter(|k| k % 97 == 5 || (k % 97 == 6 && k % 11 == 0))
        .count() as u64;
    assert_eq!(missing, lost, "every lost packet counted");
    // Packet 0 is followed by junk before the framer is locked: it cannot
    // be confirmed, and with nothing before it there is no gap to count.
    assert_eq!(samples + lost, 19_999, "every other packet a sample");
}
