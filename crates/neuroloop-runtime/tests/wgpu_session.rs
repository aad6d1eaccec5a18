//! `[decoder] device = "wgpu"` in a live session (built with
//! `--features wgpu`): a network bundle decodes the simulated headset on
//! the GPU, through the decode worker, and gives the same intent classes,
//! window by window, as the same bundle on the CPU on the same samples.
//!
//! Run where a GPU or a software Vulkan driver exists (the test command
//! runs it on Mesa's lavapipe, installed by `.ci/run`):
//! `cargo test -p neuroloop-runtime --features wgpu --test wgpu_session`.
//! Without any wgpu adapter the session refuses to start and the test
//! fails with the device's error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use neuroloop_decode::bundle::BundleMeta;
use neuroloop_decode::fit::{EpochSet, FitOptions, Hyperparameters, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_protocol::{Client, ServerMessage};
use neuroloop_runtime::{SessionReport, StartOptions, start};

const LABELS: [&str; 16] = [
    "F3", "Fz", "F4", "FC3", "FC1", "FCz", "FC2", "FC4", "C3", "C1", "Cz", "C2", "C4", "CP3",
    "CPz", "CP4",
];
const FS: f64 = 250.0;
const SECONDS: f64 = 20.0;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The demo session's filter tables, as a bundle records them.
fn filters() -> Vec<serde_json::Value> {
    let text = r#"
        filters = [
            { type = "notch", freq_hz = 50.0, q = 30.0 },
            { type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 },
            { type = "car" },
        ]"#;
    let doc: toml::Table = toml::from_str(text).unwrap();
    let tables = doc["filters"].as_array().unwrap();
    tables
        .iter()
        .map(|t| serde_json::to_value(t).unwrap())
        .collect()
}

/// A small `architecture` network trained on synthetic motor imagery of
/// the demo's shape, saved as a bundle in `dir`.
fn train_bundle(dir: &Path, architecture: &str, hp: Hyperparameters) {
    let (x, y) = MotorImagery::new(16, 250, FS).generate(64, 5);
    let classes = vec!["left".to_string(), "right".to_string()];
    let epochs = EpochSet::new(16, 250, FS, classes, x, y).unwrap();
    let spec = ModelSpec::with_spec(architecture, &hp).unwrap();
    let options = FitOptions {
        seed: 1,
        max_epochs: 3,
        batch_size: 16,
        ..FitOptions::default()
    };
    let model = fit(&spec, &epochs, &options, &mut |_| {}).unwrap();
    let meta = BundleMeta {
        channels: LABELS.map(String::from).to_vec(),
        filters: filters(),
        ..BundleMeta::default()
    };
    model.save_bundle(dir, &meta).unwrap();
}

/// The demo session, not live, with `decoder` as its `[decoder]` section
/// and every decision observable (no smoothing, nothing dropped).
fn session(dir: &Path, name: &str, decoder: &str) -> PathBuf {
    let mut text = std::fs::read_to_string(repo().join("configs/demo.toml")).unwrap();
    let profile = repo().join("hardware-profiles/simulated.toml");
    text = text
        .replace(
            r#"hardware_profile = "simulated""#,
            &format!("hardware_profile = {:?}", profile.display().to_string()),
        )
        .replace("realtime = true", "realtime = false")
        .replace("smoothing = 5", "smoothing = 1")
        .replace(
            "queue = 64",
            "queue = 4096\nintent_max_age_ms = 10000\nmax_lag_ms = 60000",
        );
    let decoder_at = text.find("[decoder]").unwrap();
    let policy_at = text.find("[policy]").unwrap();
    text.replace_range(decoder_at..policy_at, &format!("{decoder}\n"));
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(&config, text).unwrap();
    config
}

/// One published decision: kind, class index, probabilities.
type Decision = (String, u8, Option<Vec<f32>>);

/// Runs `config` for `seconds` with one observer from the first sample.
fn run_observed(config: &Path, seconds: f64) -> (SessionReport, BTreeMap<u64, Decision>) {
    let cfg = neuroloop_runtime::load(config).unwrap();
    let options = StartOptions {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        sample_limit: Some((seconds * FS) as u64),
        wait_for_clients: 1,
        intent_tap: None,
        ..StartOptions::default()
    };
    let session = start(cfg, options).unwrap_or_else(|e| panic!("the session starts: {e}"));
    let port = session.local_addr().port();
    let mut client = Client::connect(("127.0.0.1", port), Duration::from_secs(10)).unwrap();
    let reader = std::thread::spawn(move || {
        let mut seen = BTreeMap::new();
        client.set_timeout(Some(Duration::from_secs(120))).unwrap();
        loop {
            match client.next_message().unwrap() {
                ServerMessage::Intent(i) | ServerMessage::Hold(i) => {
                    let kind = serde_json::to_value(i.hold_reason).unwrap().to_string();
                    let p = i.probabilities.map(|p| p.to_f32());
                    assert!(seen.insert(i.window, (kind, i.class_index, p)).is_none());
                }
                ServerMessage::Bye { .. } => break seen,
                _ => {}
            }
        }
    });
    while !session.source_finished() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let report = session.finish().unwrap();
    (report, reader.join().unwrap())
}

/// Probabilities of two classes closer than this are a tie that float
/// rounding decides (the CPU and wgpu forwards differ by about 1e-6).
const TIE: f32 = 1e-4;

/// The same decision kind, and the same class unless the two classes'
/// probabilities tie (a `low_confidence` hold near 0.5 names whichever
/// rounding put on top).
fn assert_same_decision(window: u64, cpu: (&String, u8, &[f32]), gpu: (&String, u8, &[f32])) {
    assert_eq!(cpu.0, gpu.0, "window {window}: {cpu:?} vs {gpu:?}");
    let tie = (gpu.2[0] - gpu.2[1]).abs() < TIE;
    assert!(cpu.1 == gpu.1 || tie, "window {window}: {cpu:?} vs {gpu:?}");
}

/// Trains `architecture`, runs the same samples with the bundle on the CPU
/// and on wgpu, and compares the decisions window by window.
fn same_intents_on_cpu_and_wgpu(architecture: &str, hp: Hyperparameters) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("wgpu-session-{architecture}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    train_bundle(&dir.join("bundle"), architecture, hp);
    let bundle = "[decoder]\ntype = \"bundle\"\npath = \"bundle\"\n";
    let (cpu_report, cpu) = run_observed(&session(&dir, "cpu", bundle), SECONDS);
    let gpu_decoder = format!("{bundle}device = \"wgpu\"\ngpu_deadline_ms = 10000\n");
    let (gpu_report, gpu) = run_observed(&session(&dir, "wgpu", &gpu_decoder), SECONDS);

    // 1 s windows every 0.1 s over 20 s: (20 - 1) / 0.1 + 1.
    assert_eq!(
        cpu_report.pipeline.decoded, 191,
        "{:?}",
        cpu_report.pipeline
    );
    let p = &gpu_report.pipeline;
    assert_eq!((p.windows, p.decoded), (191, 191), "{p:?}");
    assert_eq!(
        p.device.offloaded, 191,
        "every window went to the GPU: {p:?}"
    );
    assert_eq!((p.device.late, p.device.cpu_fallbacks), (0, 0), "{p:?}");
    assert_eq!(
        cpu_report.pipeline.device.offloaded, 0,
        "the CPU session stays on the CPU"
    );
    assert_eq!(gpu.len(), cpu.len(), "one decision per window");

    let mut largest = 0f32;
    let mut classes = [0usize; 2];
    let (mut lowest, mut highest) = (1f32, 0f32);
    for (window, (kind, class, p)) in &cpu {
        let (g_kind, g_class, g_p) = &gpu[window];
        let (p, g_p) = (p.as_ref().unwrap(), g_p.as_ref().unwrap());
        assert_same_decision(*window, (kind, *class, p), (g_kind, *g_class, g_p));
        for (a, b) in p.iter().zip(g_p) {
            largest = largest.max((a - b).abs());
        }
        (lowest, highest) = (lowest.min(g_p[0]), highest.max(g_p[0]));
        classes[usize::from(*class)] += 1;
    }
    eprintln!(
        "{architecture}: {} windows, classes {classes:?}, p(left) {lowest:.3} to {highest:.3}, \
         max |cpu - wgpu| probability {largest:e}",
        cpu.len()
    );
    assert!(largest < 1e-3, "probabilities differ by {largest}");
    // The outputs follow the signal: a forward that ignored its windows (or
    // answered for the wrong ones) would not pass for a working one.
    assert!(
        highest - lowest > 0.01,
        "p(left) only {lowest} to {highest}"
    );
}

#[test]
fn a_shallow_convnet_session_on_wgpu_gives_the_cpu_sessions_intents() {
    same_intents_on_cpu_and_wgpu(
        "shallow_convnet",
        Hyperparameters::default()
            .with("n_filters_time", 8)
            .with("n_filters_spat", 8),
    );
}

#[test]
fn an_eegnet_session_on_wgpu_gives_the_cpu_sessions_intents() {
    same_intents_on_cpu_and_wgpu("eegnet", Hyperparameters::default());
}

#[test]
fn a_transformer_session_on_wgpu_gives_the_cpu_sessions_intents() {
    same_intents_on_cpu_and_wgpu(
        "transformer",
        Hyperparameters::default().with("patch_len", 25),
    );
}

/// A network calibrated in the session (fitted on the CPU from the first
/// 30 s, then installed on the wgpu worker) decodes the rest of the session
/// on wgpu as the CPU decodes the same weights: the bundle the session
/// saves, replayed on the CPU over the same samples, gives the same
/// decision for every window after calibration.
///
/// (The CPU session is not calibrated itself: under load two calibrations
/// on the same samples were seen to fit slightly different weights.)
#[test]
fn a_network_calibrated_in_the_session_decodes_on_wgpu_like_on_the_cpu() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wgpu-session-calibrated");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let seconds = 60.0;
    let gpu_decoder = "[decoder]\ntype = \"shallow_convnet\"\n\
                       hyperparameters = { n_filters_time = 8, n_filters_spat = 8 }\n\
                       calibration_s = 30.0\nlabel_delay_s = 0.5\nsave_bundle = \"calibrated\"\n\
                       device = \"wgpu\"\ngpu_deadline_ms = 10000\n";
    let (gpu_report, gpu) = run_observed(&session(&dir, "wgpu", gpu_decoder), seconds);
    let cpu_decoder = "[decoder]\ntype = \"bundle\"\npath = \"calibrated\"\n";
    let (cpu_report, cpu) = run_observed(&session(&dir, "cpu", cpu_decoder), seconds);

    let training = gpu_report.training.as_ref().expect("calibrated");
    assert!(training.error.is_none(), "{training:?}");
    let (c, g) = (&cpu_report.pipeline, &gpu_report.pipeline);
    assert!(g.calibration_windows > 0 && g.decoded > 200, "{g:?}");
    assert_eq!(c.windows, g.windows, "cpu {c:?}\nwgpu {g:?}");
    assert_eq!(
        g.device.offloaded, g.decoded,
        "every decoded window went to the GPU: {g:?}"
    );
    assert_eq!((g.device.late, g.device.cpu_fallbacks), (0, 0), "{g:?}");
    assert_eq!(c.device.offloaded, 0, "the CPU session stays on the CPU");

    // Every window's decision reaches the observer, or the session counts
    // why it did not (an intent expired before it could be written, or the
    // observer fell behind); decisions are compared where both saw them.
    for (name, report, seen) in [("cpu", &cpu_report, &cpu), ("wgpu", &gpu_report, &gpu)] {
        let dropped = report.protocol.stale_intents_dropped + report.lagged_lines;
        assert!(
            seen.len() as u64 + dropped >= report.pipeline.windows,
            "{name}: {} decisions seen, {dropped} counted as dropped, of {} windows",
            seen.len(),
            report.pipeline.windows
        );
    }
    let mut largest = 0f32;
    let mut compared = 0;
    for (window, (g_kind, g_class, g_p)) in &gpu {
        let Some((kind, class, p)) = cpu.get(window) else {
            continue;
        };
        if g_kind.contains("calibrating") {
            continue;
        }
        compared += 1;
        // The replay's policy has decided since window 0, the calibrated
        // session's only since calibration ended: where one is still in its
        // dwell the other may already issue the class.
        let dwell_or_issued = |k: &str| k.contains("dwell") || k.contains("none");
        let kind = if dwell_or_issued(kind) && dwell_or_issued(g_kind) {
            g_kind
        } else {
            kind
        };
        let (p, g_p) = (p.as_ref().unwrap(), g_p.as_ref().unwrap());
        assert_same_decision(*window, (kind, *class, p), (g_kind, *g_class, g_p));
        for (a, b) in p.iter().zip(g_p) {
            largest = largest.max((a - b).abs());
        }
    }
    let accuracy = gpu_report.online_accuracy.expect("online accuracy");
    eprintln!(
        "calibrated shallow_convnet: {compared} windows compared, {} decoded, online accuracy \
         {accuracy:.3}, max |cpu - wgpu| probability {largest:e}",
        g.decoded
    );
    assert!(
        compared > 200,
        "only {compared} decoded windows seen by both"
    );
    assert!(largest < 1e-3, "probabilities differ by {largest}");
    // Two classes: a network that had not learned would sit near 0.5.
    assert!(accuracy >= 0.7, "online accuracy {accuracy}");
}

#[test]
fn device_settings_are_validated_with_specific_messages() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wgpu-validation");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let problems = |decoder: &str| -> String {
        match neuroloop_runtime::load(&session(&dir, "check", decoder)) {
            Ok(_) => String::new(),
            Err(errors) => errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    };
    let net = "[decoder]\ntype = \"eegnet\"\ncalibration_s = 30.0\n";
    assert_eq!(problems(&format!("{net}device = \"wgpu\"")), "");
    // This build has wgpu and not cuda: cuda is refused with the way to get
    // it.
    let cuda = problems(&format!("{net}device = \"cuda\""));
    assert!(
        cuda.contains("decoder.device") && cuda.contains("--features cuda"),
        "{cuda}"
    );
    let unknown = problems(&format!("{net}device = \"gpu\""));
    assert!(unknown.contains("known: cpu, wgpu, cuda"), "{unknown}");
    let deadline = problems(&format!("{net}device = \"wgpu\"\ngpu_deadline_ms = 0.5"));
    assert!(
        deadline.contains("decoder.gpu_deadline_ms") && deadline.contains("1 to 10000"),
        "{deadline}"
    );
    let on_cpu = problems(&format!("{net}gpu_deadline_ms = 50"));
    assert!(
        on_cpu.contains("applies only to a decoder on a GPU"),
        "{on_cpu}"
    );
    let covariance =
        problems("[decoder]\ntype = \"tangent_space\"\ncalibration_s = 30.0\ndevice = \"wgpu\"");
    assert!(
        covariance.contains("\"tangent_space\": tangent_space decodes on the CPU only"),
        "{covariance}"
    );
    let aligned = problems(&format!(
        "{net}device = \"wgpu\"\nhyperparameters = {{ align = true }}"
    ));
    assert!(aligned.contains("align = false"), "{aligned}");
}
