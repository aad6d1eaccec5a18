//! The generic trainer on synthetic motor-imagery epochs: every
//! architecture learns, the same seed gives the same weights, and bad
//! input gets its specific error.

use neuroloop_core::Window;
use neuroloop_decode::DecodeError;
use neuroloop_decode::fit::{EpochProgress, EpochSet, FitOptions, Hyperparameters, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;

const CHANNELS: usize = 4;
const SAMPLES: usize = 128;
const RATE: f64 = 128.0;

/// Gain of channel 0, where class 0's rhythm weakens, over the others
/// (an electrode recorded at twice the gain).
const GAIN_0: f32 = 2.0;

/// Synthetic epochs with channel 0 at [`GAIN_0`]: comparing the raw power
/// of the two channels whose rhythm the classes weaken — a rule that needs
/// no training and scores 95 % on undistorted epochs — then always picks
/// class 1, so only a trained decoder scores above chance.
fn epochs(n: usize, seed: u64) -> EpochSet {
    let generator = MotorImagery::new(CHANNELS, SAMPLES, RATE);
    assert_eq!(generator.erd_channels, [0, 1]);
    let (mut data, labels) = generator.generate(n, seed);
    for window in data.chunks_exact_mut(CHANNELS * SAMPLES) {
        window[..SAMPLES].iter_mut().for_each(|v| *v *= GAIN_0);
    }
    // Volts, as recordings give them: deep models must rescale.
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

/// Accuracy of the untrained rule: class 0 where channel 0 has less power
/// than channel 1, else class 1.
fn untrained_rule_accuracy(set: &EpochSet) -> f32 {
    let hits = (0..set.len())
        .filter(|&i| {
            let power = |c: usize| -> f32 {
                set.epoch(i)[c * SAMPLES..(c + 1) * SAMPLES]
                    .iter()
                    .map(|v| v * v)
                    .sum()
            };
            usize::from(power(0) >= power(1)) == set.labels[i]
        })
        .count();
    hits as f32 / set.len() as f32
}

fn small_eegnet() -> ModelSpec {
    ModelSpec::with_spec(
        "eegnet",
        &Hyperparameters::default()
            .with("f1", 4)
            .with("d", 2)
            .with("kernel_length", 32)
            .with("depthwise_kernel_length", 8),
    )
    .unwrap()
}

fn options(seed: u64) -> FitOptions {
    FitOptions {
        seed,
        max_epochs: 12,
        batch_size: 16,
        learning_rate: Some(1e-2),
        patience: 12,
        ..FitOptions::default()
    }
}

fn accuracy(p: &[f32], labels: &[usize]) -> f32 {
    let hits = p
        .chunks_exact(2)
        .zip(labels)
        .filter(|(row, l)| usize::from(row[1] > row[0]) == **l)
        .count();
    hits as f32 / labels.len() as f32
}

#[test]
fn eegnet_learns_is_deterministic_and_decodes_like_predict() {
    let train = epochs(96, 1);
    let test = epochs(40, 2);
    let mut progress: Vec<EpochProgress> = Vec::new();
    let a = fit(&small_eegnet(), &train, &options(7), &mut |p| {
        progress.push(*p);
    })
    .unwrap();
    assert_eq!(progress.len(), a.report().epochs);
    assert!(
        progress
            .iter()
            .all(|p| p.val_loss.is_some() && p.max_epochs == 12)
    );
    assert_eq!(a.report().n_train + a.report().n_validation, 96);

    let pa = a.predict(&test).unwrap();
    assert_eq!(pa.len(), 40 * 2);
    let rule = untrained_rule_accuracy(&test);
    let acc = accuracy(&pa, &test.labels);
    eprintln!("eegnet: held-out accuracy {acc}, untrained rule {rule}");
    assert!(rule <= 0.55, "the untrained rule scores {rule}");
    assert!(acc >= 0.75, "held-out accuracy {acc}");

    // Same seed, same weights: identical predictions. Another seed differs.
    let b = fit(&small_eegnet(), &train, &options(7), &mut |_| {}).unwrap();
    assert_eq!(pa, b.predict(&test).unwrap());
    let c = fit(&small_eegnet(), &train, &options(8), &mut |_| {}).unwrap();
    assert_ne!(pa, c.predict(&test).unwrap());

    // The real-time form gives the offline probabilities.
    let mut decoder = a.into_decoder().unwrap();
    assert_eq!(decoder.input_shape(), (CHANNELS, SAMPLES));
    let mut p = [0.0_f32; 2];
    for i in 0..5 {
        let window = Window {
            index: i as u64,
            channels: CHANNELS,
            samples: SAMPLES,
            data: test.epoch(i),
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        decoder.decode(&window, &mut p).unwrap();
        for k in 0..2 {
            assert!(
                (p[k] - pa[i * 2 + k]).abs() < 1e-4,
                "{p:?} vs {:?}",
                &pa[i * 2..i * 2 + 2]
            );
        }
    }
}

#[test]
fn bandpower_shallow_convnet_and_transformer_learn() {
    let train = epochs(96, 3);
    let test = epochs(40, 4);
    let bandpower = ModelSpec::named("bandpower").unwrap();
    let shallow = ModelSpec::with_spec(
        "shallow_convnet",
        &Hyperparameters::default()
            .with("n_filters_time", 8)
            .with("n_filters_spat", 8)
            .with("filter_time_length", 13)
            .with("pool_time_length", 32)
            .with("pool_time_stride", 8),
    )
    .unwrap();
    let transformer = ModelSpec::with_spec(
        "transformer",
        &Hyperparameters::default()
            .with("patch_len", 16)
            .with("d_model", 16)
            .with("d_ff", 32)
            .with("n_layers", 1),
    )
    .unwrap();
    let rule = untrained_rule_accuracy(&test);
    assert!(rule <= 0.55, "the untrained rule scores {rule}");
    for spec in [bandpower, shallow, transformer] {
        let mut calls = 0;
        let model = fit(&spec, &train, &options(1), &mut |_| calls += 1).unwrap();
        assert!(calls >= 1);
        assert_eq!(model.report().architecture, spec.architecture());
        let acc = accuracy(&model.predict(&test).unwrap(), &test.labels);
        eprintln!(
            "{}: held-out accuracy {acc}, untrained rule {rule}",
            spec.architecture()
        );
        assert!(
            acc >= 0.75,
            "{}: held-out accuracy {acc}",
            spec.architecture()
        );
    }
}

#[test]
fn specs_parse_strictly_and_bad_hyperparameters_are_named() {
    let spec: ModelSpec =
        serde_json::from_str(r#"{"architecture": "shallow_convnet", "drop_prob": 0.3}"#).unwrap();
    assert_eq!(spec.architecture(), "shallow_convnet");
    assert!(serde_json::from_str::<ModelSpec>(r#"{"architecture": "resnet"}"#).is_err());
    assert!(
        serde_json::from_str::<ModelSpec>(r#"{"architecture": "bandpower", "bandz": []}"#).is_err()
    );
    assert!(matches!(
        ModelSpec::named("resnet"),
        Err(DecodeError::ArchitectureUnavailable(name)) if name == "resnet"
    ));

    let train = epochs(16, 5);
    let spec = ModelSpec::with_spec(
        "eegnet",
        &Hyperparameters::default()
            .with("f_one", 4)
            .with("n_chans", 3),
    )
    .unwrap();
    let Err(DecodeError::Config(errors)) = fit(&spec, &train, &options(0), &mut |_| {}) else {
        panic!("unknown hyperparameters accepted");
    };
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["eegnet.f_one", "eegnet.n_chans"]);
    assert!(errors[0].message.contains("kernel_length"), "{}", errors[0]);
}

#[test]
fn bad_epochs_and_options_get_specific_errors() {
    let classes = || vec!["a".to_string(), "b".to_string()];
    assert!(matches!(
        EpochSet::new(2, 4, 100.0, classes(), vec![0.0; 15], vec![0, 1]),
        Err(DecodeError::TrainingShape {
            expected: 16,
            got: 15,
            windows: 2
        })
    ));
    assert!(matches!(
        EpochSet::new(2, 4, 100.0, classes(), vec![0.0; 16], vec![0, 2]),
        Err(DecodeError::LabelOutOfRange {
            window: 1,
            label: 2,
            ..
        })
    ));
    let mut data = vec![0.0; 16];
    data[13] = f32::NAN;
    assert!(matches!(
        EpochSet::new(2, 4, 100.0, classes(), data, vec![0, 1]),
        Err(DecodeError::NonFiniteTraining {
            window: 1,
            channel: 1,
            sample: 1
        })
    ));
    assert!(matches!(
        EpochSet::new(2, 4, 0.0, classes(), vec![0.0; 16], vec![0, 1]),
        Err(DecodeError::EpochSet(_))
    ));

    let set = epochs(8, 1);
    assert!(matches!(set.subset(&[0, 8]), Err(DecodeError::EpochSet(_))));
    let sub = set.subset(&[3, 1]).unwrap();
    assert_eq!(sub.labels, [set.labels[3], set.labels[1]]);
    assert_eq!(sub.epoch(0), set.epoch(3));

    let one_class = set.subset(&[0, 2, 4]).unwrap();
    assert!(matches!(
        fit(&small_eegnet(), &one_class, &options(0), &mut |_| {}),
        Err(DecodeError::TooFewWindows { got: 3, needed: 4 })
    ));
    let bad = FitOptions {
        batch_size: 0,
        ..FitOptions::default()
    };
    assert!(matches!(
        fit(&small_eegnet(), &set, &bad, &mut |_| {}),
        Err(DecodeError::TrainOptions {
            field: "batch_size",
            ..
        })
    ));
}

#[test]
fn min_epochs_keeps_no_checkpoint_before_it_and_is_capped_at_max_epochs() {
    let set = epochs(40, 5);
    // Patience 1 would stop at the first pass without improvement; with
    // min_epochs 6 neither the kept weights nor the stop come earlier.
    let early = FitOptions {
        patience: 1,
        min_epochs: 6,
        ..options(2)
    };
    let mut seen = 0;
    let model = fit(&small_eegnet(), &set, &early, &mut |_| seen += 1).unwrap();
    let r = model.report();
    assert!(r.best_epoch >= 6, "kept epoch {}", r.best_epoch);
    assert!(
        r.epochs >= 6 && seen == r.epochs,
        "{} epochs, {seen} reported",
        r.epochs
    );

    // Beyond max_epochs: the last epoch is the only candidate.
    let capped = FitOptions {
        max_epochs: 3,
        min_epochs: 50,
        ..options(2)
    };
    let model = fit(&small_eegnet(), &set, &capped, &mut |_| {}).unwrap();
    assert_eq!((model.report().epochs, model.report().best_epoch), (3, 3));

    // The default, and the field from JSON.
    assert_eq!(FitOptions::default().min_epochs, 20);
    let parsed: FitOptions = serde_json::from_str(r#"{"min_epochs": 5}"#).unwrap();
    assert_eq!(parsed.min_epochs, 5);
    let parsed: FitOptions = serde_json::from_str("{}").unwrap();
    assert_eq!(parsed.min_epochs, 20);
}
