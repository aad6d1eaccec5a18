//! The exactness check: the `lsl` source alone into a sample ring, every
//! value compared with the peer's counter pattern (`--counter`: sample i,
//! channel c carries (i · channels + c) mod 2²⁴, exact in float32).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use neuroloop_core::SampleBlock;
use neuroloop_core::ring::sample_ring;
use neuroloop_lsl::Settings;
use neuroloop_runtime::profile::HardwareProfile;
use neuroloop_sources::lsl::{LslConfig, LslSource};
use neuroloop_sources::{Source, SourceIo};
use neuroloop_tests::repo_root;

use crate::peer::Peer;
use crate::{Case, Options};

/// Runs one case; prints a table row and fails unless lossless and exact.
pub fn run(case: &Case, o: &Options) {
    let name = format!("nl-bench-exact-{}-{}", case.label, std::process::id());
    let mut peer = Peer::start(&[
        "--name".into(),
        name.clone(),
        "--channels".into(),
        case.channels.to_string(),
        "--rate".into(),
        case.rate.to_string(),
        "--seconds".into(),
        o.seconds.to_string(),
        "--chunk-ms".into(),
        o.chunk_ms.to_string(),
        "--outlet-chunk".into(),
        o.outlet_chunk.to_string(),
        "--counter".into(),
        "--wait-go".into(),
    ]);
    let profile = format!("hardware-profiles/lsl-bench-{}.toml", case.channels);
    let spec = HardwareProfile::load(&repo_root().join(profile))
        .expect("bench profile")
        .stream_spec();
    let config: LslConfig = toml::from_str(&format!(
        "type = \"lsl\"\nname = \"{name}\"\nresolve_timeout_s = 15.0\nclasses = [\"left\", \"right\"]"
    ))
    .expect("lsl source config");
    let mut source = LslSource::open(&config, spec, &Settings::default()).expect("open");
    let ch = case.channels;
    let (writer, mut reader) = sample_ring(ch, (case.rate * 4.0) as usize);
    let stop = Arc::new(AtomicBool::new(false));
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("bench-source".into())
        .spawn(move || {
            let io = SourceIo {
                samples: writer,
                markers: None,
                notify: None,
            };
            source.run(io, &thread_stop)
        })
        .expect("source thread");
    assert_eq!(
        peer.line(Duration::from_secs(40)).as_deref(),
        Some("consumer")
    );
    peer.go();
    let total = (o.seconds * case.rate) as usize;
    let mut block = SampleBlock::with_capacity(ch, 1024);
    let (mut got, mut wrong, mut gap_samples) = (0usize, 0usize, 0u64);
    let deadline = Instant::now() + Duration::from_secs_f64(o.seconds * 2.0 + 20.0);
    while got < total && Instant::now() < deadline {
        let popped = reader.pop_into(&mut block);
        gap_samples += popped.gap.map_or(0, |g| g.count);
        if popped.samples == 0 {
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        for (k, v) in block.data().iter().enumerate() {
            wrong += usize::from(*v != ((got * ch + k) % (1 << 24)) as f32);
        }
        got += popped.samples;
    }
    let done = peer.line(Duration::from_secs(20)).unwrap_or_default();
    stop.store(true, Ordering::Relaxed);
    let report = thread.join().expect("source thread").expect("source ran");
    println!(
        "| {} ch @ {} kHz, {:.0} s | exact check (source → ring) | {total} | {got} | {wrong} wrong values \
         | {gap_samples} gap samples | ring dropped {} | source {} |",
        ch,
        case.rate / 1000.0,
        o.seconds,
        reader.stats().dropped(),
        report.samples,
    );
    eprintln!("{ch} ch exact: peer {done}");
    assert_eq!(
        (got, wrong, gap_samples),
        (total, 0, 0),
        "lossless and exact"
    );
}
