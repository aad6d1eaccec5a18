//! The serial source against an OpenBCI board emulated on a
//! pseudo-terminal (tests/serial_emulator): exact microvolts for Cyton and
//! Daisy, junk between packets, dropped packets as gaps of their exact
//! size, a board that never answers, and a port that vanishes and returns.

mod serial_emulator;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use neuroloop_core::ring::sample_ring;
use neuroloop_core::{ChannelSpec, SampleBlock, StreamSpec};
use neuroloop_sources::serial::accelerometer::to_g;
use neuroloop_sources::serial::scale::uv_per_count;
use neuroloop_sources::serial::{Board, BoardSetup, SerialConfig, SerialSource};
use neuroloop_sources::{Source, SourceError, SourceIo, SourceReport};
use serial_emulator::{Emulator, Script, Signal, accelerometer, count};

fn link(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("neuroloop-serial-{}-{name}", std::process::id()))
}

fn config(port: &Path) -> SerialConfig {
    SerialConfig {
        kind: "serial".into(),
        port: port.display().to_string(),
        answer_timeout_s: 1.0,
        stall_s: 0.2,
        reconnect_max_s: 0.2,
        classes: Vec::new(),
    }
}

fn spec(board: Board) -> StreamSpec {
    StreamSpec {
        name: "cyton".into(),
        channels: (0..board.channels())
            .map(|c| ChannelSpec::eeg(format!("E{c}")))
            .collect(),
        sample_rate: if board == Board::Cyton { 250.0 } else { 125.0 },
        block_size: 1,
    }
}

fn setup(board: Board) -> BoardSetup {
    BoardSetup {
        board,
        gain: 24,
        baud: 115_200,
    }
}

/// What came out of the ring.
struct Run {
    values: Vec<f32>,
    times: Vec<f64>,
    /// `(index of the first missing sample, count)`.
    gaps: Vec<(u64, u64)>,
    report: SourceReport,
    /// `s` commands the board received.
    stops: u64,
    /// Accelerometer readings (X, Y, Z in g) and their timestamps.
    aux: Vec<f32>,
    aux_times: Vec<f64>,
}

/// Runs the source until `samples` samples came out of the ring (gaps not
/// counted) or 30 s passed; collects everything.
fn run(board: Board, name: &str, script: Script, samples: usize) -> Run {
    let port = link(name);
    let emulator = Emulator::start(&port, script);
    let mut source = SerialSource::open(&config(&port), setup(board), spec(board)).unwrap();
    let mut aux = source.take_aux_stream().expect("an accelerometer stream");
    assert!(source.take_aux_stream().is_none(), "taken once");
    let channels = board.channels();
    let (writer, mut reader) = sample_ring(channels, 8192);
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
    let mut block = SampleBlock::with_capacity(channels, 64);
    let mut aux_block = SampleBlock::with_capacity(3, 64);
    let (mut values, mut times, mut gaps) = (Vec::new(), Vec::new(), Vec::new());
    let (mut aux_values, mut aux_times) = (Vec::new(), Vec::new());
    let mut index = 0u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        while aux.reader.pop_into(&mut aux_block).samples > 0 {
            aux_values.extend_from_slice(aux_block.data());
            aux_times.extend_from_slice(aux_block.timestamps());
        }
        let popped = reader.pop_into(&mut block);
        if let Some(g) = popped.gap {
            gaps.push((g.first, g.count));
            index += g.count;
        }
        values.extend_from_slice(block.data());
        times.extend_from_slice(block.timestamps());
        index += popped.samples as u64;
        if values.len() >= samples * channels || Instant::now() > deadline {
            break;
        }
        if popped.samples == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let report = thread.join().unwrap().unwrap();
    while reader.pop_into(&mut block).samples > 0 {
        values.extend_from_slice(block.data());
        times.extend_from_slice(block.timestamps());
    }
    while aux.reader.pop_into(&mut aux_block).samples > 0 {
        aux_values.extend_from_slice(aux_block.data());
        aux_times.extend_from_slice(aux_block.timestamps());
    }
    let _ = index;
    // The source wrote `s` as it ended: wait until the board has read it
    // (every run sees at least the one before the reset and that one).
    let deadline = Instant::now() + Duration::from_secs(10);
    while emulator.stops.load(Ordering::Relaxed) < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let stops = emulator.stops.load(Ordering::Relaxed);
    Run {
        values,
        times,
        gaps,
        report,
        stops,
        aux: aux_values,
        aux_times,
    }
}

fn uv(k: u64, c: usize) -> f32 {
    (f64::from(count(k, c)) * uv_per_count(24)) as f32
}

/// Sample `i` (0-based, gaps counted) of a Cyton is packet `i`.
fn assert_cyton_values(run: &Run, gaps: &[(u64, u64)]) {
    let mut index = 0u64;
    for sample in run.values.chunks(8) {
        while let Some(&(_, n)) = gaps.iter().find(|&&(first, _)| first == index) {
            index += n;
        }
        for (c, &v) in sample.iter().enumerate() {
            assert_eq!(v, uv(index, c), "sample {index} channel {c}");
        }
        index += 1;
    }
}

#[test]
fn cyton_samples_are_the_exact_microvolts_sent_with_steady_timestamps() {
    let script = Script {
        rate_hz: 250.0,
        ..Script::default()
    };
    let run = run(Board::Cyton, "cyton", script, 500);
    let samples = run.values.len() / 8;
    assert!(samples >= 499, "{samples} samples");
    assert!(run.gaps.is_empty(), "{:?}", run.gaps);
    assert_cyton_values(&run, &[]);
    assert_eq!(run.report.samples, samples as u64);
    assert_eq!(
        run.stops, 2,
        "s before the reset and s when the source ends"
    );
    // De-jittered stamps: one period apart within 0.5 ms after the fit
    // settles, though reads deliver packets in bursts. The period is the
    // board's own (the emulator's pacing, which a loaded machine slows),
    // so the steps are judged against their median, and the median
    // against the nominal 4 ms within 20 %.
    let mut steps: Vec<f64> = run.times[100..samples]
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .collect();
    let mut sorted = steps.clone();
    sorted.sort_by(f64::total_cmp);
    let period = sorted[sorted.len() / 2];
    assert!((period - 0.004).abs() < 8e-4, "median step {period}");
    for step in steps.drain(..) {
        assert!((step - period).abs() < 5e-4, "step {step}, median {period}");
    }
}

#[test]
fn daisy_samples_pair_the_even_daisy_packet_with_the_odd_cyton_packet() {
    let script = Script {
        daisy: true,
        rate_hz: 250.0,
        ..Script::default()
    };
    let run = run(Board::CytonDaisy, "daisy", script, 200);
    let samples = run.values.len() / 16;
    assert!(samples >= 199, "{samples} samples at 125 Hz");
    assert!(run.gaps.is_empty(), "{:?}", run.gaps);
    for (j, sample) in run.values.chunks(16).enumerate() {
        let j = j as u64;
        for c in 0..8 {
            assert_eq!(sample[c], uv(2 * j + 1, c), "sample {j} channel {}", c + 1);
            assert_eq!(sample[8 + c], uv(2 * j, c), "sample {j} channel {}", c + 9);
        }
    }
}

/// The readings of packets `packets` (those that carry one) arrived
/// exactly, in order, each stamped with the timestamp of sample
/// `sample_of(k)`; the source counted each.
fn assert_readings(run: &Run, packets: impl Iterator<Item = u64>, sample_of: impl Fn(u64) -> u64) {
    let mut expected = Vec::new();
    for k in packets {
        if let Some(axes) = accelerometer(k) {
            expected.push((k, to_g(axes), run.times[sample_of(k) as usize]));
        }
    }
    assert!(expected.len() >= 10, "{} readings", expected.len());
    let got: Vec<([f32; 3], f64)> = run
        .aux
        .chunks(3)
        .zip(&run.aux_times)
        .map(|(g, &t)| ([g[0], g[1], g[2]], t))
        .collect();
    assert_eq!(got.len(), expected.len(), "{:?}", run.report);
    for ((k, g, t), (got_g, got_t)) in expected.iter().zip(&got) {
        assert_eq!(got_g, g, "the reading of packet {k}");
        assert_eq!(
            got_t.to_bits(),
            t.to_bits(),
            "the stamp of packet {k}'s reading"
        );
    }
    assert_eq!(run.report.aux_samples, expected.len() as u64);
}

#[test]
fn accelerometer_readings_arrive_in_g_with_their_samples_stamps() {
    // Every fourth packet has the raw-aux footer 0xC1: its aux bytes are
    // no reading, and its channels are as exact as any other's.
    let script = Script {
        rate_hz: 250.0,
        raw_aux_every: Some(4),
        ..Script::default()
    };
    let run = run(Board::Cyton, "accelerometer", script, 500);
    let samples = (run.values.len() / 8) as u64;
    assert!(samples >= 499, "{samples} samples");
    assert_cyton_values(&run, &[]);
    assert_readings(&run, (0..samples).filter(|k| k % 4 != 0), |k| k);
}

#[test]
fn a_daisy_sample_carries_the_reading_of_its_daisy_half() {
    let script = Script {
        daisy: true,
        rate_hz: 250.0,
        ..Script::default()
    };
    let run = run(Board::CytonDaisy, "daisy-accelerometer", script, 250);
    let samples = (run.values.len() / 16) as u64;
    assert!(samples >= 249, "{samples} samples");
    // Readings on packets 8, 18, …: the even (Daisy) half of samples 4,
    // 9, …, at 25 Hz.
    assert_readings(&run, 0..2 * samples, |k| k / 2);
}

#[test]
fn junk_between_packets_changes_no_value_and_makes_no_gap() {
    let script = Script {
        rate_hz: 250.0,
        junk_every: Some(3),
        ..Script::default()
    };
    let run = run(Board::Cyton, "junk", script, 500);
    assert!(run.values.len() / 8 >= 499);
    assert!(run.gaps.is_empty(), "{:?}", run.gaps);
    assert_cyton_values(&run, &[]);
}

#[test]
fn dropped_packets_become_gaps_of_their_exact_size() {
    let drop = vec![100, 101, 102, 300, 301, 302, 303, 304, 305, 306, 307, 400];
    let script = Script {
        rate_hz: 250.0,
        drop,
        ..Script::default()
    };
    let run = run(Board::Cyton, "drops", script, 480);
    assert_eq!(run.gaps, [(100, 3), (300, 8), (400, 1)]);
    assert_cyton_values(&run, &run.gaps);
}

#[test]
fn a_board_that_never_answers_is_a_clear_error_naming_the_port() {
    let port = link("mute");
    let _emulator = Emulator::start(
        &port,
        Script {
            mute: true,
            rate_hz: 250.0,
            ..Script::default()
        },
    );
    let err = SerialSource::open(&config(&port), setup(Board::Cyton), spec(Board::Cyton))
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(matches!(err, SourceError::Unavailable(_)), "{err:?}");
    assert!(
        text.contains(&port.display().to_string())
            && text.contains("banner")
            && text.contains("$$$"),
        "{text}"
    );
}

#[test]
fn a_missing_daisy_is_refused_when_the_profile_expects_one() {
    let port = link("nodaisy");
    let _emulator = Emulator::start(
        &port,
        Script {
            rate_hz: 250.0,
            ..Script::default()
        },
    );
    let err = SerialSource::open(
        &config(&port),
        setup(Board::CytonDaisy),
        spec(Board::CytonDaisy),
    )
    .err()
    .unwrap();
    assert!(
        matches!(err, SourceError::Config(_)) && err.to_string().contains("Daisy"),
        "{err}"
    );
}

#[test]
fn a_vanished_port_is_a_stall_and_a_gap_and_the_board_streams_again() {
    let script = Script {
        rate_hz: 250.0,
        unplug_after: Some(250),
        replug_s: 0.6,
        ..Script::default()
    };
    let run = run(Board::Cyton, "unplug", script, 700);
    assert_eq!(run.report.losses, 1, "{:?}", run.report);
    assert_eq!(run.report.reresolutions, 1, "{:?}", run.report);
    assert_eq!(run.gaps.len(), 1, "{:?}", run.gaps);
    let (first, missing) = run.gaps[0];
    assert_eq!(first, 250, "the gap starts after the last packet received");
    // 0.6 s unplugged plus the re-initialisation: at least 150 samples.
    assert!((150..1000).contains(&missing), "{missing}");
    let samples = run.values.len() / 8;
    assert!(samples >= 700, "{samples}: the stream resumed");
    // The board restarted: the first sample after the gap is packet 0.
    for c in 0..8 {
        assert_eq!(run.values[250 * 8 + c], uv(0, c));
    }
}

/// What the Python emulator sent: the samples, the number of gaps, the
/// accelerometer readings and how long 750 packets took.
struct PythonRun {
    values: Vec<f32>,
    gaps: usize,
    aux: Vec<f32>,
    elapsed: f64,
}

/// Runs tools/serial/cyton_emulator.py (its own process) with `args` for
/// 750 packets and reads them through the source as `board`.
fn run_python_emulator(name: &str, board: Board, args: &[&str]) -> PythonRun {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let port = link(name);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/serial/cyton_emulator.py"
    );
    let mut child = Command::new("python3")
        .args([script, "--link", &port.display().to_string()])
        .args(["--packets", "750"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the emulator");
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert!(ready.starts_with("ready"), "{ready:?}");
    let mut source = SerialSource::open(&config(&port), setup(board), spec(board)).unwrap();
    let mut aux = source.take_aux_stream().unwrap();
    let channels = board.channels();
    let expected = 750 / board.packets_per_sample() as usize * channels;
    let (writer, mut reader) = sample_ring(channels, 4096);
    let stop = Arc::new(AtomicBool::new(false));
    let s = Arc::clone(&stop);
    let started = Instant::now();
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
    let mut block = SampleBlock::with_capacity(channels, 64);
    let (mut values, mut gaps) = (Vec::new(), 0);
    while values.len() < expected && started.elapsed() < Duration::from_secs(15) {
        let popped = reader.pop_into(&mut block);
        gaps += usize::from(popped.gap.is_some());
        values.extend_from_slice(block.data());
        if popped.samples == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let report = thread.join().unwrap().unwrap();
    let _ = child.wait();
    assert_eq!(values.len(), expected, "{report:?}");
    let mut aux_block = SampleBlock::with_capacity(3, 128);
    aux.reader.pop_into(&mut aux_block);
    PythonRun {
        values,
        gaps,
        aux: aux_block.data().to_vec(),
        elapsed,
    }
}

/// The emulator in tools/serial (Python, standard library only, its own
/// process, paced at 250 Hz): the same exact values, the same
/// accelerometer readings and no gap.
#[test]
fn the_python_emulator_process_gives_the_exact_values_at_250_hz() {
    let run = run_python_emulator("python", Board::Cyton, &[]);
    assert_eq!(run.gaps, 0);
    for (k, sample) in run.values.chunks(8).enumerate() {
        for (c, &v) in sample.iter().enumerate() {
            assert_eq!(v, uv(k as u64, c), "sample {k} channel {c}");
        }
    }
    let readings: Vec<f32> = (0..750).filter_map(accelerometer).flat_map(to_g).collect();
    assert_eq!(readings.len(), 75 * 3);
    assert_eq!(run.aux, readings, "the accelerometer readings");
    // Paced, not flooded: 750 packets at 250 Hz take at least 3 s. Only
    // the lower bound is the emulator's behaviour; a loaded machine makes
    // the run longer, and a stalled emulator already fails the count.
    assert!(run.elapsed >= 2.7, "{} s", run.elapsed);
}

/// `--signal`: the Python emulator sends the in-range class signal, count
/// for count as the test emulator's [`Signal`], for a Cyton and (with
/// `--daisy`) a Cyton with Daisy.
#[test]
fn the_python_emulator_sends_the_class_signal_count_for_count() {
    for (board, args) in [
        (Board::Cyton, &["--signal", "0.5"][..]),
        (Board::CytonDaisy, &["--signal", "0.5", "--daisy"][..]),
    ] {
        let run = run_python_emulator("python-signal", board, args);
        assert_eq!(run.gaps, 0);
        let signal = Signal {
            daisy: board == Board::CytonDaisy,
            trial_s: 0.5,
        };
        let channels = board.channels();
        for (i, sample) in run.values.chunks(channels).enumerate() {
            assert_eq!(sample, signal.sample(i as u64), "{board:?} sample {i}");
            assert!(
                sample.iter().all(|v| v.abs() < 40.0),
                "in range: {sample:?}"
            );
        }
    }
}

#[test]
fn a_port_that_does_not_exist_is_an_error_naming_it() {
    let port = link("absent");
    let err = SerialSource::open(&config(&port), setup(Board::Cyton), spec(Board::Cyton))
        .err()
        .unwrap();
    assert!(err.is_retryable(), "a dongle not plugged in yet: {err:?}");
    assert!(
        err.to_string().contains(&port.display().to_string()),
        "{err}"
    );
}
