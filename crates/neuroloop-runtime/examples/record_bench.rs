//! Recorder benchmark, two parts.
//!
//! * `latency`: the pipeline's latency with recording off and on, in the
//!   same process on the same session (`configs/latency-64ch.toml`, a
//!   real-time simulated 64-channel headset at 1 kHz, with 5 s of
//!   calibration), runs interleaved off/on, on/off, ...; each run's
//!   `decoded_publish_minus_arrival` and `pipeline` (`decode_end −
//!   arrival`, all windows) from the session report, and the on/off ratio
//!   of their medians over the runs.
//! * `rate`: the recorder alone at 1024 channels × 30 kHz: blocks of 300
//!   samples pushed into its tap every 10 ms (as the pipeline would, a live
//!   source: a full tap drops), then as fast as the recorder takes them (a
//!   lossless tap waits); samples and bytes written per second, samples
//!   dropped.
//!
//! `cargo run --release -p neuroloop-runtime --example record_bench -- [latency|rate] [--pairs N] [--seconds S] [--dir DIR]`

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use neuroloop_core::{ChannelSpec, SampleBlock, StreamSpec, clock};
use neuroloop_runtime::config::RecordPlan;
use neuroloop_runtime::recorder::{RecordReport, Recorder, SourceFeeds};
use neuroloop_runtime::{LatencySummary, StartOptions};

struct Args {
    parts: Vec<String>,
    pairs: usize,
    seconds: f64,
    dir: PathBuf,
}

fn args() -> Args {
    let mut args = Args {
        parts: Vec::new(),
        pairs: 3,
        seconds: 20.0,
        dir: std::env::temp_dir(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--pairs" => args.pairs = it.next().and_then(|v| v.parse().ok()).expect("--pairs N"),
            "--seconds" => {
                args.seconds = it.next().and_then(|v| v.parse().ok()).expect("--seconds S");
            }
            "--dir" => args.dir = it.next().map(PathBuf::from).expect("--dir DIR"),
            "--bench" => {}
            part => args.parts.push(part.to_string()),
        }
    }
    if args.parts.is_empty() {
        args.parts = vec!["latency".into(), "rate".into()];
    }
    args
}

fn main() {
    let args = args();
    for part in &args.parts {
        match part.as_str() {
            "latency" => latency(&args),
            "rate" => rate(&args),
            other => panic!("unknown part {other:?}: latency or rate"),
        }
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One run of the latency session, recording to `record` if given.
fn session_run(seconds: f64, record: Option<&Path>) -> (LatencySummary, LatencySummary) {
    let config = repo().join("configs/latency-64ch.toml");
    let mut text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("calibration_s = 30.0", "calibration_s = 5.0")
        .replace("127.0.0.1:7880", "127.0.0.1:0");
    if let Some(path) = record {
        text.push_str(&format!(
            "\n[record]\npath = {:?}\noverwrite = true\n",
            path.display().to_string()
        ));
    }
    let cfg = neuroloop_runtime::parse(&text, &config).expect("config");
    let running = neuroloop_runtime::start(cfg, StartOptions::default()).expect("starts");
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let report = running.finish().expect("finishes");
    if let Some(r) = &report.record {
        assert!(r.error.is_none() && r.samples_dropped == 0, "{r:?}");
    }
    (
        report.latency.decoded_publish_minus_arrival,
        report.latency.pipeline,
    )
}

fn latency(args: &Args) {
    let file = args.dir.join("neuroloop-record-bench-latency.xdf");
    let mut off = Vec::new();
    let mut on = Vec::new();
    println!("run  recording  decoded p50/p99 ms (n)      pipeline p50/p99/p99.9 ms (n)");
    for pair in 0..args.pairs {
        let order = if pair % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for recording in order {
            let (decoded, pipeline) = session_run(args.seconds, recording.then_some(&*file));
            println!(
                "{pair:>3}  {:<9}  {:.3}/{:.3} ({})  {:.3}/{:.3}/{:.3} ({})",
                if recording { "on" } else { "off" },
                decoded.p50_ms,
                decoded.p99_ms,
                decoded.count,
                pipeline.p50_ms,
                pipeline.p99_ms,
                pipeline.p999_ms,
                pipeline.count
            );
            if recording { &mut on } else { &mut off }.push((decoded, pipeline));
        }
    }
    let _ = std::fs::remove_file(&file);
    // The median over runs: a run disturbed by the rest of the machine
    // moves it least.
    let median = |runs: &[(LatencySummary, LatencySummary)],
                  f: &dyn Fn(&(LatencySummary, LatencySummary)) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(f).collect();
        values.sort_by(f64::total_cmp);
        let n = values.len();
        (values[(n - 1) / 2] + values[n / 2]) / 2.0
    };
    type Figure<'a> = (
        &'a str,
        &'a dyn Fn(&(LatencySummary, LatencySummary)) -> f64,
    );
    let figures: [Figure; 5] = [
        ("decoded publish-arrival p50", &|r| r.0.p50_ms),
        ("decoded publish-arrival p99", &|r| r.0.p99_ms),
        ("pipeline p50", &|r| r.1.p50_ms),
        ("pipeline p99", &|r| r.1.p99_ms),
        ("pipeline p99.9", &|r| r.1.p999_ms),
    ];
    println!("\nmedian over runs             off ms  on ms  on/off");
    for (name, f) in figures {
        let (a, b) = (median(&off, f), median(&on, f));
        println!("{name:<28} {a:.3}  {b:.3}  {:.3}", b / a);
    }
}

/// Pushes 1024 × 30 kHz into a recorder for `seconds`, paced in real time
/// or as fast as it takes them; returns its report and the seconds taken.
fn drive_recorder(dir: &Path, seconds: f64, paced: bool) -> (RecordReport, f64) {
    const CHANNELS: usize = 1024;
    const FS: f64 = 30_000.0;
    const BLOCK: usize = 300;
    let spec = StreamSpec {
        name: "rate".into(),
        channels: (0..CHANNELS)
            .map(|c| ChannelSpec::eeg(format!("ch{c}")))
            .collect(),
        sample_rate: FS,
        block_size: BLOCK,
    };
    let plan = RecordPlan {
        path: dir.join("neuroloop-record-bench-rate.xdf"),
        flush_s: 1.0,
        session: None,
    };
    let classes = ["left".to_string(), "right".to_string()];
    let ring = (FS * 0.5) as usize;
    let mut recorder =
        Recorder::start(&plan, &spec, &classes, ring, !paced, SourceFeeds::default())
            .expect("recorder");
    let mut tap = recorder.tap.take().expect("tap");
    let mut block = SampleBlock::with_capacity(CHANNELS, BLOCK);
    let start = clock::now();
    let total = (seconds * FS) as u64;
    let mut index = 0u64;
    let began = Instant::now();
    while index < total {
        let (data, times, arrivals) = block.buffers_mut();
        for (i, v) in data.iter_mut().enumerate() {
            *v = (index as usize * CHANNELS + i) as f32;
        }
        for i in 0..BLOCK {
            times[i] = start + (index + i as u64) as f64 / FS;
            arrivals[i] = times[i];
        }
        block.set_len(BLOCK);
        if paced {
            clock::sleep_until(start + (index + BLOCK as u64) as f64 / FS);
        }
        tap.push_block(&block, index);
        index += BLOCK as u64;
    }
    drop(tap);
    drop(recorder.lines.take());
    let report = recorder.thread.join().expect("recorder thread");
    let elapsed = began.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&plan.path);
    (report, elapsed)
}

fn rate(args: &Args) {
    let seconds = args.seconds;
    let required = 30_000.0;
    for (name, paced) in [("paced (live)", true), ("as fast as it takes", false)] {
        let (r, elapsed) = drive_recorder(&args.dir, seconds, paced);
        assert!(r.error.is_none(), "{r:?}");
        println!(
            "{name}: {} samples written in {elapsed:.2} s = {:.0} samples/s ({:.2}× the 30 kHz needed), \
             {:.1} MB/s, {} dropped, {} bytes",
            r.samples,
            r.samples as f64 / elapsed,
            r.samples as f64 / elapsed / required,
            r.bytes as f64 / elapsed / 1e6,
            r.samples_dropped,
            r.bytes
        );
    }
}
