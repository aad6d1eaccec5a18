//! A session with `[decoder] type = "bundle"`: a model trained offline on
//! simulated motor imagery, saved as a bundle, decodes a new simulated
//! session from its first window — no calibration — and scores above
//! chance on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use neuroloop_core::{Marker, SampleBlock};
use neuroloop_decode::bundle::BundleMeta;
use neuroloop_decode::fit::{EpochSet, FitOptions, Hyperparameters, ModelSpec, fit};
use neuroloop_dsp::{ChainConfig, StageRegistry, WindowAssembler};
use neuroloop_protocol::{Client, ServerMessage};
use neuroloop_runtime::labels::LabelTimeline;
use neuroloop_runtime::{StartOptions, start};
use neuroloop_sources::sim::{ParadigmConfig, SimGenerator};

const LABELS: [&str; 16] = [
    "F3", "Fz", "F4", "FC3", "FC1", "FCz", "FC2", "FC4", "C3", "C1", "Cz", "C2", "C4", "CP3",
    "CPz", "CP4",
];
const FS: f64 = 250.0;
const BLOCK: usize = 25;
/// Seconds of signal in each of the saving and the loading session.
const SECONDS: f64 = 40.0;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The demo session's filter tables.
fn filters() -> Vec<toml::Value> {
    let text = r#"
        filters = [
            { type = "notch", freq_hz = 50.0, q = 30.0 },
            { type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 },
            { type = "car" },
        ]"#;
    let doc: toml::Table = toml::from_str(text).unwrap();
    doc["filters"].as_array().unwrap().clone()
}

/// Labelled 1 s windows, one every `hop` samples, from `seconds` of the
/// demo paradigm after the demo filters, as the pipeline makes them.
fn labelled_epochs(seconds: f64, seed: u64, hop: usize) -> EpochSet {
    let paradigm = ParadigmConfig::MotorImagery {
        classes: vec!["left".into(), "right".into()],
        trial_s: 4.0,
        rest_s: 2.0,
        erd_depth: 0.6,
    };
    let mut sim = SimGenerator::new(&LABELS, FS, 50.0, &paradigm, seed);
    let spec = neuroloop_core::StreamSpec {
        name: "sim".into(),
        channels: LABELS
            .iter()
            .map(|l| neuroloop_core::ChannelSpec::eeg(*l))
            .collect(),
        sample_rate: FS,
        block_size: BLOCK,
    };
    let chain = ChainConfig::from_toml(&StageRegistry::builtin(), &filters(), "filters").unwrap();
    let mut chain = chain.initialize(&spec, BLOCK).unwrap();
    let mut assembler = WindowAssembler::new(16, 250, hop).unwrap();
    let mut timeline = LabelTimeline::new(256, 0.5);
    let mut block = SampleBlock::with_capacity(16, BLOCK);
    let (mut data, mut labels) = (Vec::new(), Vec::new());
    for b in 0..(seconds * FS) as usize / BLOCK {
        let (values, times, arrivals) = block.buffers_mut();
        sim.fill(&mut values[..BLOCK * 16], |index, code| {
            timeline.push(Marker {
                time: index as f64 / FS,
                code,
            });
        });
        for i in 0..BLOCK {
            times[i] = (b * BLOCK + i) as f64 / FS;
            arrivals[i] = times[i];
        }
        block.set_len(BLOCK);
        chain.process(&mut block.as_mut());
        assembler
            .push_block(&block, |w| {
                if let Some(label) = timeline.label(w.oldest_time, w.newest_time) {
                    data.extend_from_slice(w.data);
                    labels.push(label);
                }
            })
            .unwrap();
    }
    EpochSet::new(
        16,
        250,
        FS,
        vec!["left".into(), "right".into()],
        data,
        labels,
    )
    .unwrap()
}

/// The demo session, not live, with another seed and `decoder` as its
/// `[decoder]` section, written into `dir`.
fn demo_session(dir: &Path, name: &str, decoder: &str) -> PathBuf {
    let mut text = std::fs::read_to_string(repo().join("configs/demo.toml")).unwrap();
    let profile = repo().join("hardware-profiles/simulated.toml");
    text = text
        .replace(
            r#"hardware_profile = "simulated""#,
            &format!("hardware_profile = {:?}", profile.display().to_string()),
        )
        .replace("realtime = true", "realtime = false")
        .replace("seed = 7", "seed = 23");
    let decoder_at = text.find("[decoder]").unwrap();
    let policy_at = text.find("[policy]").unwrap();
    text.replace_range(decoder_at..policy_at, &format!("{decoder}\n"));
    std::fs::create_dir_all(dir).unwrap();
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(&config, text).unwrap();
    config
}

/// Runs a session for `seconds` of samples and reports.
fn run(config: &Path, seconds: f64) -> neuroloop_runtime::SessionReport {
    let cfg = neuroloop_runtime::load(config).unwrap();
    let session = start(
        cfg,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            sample_limit: Some((seconds * FS) as u64),
            ..StartOptions::default()
        },
    )
    .unwrap();
    while !session.source_finished() {
        std::thread::sleep(Duration::from_millis(20));
    }
    session.finish().unwrap()
}

/// [`demo_session`] with every decoder output observable on the intent
/// port: no smoothing (the published probabilities are the decoder's), and
/// a queue, intent age and lag bound that drop nothing for a reader that
/// keeps up with a session faster than real time.
fn observed_session(dir: &Path, name: &str, decoder: &str) -> PathBuf {
    let config = demo_session(dir, name, decoder);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("smoothing = 5") && text.contains("queue = 64"));
    let text = text.replace("smoothing = 5", "smoothing = 1").replace(
        "queue = 64",
        "queue = 4096\nintent_max_age_ms = 10000\nmax_lag_ms = 60000",
    );
    std::fs::write(&config, text).unwrap();
    config
}

/// Runs a session for `seconds` of samples with one observer connected
/// from the first sample; returns the report and the probabilities
/// published for each decoded window, by window index.
fn run_observed(
    config: &Path,
    seconds: f64,
) -> (neuroloop_runtime::SessionReport, BTreeMap<u64, Vec<f32>>) {
    let cfg = neuroloop_runtime::load(config).unwrap();
    let session = start(
        cfg,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            sample_limit: Some((seconds * FS) as u64),
            wait_for_clients: 1,
            intent_tap: None,
            ..StartOptions::default()
        },
    )
    .unwrap();
    let port = session.local_addr().port();
    let mut client = Client::connect(("127.0.0.1", port), Duration::from_secs(10)).unwrap();
    let reader = std::thread::spawn(move || {
        let mut outputs = BTreeMap::new();
        client.set_timeout(Some(Duration::from_secs(30))).unwrap();
        loop {
            match client.next_message().unwrap() {
                ServerMessage::Intent(i) | ServerMessage::Hold(i) => {
                    if let Some(p) = i.probabilities {
                        assert!(outputs.insert(i.window, p.to_f32()).is_none());
                    }
                }
                ServerMessage::Error { code, message, .. } => {
                    panic!("the observer was told {code:?}: {message}")
                }
                ServerMessage::Bye { .. } => break outputs,
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

#[test]
fn a_session_saves_its_calibrated_decoder_and_another_loads_it() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bundle-saved");
    let _ = std::fs::remove_dir_all(&dir);
    let calibrating = observed_session(
        &dir,
        "calibrate",
        "[decoder]\ntype = \"bandpower\"\nbands_hz = [[8.0, 13.0], [13.0, 30.0]]\n\
         calibration_s = 30.0\nlabel_delay_s = 0.5\nsave_bundle = \"saved\"\n",
    );
    let (report, saved_outputs) = run_observed(&calibrating, SECONDS);
    assert!(report.training.as_ref().is_some_and(|t| t.error.is_none()));
    assert_eq!(
        saved_outputs.len() as u64,
        report.pipeline.decoded,
        "one output per decoded window"
    );
    let bundle = neuroloop_decode::bundle::Bundle::load(dir.join("saved")).unwrap();
    let m = bundle.manifest();
    assert_eq!(m.channels, LABELS.map(String::from));
    assert_eq!(m.preprocessing.filters.len(), 3);
    assert_eq!(m.model.architecture(), "bandpower");

    // A session loading it validates against the same profile and filters,
    // and on the same signal gives the saved decoder's outputs, bit for bit.
    let loading = observed_session(
        &dir,
        "load",
        "[decoder]\ntype = \"bundle\"\npath = \"saved\"\n",
    );
    let (loaded, loaded_outputs) = run_observed(&loading, SECONDS);
    let p = &loaded.pipeline;
    assert_eq!(p.calibration_windows, 0, "{p:?}");
    // 1 s windows every 0.1 s over 40 s: (40 - 1) / 0.1 + 1.
    assert_eq!(p.windows, 391, "{p:?}");
    assert_eq!(p.decoded, p.windows, "{p:?}");
    assert_eq!(
        loaded_outputs.len() as u64,
        p.windows,
        "one output a window"
    );

    let mut compared = 0;
    for (window, saved) in &saved_outputs {
        let loaded = &loaded_outputs[window];
        let same = saved
            .iter()
            .zip(loaded)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "window {window}: saved {saved:?}, loaded {loaded:?}");
        compared += 1;
    }
    eprintln!("{compared} windows decoded by both the saved and the loaded decoder");
    // The 10 s after calibration hold about 90 windows.
    assert!(compared >= 80, "only {compared} windows to compare");
}

#[test]
fn a_bundle_decodes_a_session_from_its_first_window() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bundle-session");
    let _ = std::fs::remove_dir_all(&dir);
    let train = labelled_epochs(120.0, 11, 125);
    let spec = ModelSpec::with_spec(
        "shallow_convnet",
        &Hyperparameters::default()
            .with("n_filters_time", 8)
            .with("n_filters_spat", 8),
    )
    .unwrap();
    let options = FitOptions {
        seed: 1,
        max_epochs: 15,
        batch_size: 16,
        learning_rate: Some(3e-3),
        ..FitOptions::default()
    };
    let model = fit(&spec, &train, &options, &mut |_| {}).unwrap();
    let meta = BundleMeta {
        channels: LABELS.map(String::from).to_vec(),
        filters: filters()
            .iter()
            .map(|t| serde_json::to_value(t).unwrap())
            .collect(),
        source: Some("simulated demo paradigm, seed 11".into()),
        ..BundleMeta::default()
    };
    model.save_bundle(dir.join("bundle"), &meta).unwrap();

    let config = demo_session(
        &dir,
        "session",
        "[decoder]\ntype = \"bundle\"\npath = \"bundle\"\n",
    );
    let report = run(&config, 40.0);
    let p = &report.pipeline;
    assert_eq!(p.calibration_windows, 0, "{p:?}");
    assert!(p.windows > 350, "{p:?}");
    assert_eq!(p.decoded, p.windows, "every window decoded: {p:?}");
    assert_eq!(p.decode_errors, 0, "{p:?}");
    assert!(report.training.is_none(), "nothing trained in the session");
    let accuracy = report.online_accuracy.unwrap();
    eprintln!(
        "online accuracy {accuracy:.3} over {} labelled windows",
        p.labelled
    );
    assert!(accuracy > 0.7, "online accuracy {accuracy:.3}");
}

/// The validation problems of a demo session with `decoder` as its
/// `[decoder]` section.
fn problems(dir: &Path, name: &str, decoder: &str) -> Vec<String> {
    let config = demo_session(dir, name, decoder);
    match neuroloop_runtime::load(&config) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn bundle_sections_are_validated_with_specific_messages() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bundle-validation");
    let _ = std::fs::remove_dir_all(&dir);
    // A bandpower bundle for the demo's shape, but with other class names.
    let epochs = labelled_epochs(30.0, 5, 125);
    let renamed = EpochSet::new(
        16,
        250,
        FS,
        vec!["up".into(), "down".into()],
        epochs.data,
        epochs.labels,
    )
    .unwrap();
    let model = fit(
        &ModelSpec::named("bandpower").unwrap(),
        &renamed,
        &FitOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let meta = BundleMeta {
        channels: LABELS.map(String::from).to_vec(),
        filters: filters()
            .iter()
            .map(|t| serde_json::to_value(t).unwrap())
            .collect(),
        source: None,
        ..BundleMeta::default()
    };
    model.save_bundle(dir.join("updown"), &meta).unwrap();

    let p = problems(
        &dir,
        "classes",
        "[decoder]\ntype = \"bundle\"\npath = \"updown\"\n",
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains(
            r#"the bundle's classes ["up", "down"] differ from the session's ["left", "right"]"#
        ),
        "{p:?}"
    );

    let p = problems(&dir, "no-path", "[decoder]\ntype = \"bundle\"\n");
    assert_eq!(
        p,
        ["decoder.path: a bundle decoder needs the bundle directory"]
    );

    let p = problems(
        &dir,
        "missing",
        "[decoder]\ntype = \"bundle\"\npath = \"nowhere\"\n",
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("decoder.path: model bundle "), "{p:?}");
    assert!(p[0].contains("nowhere/decoder.json"), "{p:?}");

    let p = problems(
        &dir,
        "save",
        "[decoder]\ntype = \"bundle\"\npath = \"updown\"\nsave_bundle = \"copy\"\n\
         calibration_s = 60.0\n",
    );
    assert!(
        p.iter().any(|m| m.starts_with("decoder.save_bundle:")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("bands_hz and calibration_s belong")),
        "{p:?}"
    );

    let p = problems(
        &dir,
        "path-on-bandpower",
        "[decoder]\ntype = \"bandpower\"\nbands_hz = [[8.0, 13.0]]\ncalibration_s = 60.0\n\
         path = \"updown\"\n",
    );
    assert_eq!(
        p,
        [r#"decoder.path: only a decoder of type "bundle" is loaded from a path"#]
    );
}
