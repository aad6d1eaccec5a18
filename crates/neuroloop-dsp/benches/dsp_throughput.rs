//! Throughput of the reference filter chain: Butterworth band-pass (order 4,
//! 8–30 Hz) + 50 Hz notch (Q 30) over 64 channels sampled at 1000 Hz, fed in
//! chunks of 1, 8, 32 samples and as one 60 s block; then the artifact
//! detector alone (physical range ±187500 µV, flat after 0.5 s) in chunks of
//! 32 and 256 samples.
//!
//! Prints one JSON object per chunk size. `samples_per_s` counts time
//! samples (one sample = one value on each of the 64 channels);
//! `channel_samples_per_s` = 64 × that.
//!
//! Run: `cargo bench -p neuroloop-dsp --bench dsp_throughput`
//! (`DSP_BENCH_SECONDS` sets the signal length, default 60).

use std::hint::black_box;
use std::time::Instant;

use neuroloop_core::{ChannelSpec, SampleBlock, StreamSpec};
use neuroloop_dsp::{ArtifactConfig, BandpassConfig, ChainConfig, NotchConfig};

const CHANNELS: usize = 64;
const FS: f64 = 1000.0;

#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn main() {
    let seconds: usize = std::env::var("DSP_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let n = seconds * FS as usize;
    let spec = StreamSpec {
        name: "bench".into(),
        channels: (0..CHANNELS)
            .map(|i| ChannelSpec::eeg(format!("E{i}")))
            .collect(),
        sample_rate: FS,
        block_size: 32,
    };
    let cfg = ChainConfig::new(vec![
        (
            "bandpass".into(),
            Box::new(BandpassConfig {
                low_hz: 8.0,
                high_hz: 30.0,
                order: 4,
            }),
        ),
        (
            "notch".into(),
            Box::new(NotchConfig {
                freq_hz: 50.0,
                q: 30.0,
                harmonics: 1,
            }),
        ),
    ]);
    let signal: Vec<f32> = (0..n * CHANNELS)
        .map(|i| {
            let (s, ch) = (i / CHANNELS, i % CHANNELS);
            let t = s as f64 / FS;
            (20.0 * (t * 12.0 + ch as f64).sin() + 5.0 * (t * 314.159).sin()) as f32
        })
        .collect();

    for chunk in [1usize, 8, 32, n] {
        let mut chain = cfg.initialize(&spec, chunk).unwrap();
        let mut block = SampleBlock::with_capacity(CHANNELS, chunk);
        let mut best = f64::INFINITY;
        // Best of 7 passes over the whole signal.
        for _ in 0..7 {
            chain.reset();
            let start = Instant::now();
            let mut done = 0;
            while done < n {
                let m = chunk.min(n - done);
                block.buffers_mut().0[..m * CHANNELS]
                    .copy_from_slice(&signal[done * CHANNELS..(done + m) * CHANNELS]);
                block.set_len(m);
                chain.process(&mut block.as_mut());
                black_box(block.data());
                done += m;
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        let rate = n as f64 / best;
        let label = if chunk == n {
            format!("{seconds} s block")
        } else {
            chunk.to_string()
        };
        println!(
            "{{\"impl\":\"neuroloop-dsp\",\"chunk\":\"{label}\",\"channels\":{CHANNELS},\"samples\":{n},\"seconds\":{best:.6},\"samples_per_s\":{rate:.1},\"channel_samples_per_s\":{:.1}}}",
            rate * CHANNELS as f64
        );
    }

    let artifacts = ArtifactConfig::default().with_physical_range(Some((-187_500.0, 187_500.0)));
    for chunk in [32usize, 256] {
        let mut detector = artifacts.build(&spec, chunk).unwrap();
        let mut block = SampleBlock::with_capacity(CHANNELS, chunk);
        let mut best = f64::INFINITY;
        for _ in 0..7 {
            detector.reset();
            let start = Instant::now();
            let mut done = 0;
            while done < n {
                let m = chunk.min(n - done);
                block.buffers_mut().0[..m * CHANNELS]
                    .copy_from_slice(&signal[done * CHANNELS..(done + m) * CHANNELS]);
                block.set_len(m);
                black_box(detector.scan(&mut block.as_mut()));
                done += m;
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        let rate = n as f64 / best;
        println!(
            "{{\"impl\":\"neuroloop-dsp artifacts\",\"chunk\":\"{chunk}\",\"channels\":{CHANNELS},\"samples\":{n},\"seconds\":{best:.6},\"samples_per_s\":{rate:.1},\"channel_samples_per_s\":{:.1}}}",
            rate * CHANNELS as f64
        );
    }
}
