//! LSL with real peers: pylsl processes (the repository's `.venv`, made by
//! `scripts/setup-python.sh`) on the other end of real liblsl streams.
//!
//! Every test uses its own stream names (tests run in parallel) and bounded
//! timeouts. Without `.venv` or pylsl the tests fail and say how to fix it.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use neuroloop_core::ring::sample_ring;
use neuroloop_core::{SampleBlock, StreamSpec};
use neuroloop_lsl::Settings;
use neuroloop_runtime::StartOptions;
use neuroloop_runtime::profile::HardwareProfile;
use neuroloop_runtime::server::Line;
use neuroloop_sources::lsl::{LslConfig, LslSource};
use neuroloop_sources::{Source, SourceError, SourceIo};
use neuroloop_tests::repo_root;

#[path = "lsl/aligned.rs"]
mod aligned;
#[path = "lsl/events.rs"]
mod events;
#[path = "lsl/filtered.rs"]
mod filtered;
#[path = "lsl/harness.rs"]
mod harness;
#[path = "lsl/markers.rs"]
mod markers;
#[path = "lsl/picked.rs"]
mod picked;
#[path = "lsl/record.rs"]
mod record;
#[path = "lsl/recovery.rs"]
mod recovery;
#[path = "lsl/restart.rs"]
mod restart;
#[path = "lsl/shape.rs"]
mod shape;
#[path = "lsl/streams.rs"]
mod streams;

/// The repository's Python with pylsl, or a failure saying how to get it.
fn python() -> PathBuf {
    let python = repo_root().join(".venv/bin/python");
    let ok = python.exists()
        && Command::new(&python)
            .args(["-c", "import pylsl"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{} with pylsl is needed for the LSL tests: run scripts/setup-python.sh",
        python.display()
    );
    python
}

/// An `lsl_api.cfg` with the same loopback settings neuroloop applies.
fn lsl_config_file() -> PathBuf {
    let path = std::env::temp_dir().join(format!("neuroloop-lsl-test-{}.cfg", std::process::id()));
    std::fs::write(&path, Settings::default().config_text()).expect("write lsl_api.cfg");
    path
}

/// A Python peer, killed when dropped.
struct Peer {
    script: String,
    child: Child,
    stdout: Option<BufReader<ChildStdout>>,
}

impl Peer {
    fn start(script: &str, args: &[&str]) -> Self {
        let mut child = Command::new(python())
            .arg(repo_root().join("tests/lsl_peers").join(script))
            .args(args)
            .env("LSLAPICFG", lsl_config_file())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the Python peer");
        let stdout = Some(BufReader::new(child.stdout.take().expect("piped")));
        Self {
            script: script.to_string(),
            child,
            stdout,
        }
    }

    /// The next stdout line (empty at end of output).
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout
            .as_mut()
            .expect("output not handed to a reader thread")
            .read_line(&mut line)
            .expect("read peer output");
        line.trim_end().to_string()
    }

    fn expect_line(&mut self, want: &str) {
        let got = self.line();
        assert_eq!(got, want, "peer said {got:?}, expected {want:?}");
    }

    /// The rest of the output, line by line as it comes (read on a
    /// thread); the channel closes when the peer's output ends.
    fn lines_as_they_come(&mut self) -> std::sync::mpsc::Receiver<String> {
        let stdout = self.stdout.take().expect("output not yet handed over");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        rx
    }

    /// Reads the rest of the output on a thread (so the peer never blocks
    /// on a full pipe); the thread returns the lines.
    fn read_rest(&mut self) -> std::thread::JoinHandle<Vec<String>> {
        let stdout = self.stdout.take().expect("output not yet handed over");
        std::thread::spawn(move || stdout.lines().map_while(Result::ok).collect())
    }

    fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("piped");
        writeln!(stdin, "{line}").expect("write to peer");
    }

    /// Waits (bounded) for a clean exit.
    fn wait(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("peer status") {
                assert!(status.success(), "peer {} failed: {status}", self.script);
                return;
            }
            assert!(
                Instant::now() < deadline,
                "peer {} did not finish in {timeout:?}",
                self.script
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn profile_spec() -> StreamSpec {
    HardwareProfile::load(&repo_root().join("hardware-profiles/lsl-eeg-8.toml"))
        .expect("lsl-eeg-8 profile")
        .stream_spec()
}

fn source_config(name: &str) -> LslConfig {
    toml::from_str(&format!(
        "type = \"lsl\"\nname = \"{name}\"\nresolve_timeout_s = 15.0\nclasses = [\"left\", \"right\"]"
    ))
    .expect("lsl source config")
}

#[test]
fn pylsl_outlet_into_the_lsl_source_is_exact() {
    let spec = profile_spec();
    let labels: Vec<&str> = spec.labels().collect();
    let name = format!("nl-test-inlet-{}", std::process::id());
    let times_file = std::env::temp_dir().join(format!("{name}.times"));
    let samples = 750; // 3 s at 250 Hz
    let mut peer = Peer::start(
        "outlet.py",
        &[
            "--name",
            &name,
            "--labels",
            &labels.join(","),
            "--samples",
            &samples.to_string(),
            "--times-out",
            times_file.to_str().unwrap(),
            "--linger-s",
            "1.5",
        ],
    );
    let mut source =
        LslSource::open(&source_config(&name), spec.clone(), &Settings::default()).expect("open");
    let ch = spec.channel_count();
    let (writer, mut reader) = sample_ring(ch, 4096);
    let stop = Arc::new(AtomicBool::new(false));
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        let io = SourceIo {
            samples: writer,
            markers: None,
            notify: None,
        };
        source.run(io, &thread_stop)
    });
    peer.expect_line("consumer");
    let mut data = Vec::new();
    let mut times = Vec::new();
    let mut arrivals = Vec::new();
    let mut block = SampleBlock::with_capacity(ch, 256);
    let deadline = Instant::now() + Duration::from_secs(20);
    while times.len() < samples && Instant::now() < deadline {
        let popped = reader.pop_into(&mut block);
        assert!(popped.gap.is_none(), "no gap: {:?}", popped.gap);
        if popped.samples == 0 {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        data.extend_from_slice(block.data());
        times.extend_from_slice(block.timestamps());
        arrivals.extend_from_slice(block.arrivals());
    }
    peer.expect_line("done");
    peer.wait(Duration::from_secs(10));
    stop.store(true, Ordering::Relaxed);
    let report = thread.join().expect("source thread").expect("source ran");
    assert_eq!(report.samples, samples as u64, "sample count exact");
    assert_eq!(times.len(), samples);
    let expected: Vec<f32> = (0..samples * ch).map(|v| v as f32).collect();
    assert_eq!(data, expected, "values exact");
    let sent: Vec<f64> = std::fs::read_to_string(&times_file)
        .expect("peer timestamps")
        .lines()
        .map(|l| l.parse().expect("timestamp"))
        .collect();
    assert_eq!(sent.len(), samples);
    let worst = times
        .iter()
        .zip(&sent)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst < 0.002,
        "time-corrected timestamps within 2 ms of pylsl's: {worst}"
    );
    let mut lags: Vec<f64> = arrivals.iter().zip(&times).map(|(a, t)| a - t).collect();
    lags.sort_by(f64::total_cmp);
    let (min_lag, median_lag, max_lag) = (lags[0], lags[lags.len() / 2], lags[lags.len() - 1]);
    eprintln!(
        "{samples} samples; |timestamp error| ≤ {:.3} ms; arrival − timestamp: min {:.2}, median {:.2}, max {:.2} ms",
        worst * 1e3,
        min_lag * 1e3,
        median_lag * 1e3,
        max_lag * 1e3
    );
    // The first samples wait while the source finishes connecting (full
    // info, first time correction); after that they arrive within a chunk.
    assert!(
        min_lag > -0.001,
        "no sample arrives before it was taken: {min_lag}"
    );
    assert!(
        median_lag < 0.05,
        "arrivals follow the samples: median {median_lag}"
    );
    assert!(max_lag < 2.0, "no sample waits long: {max_lag}");
    let _ = std::fs::remove_file(times_file);
}

#[test]
fn a_stream_that_does_not_match_the_profile_is_refused() {
    let spec = profile_spec();
    let name = format!("nl-test-mismatch-{}", std::process::id());
    let times_file = std::env::temp_dir().join(format!("{name}.times"));
    let _peer = Peer::start(
        "outlet.py",
        &[
            "--name",
            &name,
            "--labels",
            "F3,Fz,F4,C3,Cz,C4,O1,O2",
            "--rate",
            "500",
            "--samples",
            "10",
            "--times-out",
            times_file.to_str().unwrap(),
            "--linger-s",
            "0",
        ],
    );
    let err = LslSource::open(&source_config(&name), spec, &Settings::default())
        .err()
        .expect("mismatching stream refused");
    let SourceError::Config(text) = &err else {
        panic!("a config error: {err:?}")
    };
    assert!(!err.is_retryable());
    assert!(text.contains("500 Hz") && text.contains("250 Hz"), "{text}");
    assert!(text.contains("\"O1\"") && text.contains("\"P3\""), "{text}");
}

#[test]
fn resolving_a_missing_stream_times_out_retryably() {
    let mut config = source_config(&format!("nl-test-absent-{}", std::process::id()));
    config.resolve_timeout_s = 0.5;
    let err = LslSource::open(&config, profile_spec(), &Settings::default())
        .err()
        .expect("nothing to resolve");
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("nl-test-absent"), "{err}");
}

#[test]
fn intents_outlet_into_a_pylsl_inlet_is_exact() {
    let name = format!("nl-test-outlet-{}", std::process::id());
    let (tx, _) = tokio::sync::broadcast::channel::<Line>(1024);
    let outlet = neuroloop_runtime::lsl_outlet::spawn_outlet(
        &Settings::default(),
        &name,
        &format!("{name}-src"),
        tx.subscribe(),
    )
    .expect("outlet");
    let count: u32 = 300;
    let mut peer = Peer::start(
        "inlet.py",
        &[
            "--name",
            &name,
            "--count",
            "100000",
            "--timeout-s",
            "20",
            "--stop-at",
            "\"class\":\"end\"",
        ],
    );
    peer.expect_line("ready");
    let intent = |seq: u32, class: &str, t: f64| {
        format!(
            "{{\"type\":\"intent\",\"seq\":{seq},\"class\":\"{class}\",\"t\":{{\"sample\":{t}}}}}"
        )
    };
    // liblsl adds an inlet to the outlet's consumers on the outlet's own
    // thread, after the inlet's open_stream returned: intents pushed before
    // that would not reach it.
    assert!(
        outlet.consumers.wait_for_consumers(20.0),
        "the inlet never connected"
    );
    let received = peer.lines_as_they_come();
    let mut sent = Vec::new();
    for i in 0..count {
        let t = 1000.0 + f64::from(i) * 0.1 + 1e-7;
        let line = intent(i + 1, &format!("ü-{i}"), t);
        tx.send(Line::new(format!("{line}\n").as_bytes()))
            .expect("outlet listens");
        // Lines that are not intents are not pushed.
        tx.send(Line::new(b"{\"type\":\"heartbeat\"}\n"))
            .expect("outlet listens");
        sent.push((line, t));
    }
    tx.send(Line::new(
        format!("{}\n", intent(0, "end", 2000.0)).as_bytes(),
    ))
    .expect("outlet listens");
    drop(tx);
    drop(outlet.consumers);
    let pushed = outlet.thread.join().expect("outlet thread");
    assert_eq!(pushed, u64::from(count) + 1);
    let mut got = Vec::new();
    for line in received.iter() {
        let v: serde_json::Value = serde_json::from_str(&line).expect("peer JSON");
        let value = v["v"][0].as_str().expect("string sample").to_string();
        if !value.contains("\"class\":\"end\"") {
            got.push((value, v["t"].as_f64().unwrap()));
        }
    }
    peer.wait(Duration::from_secs(10));
    assert_eq!(got.len(), sent.len(), "count exact");
    for ((gs, gt), (ss, st)) in got.iter().zip(&sent) {
        assert_eq!(gs, ss);
        // serde_json's default float parsing may be off by an ulp.
        assert!(
            (gt - st).abs() < 1e-9,
            "timestamp passes unchanged: {gt} vs {st}"
        );
    }
}

#[test]
fn lsl_cues_calibrate_a_session_that_then_decodes() {
    let id = std::process::id();
    let (eeg, cues, intents) = (
        format!("nl-test-mi-eeg-{id}"),
        format!("nl-test-mi-cues-{id}"),
        format!("nl-test-mi-intents-{id}"),
    );
    let duration_s = 40.0;
    let mut peer = Peer::start(
        "motor_imagery.py",
        &[
            "--name",
            &eeg,
            "--markers",
            &cues,
            "--duration-s",
            &duration_s.to_string(),
            "--seed",
            "5",
        ],
    );
    let path = repo_root().join("configs/lsl.toml");
    let text = std::fs::read_to_string(&path).expect("configs/lsl.toml");
    let text = text
        .replace("\"neuroloop-eeg\"", &format!("{eeg:?}"))
        .replace("\"neuroloop-cues\"", &format!("{cues:?}"))
        .replace("\"neuroloop-intents\"", &format!("{intents:?}"))
        .replace("calibration_s = 60.0", "calibration_s = 20.0");
    let session = neuroloop_runtime::parse(&text, &path).expect("lsl config valid");
    let running = neuroloop_runtime::start(
        session,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..StartOptions::default()
        },
    )
    .expect("session starts");
    peer.expect_line("consumers");
    let mut recorder = Peer::start(
        "inlet.py",
        &[
            "--name",
            &intents,
            "--count",
            "100000",
            "--timeout-s",
            "60",
            "--idle-s",
            "3",
        ],
    );
    recorder.expect_line("ready");
    let recorded = recorder.read_rest();
    // liblsl adds the recorder to the session outlet's consumers on the
    // outlet's thread after its open_stream returned.
    assert!(
        running.wait_for_lsl_intent_inlet(Duration::from_secs(20)),
        "the recorder's inlet never connected"
    );
    peer.send("go");
    peer.expect_line("done");
    peer.wait(Duration::from_secs(15));
    let report = running.finish().expect("session finishes");
    eprintln!("{}", serde_json::to_string(&report).unwrap());
    assert_eq!(
        report.samples_produced,
        (duration_s * 250.0) as u64,
        "every sample arrived"
    );
    assert_eq!(report.pipeline.gaps, 0);
    let training = report.training.as_ref().expect("trained");
    assert!(training.error.is_none(), "{training:?}");
    assert!(
        training.windows > 50,
        "calibration windows labelled from LSL cues: {training:?}"
    );
    let accuracy = report.online_accuracy.expect("labelled decoded windows");
    assert!(report.pipeline.labelled > 50, "{:?}", report.pipeline);
    assert!(accuracy >= 0.8, "decodes the cued classes: {accuracy}");
    // The transport from the pylsl peer on this machine: the sample times
    // after time correction are on this machine's clock, so the delays are
    // real ones (under a second), and the clock offset is about zero and
    // does not drift.
    let transport = &report.latency.transport;
    let decided = report.latency.decoded_publish_minus_arrival.count;
    assert!(
        transport.delay.count as f64 >= 0.99 * decided as f64
            && transport.delay.count + transport.out_of_range == decided,
        "{transport:?} of {decided} decided windows"
    );
    assert!(
        transport.delay.p50_ms > 0.0 && transport.delay.max_ms < 1000.0,
        "{transport:?}"
    );
    let clock = transport
        .clock
        .expect("a live LSL stream's time corrections");
    assert_eq!(report.source.clock, Some(clock));
    assert!(clock.corrections >= 2, "{clock:?}");
    assert!(
        clock.first_offset_s.abs() < 0.01,
        "one machine, one clock: {clock:?}"
    );
    let drift = clock.drift_ppm.expect("corrections seconds apart");
    assert!(drift.abs() < 100.0, "{clock:?}");
    // Every intent went out on LSL too, in order, stamped with its sample time.
    let mut seqs = Vec::new();
    let mut end_to_end = Vec::new();
    for line in recorded.join().expect("recorder output") {
        let v: serde_json::Value = serde_json::from_str(&line).expect("recorder JSON");
        let intent: serde_json::Value =
            serde_json::from_str(v["v"][0].as_str().expect("string")).expect("intent JSON");
        let (sample, stamp) = (intent["t"]["sample"].as_f64(), v["t"].as_f64());
        assert!(
            (sample.expect("t.sample") - stamp.expect("timestamp")).abs() < 1e-9,
            "stamped with t.sample: {intent} at {stamp:?}"
        );
        seqs.push(intent["seq"].as_u64().expect("seq"));
        if let (Some(publish), Some(received)) = (intent["t"]["publish"].as_f64(), v["r"].as_f64())
        {
            let sample = sample.expect("t.sample");
            end_to_end.push((publish - sample, received - sample));
        }
    }
    // Every stage time is on the one LSL clock of this machine: the peer
    // pushes a sample after its timestamp, the session publishes after
    // the newest sample of the window, and the inlet receives after the
    // publish. A stamp from another clock (or the pipeline's own instead
    // of the sample's) breaks this order or lands seconds away. (How long
    // each step takes is a benchmark's business: tools/lsl/e2e_latency.py.)
    assert!(!end_to_end.is_empty(), "intents carry their publish time");
    for &(to_publish, to_inlet) in &end_to_end {
        assert!(
            to_publish > 0.0 && to_publish < 5.0,
            "sample → publish {to_publish} s"
        );
        assert!(
            to_inlet >= to_publish && to_inlet < 5.0,
            "sample → inlet {to_inlet} s before or long after the publish ({to_publish} s)"
        );
    }
    {
        // From the newest sample's pylsl timestamp to the intent's publish
        // and to its arrival at a pylsl inlet (EEG chunked by 5 samples).
        let pct = |f: fn(&(f64, f64)) -> f64, p: f64| {
            let mut v: Vec<f64> = end_to_end.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[((v.len() - 1) as f64 * p) as usize] * 1e3
        };
        eprintln!(
            "pylsl sample → publish p50 {:.2} ms p99 {:.2} ms; → pylsl intent inlet p50 {:.2} ms p99 {:.2} ms ({} intents)",
            pct(|e| e.0, 0.5),
            pct(|e| e.0, 0.99),
            pct(|e| e.1, 0.5),
            pct(|e| e.1, 0.99),
            end_to_end.len()
        );
    }
    // The recorder exited on its own (3 s without intents): its output ended.
    recorder.wait(Duration::from_secs(10));
    assert_eq!(
        seqs.len() as u64,
        report.pipeline.intents,
        "every intent recorded"
    );
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "in order, none lost"
    );
}

#[test]
fn an_lsl_source_needs_an_lsl_profile_and_valid_lsl_settings() {
    // Pure validation: no liblsl call.
    let path = repo_root().join("configs/lsl.toml");
    let text = std::fs::read_to_string(&path).expect("configs/lsl.toml");
    let text = text
        .replace(
            "hardware_profile = \"lsl-eeg-8\"",
            "hardware_profile = \"simulated\"",
        )
        .replace("scope = \"machine\"", "scope = \"everywhere\"")
        .replace("classes = [\"left\", \"right\"]", "classes = [\"left\"]");
    let errors = neuroloop_runtime::parse(&text, &path).expect_err("invalid");
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    for want in ["source.type", "source.classes", "lsl.scope"] {
        assert!(paths.contains(&want), "{want} in {paths:?}");
    }
}
