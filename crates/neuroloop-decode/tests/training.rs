//! Calibration training (the `bandpower` architecture of `fit`) and
//! decoding on synthetic motor-imagery data.

use neuroloop_core::Window;
use neuroloop_decode::bundle::{BundleMeta, WEIGHTS_FILE};
use neuroloop_decode::fit::{BandpowerSpec, EpochSet, FitOptions, FitReport, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{BandpowerConfig, BandpowerDecoder, DecodeError, Decoder};

const CHANNELS: usize = 16;
const SAMPLES: usize = 250;
const RATE: f64 = 250.0;

fn config() -> BandpowerConfig {
    BandpowerConfig::new(
        CHANNELS,
        SAMPLES,
        RATE,
        vec![[8.0, 13.0], [13.0, 30.0]],
        vec!["left".into(), "right".into()],
    )
}

/// Gain of channel 3, where class 0's rhythm weakens, over the others
/// (an electrode recorded at twice the gain).
const GAIN_3: f32 = 2.0;

/// Synthetic windows with channel 3 at [`GAIN_3`]: comparing the raw power
/// of channels 3 and 5, whose rhythm the classes weaken — a rule that
/// needs no training — then always picks class 1, so only a trained
/// decoder scores above chance.
fn data(n: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let generator = MotorImagery::new(CHANNELS, SAMPLES, RATE);
    assert_eq!(generator.erd_channels, [3, 5]);
    let (mut x, y) = generator.generate(n, seed);
    for window in x.chunks_exact_mut(CHANNELS * SAMPLES) {
        window[3 * SAMPLES..4 * SAMPLES]
            .iter_mut()
            .for_each(|v| *v *= GAIN_3);
    }
    (x, y)
}

/// Accuracy of the untrained rule on `n` windows of `x`: class 0 where
/// channel 3 has less power than channel 5, else class 1.
fn untrained_rule_accuracy(x: &[f32], y: &[usize]) -> f32 {
    let hits = y
        .iter()
        .enumerate()
        .filter(|&(i, &label)| {
            let w = window(x, i);
            let power = |c: usize| -> f32 {
                w.data[c * SAMPLES..(c + 1) * SAMPLES]
                    .iter()
                    .map(|v| v * v)
                    .sum()
            };
            usize::from(power(3) >= power(5)) == label
        })
        .count();
    hits as f32 / y.len() as f32
}

fn window(data: &[f32], i: usize) -> Window<'_> {
    let len = CHANNELS * SAMPLES;
    Window {
        index: i as u64,
        channels: CHANNELS,
        samples: SAMPLES,
        data: &data[i * len..(i + 1) * len],
        oldest_time: 0.0,
        newest_time: 0.0,
        newest_arrival: 0.0,
    }
}

/// Labelled epochs of windows `x` with labels `y`.
fn epochs(x: &[f32], y: &[usize]) -> Result<EpochSet, DecodeError> {
    let classes = vec!["left".into(), "right".into()];
    EpochSet::new(CHANNELS, SAMPLES, RATE, classes, x.to_vec(), y.to_vec())
}

/// Fits `spec` (bandpower, the bands of [`config`]) on `x`, `y`.
fn fit_bandpower(
    spec: &BandpowerSpec,
    x: &[f32],
    y: &[usize],
    seed: u64,
) -> Result<neuroloop_decode::fit::FittedModel, DecodeError> {
    let options = FitOptions {
        seed,
        ..FitOptions::default()
    };
    let spec = ModelSpec::with_spec("bandpower", spec)?;
    fit(&spec, &epochs(x, y)?, &options, &mut |_| {})
}

fn trained(seed: u64) -> (Box<dyn Decoder>, FitReport) {
    let (x, y) = data(120, 1);
    let model = fit_bandpower(&BandpowerSpec::default(), &x, &y, seed).expect("training succeeds");
    let report = model.report().clone();
    (model.into_decoder().expect("decoder"), report)
}

/// The decoder fitted with `seed`, saved as a bundle in a fresh directory
/// (returned): its weights file is a [`BandpowerDecoder`] record.
fn saved(seed: u64, name: &str) -> (Box<dyn Decoder>, std::path::PathBuf) {
    let (x, y) = data(120, 1);
    let model = fit_bandpower(&BandpowerSpec::default(), &x, &y, seed).unwrap();
    let dir = std::env::temp_dir().join(format!("neuroloop-decode-{name}-{}", std::process::id()));
    let meta = BundleMeta {
        channels: (0..CHANNELS).map(|c| format!("C{c}")).collect(),
        ..BundleMeta::default()
    };
    model.save_bundle(&dir, &meta).unwrap();
    (model.into_decoder().unwrap(), dir)
}

fn probabilities(decoder: &mut dyn Decoder, x: &[f32], n: usize) -> Vec<f32> {
    let mut out = Vec::new();
    let mut p = [0.0_f32; 2];
    for i in 0..n {
        decoder.decode(&window(x, i), &mut p).expect("decode");
        out.extend_from_slice(&p);
    }
    out
}

#[test]
fn held_out_accuracy_is_at_least_90_percent() {
    let (mut decoder, report) = trained(0);
    let (x, y) = data(100, 2);
    let mut p = [0.0_f32; 2];
    let mut correct = 0;
    for (i, &label) in y.iter().enumerate() {
        decoder.decode(&window(&x, i), &mut p).unwrap();
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{p:?}");
        correct += usize::from(usize::from(p[1] > p[0]) == label);
    }
    let accuracy = correct as f32 / y.len() as f32;
    let rule = untrained_rule_accuracy(&x, &y);
    eprintln!("held-out accuracy {accuracy}, untrained rule {rule}, {report:?}");
    assert!(rule <= 0.55, "the untrained rule scores {rule}");
    assert!(accuracy >= 0.9, "held-out accuracy {accuracy}, {report:?}");
    // Fitted on all 120 windows; 24 held out only for the estimate.
    assert_eq!(report.n_train, 120);
    assert_eq!(report.n_validation, 24);
    assert!(report.validation_accuracy.unwrap() >= 0.8, "{report:?}");
    assert_eq!((report.epochs, report.best_epoch), (2, 1));
}

#[test]
fn same_seed_gives_identical_probabilities() {
    let (x, _) = data(10, 3);
    let (mut a, report_a) = trained(42);
    let (mut b, report_b) = trained(42);
    assert_eq!(report_a, report_b);
    assert_eq!(
        probabilities(a.as_mut(), &x, 10),
        probabilities(b.as_mut(), &x, 10)
    );
}

#[test]
fn saved_weights_load_to_the_same_decoder() {
    let (x, _) = data(6, 4);
    let (mut decoder, dir) = saved(0, "weights");
    let mut loaded = BandpowerDecoder::load(config(), dir.join(WEIGHTS_FILE)).unwrap();
    let resaved = dir.join("bandpower.bpk");
    loaded.save(&resaved).unwrap();
    let mut reloaded = BandpowerDecoder::load(config(), &resaved).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let fitted = probabilities(decoder.as_mut(), &x, 6);
    assert_eq!(fitted, probabilities(&mut loaded, &x, 6));
    assert_eq!(fitted, probabilities(&mut reloaded, &x, 6));
}

#[test]
fn bad_windows_are_errors_not_panics() {
    let (mut decoder, _) = trained(0);
    let (mut x, _) = data(1, 5);
    let mut p = [0.25_f32; 2];

    let short = Window {
        samples: SAMPLES - 1,
        data: &x[..CHANNELS * (SAMPLES - 1)],
        ..window(&x, 0)
    };
    assert!(matches!(
        decoder.decode(&short, &mut p),
        Err(DecodeError::WindowShape { samples: 249, .. })
    ));
    let mut three = [0.0_f32; 3];
    assert!(matches!(
        decoder.decode(&window(&x, 0), &mut three),
        Err(DecodeError::ProbabilitiesLength {
            expected: 2,
            got: 3
        })
    ));

    x[5 * SAMPLES + 17] = f32::NAN;
    let err = decoder.decode(&window(&x, 0), &mut p).unwrap_err();
    assert_eq!(
        err,
        DecodeError::NonFinite {
            channel: 5,
            sample: 17
        }
    );
    assert!(err.is_artifact() && !err.is_retryable());
    x[5 * SAMPLES + 17] = f32::INFINITY;
    assert!(
        decoder
            .decode(&window(&x, 0), &mut p)
            .unwrap_err()
            .is_artifact()
    );
    assert_eq!(p, [0.25; 2], "probabilities untouched on error");
}

#[test]
fn bad_calibration_data_is_rejected() {
    let spec = BandpowerSpec::default();
    let (x, y) = data(8, 6);
    let len = CHANNELS * SAMPLES;
    let train =
        |x: &[f32], y: &[usize], spec: &BandpowerSpec| fit_bandpower(spec, x, y, 0).unwrap_err();

    let few = train(&x[..3 * len], &y[..3], &spec);
    assert_eq!(few, DecodeError::TooFewWindows { got: 3, needed: 4 });

    let shape = train(&x[..len * 7 + 1], &y[..7], &spec);
    assert!(matches!(
        shape,
        DecodeError::TrainingShape { windows: 7, .. }
    ));

    let mut labels = y.clone();
    labels[6] = 2;
    assert_eq!(
        train(&x, &labels, &spec),
        DecodeError::LabelOutOfRange {
            window: 6,
            label: 2,
            classes: 2
        }
    );

    let zeros = vec![0; 8];
    assert!(matches!(
        train(&x, &zeros, &spec),
        DecodeError::EmptyClass { class: 1, .. }
    ));

    let mut nan = x.clone();
    nan[3 * len + 2 * SAMPLES + 9] = f32::NAN;
    assert_eq!(
        train(&nan, &y, &spec),
        DecodeError::NonFiniteTraining {
            window: 3,
            channel: 2,
            sample: 9
        }
    );

    let mut bad = spec.clone();
    bad.bands_hz.push([100.0, 200.0]);
    assert!(matches!(
        train(&x, &y, &bad),
        DecodeError::Config(e) if e[0].path == "decoder.bands[2]"
    ));
    let zero_c = BandpowerSpec { c: 0.0, ..spec };
    assert!(matches!(
        train(&x, &y, &zero_c),
        DecodeError::TrainOptions { field: "c", .. }
    ));
}

#[test]
fn records_that_do_not_fit_are_rejected() {
    let (_, dir) = saved(0, "mismatch");
    let path = dir.join(WEIGHTS_FILE);
    let mut other = config();
    other.bands.push([30.0, 45.0]);
    let err = BandpowerDecoder::load(other, &path).unwrap_err();
    let missing = BandpowerDecoder::load(config(), dir.join("missing.bpk")).unwrap_err();
    std::fs::remove_dir_all(&dir).ok();
    assert!(matches!(err, DecodeError::RecordMismatch(_)), "{err}");
    assert!(matches!(missing, DecodeError::Record(_)), "{missing}");
}
