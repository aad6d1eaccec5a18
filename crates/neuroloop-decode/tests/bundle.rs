//! Model bundles: save → load gives the same probabilities; every kind of
//! mismatch with a session and every broken file gets its own error.

use std::path::{Path, PathBuf};

use neuroloop_core::Window;
use neuroloop_decode::bundle::{Bundle, BundleMeta, MANIFEST_FILE, WEIGHTS_FILE};
use neuroloop_decode::fit::{EpochSet, FitOptions, FittedModel, Hyperparameters, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{DecodeError, Decoder};
use serde_json::{Value, json};

const CHANNELS: usize = 4;
const SAMPLES: usize = 128;
const RATE: f64 = 128.0;

fn labels() -> Vec<String> {
    ["C3", "Cz", "C4", "Pz"].map(String::from).to_vec()
}

fn filters() -> Vec<Value> {
    vec![
        json!({"type": "bandpass", "low_hz": 8.0, "high_hz": 30.0, "order": 4}),
        json!({"type": "car"}),
    ]
}

fn epochs(n: usize, seed: u64) -> EpochSet {
    let (data, labels) = MotorImagery::new(CHANNELS, SAMPLES, RATE).generate(n, seed);
    let data = data.into_iter().map(|v| v * 1e-5).collect();
    EpochSet::new(
        CHANNELS,
        SAMPLES,
        RATE,
        vec!["left".into(), "right".into()],
        data,
        labels,
    )
    .unwrap()
}

fn trained(spec: &ModelSpec) -> FittedModel {
    let options = FitOptions {
        seed: 3,
        max_epochs: 4,
        batch_size: 16,
        ..FitOptions::default()
    };
    fit(spec, &epochs(48, 1), &options, &mut |_| {}).unwrap()
}

fn eegnet() -> ModelSpec {
    ModelSpec::with_spec(
        "eegnet",
        &Hyperparameters::default()
            .with("f1", 4)
            .with("kernel_length", 32)
            .with("depthwise_kernel_length", 8),
    )
    .unwrap()
}

/// A fresh directory under the target's temp area.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bundle-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn save(model: &FittedModel, name: &str) -> PathBuf {
    let dir = scratch(name);
    let meta = BundleMeta {
        channels: labels(),
        filters: filters(),
        source: Some("synthetic".into()),
        ..BundleMeta::default()
    };
    model.save_bundle(&dir, &meta).unwrap();
    dir
}

#[test]
fn round_trip_gives_identical_probabilities() {
    let test = epochs(12, 9);
    let shallow = ModelSpec::with_spec(
        "shallow_convnet",
        &Hyperparameters::default()
            .with("n_filters_time", 6)
            .with("n_filters_spat", 6)
            .with("pool_time_length", 32)
            .with("pool_time_stride", 8),
    )
    .unwrap();
    for (name, spec) in [
        ("bandpower", ModelSpec::named("bandpower").unwrap()),
        ("eegnet", eegnet()),
        ("shallow", shallow),
        (
            "transformer",
            ModelSpec::with_spec(
                "transformer",
                &Hyperparameters::default()
                    .with("patch_len", 16)
                    .with("d_model", 16)
                    .with("n_layers", 1),
            )
            .unwrap(),
        ),
    ] {
        let model = trained(&spec);
        let dir = save(&model, name);
        assert!(dir.join(MANIFEST_FILE).is_file() && dir.join(WEIGHTS_FILE).is_file());
        let bundle = Bundle::load(&dir).unwrap();
        let m = bundle.manifest();
        assert_eq!(m.channels, labels());
        assert_eq!(m.preprocessing.filters, filters());
        assert_eq!((m.window_samples, m.sample_rate), (SAMPLES, RATE));
        assert_eq!(m.model, spec);
        assert_eq!(&m.training, model.report());
        assert_eq!(
            bundle.model().predict(&test).unwrap(),
            model.predict(&test).unwrap(),
            "{name}"
        );
        let want = model.predict(&test).unwrap();
        let diff = decoder_vs_batch(bundle.into_decoder().unwrap().as_mut(), &test, &want);
        eprintln!("{name}: max |decoder - predict| {diff:e}");
        assert!(diff <= 2e-6, "{name}: the decoder differs by {diff}");
    }
}

/// The largest difference between the probabilities `decoder` gives for
/// each epoch of `set`, one window at a time, and `want` (the batch
/// prediction, `[epochs, classes]`).
fn decoder_vs_batch(decoder: &mut dyn Decoder, set: &EpochSet, want: &[f32]) -> f32 {
    let classes = want.len() / set.len();
    let mut p = vec![0.0_f32; classes];
    let mut worst = 0.0_f32;
    for (i, want) in want.chunks_exact(classes).enumerate() {
        let window = Window {
            index: i as u64,
            channels: CHANNELS,
            samples: SAMPLES,
            data: set.epoch(i),
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        decoder.decode(&window, &mut p).unwrap();
        for (a, b) in p.iter().zip(want) {
            worst = worst.max((a - b).abs());
        }
    }
    worst
}

#[test]
fn every_mismatch_is_reported_with_what_differs() {
    let dir = save(
        &trained(&ModelSpec::named("bandpower").unwrap()),
        "mismatch",
    );
    let bundle = Bundle::load(&dir).unwrap();
    assert!(
        bundle
            .check_against(&labels(), RATE, SAMPLES, &filters())
            .is_empty()
    );
    // Integer and float spellings of a number are the same filter.
    let same = vec![
        json!({"type": "bandpass", "low_hz": 8, "high_hz": 30, "order": 4}),
        json!({"type": "car"}),
    ];
    assert!(
        bundle
            .check_against(&labels(), RATE, SAMPLES, &same)
            .is_empty()
    );

    let swapped = ["C3", "Cz", "Cz", "Pz"].map(String::from);
    let problems = bundle.check_against(&swapped, 250.0, 250, &filters()[..1]);
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "channel 2 is C4 in the bundle but Cz in the stream",
            "the bundle was trained at 128 Hz, the stream runs at 250 Hz",
            "the bundle takes windows of 128 samples, the session makes windows of 250",
            "the bundle was trained behind 2 filters (bandpass, car), the session has 1 (bandpass)",
        ]
    );
    let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
    assert_eq!(
        fields,
        ["channels", "sample_rate", "window_samples", "filters"]
    );

    let problems = bundle.check_against(&labels()[..3], RATE, SAMPLES, &filters());
    assert_eq!(
        problems[0].message,
        "the bundle expects 4 channels, the stream has 3"
    );
    let other = vec![
        json!({"type": "bandpass", "low_hz": 1.0, "high_hz": 30.0, "order": 4}),
        json!({"type": "car"}),
    ];
    let problems = bundle.check_against(&labels(), RATE, SAMPLES, &other);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].message.starts_with("filter 0 is {"),
        "{}",
        problems[0]
    );
    assert!(
        problems[0].message.contains("\"low_hz\":1.0"),
        "{}",
        problems[0]
    );
}

fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) {
    let path = dir.join(MANIFEST_FILE);
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(v.as_object_mut().unwrap());
    std::fs::write(path, v.to_string()).unwrap();
}

#[test]
fn broken_bundles_get_specific_errors() {
    let model = trained(&eegnet());

    let dir = scratch("missing");
    assert!(matches!(
        Bundle::load(&dir),
        Err(DecodeError::BundleIo { path, .. }) if path.ends_with(MANIFEST_FILE)
    ));

    let dir = save(&model, "no-weights");
    std::fs::remove_file(dir.join(WEIGHTS_FILE)).unwrap();
    assert!(matches!(
        Bundle::load(&dir),
        Err(DecodeError::BundleIo { path, .. }) if path.ends_with(WEIGHTS_FILE)
    ));

    let dir = save(&model, "corrupt-weights");
    let weights = dir.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(
        Bundle::load(&dir),
        Err(DecodeError::BundleWeights { .. })
    ));

    // Weights of another shape: the manifest says 8 temporal filters.
    let dir = save(&model, "wrong-weights");
    edit_manifest(&dir, |m| {
        m["model"]["f1"] = json!(8);
    });
    assert!(matches!(
        Bundle::load(&dir),
        Err(DecodeError::BundleWeights { .. })
    ));

    let dir = save(&model, "not-json");
    std::fs::write(dir.join(MANIFEST_FILE), "{\"format_version\": 1,").unwrap();
    assert!(matches!(
        Bundle::load(&dir),
        Err(DecodeError::BundleManifest { message, .. }) if message.contains("not valid JSON")
    ));

    let dir = save(&model, "version");
    edit_manifest(&dir, |m| {
        m.insert("format_version".into(), json!(2));
    });
    assert!(matches!(
        Bundle::load(&dir),
        Err(DecodeError::BundleVersion {
            found: 2,
            supported: 1,
            ..
        })
    ));

    let dir = save(&model, "unknown-field");
    edit_manifest(&dir, |m| {
        m.insert("colour".into(), json!("blue"));
    });
    assert!(matches!(
        Bundle::load(&dir),
        Err(DecodeError::BundleManifest { message, .. }) if message.contains("colour")
    ));

    let dir = save(&model, "escape");
    edit_manifest(&dir, |m| {
        m.insert("weights".into(), json!("../other/weights.bpk"));
    });
    assert!(matches!(
        Bundle::load(&dir),
        Err(DecodeError::BundleManifest { message, .. }) if message.contains("not a file name")
    ));

    let dir = save(&model, "hyper");
    edit_manifest(&dir, |m| {
        m["model"]["kernel_lenght"] = json!(32);
    });
    assert!(matches!(
        Bundle::load(&dir),
        Err(DecodeError::Config(e)) if e[0].path == "eegnet.kernel_lenght"
    ));
}
