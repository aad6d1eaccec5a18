//! Whole sessions on an emulated OpenBCI Cyton and Cyton+Daisy, from the
//! serial port to intents. The board sends an in-range signal whose class
//! follows a schedule of 3 s trials (the emulator's `Signal`: a 10 Hz
//! rhythm on one channel group or the other) and an accelerometer reading
//! every tenth packet. A bandpower bundle, fitted here on 90 s of the same
//! kind of signal (other packets: other noise, other phases), decodes the
//! session from its first window. The session records itself; read back,
//! the recording holds exactly the microvolts sent, the accelerometer
//! readings in g each stamped as its sample, and intents whose classes are
//! the emulated ones. The board is the test's in-process emulator or the
//! independent Python one (tools/serial/cyton_emulator.py, its own process,
//! standard library only), which sends the same counts.

#[path = "../../neuroloop-sources/tests/serial_emulator/mod.rs"]
mod serial_emulator;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use neuroloop_core::{Intent, IntentKind, SampleBlock, StreamSpec};
use neuroloop_decode::bundle::BundleMeta;
use neuroloop_decode::fit::{EpochSet, FitOptions, ModelSpec, fit};
use neuroloop_dsp::{ChainConfig, StageRegistry, WindowAssembler};
use neuroloop_formats::xdf::{XdfOptions, read_xdf};
use neuroloop_runtime::{StartOptions, parse, start};
use neuroloop_sources::serial::accelerometer::to_g;
use serial_emulator::{Emulator, Script, Signal, accelerometer};

const FILTERS: &str =
    r#"filters = [{ type = "bandpass", low_hz = 4.0, high_hz = 40.0, order = 4 }]"#;
const WINDOW_S: f64 = 1.0;
const HOP_S: f64 = 0.2;
const TRIAL_S: f64 = 3.0;
/// Packets the board sends in a session: 18 s (six trials).
const PACKETS: u64 = 4500;

fn session_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/serial-test.toml")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("serial-intents-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The session: the serial board on `port`, the bundle decoder at
/// `bundle`, recording to `record`.
fn session(port: &Path, profile: &str, decoder: &str, record: &Path) -> String {
    format!(
        r#"
[session]
name = "serial-intents"
hardware_profile = "{profile}"

[source]
type = "serial"
port = "{}"
classes = ["left", "right"]

[pipeline]
{FILTERS}
window_s = {WINDOW_S}
hop_s = {HOP_S}

{decoder}

[policy]
smoothing = 1
threshold = 0.6

[record]
path = "{}"
overwrite = true
"#,
        port.display(),
        record.display()
    )
}

/// Fits a bandpower model on `seconds` of `signal` from sample `first`
/// (filtered as the session filters; every window wholly inside one trial,
/// labelled with its class) and saves it as a bundle at `dir`.
fn train_bundle(signal: Signal, spec: &StreamSpec, first: u64, seconds: f64, dir: &Path) {
    let channels = spec.channel_count();
    let rate = signal.rate();
    let doc: toml::Table = toml::from_str(FILTERS).unwrap();
    let tables = doc["filters"].as_array().unwrap().clone();
    let chain = ChainConfig::from_toml(&StageRegistry::builtin(), &tables, "filters").unwrap();
    let mut chain = chain.initialize(spec, 1).unwrap();
    let window = (WINDOW_S * rate) as usize;
    let mut assembler = WindowAssembler::new(channels, window, window / 10).unwrap();
    let mut block = SampleBlock::with_capacity(channels, 1);
    let (mut data, mut labels) = (Vec::new(), Vec::new());
    for i in first..first + (seconds * rate) as u64 {
        let (values, times, arrivals) = block.buffers_mut();
        values[..channels].copy_from_slice(&signal.sample(i));
        // The sample index as its time, to find each window's samples.
        (times[0], arrivals[0]) = (i as f64, i as f64);
        block.set_len(1);
        chain.process(&mut block.as_mut());
        assembler
            .push_block(&block, |w| {
                let (oldest, newest) = (w.oldest_time as u64, w.newest_time as u64);
                if signal.class(oldest) == signal.class(newest) {
                    data.extend_from_slice(w.data);
                    labels.push(signal.class(newest));
                }
            })
            .unwrap();
    }
    let classes = vec!["left".to_owned(), "right".to_owned()];
    let epochs = EpochSet::new(channels, window, rate, classes, data, labels).unwrap();
    let spec_model = ModelSpec::named("bandpower").unwrap();
    let model = fit(&spec_model, &epochs, &FitOptions::default(), &mut |_| {}).unwrap();
    let meta = BundleMeta {
        channels: spec.labels().map(str::to_owned).collect(),
        filters: tables
            .iter()
            .map(|t| serde_json::to_value(t).unwrap())
            .collect(),
        source: Some("emulated OpenBCI class signal".into()),
        ..BundleMeta::default()
    };
    model.save_bundle(dir, &meta).unwrap();
}

/// Which emulator plays the board.
#[derive(Clone, Copy)]
enum Board {
    /// The test's own, in this process.
    InProcess,
    /// tools/serial/cyton_emulator.py, its own process.
    PythonProcess,
}

/// A running emulator of either kind.
enum Running {
    InProcess(Emulator),
    Python(
        std::process::Child,
        std::io::Lines<BufReader<std::process::ChildStdout>>,
    ),
}

impl Running {
    fn start(board: Board, port: &Path, signal: Signal) -> Self {
        match board {
            Board::InProcess => Self::InProcess(Emulator::start(
                port,
                Script {
                    daisy: signal.daisy,
                    rate_hz: 250.0,
                    signal: Some(signal),
                    ..Script::default()
                },
            )),
            Board::PythonProcess => {
                let script = concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../tools/serial/cyton_emulator.py"
                );
                let mut command = Command::new("python3");
                command
                    .args([script, "--link", &port.display().to_string(), "--hold"])
                    .args(["--packets", &PACKETS.to_string()])
                    .args(["--signal", &signal.trial_s.to_string()]);
                if signal.daisy {
                    command.arg("--daisy");
                }
                let mut child = command
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("python3 runs tools/serial/cyton_emulator.py");
                let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
                let ready = lines.next().expect("a ready line").unwrap();
                assert!(ready.starts_with("ready"), "{ready:?}");
                Self::Python(child, lines)
            }
        }
    }

    /// Waits until the board has sent the session's packets.
    fn wait_sent(&mut self) {
        match self {
            Self::InProcess(emulator) => {
                let deadline = Instant::now() + Duration::from_secs(60);
                while emulator.sent.load(Ordering::Relaxed) < PACKETS && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            Self::Python(_, lines) => {
                let sent = lines.next().expect("a sent line").unwrap();
                assert_eq!(sent, format!("sent {PACKETS}"));
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Self::Python(child, _) = self {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

/// Runs the whole session on `profile`, the board played by `board`, and
/// checks what it published and recorded.
fn run(name: &str, profile: &str, daisy: bool, board: Board) {
    let dir = scratch(name);
    let port = dir.join("port");
    let record = dir.join("session.xdf");
    let bundle = dir.join("bundle");
    let signal = Signal {
        daisy,
        trial_s: TRIAL_S,
    };
    // The stream the profile gives, from a session that needs no bundle.
    let plain = session(
        &port,
        profile,
        "[decoder]\ntype = \"bandpower\"\ncalibration_s = 30.0",
        &record,
    );
    let spec = parse(&plain, &session_path())
        .unwrap()
        .pipeline
        .input
        .clone();
    train_bundle(signal, &spec, 100_000, 90.0, &bundle);
    let decoder = format!(
        "[decoder]\ntype = \"bundle\"\npath = {:?}",
        bundle.display().to_string()
    );
    let cfg = parse(&session(&port, profile, &decoder, &record), &session_path()).unwrap();

    let mut emulator = Running::start(board, &port, signal);
    let (tap, intents) = crossbeam_channel::unbounded::<Intent>();
    let running = start(
        cfg,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            intent_tap: Some(tap),
            ..StartOptions::default()
        },
    )
    .unwrap();
    emulator.wait_sent();
    // Every packet sent is a sample (a Daisy sample is two packets): stop
    // once the pipeline has taken them all.
    let expected = if signal.daisy { PACKETS / 2 } else { PACKETS };
    let stats = running.stats();
    let deadline = Instant::now() + Duration::from_secs(30);
    while stats.samples.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    running.stop();
    let report = running.finish().unwrap();
    // (The in-process board streams on until the session stops it.)
    assert!(
        report.samples_produced >= expected,
        "{} samples, {expected} sent",
        report.samples_produced
    );
    let intents: Vec<Intent> = intents.try_iter().collect();
    drop(emulator);

    assert!(report.source_error.is_none(), "{:?}", report.source_error);
    let p = &report.pipeline;
    assert_eq!((p.gaps, p.artifacts), (0, 0), "{p:?}");
    assert_eq!(
        p.calibration_windows, 0,
        "decoded from the first window: {p:?}"
    );
    let rec = report.record.clone().expect("recorded");
    assert_eq!(rec.error, None);
    assert_eq!((rec.samples_dropped, rec.aux_dropped), (0, 0), "{rec:?}");

    let file = read_xdf(&record, &XdfOptions::raw()).unwrap();
    let [input, _cues, _lines, _outputs, acc] = &file.streams[..] else {
        panic!(
            "five streams: {:?}",
            file.streams
                .iter()
                .map(|s| &s.info.name)
                .collect::<Vec<_>>()
        );
    };
    // The input: exactly the microvolts sent, from the board's first sample.
    let channels = spec.channel_count();
    let n = input.len() as u64;
    assert_eq!(n, report.samples_produced);
    let expected: Vec<f64> = (0..n)
        .flat_map(|i| signal.sample(i))
        .map(f64::from)
        .collect();
    assert!(
        input.samples.values == expected,
        "recorded input differs from the microvolts sent"
    );
    assert_eq!(input.samples.values.len(), n as usize * channels);
    let stamps = &input.samples.time_stamps;

    // The accelerometer: every reading of a recorded sample, in g, in
    // order, stamped as its sample.
    assert_eq!(acc.info.labels, ["X", "Y", "Z"]);
    assert!(
        acc.info.units.iter().all(|u| u == "g"),
        "{:?}",
        acc.info.units
    );
    assert_eq!(acc.info.nominal_srate, 25.0);
    let packets_per_sample = if daisy { 2 } else { 1 };
    let readings: Vec<(u64, [f32; 3])> = (0..n * packets_per_sample)
        .filter_map(|k| accelerometer(k).map(|a| (k / packets_per_sample, to_g(a))))
        .collect();
    assert_eq!(acc.len(), readings.len(), "{rec:?}");
    let footer = acc
        .footer
        .as_deref()
        .expect("a clean stop writes its footer");
    assert!(
        footer.contains(&format!("<sample_count>{}</sample_count>", acc.len())),
        "{footer}"
    );
    assert_eq!(rec.aux_samples, readings.len() as u64);
    assert_eq!(report.source.aux_samples, readings.len() as u64);
    for (r, (sample, g)) in readings.iter().enumerate() {
        let got = &acc.samples.values[3 * r..3 * r + 3];
        assert_eq!(got, g.map(f64::from), "reading {r} (sample {sample})");
        let t = acc.samples.time_stamps[r];
        assert_eq!(
            t.to_bits(),
            stamps[*sample as usize].to_bits(),
            "reading {r}'s stamp"
        );
    }

    // Intents: decided from the first window, classes as emulated.
    let window = (WINDOW_S * signal.rate()) as u64;
    let (mut inside, mut right, mut holds) = (0, 0, 0);
    let mut seen = [0usize; 2];
    for intent in &intents {
        let newest = stamps
            .binary_search_by(|t| t.total_cmp(&intent.times.sample_time))
            .expect("an intent's sample time is a recorded sample's") as u64;
        let oldest = newest + 1 - window;
        if intent.kind == IntentKind::Hold {
            holds += 1;
            continue;
        }
        if signal.class(oldest) == signal.class(newest) {
            inside += 1;
            seen[usize::from(intent.class)] += 1;
            right += usize::from(usize::from(intent.class) == signal.class(newest));
        }
    }
    let rate = right as f64 / inside as f64;
    eprintln!(
        "{name}: {} intents, {holds} holds; {right} of {inside} class intents in windows inside one \
         trial name its class ({rate:.3})",
        intents.len() - holds
    );
    assert_eq!(intents.len() as u64, p.intents, "{p:?}");
    assert!(inside >= 40, "{inside} class intents inside trials: {p:?}");
    assert!(
        seen[0] >= 10 && seen[1] >= 10,
        "both classes issued: {seen:?}"
    );
    assert!(rate >= 0.9, "{right} of {inside} right");
}

#[test]
fn a_cyton_session_issues_the_emulated_classes_and_records_the_accelerometer() {
    run("cyton", "openbci-cyton", false, Board::InProcess);
}

#[test]
fn a_daisy_session_issues_the_emulated_classes_and_records_the_accelerometer() {
    run("daisy", "openbci-cyton-daisy", true, Board::InProcess);
}

#[test]
fn a_cyton_session_on_the_python_emulator_process_issues_the_emulated_classes() {
    run("cyton-python", "openbci-cyton", false, Board::PythonProcess);
}

#[test]
fn a_daisy_session_on_the_python_emulator_process_issues_the_emulated_classes() {
    run(
        "daisy-python",
        "openbci-cyton-daisy",
        true,
        Board::PythonProcess,
    );
}
