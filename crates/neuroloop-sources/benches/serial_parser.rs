//! The serial source's cost: (1) parser throughput, packets/s, of the
//! framer and Cyton sample assembler over 200 000 packets fed in 1 KiB
//! reads, clean and with 40 junk bytes and a fake packet after every
//! tenth packet (best of 7 passes); (2) added latency from the last byte
//! of a packet written to a pseudo-terminal to its sample popped from the
//! ring, for 2000 packets paced at 250 Hz by the emulator in
//! tests/serial_emulator (median, 99th percentile, max).
//!
//! Prints one JSON object per measurement.
//!
//! Run: `cargo bench -p neuroloop-sources --bench serial_parser`

#[path = "../tests/serial_emulator/mod.rs"]
mod serial_emulator;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use neuroloop_core::ring::sample_ring;
use neuroloop_core::{ChannelSpec, SampleBlock, StreamSpec, clock};
use neuroloop_sources::serial::{
    Board, BoardSetup, Framer, SampleAssembler, SerialConfig, SerialSource,
};
use neuroloop_sources::{Source, SourceIo};
use serial_emulator::{Emulator, Script, packet};

const PACKETS: u64 = 200_000;
const LATENCY_PACKETS: u64 = 2000;

fn stream(junk: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut x = 0x2545_F491_u32;
    for k in 0..PACKETS {
        bytes.extend_from_slice(&packet(k));
        if junk && k % 10 == 9 {
            for _ in 0..40 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                bytes.push(x as u8);
            }
            let mut fake = packet(k + 50);
            fake[1] = fake[1].wrapping_add(7);
            bytes.extend_from_slice(&fake);
        }
    }
    bytes
}

fn parse(bytes: &[u8]) -> u64 {
    let mut framer = Framer::new();
    let mut assembler = SampleAssembler::new(Board::Cyton, 0.022);
    let mut out = [0f32; 8];
    let mut samples = 0;
    for read in bytes.chunks(1024) {
        let mut rest = read;
        while !rest.is_empty() {
            let n = framer.push(rest);
            rest = &rest[n..];
            while let Some(f) = framer.next_packet() {
                if assembler.take(&f, &mut out).is_some() {
                    samples += 1;
                }
            }
        }
        black_box(&out);
    }
    samples
}

fn throughput(junk: bool) {
    let bytes = stream(junk);
    let mut best = f64::INFINITY;
    for _ in 0..7 {
        let t = Instant::now();
        let samples = parse(black_box(&bytes));
        best = best.min(t.elapsed().as_secs_f64());
        assert!(samples + 2 >= PACKETS, "{samples}");
    }
    println!(
        "{{\"bench\":\"serial_parser_throughput\",\"junk\":{junk},\"packets\":{PACKETS},\"bytes\":{},\"best_s\":{best:.6},\"packets_per_s\":{:.0},\"mb_per_s\":{:.1}}}",
        bytes.len(),
        PACKETS as f64 / best,
        bytes.len() as f64 / best / 1e6
    );
}

fn latency() {
    let link = std::env::temp_dir().join(format!("neuroloop-serial-bench-{}", std::process::id()));
    let emulator = Emulator::start(
        &link,
        Script {
            rate_hz: 250.0,
            ..Script::default()
        },
    );
    let config = SerialConfig {
        kind: "serial".into(),
        port: link.display().to_string(),
        answer_timeout_s: 2.0,
        stall_s: 0.5,
        reconnect_max_s: 1.0,
        classes: Vec::new(),
    };
    let spec = StreamSpec {
        name: "cyton".into(),
        channels: (0..8).map(|c| ChannelSpec::eeg(format!("E{c}"))).collect(),
        sample_rate: 250.0,
        block_size: 1,
    };
    let setup = BoardSetup {
        board: Board::Cyton,
        gain: 24,
        baud: 115_200,
    };
    let mut source = SerialSource::open(&config, setup, spec).expect("emulated board");
    let (writer, mut reader) = sample_ring(8, 4096);
    let stop = Arc::new(AtomicBool::new(false));
    let s = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        source.run(
            SourceIo {
                samples: writer,
                markers: None,
                notify: None,
            },
            &s,
        )
    });
    let mut block = SampleBlock::with_capacity(8, 1);
    let mut latencies = Vec::with_capacity(LATENCY_PACKETS as usize);
    let mut index = 0usize;
    let deadline = Instant::now() + Duration::from_secs(30);
    while (index as u64) < LATENCY_PACKETS && Instant::now() < deadline {
        // Polling with a yield: the pop adds no wait, and the source and
        // emulator threads keep a core on a small machine.
        if reader.pop_into(&mut block).samples == 1 {
            let popped = clock::now();
            let written = f64::from_bits(emulator.write_times[index].load(Ordering::Acquire));
            latencies.push((popped - written) * 1e3);
            index += 1;
        } else {
            std::thread::yield_now();
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = thread.join();
    // The first packet waits for the second (look-ahead): left out.
    latencies.remove(0);
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!(
        "{{\"bench\":\"serial_added_latency_ms\",\"packets\":{},\"median\":{:.3},\"p90\":{:.3},\"p95\":{:.3},\"p99\":{:.3},\"max\":{:.3}}}",
        latencies.len(),
        at(0.5),
        at(0.9),
        at(0.95),
        at(0.99),
        at(1.0)
    );
}

fn main() {
    throughput(false);
    throughput(true);
    latency();
}
