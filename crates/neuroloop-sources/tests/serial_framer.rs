//! The serial packet framer and sample assembler on byte streams built
//! here: exact counts and microvolts, resynchronisation after junk, lost
//! packets as gaps of their exact size, Daisy pairing, and arbitrary bytes
//! that never panic it.

use neuroloop_sources::serial::framer::{FRAMER_CAPACITY, Framer};
use neuroloop_sources::serial::packet::{PACKET_LEN, Packet};
use neuroloop_sources::serial::samples::{Board, SampleAssembler};
use neuroloop_sources::serial::scale::uv_per_count;

/// The counts of packet `k`, channel `c`: spread over the whole 24-bit
/// range, negative ones included.
fn count(k: u64, c: usize) -> i32 {
    let v = (k * 104_729 + c as u64 * 1_299_709) % (1 << 24);
    v as i32 - (1 << 23)
}

fn packet(k: u64) -> [u8; PACKET_LEN] {
    Packet {
        sample_number: (k % 256) as u8,
        counts: std::array::from_fn(|c| count(k, c)),
        aux: [0, 1, 0, 2, 0, 3],
        footer: 0xC0,
    }
    .encode()
}

/// Frames `bytes` fed in chunks of `chunk`; returns `(sample number, lost)`
/// of each accepted packet, checking its counts against [`count`] for the
/// packet index implied by its position.
fn frame(bytes: &[u8], chunk: usize) -> (Vec<(u8, u8)>, Framer) {
    let mut framer = Framer::new();
    let mut got = Vec::new();
    for piece in bytes.chunks(chunk) {
        let mut rest = piece;
        while !rest.is_empty() {
            let n = framer.push(rest);
            rest = &rest[n..];
            while let Some(f) = framer.next_packet() {
                got.push((f.packet.sample_number, f.lost));
            }
        }
    }
    (got, framer)
}

#[test]
fn a_clean_stream_gives_every_packet_once_with_no_loss() {
    let bytes: Vec<u8> = (0..600).flat_map(packet).collect();
    for chunk in [1, 7, 33, 64, 4096] {
        let (got, framer) = frame(&bytes, chunk);
        // The last packet waits for a look-ahead it needs only when its
        // number is unexpected; in a clean stream every one is expected.
        assert_eq!(got.len(), 600, "chunk {chunk}");
        assert!(
            got.iter()
                .enumerate()
                .all(|(k, &(n, lost))| n == (k % 256) as u8 && lost == 0)
        );
        assert_eq!(framer.counts().junk_bytes, 0);
    }
}

#[test]
fn the_first_packet_waits_for_the_next_packet_before_it_is_trusted() {
    let mut framer = Framer::new();
    framer.push(&packet(5));
    assert_eq!(framer.next_packet(), None, "no look-ahead yet");
    framer.push(&packet(6)[..32]);
    assert_eq!(
        framer.next_packet(),
        None,
        "the next one's footer not yet here"
    );
    framer.push(&packet(6)[32..]);
    let f = framer.next_packet().unwrap();
    assert_eq!((f.packet.sample_number, f.lost), (5, 0));
    assert_eq!(f.packet.counts[3], count(5, 3));
    let f = framer.next_packet().unwrap();
    assert_eq!(
        (f.packet.sample_number, f.lost),
        (6, 0),
        "expected: no look-ahead"
    );
}

#[test]
fn lost_packets_are_reported_with_their_exact_number_across_the_wrap() {
    let kept: Vec<u64> = (0..700)
        .filter(|k| ![3, 4, 5, 250, 255, 256, 257, 600].contains(k))
        .collect();
    let bytes: Vec<u8> = kept.iter().flat_map(|&k| packet(k)).collect();
    let (got, framer) = frame(&bytes, 19);
    let lost: Vec<(u8, u8)> = got.iter().copied().filter(|&(_, l)| l > 0).collect();
    // Packet 6 after 2 (3 lost), 251 after 249, 258 (number 2) after 254 (3 lost), 601 after 599.
    assert_eq!(lost, [(6, 3), (251, 1), (2, 3), (601u64 as u8, 1)]);
    assert_eq!(framer.counts().lost, 8);
    assert_eq!(framer.counts().packets, kept.len() as u64);
}

#[test]
fn junk_between_packets_is_skipped_and_no_wrong_packet_is_accepted() {
    // Random bytes, and fake packets a footer-only check accepts: a valid
    // header and footer, a wrong sample number, some followed by a header.
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut bytes = Vec::new();
    let mut junk_total = 0;
    for k in 0..3000u64 {
        bytes.extend_from_slice(&packet(k));
        let start = bytes.len();
        // Junk from the third packet on: before it is locked onto the
        // sample numbers the framer needs two packets back to back.
        match if k < 2 { 3 } else { k % 4 } {
            0 => (0..next() % 80).for_each(|_| bytes.push(next() as u8)),
            1 => {
                let mut fake = packet(k + 2 + next() % 200);
                fake[32] = 0xC0 + (next() % 7) as u8;
                bytes.extend_from_slice(&fake);
                if next() % 2 == 0 {
                    bytes.push(0xA0);
                }
            }
            _ => {}
        }
        junk_total += bytes.len() - start;
    }
    let (got, framer) = frame(&bytes, 13);
    let all: Vec<u8> = (0..3000u64).map(|k| (k % 256) as u8).collect();
    let numbers: Vec<u8> = got.iter().map(|g| g.0).collect();
    assert_eq!(numbers.len(), 3000, "every real packet, nothing else");
    assert_eq!(numbers, all);
    assert!(got.iter().all(|g| g.1 == 0), "no spurious loss");
    assert_eq!(framer.counts().junk_bytes, junk_total as u64);
}

#[test]
fn a_footer_only_check_would_accept_this_junk_and_the_framer_does_not() {
    // A fake packet (valid header, valid footer, wrong number) right
    // before a real one, then a real packet that follows the fake's end.
    let mut bytes = packet(0).to_vec();
    bytes.extend_from_slice(&packet(1));
    let mut fake = packet(77);
    fake[5] = 0xA0;
    bytes.extend_from_slice(&fake[..PACKET_LEN]);
    bytes.extend_from_slice(&[0x12, 0x34]);
    bytes.extend_from_slice(&packet(2));
    bytes.extend_from_slice(&packet(3));
    let (got, framer) = frame(&bytes, 5);
    assert_eq!(got, [(0, 0), (1, 0), (2, 0), (3, 0)]);
    assert_eq!(framer.counts().junk_bytes, PACKET_LEN as u64 + 2);
}

#[test]
fn counts_become_exact_microvolts_and_daisy_pairs_become_16_channels() {
    let scale = uv_per_count(24);
    let mut cyton = SampleAssembler::new(Board::Cyton, scale);
    let mut daisy = SampleAssembler::new(Board::CytonDaisy, scale);
    // Packets 0..20, 7 and 8 lost: Daisy pairs (6,7) and (8,9) are lost.
    let bytes: Vec<u8> = (0..20)
        .filter(|k| *k != 7 && *k != 8)
        .flat_map(packet)
        .collect();
    let mut framer = Framer::new();
    framer.push(&bytes);
    let (mut out8, mut out16) = ([0f32; 8], [0f32; 16]);
    let (mut cyton_samples, mut daisy_samples) = (Vec::new(), Vec::new());
    while let Some(f) = framer.next_packet() {
        let k = u64::from(f.packet.sample_number);
        if let Some(a) = cyton.take(&f, &mut out8) {
            cyton_samples.push((k, a.missing));
            for (c, v) in out8.iter().enumerate() {
                assert_eq!(*v, (f64::from(count(k, c)) * scale) as f32);
            }
        }
        if let Some(a) = daisy.take(&f, &mut out16) {
            daisy_samples.push((k / 2, a.missing));
            for c in 0..8 {
                assert_eq!(
                    out16[c],
                    (f64::from(count(k, c)) * scale) as f32,
                    "Cyton half"
                );
                assert_eq!(
                    out16[8 + c],
                    (f64::from(count(k - 1, c)) * scale) as f32,
                    "Daisy half"
                );
            }
        }
    }
    // The 19th packet waits for its look-ahead? No: it is expected.
    assert_eq!(cyton_samples.len(), 18);
    assert_eq!(cyton_samples[7], (9, 2), "packets 7 and 8 missing");
    assert_eq!(
        daisy_samples,
        [
            (0, 0),
            (1, 0),
            (2, 0),
            (5, 2),
            (6, 0),
            (7, 0),
            (8, 0),
            (9, 0)
        ],
        "samples 3 and 4 lost"
    );
    // Full scale: +(2^23 − 1) counts is 187 500 µV at gain 24.
    assert!((8_388_607.0 * scale - 187_500.0).abs() < 1e-6);
}

#[test]
fn arbitrary_bytes_never_panic_and_the_buffer_never_overflows() {
    let mut rng = 0x2545_F491_4F6C_DD1D_u64;
    for case in 0..3000 {
        let len = (rng % 9000) as usize;
        let mut bytes = Vec::with_capacity(len);
        for _ in 0..len {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            // Biased towards the bytes that matter to the framer.
            bytes.push(match rng % 4 {
                0 => 0xA0,
                1 => 0xC0 + (rng >> 20) as u8 % 8,
                _ => (rng >> 32) as u8,
            });
        }
        let mut framer = Framer::new();
        let mut assembler = SampleAssembler::new(
            if case % 2 == 0 {
                Board::Cyton
            } else {
                Board::CytonDaisy
            },
            0.5,
        );
        let mut out = [0f32; 16];
        let mut pieces = bytes.chunks(1 + case % 200);
        for piece in &mut pieces {
            let mut rest = piece;
            while !rest.is_empty() {
                let n = framer.push(rest);
                rest = &rest[n..];
                while let Some(f) = framer.next_packet() {
                    let _ = assembler.take(&f, &mut out);
                }
                assert!(framer.buffered() <= FRAMER_CAPACITY);
            }
        }
        let c = framer.counts();
        assert!(
            c.junk_bytes + c.packets * PACKET_LEN as u64 + framer.buffered() as u64
                == bytes.len() as u64
        );
    }
}
