//! Per-stream processing in the LSL source: raw counts scaled to
//! microvolts, and liblsl's dejitter of the timestamps.

use std::time::Duration;

use neuroloop_lsl::Settings;
use neuroloop_sources::lsl::LslSource;

use super::harness::{Running, collect};
use super::{Peer, profile_spec, source_config};

#[test]
fn raw_counts_are_scaled_into_microvolts_exactly() {
    let spec = profile_spec();
    let labels = spec.labels().collect::<Vec<_>>().join(",");
    let ch = spec.channel_count();
    let name = format!("nl-test-scale-{}", std::process::id());
    let times = std::env::temp_dir().join(format!("{name}.times"));
    let samples = 250;
    // 24-bit ADC counts around the negative full scale, as int32, in
    // "counts" (not held against the profile's microvolts).
    let offset = -8_388_000;
    let mut peer = Peer::start(
        "outlet.py",
        &[
            "--name",
            &name,
            "--labels",
            &labels,
            "--samples",
            &samples.to_string(),
            "--format",
            "int32",
            "--unit",
            "counts",
            "--value-offset",
            &offset.to_string(),
            "--times-out",
            times.to_str().unwrap(),
            "--linger-s",
            "1",
        ],
    );
    let scale = 0.022_351_74;
    let mut config = source_config(&name);
    config.scale_uv_per_count = Some(scale);
    let source = LslSource::open(&config, spec, &Settings::default()).expect("open");
    let (running, mut reader) = Running::start(source, 4096);
    peer.expect_line("consumer");
    let (data, _, gaps) = collect(&mut reader, ch, samples, Duration::from_secs(10));
    peer.expect_line("done");
    let report = running.finish();
    assert_eq!(report.samples, samples as u64);
    assert!(gaps.is_empty(), "{gaps:?}");
    let expected: Vec<f32> = (0..samples * ch)
        .map(|k| ((k as i64 + offset) as f64 * scale) as f32)
        .collect();
    assert_eq!(data, expected, "count × µV per count, rounded once to f32");
    assert!((data[0] - (-187_486.4)).abs() < 0.1, "{}", data[0]);
    let _ = std::fs::remove_file(times);
}

/// Root mean square of `a - b`.
fn rms(a: &[f64], b: &[f64]) -> f64 {
    let sum: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    (sum / a.len() as f64).sqrt()
}

#[test]
fn dejittered_timestamps_follow_the_regular_grid() {
    let spec = profile_spec();
    let labels = spec.labels().collect::<Vec<_>>().join(",");
    let ch = spec.channel_count();
    let name = format!("nl-test-dejitter-{}", std::process::id());
    let grid_file = std::env::temp_dir().join(format!("{name}.times"));
    let samples = 1250; // 5 s at 250 Hz
    let mut peer = Peer::start(
        "outlet.py",
        &[
            "--name",
            &name,
            "--labels",
            &labels,
            "--samples",
            &samples.to_string(),
            "--jitter-ms",
            "1",
            "--seed",
            "7",
            "--t0",
            "stdin",
            "--times-out",
            grid_file.to_str().unwrap(),
            "--linger-s",
            "1",
        ],
    );
    // Two inlets on the one stream: as sent, and dejittered by liblsl.
    let raw_config = source_config(&name);
    let mut smooth_config = raw_config.clone();
    smooth_config.dejitter = true;
    let raw = LslSource::open(&raw_config, spec.clone(), &Settings::default()).expect("open");
    let smooth = LslSource::open(&smooth_config, spec, &Settings::default()).expect("open");
    let (raw_run, mut raw_reader) = Running::start(raw, 4096);
    let (smooth_run, mut smooth_reader) = Running::start(smooth, 4096);
    peer.expect_line("consumer");
    // Both inlets are connected: the samples start.
    peer.send(&(neuroloop_core::clock::now() + 0.2).to_string());
    let wait = Duration::from_secs(15);
    let collector = std::thread::spawn(move || collect(&mut raw_reader, ch, samples, wait));
    let (smooth_data, smooth_times, smooth_gaps) = collect(&mut smooth_reader, ch, samples, wait);
    let (raw_data, raw_times, raw_gaps) = collector.join().expect("collector");
    peer.expect_line("done");
    raw_run.finish();
    smooth_run.finish();
    assert_eq!((raw_times.len(), smooth_times.len()), (samples, samples));
    // 1 ms of jitter (clipped at 3 ms) never looks like missing samples.
    assert!(
        raw_gaps.is_empty() && smooth_gaps.is_empty(),
        "{raw_gaps:?} {smooth_gaps:?}"
    );
    assert_eq!(raw_data, smooth_data, "the values are untouched");
    let grid: Vec<f64> = std::fs::read_to_string(&grid_file)
        .expect("grid")
        .lines()
        .map(|l| l.parse().expect("timestamp"))
        .collect();
    // After the fit has seen its first second of samples.
    let from = 250;
    let raw_rms = rms(&raw_times[from..], &grid[from..]);
    let smooth_rms = rms(&smooth_times[from..], &grid[from..]);
    eprintln!(
        "timestamp deviation from the grid: raw {:.3} ms RMS, dejittered {:.3} ms RMS",
        raw_rms * 1e3,
        smooth_rms * 1e3
    );
    assert!(raw_rms > 0.5e-3, "the pushes were jittered: {raw_rms}");
    assert!(
        smooth_rms < raw_rms / 5.0,
        "dejittered {smooth_rms} s vs raw {raw_rms} s"
    );
    assert!(
        smooth_times.windows(2).all(|w| w[1] > w[0]),
        "dejittered timestamps are monotonic"
    );
    let _ = std::fs::remove_file(grid_file);
}
